"""Who is calling: built from validated token claims, stored in the session for the web UI."""

from __future__ import annotations

from typing import Any

import msgspec

ROLES = ("platform_admin", "tenant_admin", "coordinator", "mentor", "mentee", "partner_staff")


class Principal(msgspec.Struct, frozen=True):
    issuer: str
    subject: str
    username: str
    name: str
    roles: frozenset[str]
    #: Tenant slugs (Keycloak organization aliases) the person is a member of.
    tenants: frozenset[str]
    #: The sign-in's e-mail address, only if the issuer says it is verified (``email_verified``);
    #: else empty. An invitation is accepted by the sign-in whose verified address it names.
    email: str = ""

    @property
    def user_id(self) -> str:
        """A stable id across realms: ``iss`` + ``sub``."""
        return f"{self.issuer}#{self.subject}"

    @property
    def is_platform_admin(self) -> bool:
        return "platform_admin" in self.roles

    def can_enter(self, tenant_slug: str) -> bool:
        return self.is_platform_admin or tenant_slug in self.tenants

    def has_any_role(self, *roles: str) -> bool:
        return self.is_platform_admin or bool(self.roles.intersection(roles))


def _organizations(claim: Any) -> frozenset[str]:
    """Keycloak 26 gives a list of aliases, or a map alias -> {id, ...} with the id mapper."""
    if isinstance(claim, dict):
        return frozenset(str(k) for k in claim)
    if isinstance(claim, list):
        return frozenset(str(v) for v in claim if isinstance(v, str))
    return frozenset()


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    roles = claims.get("realm_access", {}).get("roles", [])
    return Principal(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        username=str(claims.get("preferred_username", "")),
        name=str(claims.get("name", "")),
        roles=frozenset(r for r in roles if r in ROLES),
        tenants=_organizations(claims.get("organization")),
        email=_verified_email(claims),
    )


def _verified_email(claims: dict[str, Any]) -> str:
    email = claims.get("email")
    if claims.get("email_verified") is True and isinstance(email, str):
        return email.strip().lower()
    return ""
