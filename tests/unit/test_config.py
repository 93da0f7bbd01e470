"""Settings: safe defaults, environment parsing, and refusals in production."""

from __future__ import annotations

import pytest

from vote.config import DEV_SECRET, Settings, SettingsError


def test_defaults_use_sqlite_under_the_data_dir() -> None:
    settings = Settings.from_env({"VOTE_DATA_DIR": "/tmp/x"})
    assert settings.database_url == "sqlite+aiosqlite:////tmp/x/vote.db"
    assert settings.default_language == "zh_CN"
    assert not settings.is_production


def test_postgres_url_gets_the_async_driver() -> None:
    settings = Settings.from_env({"VOTE_DATABASE_URL": "postgresql://u@h/db"})
    assert settings.database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    "environ",
    [
        {"VOTE_ENV": "production"},
        {"VOTE_ENV": "production", "VOTE_SECRET_KEY": DEV_SECRET},
        {"VOTE_ENV": "production", "VOTE_SECRET_KEY": "short"},
        {"VOTE_ENV": "production", "VOTE_SECRET_KEY": "x" * 40, "VOTE_DEMO": "1"},
        {"VOTE_ENV": "production", "VOTE_SECRET_KEY": "x" * 40, "VOTE_CLOCK_OFFSET_SECONDS": "3600"},
    ],
)
def test_production_refuses_unsafe_settings(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_production_with_a_real_secret_starts_with_secure_cookies() -> None:
    settings = Settings.from_env({"VOTE_ENV": "production", "VOTE_SECRET_KEY": "k" * 40})
    assert settings.secure_cookies


@pytest.mark.parametrize(
    "environ",
    [{"VOTE_DEMO": "maybe"}, {"VOTE_SESSION_IDLE_MINUTES": "ten"}, {"VOTE_DEFAULT_LANGUAGE": "fr"}, {"VOTE_ENV": "staging"}],
)
def test_malformed_values_are_rejected(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_the_closing_job_runs_every_30_s_except_in_tests_unless_configured() -> None:
    assert Settings.from_env({}).close_due_interval_seconds == 30
    assert Settings.from_env({"VOTE_ENV": "test"}).close_due_interval_seconds == 0
    assert Settings.from_env({"VOTE_CLOSE_DUE_SECONDS": "5"}).close_due_interval_seconds == 5
    assert Settings.from_env({"VOTE_CLOSE_DUE_SECONDS": "0"}).close_due_interval_seconds == 0
    assert Settings(environment="test").with_(close_due_interval_seconds=1).close_due_interval_seconds == 1
    with pytest.raises(SettingsError, match="VOTE_CLOSE_DUE_SECONDS"):
        Settings.from_env({"VOTE_CLOSE_DUE_SECONDS": "-1"})
    with pytest.raises(SettingsError, match="VOTE_CLOSE_DUE_SECONDS"):
        Settings.from_env({"VOTE_CLOSE_DUE_SECONDS": "often"})
