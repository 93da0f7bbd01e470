"""The demo community: seed data and the demo-only accounts page (refused in production)."""
