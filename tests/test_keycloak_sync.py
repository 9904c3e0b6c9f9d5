"""``makker tenants sync --keycloak`` against the development issuer's Admin REST API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.identity.keycloak_sync import sync_keycloak
from core.settings import load_keycloak_admin
from core.tenancy.config import load_tenant_dir
from tests.tenant_files import copy_shipped_tenants

REPO = Path(__file__).resolve().parent.parent


def _admin(live):
    """The development service account (no MAKKER_KEYCLOAK_ADMIN_* set)."""
    return load_keycloak_admin(live.settings, {})


def _tenant_files(directory: Path, suffix: str) -> Path:
    # Organization names are unique in a realm too: make them unique to this test.
    return copy_shipped_tenants(directory, suffix, unique_names=True)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sync_creates_organizations_then_changes_nothing(live, tmp_path):
    configs = load_tenant_dir(_tenant_files(tmp_path / "t", "kc1"))
    first = await sync_keycloak(live.settings, _admin(live), configs)
    orgs = [line for line in first if line.startswith("organization")]
    assert orgs == [
        "organization kolding-kc1: created",
        "organization psykiatrifonden-kc1: created",
        "organization vejle-kc1: created",
    ]
    assert [line for line in first if line.startswith("role")] == [
        f"role {r}: unchanged"
        for r in (
            "platform_admin",
            "tenant_admin",
            "coordinator",
            "mentor",
            "mentee",
            "partner_staff",
        )
    ]
    second = await sync_keycloak(live.settings, _admin(live), configs)
    assert all(line.endswith(": unchanged") for line in second), second
    created = {o["alias"]: o for o in live.issuer.organizations.values()}
    assert created["vejle-kc1"]["name"] == "Vejle Kommune kc1"
    assert created["vejle-kc1"]["attributes"] == {
        "makker_kind": ["municipality"],
        "municipality_code": ["630"],
    }
    assert created["psykiatrifonden-kc1"]["attributes"] == {"makker_kind": ["partner"]}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sync_updates_a_renamed_tenant(live, tmp_path):
    directory = _tenant_files(tmp_path / "t", "kc2")
    await sync_keycloak(live.settings, _admin(live), load_tenant_dir(directory))
    path = directory / "vejle-kc2.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'name = "Vejle Kommune kc2"', 'name = "Vejle Kommune (ny)"'
        )
    )
    report = await sync_keycloak(live.settings, _admin(live), load_tenant_dir(directory))
    assert "organization vejle-kc2: updated" in report
    names = {o["alias"]: o["name"] for o in live.issuer.organizations.values()}
    assert names["vejle-kc2"] == "Vejle Kommune (ny)"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_sync_keycloak(live, database, tmp_path):
    directory = _tenant_files(tmp_path / "t", "kc3")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update(
        {
            "MAKKER_ENV": "development",
            "MAKKER_DATABASE_URL": database.app_url,
            "MAKKER_BASE_URL": live.url,
        }
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core.cli",
            "tenants",
            "sync",
            "--dir",
            str(directory),
            "--keycloak",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "keycloak organization kolding-kc3: created" in lines
    assert "tenant kolding-kc3: created" in lines


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_sync_keycloak_with_a_wrong_secret_fails_clearly(live, database, tmp_path):
    directory = _tenant_files(tmp_path / "t", "kc4")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update(
        {
            "MAKKER_ENV": "development",
            "MAKKER_DATABASE_URL": database.app_url,
            "MAKKER_BASE_URL": live.url,
            "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET": "wrong",
        }
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core.cli",
            "tenants",
            "sync",
            "--dir",
            str(directory),
            "--keycloak",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"makker: Keycloak at {live.url}/realms/makker: 401")
