"""Per-request context: locale, who is calling, and the tenant named in the URL.

Order (see ``core/app.py``): ``LocaleMiddleware`` -> ``AuthenticationMiddleware`` ->
``TenantContextMiddleware``. They run after routing, so the tenant middleware sees the
``tenant_slug`` path parameter of ``/t/{tenant_slug}/...`` and ``/api/v1/t/{tenant_slug}/...``.

For a tenant route the caller must be signed in (API: 401; pages: redirect to sign-in), and be a
member of that tenant or a platform admin. A tenant that does not exist and a tenant the caller
may not enter give the same 404, and the refusal is audited. The tenant is then stored on
``scope["state"]`` and set as the tenant context for the rest of the request, which the ORM guard
and PostgreSQL (``set_config``) both follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.middleware import ASGIMiddleware

from core.audit.service import record
from core.db.tenant_scope import tenant_scope
from core.identity.principal import Principal, principal_from_claims
from core.identity.sessions import load_session, session_cookie_name
from core.identity.tokens import InvalidToken
from core.tenancy.service import get_tenant_by_slug
from core.web.i18n import LOCALE_COOKIE, pick_locale, set_locale

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

TENANT_PATH_PARAM = "tenant_slug"


class LoginRequired(Exception):
    """A page needs a signed-in user; answered with a redirect to ``/auth/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def is_api(scope: Scope) -> bool:
    return str(scope["path"]).startswith("/api/")


def route_template(scope: Scope) -> str:
    return str(scope.get("path_template") or scope["path"])


class LocaleMiddleware(ASGIMiddleware):
    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        set_locale(pick_locale(cookie(scope, LOCALE_COOKIE), self.default_locale))
        await next_app(scope, receive, send)


class AuthenticationMiddleware(ASGIMiddleware):
    """Bearer tokens for ``/api/``; the server-side session cookie for pages."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        app = scope["litestar_app"]
        principal: Principal | None = None
        if is_api(scope):
            authorization = header(scope, b"authorization") or ""
            if authorization.lower().startswith("bearer "):
                try:
                    claims = await app.state.token_validator.validate(authorization[7:].strip())
                except InvalidToken as exc:
                    await record(
                        app.state.sessionmaker,
                        "access_denied",
                        actor=None,
                        route=route_template(scope),
                        detail={"reason": exc.reason, "status": 401},
                    )
                    raise NotAuthorizedException(
                        detail="Invalid or expired access token",
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    ) from None
                principal = principal_from_claims(claims)
        else:
            raw = cookie(scope, session_cookie_name(app.state.settings))
            if raw:
                principal = await load_session(app.state.sessionmaker, raw)
        scope["user"] = principal
        await next_app(scope, receive, send)


class TenantContextMiddleware(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        slug = scope.get("path_params", {}).get(TENANT_PATH_PARAM)
        if slug is None:
            with tenant_scope(None):
                await next_app(scope, receive, send)
            return
        principal: Principal | None = scope.get("user")
        if principal is None:
            if is_api(scope):
                raise NotAuthorizedException(headers={"WWW-Authenticate": "Bearer"})
            raw_path = scope.get("raw_path") or str(scope["path"]).encode()
            query = scope.get("query_string") or b""
            target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
            raise LoginRequired(target)
        app: Any = scope["litestar_app"]
        with tenant_scope(None):
            async with app.state.sessionmaker() as session:
                tenant = await get_tenant_by_slug(session, slug)
        if tenant is None or not principal.can_enter(tenant.slug):
            await record(
                app.state.sessionmaker,
                "access_denied",
                actor=principal.subject,
                tenant_slug=slug,
                route=route_template(scope),
                detail={"reason": "not a member" if tenant else "no such tenant", "status": 404},
            )
            raise NotFoundException()
        scope.setdefault("state", {})["tenant"] = tenant
        with tenant_scope(tenant.id):
            await next_app(scope, receive, send)
