"""Settings read from ``MAKKER_*`` environment variables.

Every setting has an embedded default that works for development (SQLite file, demo tenants).
In production the defaults that are only fit for development are refused: a missing or bad
setting stops start-up with one line naming the variable (:class:`SettingsError`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///makker.sqlite3"
_ENVS = ("development", "production")
_LOCALES = ("da", "en")


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    """The process configuration. Build it with :func:`load_settings`."""

    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    #: URL used for migrations (the owner role on PostgreSQL); defaults to ``database_url``.
    migration_database_url: str = DEFAULT_DATABASE_URL
    #: PostgreSQL role the app connects as; migrations grant it DML on every table.
    db_app_role: str | None = None
    tenants_dir: Path = field(default_factory=lambda: REPO_ROOT / "tenants")
    default_locale: str = "da"
    secret_key: str = "development-only-secret-key-not-for-production"
    log_level: str = "INFO"
    #: The address people use to reach Makker (redirect URIs, the development issuer's URL).
    base_url: str = "http://127.0.0.1:8000"
    #: OpenID Connect issuer (a Keycloak realm URL). Development default: the embedded issuer.
    oidc_issuer: str = "http://127.0.0.1:8000/realms/makker"
    oidc_client_id: str = "makker-web"
    oidc_client_secret: str = "makker-web-development-secret"
    oidc_audience: str = "makker-api"
    keycloak_admin_client_id: str = "makker-admin"
    keycloak_admin_client_secret: str = "makker-admin-development-secret"
    session_hours: int = 8
    #: Third-party plugins to load: entry-point names (group ``makker``) from ``MAKKER_PLUGINS``.
    plugins: tuple[str, ...] = ()
    #: Pooled database connections per worker; a request holds exactly one.
    db_pool_size: int = 10
    #: Seconds a request waits for a free connection before it is answered 503.
    db_pool_timeout: float = 5.0

    @property
    def dev_issuer_enabled(self) -> bool:
        """The embedded development issuer runs only in development, never in production."""
        return self.env == "development"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def realm(self) -> str:
        return self.oidc_issuer.rsplit("/realms/", 1)[1]

    @property
    def oidc_server_url(self) -> str:
        """The Keycloak base URL python-keycloak wants (the issuer without ``/realms/...``)."""
        return self.oidc_issuer.rsplit("/realms/", 1)[0] + "/"


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (default ``os.environ``).

    :raises SettingsError: with a one-line message naming the offending variable.
    """
    env = os.environ if environ is None else environ
    mode = _get(env, "MAKKER_ENV") or "development"
    if mode not in _ENVS:
        raise SettingsError(f"MAKKER_ENV must be one of {', '.join(_ENVS)}, got {mode!r}")
    production = mode == "production"

    database_url = _get(env, "MAKKER_DATABASE_URL")
    if database_url is None:
        if production:
            raise SettingsError("MAKKER_DATABASE_URL is required when MAKKER_ENV=production")
        database_url = DEFAULT_DATABASE_URL
    _check_database_url("MAKKER_DATABASE_URL", database_url)
    if production and database_url.startswith("sqlite"):
        raise SettingsError(
            "MAKKER_DATABASE_URL must point at PostgreSQL when MAKKER_ENV=production"
        )
    migration_url = _get(env, "MAKKER_MIGRATION_DATABASE_URL") or database_url
    _check_database_url("MAKKER_MIGRATION_DATABASE_URL", migration_url)

    secret = _get(env, "MAKKER_SECRET_KEY")
    if secret is None:
        if production:
            raise SettingsError("MAKKER_SECRET_KEY is required when MAKKER_ENV=production")
        secret = Settings.secret_key
    elif len(secret) < 32:
        raise SettingsError("MAKKER_SECRET_KEY must be at least 32 characters long")

    tenants_dir = Path(_get(env, "MAKKER_TENANTS_DIR") or REPO_ROOT / "tenants")
    if not tenants_dir.is_dir():
        raise SettingsError(f"MAKKER_TENANTS_DIR is not a directory: {tenants_dir}")

    locale = _get(env, "MAKKER_DEFAULT_LOCALE") or "da"
    if locale not in _LOCALES:
        raise SettingsError(f"MAKKER_DEFAULT_LOCALE must be one of {', '.join(_LOCALES)}")

    log_level = (_get(env, "MAKKER_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("MAKKER_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")

    base_url = (_get(env, "MAKKER_BASE_URL") or Settings.base_url).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise SettingsError("MAKKER_BASE_URL must start with http:// or https://")
    if production and not base_url.startswith("https://"):
        raise SettingsError("MAKKER_BASE_URL must use https:// when MAKKER_ENV=production")
    issuer = _get(env, "MAKKER_OIDC_ISSUER")
    if issuer is None:
        if production:
            raise SettingsError("MAKKER_OIDC_ISSUER is required when MAKKER_ENV=production")
        issuer = f"{base_url}/realms/makker"
    if not re.match(r"^https?://[^/]+(/.*)?/realms/[^/]+$", issuer.rstrip("/")):
        raise SettingsError(
            "MAKKER_OIDC_ISSUER must be a realm URL like https://login.example.dk/realms/makker"
        )
    secrets = {}
    for name, default in (
        ("MAKKER_OIDC_CLIENT_SECRET", Settings.oidc_client_secret),
        ("MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET", Settings.keycloak_admin_client_secret),
    ):
        value = _get(env, name)
        if value is None and production and name == "MAKKER_OIDC_CLIENT_SECRET":
            raise SettingsError(f"{name} is required when MAKKER_ENV=production")
        secrets[name] = value or default
    session_hours_raw = _get(env, "MAKKER_SESSION_HOURS") or "8"
    if not session_hours_raw.isdigit() or not 1 <= int(session_hours_raw) <= 24:
        raise SettingsError("MAKKER_SESSION_HOURS must be a whole number from 1 to 24")

    pool_size_raw = _get(env, "MAKKER_DB_POOL_SIZE") or str(Settings.db_pool_size)
    if not pool_size_raw.isdigit() or not 1 <= int(pool_size_raw) <= 200:
        raise SettingsError("MAKKER_DB_POOL_SIZE must be a whole number from 1 to 200")
    pool_timeout_raw = _get(env, "MAKKER_DB_POOL_TIMEOUT") or str(Settings.db_pool_timeout)
    try:
        pool_timeout = float(pool_timeout_raw)
    except ValueError:
        pool_timeout = -1.0
    if not 0.1 <= pool_timeout <= 60:
        raise SettingsError("MAKKER_DB_POOL_TIMEOUT must be a number of seconds from 0.1 to 60")

    plugins = tuple(p.strip() for p in (_get(env, "MAKKER_PLUGINS") or "").split(",") if p.strip())
    for name in plugins:
        if not re.match(r"^[a-z][a-z0-9_]{1,59}$", name):
            raise SettingsError(
                f"MAKKER_PLUGINS must be plugin names (lower-case letters, digits, _), got {name!r}"
            )

    return Settings(
        plugins=plugins,
        base_url=base_url,
        oidc_issuer=issuer.rstrip("/"),
        oidc_client_id=_get(env, "MAKKER_OIDC_CLIENT_ID") or Settings.oidc_client_id,
        oidc_client_secret=secrets["MAKKER_OIDC_CLIENT_SECRET"],
        oidc_audience=_get(env, "MAKKER_OIDC_AUDIENCE") or Settings.oidc_audience,
        keycloak_admin_client_id=(
            _get(env, "MAKKER_KEYCLOAK_ADMIN_CLIENT_ID") or Settings.keycloak_admin_client_id
        ),
        keycloak_admin_client_secret=secrets["MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET"],
        session_hours=int(session_hours_raw),
        db_pool_size=int(pool_size_raw),
        db_pool_timeout=pool_timeout,
        env=mode,  # type: ignore[arg-type]
        database_url=database_url,
        migration_database_url=migration_url,
        db_app_role=_get(env, "MAKKER_DB_APP_ROLE"),
        tenants_dir=tenants_dir,
        default_locale=locale,
        secret_key=secret,
        log_level=log_level,
    )


def _check_database_url(name: str, url: str) -> None:
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise SettingsError(f"{name} must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
