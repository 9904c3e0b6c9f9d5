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


def test_development_defaults():
    settings = load_settings({})
    assert settings.env == "development"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.migration_database_url == DEFAULT_DATABASE_URL
    assert settings.default_locale == "da"
    assert settings.tenants_dir.name == "tenants"


def test_production_with_everything_set():
    settings = load_settings(
        {
            "MAKKER_ENV": "production",
            "MAKKER_DATABASE_URL": PG,
            "MAKKER_SECRET_KEY": SECRET,
            "MAKKER_DB_APP_ROLE": "makker_app",
        }
    )
    assert (settings.is_production, settings.database_url, settings.db_app_role) == (
        True,
        PG,
        "makker_app",
    )


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
    env.update({"MAKKER_ENV": "production", "MAKKER_DATABASE_URL": PG, "MAKKER_SECRET_KEY": SECRET})
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
