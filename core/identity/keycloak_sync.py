"""``makker tenants sync --keycloak``: one Keycloak Organization per tenant, plus roles and clients.

Uses python-keycloak's ``KeycloakAdmin`` with the ``makker-admin`` service account (client
credentials from ``MAKKER_KEYCLOAK_ADMIN_CLIENT_ID``/``..._SECRET``, read only when this command
runs; the web app never has them). Idempotent: organizations are matched by alias (= tenant
slug), roles and clients by name; what exists and matches is left alone. Works the same against
the development issuer.
"""

from __future__ import annotations

from typing import Any

from keycloak import KeycloakAdmin

from core.identity.principal import ROLES
from core.settings import KeycloakAdminCredentials, Settings
from core.tenancy.config import TenantConfig


def keycloak_admin(settings: Settings, credentials: KeycloakAdminCredentials) -> KeycloakAdmin:
    return KeycloakAdmin(
        server_url=settings.oidc_server_url,
        realm_name=settings.realm,
        user_realm_name=settings.realm,
        client_id=credentials.client_id,
        client_secret_key=credentials.client_secret,
        grant_type="client_credentials",
        timeout=20,
    )


def _organization_payload(settings: Settings, config: TenantConfig) -> dict[str, Any]:
    attributes: dict[str, list[str]] = {"makker_kind": [str(config.kind)]}
    if config.municipality_code:
        attributes["municipality_code"] = [config.municipality_code]
    return {
        "name": config.name,
        "alias": config.slug,
        "enabled": True,
        "attributes": attributes,
        # Where Keycloak sends someone who accepted an organization invitation: the tenant's
        # invitation page in Makker (docs/access.md).
        "redirectUrl": f"{settings.base_url}/t/{config.slug}/invitation",
    }


def _client_payloads(settings: Settings) -> list[dict[str, Any]]:
    base = settings.base_url
    return [
        {
            "clientId": settings.oidc_client_id,
            "protocol": "openid-connect",
            "publicClient": False,
            "standardFlowEnabled": True,
            "directAccessGrantsEnabled": False,
            "redirectUris": [f"{base}/auth/callback"],
            "attributes": {
                "pkce.code.challenge.method": "S256",
                "post.logout.redirect.uris": f"{base}/",
            },
        },
        {
            "clientId": settings.oidc_audience,
            "protocol": "openid-connect",
            "publicClient": False,
            "standardFlowEnabled": False,
            "bearerOnly": True,
        },
    ]


async def sync_keycloak(
    settings: Settings, credentials: KeycloakAdminCredentials, configs: list[TenantConfig]
) -> list[str]:
    """Create or update roles, clients and organizations; return one report line per object.

    ``credentials`` come from :func:`core.settings.load_keycloak_admin`, read by the command
    when it runs: the web app's settings carry no admin credential."""
    admin = keycloak_admin(settings, credentials)
    report: list[str] = []
    existing_roles = {r["name"] for r in await admin.a_get_realm_roles()}
    for role in ROLES:
        if role in existing_roles:
            report.append(f"role {role}: unchanged")
        else:
            await admin.a_create_realm_role({"name": role})
            report.append(f"role {role}: created")
    for payload in _client_payloads(settings):
        if await admin.a_get_client_id(payload["clientId"]):
            report.append(f"client {payload['clientId']}: unchanged")
        else:
            await admin.a_create_client(payload)
            report.append(f"client {payload['clientId']}: created")
    organizations = {o["alias"]: o for o in await admin.a_get_organizations()}
    for config in configs:
        payload = _organization_payload(settings, config)
        current = organizations.get(config.slug)
        if current is None:
            await admin.a_create_organization(payload)
            report.append(f"organization {config.slug}: created")
        elif any(current.get(k) != v for k, v in payload.items()):
            await admin.a_update_organization(current["id"], {**current, **payload})
            report.append(f"organization {config.slug}: updated")
        else:
            report.append(f"organization {config.slug}: unchanged")
    return report
