"""Route guards: plain functions, one per rule, attached to controllers or handlers."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from core.identity.principal import ROLES, Principal
from core.web.i18n import gettext as _

Guard = Any
MEMBER_ROLES = ROLES


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    user = connection.scope.get("user")
    return user if isinstance(user, Principal) else None


def requires_roles(*roles: str) -> Guard:
    """Allow a signed-in member of the URL's tenant holding one of ``roles`` (or platform admin).

    Membership of the tenant itself is checked earlier, by the tenant middleware (404 if not).
    """

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        principal = current_principal(connection)
        if principal is None:
            raise NotAuthorizedException()
        if not principal.has_any_role(*roles):
            raise PermissionDeniedException(detail=_("Your role does not give access to this."))

    guard.__name__ = f"requires_roles({', '.join(roles)})"
    guard.roles = roles  # type: ignore[attr-defined]  # read by the route-matrix test
    return guard


any_member = requires_roles(*MEMBER_ROLES)
coordinators = requires_roles("tenant_admin", "coordinator")
tenant_admins = requires_roles("tenant_admin")
partner_staff = requires_roles("partner_staff")
