"""Meetings and motions domain."""
