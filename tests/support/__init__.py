"""Helpers for tests: seeding data through the services, and HTTP form posts with CSRF."""
