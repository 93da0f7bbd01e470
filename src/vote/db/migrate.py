"""Programmatic Alembic: ``vote db upgrade`` and friends, with no alembic.ini to keep in sync."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from vote.config import Settings, project_path


def alembic_config(settings: Settings) -> Config:
    """An Alembic config pointing at ``migrations/`` and carrying the settings to env.py."""
    config = Config()
    config.set_main_option("script_location", str(project_path("migrations")))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the database up to ``revision``. Call outside any running event loop."""
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    """Migrate the database down to ``revision``."""
    command.downgrade(alembic_config(settings), revision)


def revision(settings: Settings, message: str) -> None:
    """Autogenerate a new revision from the difference between models and database."""
    command.revision(alembic_config(settings), message=message, autogenerate=True)
