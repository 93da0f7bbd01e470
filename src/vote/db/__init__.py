"""Database access: engine configuration, the declarative base and the models."""
