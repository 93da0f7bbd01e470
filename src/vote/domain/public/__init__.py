"""Public domain."""
