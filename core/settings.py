"""Settings read from ``MAKKER_*`` environment variables.

Fail closed: ``MAKKER_ENV`` is ``production`` unless it says ``development``, so a process
started with no settings at all refuses to start and names the settings production needs.
Development features (the embedded issuer and its demo users, the development mailbox) run only
when asked for:
``makker demo``, or ``MAKKER_ENV=development``, which itself accepts only a database and an
address on this machine. Production refuses the development secrets and plain-http addresses.
Every refusal is one line naming the variable (:class:`SettingsError`); the README's
"Configuration" lists the variables and what each mode requires.

The web app has no Keycloak admin credential: ``makker tenants sync --keycloak`` and ``makker
invitations send`` read it when they run (:func:`load_keycloak_admin`), and no setting of the
app carries it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///makker.sqlite3"
_ENVS = ("development", "production")
_LOCALES = ("da", "en")
_LOG_FORMATS = ("json", "text")

#: The development values of the secrets. Production refuses each of them in every secret
#: variable (they are in the repository, so they are no secrets).
DEV_SECRET_KEY = "development-only-secret-key-not-for-production"
DEV_OIDC_CLIENT_SECRET = "makker-web-development-secret"
DEV_KEYCLOAK_ADMIN_CLIENT_ID = "makker-admin"
DEV_KEYCLOAK_ADMIN_CLIENT_SECRET = "makker-admin-development-secret"
DEVELOPMENT_SECRETS = frozenset(
    {DEV_SECRET_KEY, DEV_OIDC_CLIENT_SECRET, DEV_KEYCLOAK_ADMIN_CLIENT_SECRET}
)
#: What production cannot do without (in this order in the message that names the missing ones).
PRODUCTION_REQUIRED = (
    "MAKKER_DATABASE_URL",
    "MAKKER_SECRET_KEY",
    "MAKKER_BASE_URL",
    "MAKKER_OIDC_ISSUER",
    "MAKKER_OIDC_CLIENT_SECRET",
)
#: Host names that mean "this machine" (development accepts no other database or address).
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    """The process configuration. Build it with :func:`load_settings`.

    The defaults are development values, for tests that build settings directly; the
    environment goes through :func:`load_settings`, which fails closed."""

    env: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    #: URL used for migrations (the owner role on PostgreSQL); defaults to ``database_url``.
    migration_database_url: str = DEFAULT_DATABASE_URL
    #: PostgreSQL role the app connects as; migrations grant it DML on every table.
    db_app_role: str | None = None
    tenants_dir: Path = field(default_factory=lambda: REPO_ROOT / "tenants")
    default_locale: str = "da"
    secret_key: str = DEV_SECRET_KEY
    log_level: str = "INFO"
    #: ``json`` (one JSON object per line; the production default) or ``text``.
    log_format: Literal["json", "text"] = "text"
    #: The address people use to reach Makker (redirect URIs, the development issuer's URL).
    base_url: str = "http://127.0.0.1:8000"
    #: OpenID Connect issuer (a Keycloak realm URL). Development default: the embedded issuer.
    oidc_issuer: str = "http://127.0.0.1:8000/realms/makker"
    oidc_client_id: str = "makker-web"
    oidc_client_secret: str = DEV_OIDC_CLIENT_SECRET
    oidc_audience: str = "makker-api"
    session_hours: int = 8
    #: Third-party plugins to load: entry-point names (group ``makker``) from ``MAKKER_PLUGINS``.
    plugins: tuple[str, ...] = ()
    #: Pooled database connections per worker; a request holds exactly one.
    db_pool_size: int = 10
    #: Seconds a request waits for a free connection before it is answered 503.
    db_pool_timeout: float = 5.0
    #: Proxies whose ``X-Forwarded-For`` is believed (the client address of audit rows).
    trusted_proxies: tuple[Network, ...] = ()
    #: Production serves the OpenAPI document only to signed-in callers unless this is set.
    openapi_public: bool = False
    #: ``MAKKER_DATA_KEYS``: Fernet keys of the encrypted free text (:mod:`core.db.encryption`),
    #: the first encrypts; empty in development, which derives one from ``secret_key``.
    data_keys: tuple[str, ...] = field(default=(), repr=False)
    #: Outgoing e-mail (docs/notifications.md); without a host, development keeps every
    #: message in the development mailbox and production sends no e-mail.
    smtp: SmtpSettings | None = None
    #: Run the background jobs inside the app (the embedded default: SQLite has no queue).
    #: :func:`load_settings` sets it for a SQLite database; settings built directly (tests)
    #: leave it off and run the jobs themselves.
    jobs_in_app: bool = False
    #: Rate limits (docs/operations.md, :mod:`core.web.ratelimit`); 0 switches one off.
    #: Requests a minute of one signed-in user (API and pages).
    rate_limit_user: int = 300
    #: Requests a minute from one client address without a signed-in user.
    rate_limit_address: int = 300
    #: Sign-in requests (login, callback, the development issuer's form) a minute per address.
    rate_limit_sign_in: int = 20
    #: Accepted applications on a tenant's public form an hour per client address.
    rate_limit_applications: int = 10
    #: Seconds ``makker serve`` lets running requests finish after SIGTERM before closing them.
    graceful_shutdown_seconds: int = 20
    #: Bearer token of ``GET /metrics`` (Prometheus); without it there is no metrics endpoint.
    metrics_token: str | None = field(default=None, repr=False)

    @property
    def dev_issuer_enabled(self) -> bool:
        """The embedded development issuer runs only in development, and only when it is the
        configured issuer (a development setup against a real Keycloak has no demo users)."""
        return self.env == "development" and self.oidc_issuer.startswith(f"{self.base_url}/realms/")

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

    @property
    def openapi_needs_sign_in(self) -> bool:
        return self.is_production and not self.openapi_public


@dataclass(frozen=True)
class SmtpSettings:
    """``MAKKER_SMTP_*``: the server that sends Makker's e-mail (notifications)."""

    host: str
    port: int
    #: ``From:`` of every message, e.g. ``Makker <makker@kolding.dk>``.
    sender: str
    #: ``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``none`` (development only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: Seconds to wait for the server before the delivery is tried again later.
    timeout: float = 30.0


