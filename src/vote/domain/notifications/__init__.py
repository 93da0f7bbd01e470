"""Notifications: the outbox, the in-app list, e-mail and SMS delivery."""
