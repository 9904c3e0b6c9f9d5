"""Per-request context: the locale, and the tenant named in the URL.

The tenant middleware runs after routing, so it sees the ``tenant_slug`` path parameter of
``/t/{tenant_slug}/...`` and ``/api/v1/t/{tenant_slug}/...``. It resolves the slug, stores the
tenant on ``scope["state"]`` and sets the tenant context variable for the rest of the request,
which the ORM guard and PostgreSQL (``set_config``) both follow. An unknown slug gives the same
404 as any missing object. (Access checks against the caller's grants come with identity.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.exceptions import NotFoundException
from litestar.middleware import ASGIMiddleware

from core.db.tenant_scope import tenant_scope
from core.tenancy.service import get_tenant_by_slug
from core.web.i18n import LOCALE_COOKIE, pick_locale, set_locale

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

TENANT_PATH_PARAM = "tenant_slug"


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


class LocaleMiddleware(ASGIMiddleware):
    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        set_locale(pick_locale(_cookie(scope, LOCALE_COOKIE), self.default_locale))
        await next_app(scope, receive, send)


class TenantContextMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        slug = scope.get("path_params", {}).get(TENANT_PATH_PARAM)
        if slug is None:
            with tenant_scope(None):
                await next_app(scope, receive, send)
            return
        sessionmaker = scope["litestar_app"].state.sessionmaker
        with tenant_scope(None):
            async with sessionmaker() as session:
                tenant = await get_tenant_by_slug(session, slug)
        if tenant is None:
            raise NotFoundException()
        scope.setdefault("state", {})["tenant"] = tenant
        with tenant_scope(tenant.id):
            await next_app(scope, receive, send)