@dataclass(frozen=True)
class KeycloakAdminCredentials:
    """The ``makker-admin`` service account of ``makker tenants sync --keycloak`` and ``makker
    invitations send`` (only)."""

    client_id: str
    client_secret: str = field(repr=False)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    default_env: Literal["development", "production"] = "production",
) -> Settings:
    """Read settings from ``environ`` (default ``os.environ``).

    ``MAKKER_ENV`` defaults to ``default_env``: production, except for ``makker demo``, which
    is the explicit request for development.

    :raises SettingsError: with a one-line message naming the offending variable.
    """
    env = os.environ if environ is None else environ
    mode = _get(env, "MAKKER_ENV") or default_env
    if mode not in _ENVS:
        raise SettingsError(f"MAKKER_ENV must be one of {', '.join(_ENVS)}, got {mode!r}")
    production = mode == "production"

    if production:
        missing = [name for name in PRODUCTION_REQUIRED if _get(env, name) is None]
        if missing and _get(env, "MAKKER_ENV") is None:
            raise SettingsError(
                f"MAKKER_ENV is not set, so Makker runs as production, which needs "
                f"{_names(missing)}; to try Makker on this machine run `makker demo` "
                "(or set MAKKER_ENV=development)"
            )
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise SettingsError(f"{_names(missing)} {verb} required when MAKKER_ENV=production")

    database_url = _get(env, "MAKKER_DATABASE_URL") or DEFAULT_DATABASE_URL
    _check_database_url("MAKKER_DATABASE_URL", database_url, production, env)
    migration_url = _get(env, "MAKKER_MIGRATION_DATABASE_URL") or database_url
    _check_database_url("MAKKER_MIGRATION_DATABASE_URL", migration_url, production, env)

    secret = _get(env, "MAKKER_SECRET_KEY") or DEV_SECRET_KEY
    if production:
        _refuse_development_secret("MAKKER_SECRET_KEY", secret)
    if len(secret) < 32:
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
    log_format = _get(env, "MAKKER_LOG_FORMAT") or ("json" if production else "text")
    if log_format not in _LOG_FORMATS:
        raise SettingsError(f"MAKKER_LOG_FORMAT must be one of {', '.join(_LOG_FORMATS)}")

    base_url = (_get(env, "MAKKER_BASE_URL") or Settings.base_url).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise SettingsError("MAKKER_BASE_URL must start with http:// or https://")
    if production and not base_url.startswith("https://"):
        raise SettingsError("MAKKER_BASE_URL must use https:// when MAKKER_ENV=production")
    if not production and not _is_loopback(urlsplit(base_url).hostname):
        raise SettingsError(
            "MAKKER_BASE_URL must be an address on this machine (localhost, 127.0.0.1 or "
            "[::1]) when MAKKER_ENV=development"
        )
    issuer = (_get(env, "MAKKER_OIDC_ISSUER") or f"{base_url}/realms/makker").rstrip("/")
    if not re.match(r"^https?://[^/]+(/.*)?/realms/[^/]+$", issuer):
        raise SettingsError(
            "MAKKER_OIDC_ISSUER must be a realm URL like https://login.example.dk/realms/makker"
        )
    if production and not issuer.startswith("https://"):
        raise SettingsError("MAKKER_OIDC_ISSUER must use https:// when MAKKER_ENV=production")

    client_secret = _get(env, "MAKKER_OIDC_CLIENT_SECRET") or DEV_OIDC_CLIENT_SECRET
    if production:
        _refuse_development_secret("MAKKER_OIDC_CLIENT_SECRET", client_secret)

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

    openapi_public = (_get(env, "MAKKER_OPENAPI_PUBLIC") or "false").lower()
    if openapi_public not in ("true", "false"):
        raise SettingsError("MAKKER_OPENAPI_PUBLIC must be true or false")

    smtp = _smtp_settings(env, production)

    limits = {
        name: _whole_number(env, f"MAKKER_RATE_LIMIT_{name.upper()}", default, 0, 1_000_000)
        for name, default in (
            ("user", Settings.rate_limit_user),
            ("address", Settings.rate_limit_address),
            ("sign_in", Settings.rate_limit_sign_in),
            ("applications", Settings.rate_limit_applications),
        )
    }
    graceful = _whole_number(
        env, "MAKKER_GRACEFUL_SHUTDOWN_SECONDS", Settings.graceful_shutdown_seconds, 1, 600
    )
    metrics_token = _get(env, "MAKKER_METRICS_TOKEN")
    if metrics_token is not None and len(metrics_token) < 32:
        raise SettingsError("MAKKER_METRICS_TOKEN must be at least 32 characters long")

    return Settings(
        rate_limit_user=limits["user"],
        rate_limit_address=limits["address"],
        rate_limit_sign_in=limits["sign_in"],
        rate_limit_applications=limits["applications"],
        graceful_shutdown_seconds=graceful,
        metrics_token=metrics_token,
        smtp=smtp,
        jobs_in_app=database_url.startswith("sqlite"),
        plugins=plugins,
        base_url=base_url,
        oidc_issuer=issuer,
        oidc_client_id=_get(env, "MAKKER_OIDC_CLIENT_ID") or Settings.oidc_client_id,
        oidc_client_secret=client_secret,
        oidc_audience=_get(env, "MAKKER_OIDC_AUDIENCE") or Settings.oidc_audience,
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
        # checked last: every other refusal of production is named first
        data_keys=_data_keys(_get(env, "MAKKER_DATA_KEYS"), production),
        log_level=log_level,
        log_format=log_format,  # type: ignore[arg-type]
        trusted_proxies=_trusted_proxies(_get(env, "MAKKER_TRUSTED_PROXIES")),
        openapi_public=openapi_public == "true",
    )


