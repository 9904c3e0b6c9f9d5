"""Settings from MAKKER_* variables; bad production settings stop start-up with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings

PG = "postgresql+asyncpg://makker_app@db/makker"
SECRET = "x" * 32
PRODUCTION = {
    "MAKKER_ENV": "production",
    "MAKKER_DATABASE_URL": PG,
    "MAKKER_SECRET_KEY": SECRET,
    "MAKKER_BASE_URL": "https://makker.example.dk",
    "MAKKER_OIDC_ISSUER": "https://login.example.dk/realms/makker",
    "MAKKER_OIDC_CLIENT_SECRET": "s3cret",
}


def test_development_defaults():
    settings = load_settings({})
    assert settings.env == "development"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.migration_database_url == DEFAULT_DATABASE_URL
    assert settings.default_locale == "da"
    assert settings.tenants_dir.name == "tenants"


def test_production_with_everything_set():
    settings = load_settings({**PRODUCTION, "MAKKER_DB_APP_ROLE": "makker_app"})
    assert (settings.is_production, settings.database_url, settings.db_app_role) == (
        True,
        PG,
        "makker_app",
    )
    assert (settings.realm, settings.oidc_server_url) == ("makker", "https://login.example.dk/")
    assert settings.dev_issuer_enabled is False


def test_development_issuer_follows_the_base_url():
    settings = load_settings({"MAKKER_BASE_URL": "http://127.0.0.1:9000/"})
    assert settings.oidc_issuer == "http://127.0.0.1:9000/realms/makker"
    assert settings.dev_issuer_enabled is True


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("MAKKER_OIDC_ISSUER", "MAKKER_OIDC_ISSUER is required when MAKKER_ENV=production"),
        (
            "MAKKER_OIDC_CLIENT_SECRET",
            "MAKKER_OIDC_CLIENT_SECRET is required when MAKKER_ENV=production",
        ),
    ],
)
def test_production_identity_settings_are_required(missing, message):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(SettingsError) as excinfo:
        load_settings(environ)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MAKKER_ENV": "prod"}, "MAKKER_ENV must be one of development, production, got 'prod'"),
        (
            {"MAKKER_ENV": "production", "MAKKER_SECRET_KEY": SECRET},
            "MAKKER_DATABASE_URL is required when MAKKER_ENV=production",
        ),
        (
            {"MAKKER_ENV": "production", "MAKKER_DATABASE_URL": PG},
            "MAKKER_SECRET_KEY is required when MAKKER_ENV=production",
        ),
        (
            {
                "MAKKER_ENV": "production",
                "MAKKER_DATABASE_URL": "sqlite+aiosqlite:///x.db",
                "MAKKER_SECRET_KEY": SECRET,
            },
            "MAKKER_DATABASE_URL must point at PostgreSQL when MAKKER_ENV=production",
        ),
        (
            {"MAKKER_DATABASE_URL": "mysql://x"},
            "MAKKER_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://",
        ),
        ({"MAKKER_SECRET_KEY": "short"}, "MAKKER_SECRET_KEY must be at least 32 characters long"),
        ({"MAKKER_DEFAULT_LOCALE": "de"}, "MAKKER_DEFAULT_LOCALE must be one of da, en"),
        (
            {"MAKKER_LOG_LEVEL": "LOUD"},
            "MAKKER_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR",
        ),
        (
            {**PRODUCTION, "MAKKER_BASE_URL": "http://makker.example.dk"},
            "MAKKER_BASE_URL must use https:// when MAKKER_ENV=production",
        ),
        (
            {"MAKKER_OIDC_ISSUER": "https://login.example.dk/auth"},
            "MAKKER_OIDC_ISSUER must be a realm URL like https://login.example.dk/realms/makker",
        ),
        (
            {"MAKKER_SESSION_HOURS": "72"},
            "MAKKER_SESSION_HOURS must be a whole number from 1 to 24",
        ),
        (
            {"MAKKER_TENANTS_DIR": "/nonexistent/tenants"},
            "MAKKER_TENANTS_DIR is not a directory: /nonexistent/tenants",
        ),
    ],
)
def test_bad_setting_names_the_variable(environ, message):
    with pytest.raises(SettingsError) as excinfo:
        load_settings(environ)
    assert str(excinfo.value) == message


def test_cli_stops_with_one_line_naming_the_variable(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env["MAKKER_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "makker: configuration error: MAKKER_DATABASE_URL is required when MAKKER_ENV=production\n"
    )


def test_demo_refuses_to_run_in_production(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update(PRODUCTION)
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "makker: demo refuses to run when MAKKER_ENV=production\n"


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
