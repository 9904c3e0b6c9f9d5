"""``makker invitations send``: Keycloak e-mails the invitations tenant admins stored.

Runs as its own job with the Keycloak admin credential (``MAKKER_KEYCLOAK_ADMIN_CLIENT_ID`` /
``..._SECRET``, read only by this command, like ``makker tenants sync --keycloak``): the web app
has no Keycloak admin credential, so a tenant admin's invitation is a row in Makker's database
(status ``pending``) until this job hands it to Keycloak's Organization invitation API:

* the address already belongs to a Keycloak user: ``POST organizations/{id}/members/
  invite-existing-user`` (form ``id``);
* else ``POST organizations/{id}/members/invite-user`` (form ``email``).

Keycloak sends the e-mail; its link lets the person register (or sign in) and joins them to the
organization, then sends them to the organization's redirect URL - Makker's invitation page of
the tenant (``makker tenants sync --keycloak`` sets it), where they accept. python-keycloak
7.1.1 has no method for these two endpoints, so they are called through its admin connection
(same token handling). Each tenant's invitations are read and marked in that tenant's scope
(RLS); a failed send is noted on the invitation (a code, never the address) and tried again on
the next run. The same code runs against the development issuer.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from keycloak import KeycloakAdmin, urls_patterns
from keycloak.exceptions import KeycloakPostError, raise_error_from_response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.access.models import Invitation, InvitationStatus
from core.clock import get_clock
from core.db.tenant_scope import tenant_scope
from core.identity.keycloak_sync import keycloak_admin
from core.settings import KeycloakAdminCredentials, Settings
from core.tenancy.models import Tenant

log = logging.getLogger(__name__)


async def _post_form(admin: KeycloakAdmin, path: str, form: dict[str, str]) -> None:
    """POST a form to the admin API (python-keycloak sends JSON by default)."""
    connection = admin.connection
    connection.headers = {
        **(connection.headers or {}),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    try:
        response = await connection.a_raw_post(path, data=urlencode(form))
    finally:
        connection.headers = {**(connection.headers or {}), "Content-Type": "application/json"}
    raise_error_from_response(response, KeycloakPostError, expected_codes=[204])


async def invite(admin: KeycloakAdmin, organization_id: str, email: str) -> str:
    """Have Keycloak e-mail ``email`` an invitation to the organization; return which kind."""
    members = urls_patterns.URL_ADMIN_ORGANIZATION_MEMBERS.format(
        **{"realm-name": admin.connection.realm_name, "organization_id": organization_id}
    )
    users = await admin.a_get_users({"email": email, "exact": True})
    if users:
        await _post_form(admin, f"{members}/invite-existing-user", {"id": str(users[0]["id"])})
        return "existing user"
    await _post_form(admin, f"{members}/invite-user", {"email": email})
    return "new user"


async def send_invitations(
    settings: Settings,
    credentials: KeycloakAdminCredentials,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[str]:
    """Send every pending, unexpired invitation of every tenant; one report line each (the
    invitation's id, never the address)."""
    admin = keycloak_admin(settings, credentials)
    organizations: dict[str, Any] = {o["alias"]: o for o in await admin.a_get_organizations()}
    now = get_clock().now()
    async with sessionmaker() as session:
        tenants = list(await session.scalars(select(Tenant).order_by(Tenant.slug)))
    report: list[str] = []
    for tenant in tenants:
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                pending = await session.scalars(
                    select(Invitation)
                    .where(
                        Invitation.status == InvitationStatus.PENDING.value,
                        Invitation.expires_at > now,
                    )
                    .order_by(Invitation.created_at)
                )
                for invitation in pending:
                    report.append(await _send(admin, organizations, tenant, invitation, now))
    return report


async def _send(
    admin: KeycloakAdmin,
    organizations: dict[str, Any],
    tenant: Tenant,
    invitation: Invitation,
    now: Any,
) -> str:
    org = organizations.get(tenant.slug)
    if org is None:
        invitation.send_error = "no_organization"
        log.warning(
            "invitation %s: tenant %s has no Keycloak organization", invitation.id, tenant.slug
        )
        return f"invitation {invitation.id} ({tenant.slug}): no organization, not sent"
    try:
        kind = await invite(admin, str(org["id"]), invitation.email)
    except Exception as exc:  # noqa: BLE001 - noted and tried again on the next run
        invitation.send_error = type(exc).__name__[:60]
        log.warning("invitation %s: Keycloak refused (%s)", invitation.id, type(exc).__name__)
        return f"invitation {invitation.id} ({tenant.slug}): failed, {type(exc).__name__}"
    invitation.status = InvitationStatus.SENT.value
    invitation.sent_at = now
    invitation.send_error = None
    return f"invitation {invitation.id} ({tenant.slug}): sent ({kind})"