def _whole_number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _get(env, name) or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


_SMTP_SECURITY = ("starttls", "tls", "none")


def _smtp_settings(env: Mapping[str, str], production: bool) -> SmtpSettings | None:
    """``MAKKER_SMTP_*``, or ``None`` when ``MAKKER_SMTP_HOST`` is unset (then the other
    variables are refused, so a half-made configuration does not pass unnoticed)."""
    host = _get(env, "MAKKER_SMTP_HOST")
    names = ("PORT", "FROM", "SECURITY", "USERNAME", "PASSWORD", "TIMEOUT")
    if host is None:
        given = [f"MAKKER_SMTP_{n}" for n in names if _get(env, f"MAKKER_SMTP_{n}") is not None]
        if given:
            raise SettingsError(f"MAKKER_SMTP_HOST is required when {given[0]} is set")
        return None
    if not re.match(r"^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$", host):
        raise SettingsError("MAKKER_SMTP_HOST must be a host name or an IP address")
    security = (_get(env, "MAKKER_SMTP_SECURITY") or "starttls").lower()
    if security not in _SMTP_SECURITY:
        raise SettingsError(f"MAKKER_SMTP_SECURITY must be one of {', '.join(_SMTP_SECURITY)}")
    if production and security == "none":
        raise SettingsError(
            "MAKKER_SMTP_SECURITY must be starttls or tls when MAKKER_ENV=production "
            "(messages and the password would cross the network unencrypted)"
        )
    port_raw = _get(env, "MAKKER_SMTP_PORT") or ("465" if security == "tls" else "587")
    if not port_raw.isdigit() or not 1 <= int(port_raw) <= 65535:
        raise SettingsError("MAKKER_SMTP_PORT must be a port number from 1 to 65535")
    sender = _get(env, "MAKKER_SMTP_FROM")
    if sender is None or not re.search(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", sender):
        raise SettingsError(
            "MAKKER_SMTP_FROM must be the sender's address, e.g. Makker <makker@kolding.dk>"
        )
    username = _get(env, "MAKKER_SMTP_USERNAME")
    password = _get(env, "MAKKER_SMTP_PASSWORD")
    if (username is None) != (password is None):
        raise SettingsError("MAKKER_SMTP_USERNAME and MAKKER_SMTP_PASSWORD go together")
    if production and password is not None:
        _refuse_development_secret("MAKKER_SMTP_PASSWORD", password)
    timeout_raw = _get(env, "MAKKER_SMTP_TIMEOUT") or "30"
    try:
        timeout = float(timeout_raw)
    except ValueError:
        timeout = -1.0
    if not 1 <= timeout <= 300:
        raise SettingsError("MAKKER_SMTP_TIMEOUT must be a number of seconds from 1 to 300")
    return SmtpSettings(
        host=host,
        port=int(port_raw),
        sender=sender,
        security=security,  # type: ignore[arg-type]
        username=username,
        password=password,
        timeout=timeout,
    )


def _data_keys(raw: str | None, production: bool) -> tuple[str, ...]:
    """``MAKKER_DATA_KEYS``: comma-separated Fernet keys, the first one current. Production
    needs one that is not a development key (docs/operations.md, "Data keys")."""
    from core.db.encryption import check_key, development_key

    keys = tuple(k.strip() for k in (raw or "").split(",") if k.strip())
    if production and not keys:
        raise SettingsError(
            "MAKKER_DATA_KEYS is required when MAKKER_ENV=production (the key that encrypts "
            "health notes at rest; make one with `makker keys new`)"
        )
    for n, key in enumerate(keys, start=1):
        try:
            check_key(key)
        except ValueError:
            raise SettingsError(
                f"MAKKER_DATA_KEYS: key {n} is not a Fernet key (32 bytes in URL-safe base64, "
                "as `makker keys new` prints)"
            ) from None
        if production and key.encode() == development_key(DEV_SECRET_KEY):
            raise SettingsError(
                "MAKKER_DATA_KEYS holds the development key from the repository; production "
                "needs a key of its own"
            )
    return keys


def load_keycloak_admin(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    command: str = "makker tenants sync --keycloak",
) -> KeycloakAdminCredentials:
    """The service account of ``command`` (``makker tenants sync --keycloak`` or ``makker
    invitations send``), read when that command runs:
    ``MAKKER_KEYCLOAK_ADMIN_CLIENT_ID`` (default ``makker-admin``) and
    ``MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET`` (required in production, never the development
    value; development falls back to the development issuer's).

    :raises SettingsError: with a one-line message naming the variable."""
    env = os.environ if environ is None else environ
    client_id = _get(env, "MAKKER_KEYCLOAK_ADMIN_CLIENT_ID") or DEV_KEYCLOAK_ADMIN_CLIENT_ID
    secret = _get(env, "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET")
    if settings.is_production:
        if secret is None:
            raise SettingsError(
                f"MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET is required for `{command}` "
                "when MAKKER_ENV=production"
            )
        _refuse_development_secret("MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET", secret)
    return KeycloakAdminCredentials(client_id, secret or DEV_KEYCLOAK_ADMIN_CLIENT_SECRET)


def check_bind_address(settings: Settings, host: str) -> None:
    """Development serves only on this machine: ``--host`` must be a loopback address.

    :raises SettingsError: naming ``--host``."""
    if not settings.is_production and not _is_loopback(host):
        raise SettingsError(
            f"--host must be a loopback address (127.0.0.1, ::1 or localhost) when "
            f"MAKKER_ENV=development, got {host!r}"
        )


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _refuse_development_secret(name: str, value: str) -> None:
    if value in DEVELOPMENT_SECRETS:
        raise SettingsError(
            f"{name} is a development value from the repository; production needs a secret "
            "of its own"
        )


def _check_database_url(name: str, url: str, production: bool, env: Mapping[str, str]) -> None:
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise SettingsError(f"{name} must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    if production:
        if url.startswith("sqlite"):
            raise SettingsError(f"{name} must point at PostgreSQL when MAKKER_ENV=production")
        return
    if url.startswith("sqlite"):
        return
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingsError(f"{name} is not a database URL") from None
    socket = parsed.query.get("host")
    hosts = [parsed.host, *([socket] if isinstance(socket, str) else socket or [])]
    if not any(hosts):
        # No host in the URL: the driver (asyncpg) takes PGHOST from the environment, which
        # may name another machine, and otherwise a local socket.
        hosts = (_get(env, "PGHOST") or "").split(",")
    for host in hosts:
        if host and not host.startswith("/") and not _is_loopback(host):
            raise SettingsError(
                f"{name} must be a database on this machine (SQLite, or PostgreSQL on "
                f"localhost, 127.0.0.1, ::1 or a unix socket) when MAKKER_ENV=development, "
                f"got host {host!r}"
            )


def _trusted_proxies(raw: str | None) -> tuple[Network, ...]:
    networks = []
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise SettingsError(
                "MAKKER_TRUSTED_PROXIES must be IP addresses or networks (CIDR) separated by "
                f"commas, got {item.strip()!r}"
            ) from None
    return tuple(networks)
