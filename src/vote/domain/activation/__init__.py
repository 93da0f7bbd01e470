"""Activation letters, the owner's activation journey and in-person verification."""
