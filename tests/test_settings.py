"""Settings from MAKKER_* variables: fail closed, development only on this machine, production
refuses development secrets and plain http; every refusal is one line naming the variable."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from core.settings import (
    DEFAULT_DATABASE_URL,
    DEV_KEYCLOAK_ADMIN_CLIENT_SECRET,
    DEV_OIDC_CLIENT_SECRET,
    DEV_SECRET_KEY,
    Settings,
    SettingsError,
    load_keycloak_admin,
    load_settings,
)

REPO = Path(__file__).resolve().parent.parent
PG = "postgresql+asyncpg://makker_app@db/makker"
SECRET = "x" * 32
PRODUCTION = {
    "MAKKER_ENV": "production",
    "MAKKER_DATABASE_URL": PG,
    "MAKKER_SECRET_KEY": SECRET,
    "MAKKER_BASE_URL": "https://makker.example.dk",
    "MAKKER_OIDC_ISSUER": "https://login.example.dk/realms/makker",
    "MAKKER_OIDC_CLIENT_SECRET": "s3cret",
    "MAKKER_DATA_KEYS": "kTR1s-e0cFk0HJL3h7yFy4x8fE1cBa9jV9M0yX6Zg0M=",
}
DEV = {"MAKKER_ENV": "development"}
NEEDS = (
    "MAKKER_DATABASE_URL, MAKKER_SECRET_KEY, MAKKER_BASE_URL, MAKKER_OIDC_ISSUER and "
    "MAKKER_OIDC_CLIENT_SECRET"
)


def _refused(environ) -> str:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(environ)
    return str(excinfo.value)


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


# -- fail closed ------------------------------------------------------------------------------
def test_no_settings_at_all_is_production_and_names_what_it_needs():
    assert _refused({}) == (
        f"MAKKER_ENV is not set, so Makker runs as production, which needs {NEEDS}; to try "
        "Makker on this machine run `makker demo` (or set MAKKER_ENV=development)"
    )


def test_without_makker_env_but_with_everything_else_it_is_production():
    settings = load_settings({k: v for k, v in PRODUCTION.items() if k != "MAKKER_ENV"})
    assert (settings.is_production, settings.dev_issuer_enabled) == (True, False)


def test_the_demo_asks_for_development_explicitly():
    settings = load_settings({}, default_env="development")
    assert (settings.env, settings.dev_issuer_enabled) == ("development", True)


def test_serve_with_no_settings_refuses_and_names_the_variables(tmp_path: Path):
    result = _cli("serve", env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "makker: configuration error: MAKKER_ENV is not set, so Makker runs as production, "
        f"which needs {NEEDS}; to try Makker on this machine run `makker demo` (or set "
        "MAKKER_ENV=development)\n"
    )


def test_a_command_stops_with_one_line_naming_the_missing_variables(tmp_path: Path):
    result = _cli("db", "upgrade", env={"MAKKER_ENV": "production"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"makker: configuration error: {NEEDS} are required when " + (
        "MAKKER_ENV=production\n"
    )


# MAKKER_DATA_KEYS's refusal says more (how to make a key): tests/test_encryption.py
@pytest.mark.parametrize(
    "missing", [name for name in PRODUCTION if name not in ("MAKKER_ENV", "MAKKER_DATA_KEYS")]
)
def test_each_production_setting_is_required(missing):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    assert _refused(environ) == f"{missing} is required when MAKKER_ENV=production"


# -- development: only on this machine ----------------------------------------------------------
def test_development_defaults():
    settings = load_settings(DEV)
    assert settings.env == "development"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.migration_database_url == DEFAULT_DATABASE_URL
    assert settings.default_locale == "da"
    assert settings.tenants_dir.name == "tenants"
    assert (settings.log_format, settings.openapi_public, settings.trusted_proxies) == (
        "text",
        False,
        (),
    )


def test_development_issuer_follows_the_base_url():
    settings = load_settings({**DEV, "MAKKER_BASE_URL": "http://127.0.0.1:9000/"})
    assert settings.oidc_issuer == "http://127.0.0.1:9000/realms/makker"
    assert settings.dev_issuer_enabled is True


def test_development_against_a_real_keycloak_has_no_development_issuer():
    settings = load_settings({**DEV, "MAKKER_OIDC_ISSUER": "https://kc.example.dk/realms/test"})
    assert settings.dev_issuer_enabled is False


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///makker.sqlite3",
        "postgresql+asyncpg://makker@localhost/makker",
        "postgresql+asyncpg://makker@127.0.0.1:5432/makker",
        "postgresql+asyncpg://makker@[::1]:5432/makker",
        "postgresql+asyncpg://makker@/makker?host=/var/run/postgresql",
        "postgresql+asyncpg://makker@/makker",
    ],
)
def test_development_accepts_a_database_on_this_machine(url):
    assert load_settings({**DEV, "MAKKER_DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize("pghost", ["localhost", "/var/run/postgresql", "127.0.0.1,/tmp"])
def test_development_accepts_a_pghost_on_this_machine(pghost):
    url = "postgresql+asyncpg://makker@/makker"
    environ = {**DEV, "MAKKER_DATABASE_URL": url, "PGHOST": pghost}
    assert load_settings(environ).database_url == url


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"MAKKER_DATABASE_URL": "postgresql+asyncpg://makker@db.example.dk/makker"},
            "MAKKER_DATABASE_URL must be a database on this machine (SQLite, or PostgreSQL on "
            "localhost, 127.0.0.1, ::1 or a unix socket) when MAKKER_ENV=development, got host "
            "'db.example.dk'",
        ),
        (
            {"MAKKER_DATABASE_URL": "postgresql+asyncpg://makker@/makker?host=10.0.0.5"},
            "MAKKER_DATABASE_URL must be a database on this machine (SQLite, or PostgreSQL on "
            "localhost, 127.0.0.1, ::1 or a unix socket) when MAKKER_ENV=development, got host "
            "'10.0.0.5'",
        ),
        (
            {"MAKKER_MIGRATION_DATABASE_URL": "postgresql+asyncpg://owner@10.1.2.3/makker"},
            "MAKKER_MIGRATION_DATABASE_URL must be a database on this machine (SQLite, or "
            "PostgreSQL on localhost, 127.0.0.1, ::1 or a unix socket) when "
            "MAKKER_ENV=development, got host '10.1.2.3'",
        ),
        (
            {
                "MAKKER_DATABASE_URL": "postgresql+asyncpg://makker@/makker",
                "PGHOST": "db.example.dk",
            },
            "MAKKER_DATABASE_URL must be a database on this machine (SQLite, or PostgreSQL on "
            "localhost, 127.0.0.1, ::1 or a unix socket) when MAKKER_ENV=development, got host "
            "'db.example.dk'",
        ),
        (
            {"MAKKER_BASE_URL": "https://makker.example.dk"},
            "MAKKER_BASE_URL must be an address on this machine (localhost, 127.0.0.1 or "
            "[::1]) when MAKKER_ENV=development",
        ),
    ],
)
def test_development_refuses_what_is_not_on_this_machine(environ, message):
    assert _refused({**DEV, **environ}) == message


@pytest.mark.parametrize("command", [["serve"], ["demo", "--no-serve"]])
def test_development_serves_only_on_a_loopback_address(tmp_path: Path, command):
    result = _cli(*command, "--host", "0.0.0.0", env=DEV, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "makker: configuration error: --host must be a loopback address (127.0.0.1, ::1 or "
        "localhost) when MAKKER_ENV=development, got '0.0.0.0'\n"
    )
    assert not (tmp_path / "makker.sqlite3").exists()  # refused before anything was done


def test_demo_refuses_to_run_in_production(tmp_path: Path):
    result = _cli("demo", "--no-serve", env=PRODUCTION, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "makker: demo refuses to run when MAKKER_ENV=production\n"


# -- production: no development secrets, no plain http ------------------------------------------
def test_production_with_everything_set():
    settings = load_settings({**PRODUCTION, "MAKKER_DB_APP_ROLE": "makker_app"})
    assert (settings.is_production, settings.database_url, settings.db_app_role) == (
        True,
        PG,
        "makker_app",
    )
    assert (settings.realm, settings.oidc_server_url) == ("makker", "https://login.example.dk/")
    assert settings.dev_issuer_enabled is False
    assert (settings.log_format, settings.openapi_needs_sign_in) == ("json", True)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAKKER_SECRET_KEY", DEV_SECRET_KEY),
        ("MAKKER_SECRET_KEY", DEV_KEYCLOAK_ADMIN_CLIENT_SECRET),
        ("MAKKER_OIDC_CLIENT_SECRET", DEV_OIDC_CLIENT_SECRET),
        ("MAKKER_OIDC_CLIENT_SECRET", DEV_KEYCLOAK_ADMIN_CLIENT_SECRET),
    ],
)
def test_production_refuses_every_development_secret(name, value):
    assert _refused({**PRODUCTION, name: value}) == (
        f"{name} is a development value from the repository; production needs a secret of its own"
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"MAKKER_OIDC_ISSUER": "http://keycloak:8080/realms/makker"},
            "MAKKER_OIDC_ISSUER must use https:// when MAKKER_ENV=production",
        ),
        (
            {"MAKKER_BASE_URL": "http://makker.example.dk"},
            "MAKKER_BASE_URL must use https:// when MAKKER_ENV=production",
        ),
        (
            {"MAKKER_DATABASE_URL": "sqlite+aiosqlite:///x.db"},
            "MAKKER_DATABASE_URL must point at PostgreSQL when MAKKER_ENV=production",
        ),
        (
            {"MAKKER_MIGRATION_DATABASE_URL": "sqlite+aiosqlite:///x.db"},
            "MAKKER_MIGRATION_DATABASE_URL must point at PostgreSQL when MAKKER_ENV=production",
        ),
        ({"MAKKER_SECRET_KEY": "short"}, "MAKKER_SECRET_KEY must be at least 32 characters long"),
    ],
)
def test_production_refusals_name_the_variable(environ, message):
    assert _refused({**PRODUCTION, **environ}) == message


# -- the Keycloak admin credential: only `tenants sync --keycloak` ------------------------------
def test_the_apps_settings_carry_no_keycloak_admin_credential():
    assert not [f.name for f in fields(Settings) if "admin" in f.name]
    environ = {
        **PRODUCTION,
        "MAKKER_KEYCLOAK_ADMIN_CLIENT_ID": "makker-admin",
        "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET": "realm-admin-secret-value",
    }
    settings = load_settings(environ)
    assert "realm-admin-secret-value" not in repr(settings)
    from core.app import create_app

    app = create_app(settings)
    assert "realm-admin-secret-value" not in repr(dict(app.state))
    assert "realm-admin-secret-value" not in repr(vars(app.state.token_validator.openid))


def test_only_tenants_sync_reads_the_keycloak_admin_credential():
    readers = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "core").rglob("*.py")
        if re.search(r"load_keycloak_admin\(", path.read_text(encoding="utf-8"))
        and path.name != "settings.py"
    )
    assert readers == ["core/cli.py"]
    names = sorted(
        str(path.relative_to(REPO))
        for path in (REPO / "core").rglob("*.py")
        if '"MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET"' in path.read_text(encoding="utf-8")
    )
    assert names == ["core/settings.py"]


def test_keycloak_admin_credential_in_production():
    production = load_settings(PRODUCTION)
    with pytest.raises(SettingsError) as missing:
        load_keycloak_admin(production, PRODUCTION)
    assert str(missing.value) == (
        "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET is required for `makker tenants sync --keycloak` "
        "when MAKKER_ENV=production"
    )
    with pytest.raises(SettingsError) as development_value:
        load_keycloak_admin(
            production, {"MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET": DEV_KEYCLOAK_ADMIN_CLIENT_SECRET}
        )
    assert str(development_value.value) == (
        "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET is a development value from the repository; "
        "production needs a secret of its own"
    )
    credentials = load_keycloak_admin(production, {"MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET": "k" * 40})
    assert (credentials.client_id, credentials.client_secret) == ("makker-admin", "k" * 40)
    assert "k" * 40 not in repr(credentials)


def test_keycloak_admin_credential_in_development_defaults_to_the_development_issuers():
    credentials = load_keycloak_admin(load_settings(DEV), {})
    assert credentials.client_secret == DEV_KEYCLOAK_ADMIN_CLIENT_SECRET


def test_tenants_sync_keycloak_without_the_admin_secret_stops_before_changing_anything(
    tmp_path: Path,
):
    # The database URL points nowhere: the refusal must come before any connection.
    result = _cli("tenants", "sync", "--keycloak", env=PRODUCTION, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "makker: configuration error: MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET is required for "
        "`makker tenants sync --keycloak` when MAKKER_ENV=production\n"
    )


def test_invitations_send_without_the_admin_secret_names_itself(tmp_path: Path):
    result = _cli("invitations", "send", env=PRODUCTION, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "makker: configuration error: MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET is required for "
        "`makker invitations send` when MAKKER_ENV=production\n"
    )


# -- the other settings ---------------------------------------------------------------------------
def test_trusted_proxies_log_format_and_openapi_setting():
    settings = load_settings(
        {
            **PRODUCTION,
            "MAKKER_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,2001:db8::/32",
            "MAKKER_LOG_FORMAT": "text",
            "MAKKER_OPENAPI_PUBLIC": "true",
        }
    )
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    assert (settings.log_format, settings.openapi_needs_sign_in) == ("text", False)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MAKKER_ENV": "prod"}, "MAKKER_ENV must be one of development, production, got 'prod'"),
        (
            {**DEV, "MAKKER_DATABASE_URL": "mysql://x"},
            "MAKKER_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
        ),
        (
            {**DEV, "MAKKER_SECRET_KEY": "short"},
            "MAKKER_SECRET_KEY must be at least 32 characters long",
        ),
        ({**DEV, "MAKKER_DEFAULT_LOCALE": "de"}, "MAKKER_DEFAULT_LOCALE must be one of da, en"),
        (
            {**DEV, "MAKKER_LOG_LEVEL": "LOUD"},
            "MAKKER_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR",
        ),
        ({**DEV, "MAKKER_LOG_FORMAT": "xml"}, "MAKKER_LOG_FORMAT must be one of json, text"),
        (
            {**DEV, "MAKKER_OIDC_ISSUER": "https://login.example.dk/auth"},
            "MAKKER_OIDC_ISSUER must be a realm URL like https://login.example.dk/realms/makker",
        ),
        (
            {**DEV, "MAKKER_SESSION_HOURS": "72"},
            "MAKKER_SESSION_HOURS must be a whole number from 1 to 24",
        ),
        (
            {**DEV, "MAKKER_TENANTS_DIR": "/nonexistent/tenants"},
            "MAKKER_TENANTS_DIR is not a directory: /nonexistent/tenants",
        ),
        (
            {**DEV, "MAKKER_TRUSTED_PROXIES": "10.0.0.1, proxy.local"},
            "MAKKER_TRUSTED_PROXIES must be IP addresses or networks (CIDR) separated by "
            "commas, got 'proxy.local'",
        ),
        ({**DEV, "MAKKER_OPENAPI_PUBLIC": "yes"}, "MAKKER_OPENAPI_PUBLIC must be true or false"),
    ],
)
def test_bad_setting_names_the_variable(environ, message):
    assert _refused(environ) == message


# -- the development issuer ---------------------------------------------------------------------
def test_development_issuer_refuses_production():
    from core.identity.dev_issuer import DevIssuer, DevIssuerRefused

    with pytest.raises(DevIssuerRefused) as excinfo:
        DevIssuer(load_settings(PRODUCTION))
    assert str(excinfo.value) == (
        "the development issuer refuses to run when MAKKER_ENV=production"
    )


def test_production_app_has_no_development_issuer_routes():
    from core.app import create_app

    app = create_app(load_settings(PRODUCTION))
    paths = {route.path for route in app.routes}
    assert not any(p.startswith(("/realms", "/admin/realms")) for p in paths)
    assert "dev_issuer" not in app.state
