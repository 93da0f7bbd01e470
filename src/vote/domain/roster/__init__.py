"""Owner register (roster) domain."""
