"""Settings from ``VOTE_*`` environment variables.

Every knob of a deployment lives here; ``create_app(settings)`` receives one ``Settings`` object and
nothing else reads the environment. Development defaults are safe to run locally; production mode
refuses to start with a development secret or a demo clock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - a marker, refused in production
CLOSE_DUE_INTERVAL_SECONDS = 30
LANGUAGES = ("zh_CN", "en")


class SettingsError(ValueError):
    """A configuration value is missing, malformed or unsafe."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """A deployment's configuration. Build with ``Settings.from_env()`` or directly in tests."""

    environment: str = "development"
    secret_key: str = DEV_SECRET
    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str = ""
    default_language: str = "zh_CN"
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False
    demo_mode: bool = False
    clock_offset_seconds: int = 0
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    log_level: str = "INFO"
    echo_sql: bool = False
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    # Open a fresh connection per session instead of pooling (tests run several event loops).
    database_nullpool: bool = False
    # How often the server's closing job looks for meetings whose voting window has ended; 0 = off.
    # Unset: every 30 s, but off in the test environment (a test that wants the job turns it on).
    close_due_interval_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.environment not in {"development", "test", "production"}:
            raise SettingsError("VOTE_ENV must be development, test or production")
        if self.default_language not in LANGUAGES:
            raise SettingsError(f"VOTE_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{self.data_dir / 'vote.db'}")
        if self.close_due_interval_seconds is None:
            interval = 0 if self.environment == "test" else CLOSE_DUE_INTERVAL_SECONDS
            object.__setattr__(self, "close_due_interval_seconds", interval)
        elif self.close_due_interval_seconds < 0:
            raise SettingsError("VOTE_CLOSE_DUE_SECONDS must be 0 (off) or a number of seconds")
        if self.database_url.startswith("postgresql://"):
            object.__setattr__(
                self, "database_url", "postgresql+asyncpg://" + self.database_url.removeprefix("postgresql://")
            )
        if self.is_production:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError("production needs VOTE_SECRET_KEY: at least 32 random characters")
            if self.demo_mode or self.clock_offset_seconds:
                raise SettingsError("demo mode and the demo clock are refused in production")

    @property
    def is_production(self) -> bool:
        """True when running for real users."""
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (tests use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read ``VOTE_*`` variables; unknown ones are ignored, malformed ones raise ``SettingsError``."""
        env = dict(os.environ if environ is None else environ)
        kwargs: dict[str, object] = {}
        text = {
            "VOTE_ENV": "environment",
            "VOTE_SECRET_KEY": "secret_key",
            "VOTE_DATABASE_URL": "database_url",
            "VOTE_DEFAULT_LANGUAGE": "default_language",
            "VOTE_BASE_URL": "base_url",
            "VOTE_LOG_LEVEL": "log_level",
            "VOTE_SMTP_HOST": "smtp_host",
            "VOTE_SMTP_USER": "smtp_user",
            "VOTE_SMTP_PASSWORD": "smtp_password",
            "VOTE_SMTP_FROM": "smtp_from",
        }
        for var, name in text.items():
            if env.get(var):
                kwargs[name] = env[var]
        if env.get("VOTE_DATA_DIR"):
            kwargs["data_dir"] = Path(env["VOTE_DATA_DIR"])
        for var, name in {
            "VOTE_SECURE_COOKIES": "secure_cookies",
            "VOTE_DEMO": "demo_mode",
            "VOTE_ECHO_SQL": "echo_sql",
        }.items():
            if var in env:
                kwargs[name] = _bool(env[var])
        for var, name in {
            "VOTE_CLOCK_OFFSET_SECONDS": "clock_offset_seconds",
            "VOTE_SESSION_IDLE_MINUTES": "session_idle_minutes",
            "VOTE_SESSION_ABSOLUTE_HOURS": "session_absolute_hours",
            "VOTE_SMTP_PORT": "smtp_port",
            "VOTE_CLOSE_DUE_SECONDS": "close_due_interval_seconds",
        }.items():
            if env.get(var):
                try:
                    kwargs[name] = int(env[var])
                except ValueError as exc:
                    raise SettingsError(f"{var} must be an integer") from exc
        if kwargs.get("environment") == "production" and "secure_cookies" not in kwargs:
            kwargs["secure_cookies"] = True
        return cls(**kwargs)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings.from_env()


def project_path(*parts: str) -> Path:
    """A path to a shipped resource (templates, migrations), installed or in a source checkout."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir.joinpath(*parts)
    if installed.exists():
        return installed
    return package_dir.parents[1].joinpath(*parts)
