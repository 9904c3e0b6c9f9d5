"""The request pipeline: one session, one transaction and one audit trail per request.

How one request flows (see ``docs/architecture.md``)::

    LocaleMiddleware -> RequestPipelineMiddleware -> guards -> handler -> after_request hook

* :class:`RequestPipelineMiddleware` opens the request's **one** database session (lazily: a
  request that never touches the database never checks out a connection), finds out who is
  calling (Bearer token for ``/api/``, the session cookie for pages), and for a tenant route
  resolves the tenant from the URL, refuses non-members with the same 404 as an unknown tenant,
  and binds the tenant to the session's transaction once (``set_config`` on PostgreSQL).
  A partner's staff member with an active ``coordinate`` grant of the URL's tenant enters as
  that tenant's coordinator, every query limited to the granted programmes
  (:mod:`core.tenancy.programme_scope`), every audit row stamped with the grant.
* The handler gets a :class:`RequestContext` (``ctx``) or just its session (``db_session``).
  Services never commit; they flush.
* :func:`finish_request` (the app's ``after_request`` hook) runs after the handler has built its
  response and before anything is sent: for a success (status < 400) it adds the request's audit
  rows to the same transaction and commits - a write and its audit row land or fail together;
  otherwise the middleware's closing of the session rolls it back.
* Rate limits (:mod:`core.web.ratelimit`): the sign-in routes per client address before
  anything else; every other request (but probes, static files and metrics) once the caller is
  known - per user when signed in, else per client address (also a missing or bogus token,
  whose refusal then writes no audit row). A refusal is a 429 and writes no audit row.
* When the connection is back in the pool, the middleware writes refusal rows (401, 403, 404 on a
  tenant route, a bad token, a failed sign-in) in a short transaction of their own, so a request
  never holds two pooled connections.

Every route declares its audit in its ``opt`` (:func:`audits` or :data:`NO_PERSONAL_DATA`);
``tests/test_audit_pipeline.py`` walks the route table and fails for any tenant route that
does not.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.middleware import ASGIMiddleware
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.membership import apply_membership
from core.audit.models import AuditEvent
from core.audit.service import AuditNote, start_request_notes, stop_request_notes
from core.clock import Clock, get_clock
from core.context import Context
from core.db.tenant_scope import bind_session_to_tenant, tenant_scope
from core.errors import LoginRequired
from core.identity.principal import Principal, principal_from_claims
from core.identity.sessions import load_session, session_cookie_name
from core.identity.tokens import InvalidToken
from core.tenancy.coordinate import PartnerAccess, as_coordinator, coordinate_access
from core.tenancy.models import Tenant
from core.tenancy.partner_log import revoked_grant_detail
from core.tenancy.programme_scope import programme_scope
from core.tenancy.service import get_tenant_by_slug
from core.web.middleware import cookie
from core.web.ratelimit import MINUTE, SIGN_IN_ROUTES, RateLimited, client_key, exempt

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from core.plugin_api import MakkerPluginManager

TENANT_PATH_PARAM = "tenant_slug"
#: The OpenAPI document's path (signed-in callers only in production).
OPENAPI_PATH = "/schema"
AUDIT_OPT = "audit"
#: Statuses of a tenant route that are written to the audit log as a refusal.
REFUSALS = frozenset({401, 403, 404})


@dataclass(frozen=True)
class Audit:
    """What a route audits: ``action`` on an object of ``object_type`` whose id is the path
    parameter ``id_param`` (or set by the handler through :meth:`RequestContext.audit`)."""

    action: str
    object_type: str | None = None
    id_param: str | None = None


@dataclass(frozen=True)
class NoPersonalData:
    """The route reads and writes no personal data (it still records refusals)."""


NO_PERSONAL_DATA_MARK = NoPersonalData()
#: ``opt`` for a route that touches no personal data.
NO_PERSONAL_DATA: dict[str, Any] = {AUDIT_OPT: NO_PERSONAL_DATA_MARK}


#: Routes (by handler name) a page calls by itself every so often that touch no personal data:
#: the header's unread count. A partner's open tab writes no ``partner_access`` row for them,
#: which would crowd the owner's partner log (a refusal is still written).
POLLED_ROUTES = frozenset({"notifications_unread_fragment"})


#: ``opt`` key of a public tenant route: the path parameter that names the tenant.
PUBLIC_TENANT_OPT = "public_tenant"


def public_tenant(param: str = "slug") -> dict[str, Any]:
    """``opt`` for a **public** route of one tenant (``/offentlig/{slug}/...``): no sign-in, the
    tenant is the one the path parameter ``param`` names (an unknown tenant is a 404), and the
    request runs in that tenant's scope - reads, writes and the commit - exactly as a tenant
    route's. Refusals of an anonymous public route write no audit row."""
    return {PUBLIC_TENANT_OPT: param}


def audits(action: str, object_type: str | None = None, id_param: str | None = None) -> dict:
    """``opt`` for a route that reads or writes personal data: one audit row per success."""
    return {AUDIT_OPT: Audit(action, object_type, id_param)}


@dataclass
class RequestContext:
    """Everything a command needs: the one session, tenant, actor, clock and plugins."""

    scope: Any
    sessionmaker: Any
    plugins: MakkerPluginManager
    clock: Clock
    route: str
    declared: Audit | NoPersonalData | None
    actor: Principal | None = None
    tenant: Tenant | None = None
    #: Set when a partner's staff member works in the tenant under ``coordinate`` grants.
    partner: PartnerAccess | None = None
    notes: list[AuditNote] = field(default_factory=list)
    after_release: list[AuditNote] = field(default_factory=list)
    command: Context | None = None
    _session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The request's one session (opened on first use)."""
        if self._session is None:
            self._session = self.sessionmaker()
        return self._session

    @property
    def actor_subject(self) -> str | None:
        return self.actor.subject if self.actor else None

    def audit(
        self,
        action: str | None = None,
        *,
        object_type: str | None = None,
        object_id: object | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add an audit row to this request's transaction (written only if it succeeds).

        Without arguments the route's declaration is used; a handler that notes rows replaces
        the declared default row (e.g. to name the object it created)."""
        declared = self.declared if isinstance(self.declared, Audit) else None
        self.notes.append(
            AuditNote(
                action=action or (declared.action if declared else "unknown"),
                object_type=object_type or (declared.object_type if declared else None),
                object_id=None if object_id is None else str(object_id),
                detail=detail or {},
            )
        )

    def audit_whatever_happens(
        self, action: str, *, detail: dict[str, Any] | None = None, object_type: str | None = None
    ) -> None:
        """An audit row written after the request's connection is released, whatever the outcome
        (refusals, failed sign-ins): it survives the rollback of the request's transaction."""
        self.after_release.append(AuditNote(action, object_type, None, detail or {}))

    def default_note(self) -> AuditNote | None:
        if not isinstance(self.declared, Audit):
            return None
        object_id = None
        if self.declared.id_param:
            value = self.scope.get("path_params", {}).get(self.declared.id_param)
            object_id = None if value is None else str(value)
        return AuditNote(self.declared.action, self.declared.object_type, object_id, {})

    def audit_rows(self, notes: list[AuditNote]) -> list[AuditEvent]:
        slug = (
            self.tenant.slug
            if self.tenant
            else self.scope.get("path_params", {}).get(TENANT_PATH_PARAM)
        )
        state = self.scope.get("state", {})
        partner = self.partner
        return [
            AuditEvent(
                action=n.action,
                actor=self.actor_subject,
                tenant_slug=slug,
                route=self.route,
                object_type=n.object_type,
                object_id=n.object_id,
                detail={**n.detail, **partner.audit_detail()} if partner else n.detail,
                at=self.clock.now(),
                # Set by the edge (core/web/edge.py) for every request.
                request_id=state.get("request_id"),
                client_address=state.get("client_address"),
            )
            for n in notes
        ]


_current: ContextVar[RequestContext | None] = ContextVar("makker_request", default=None)


def current_context() -> RequestContext | None:
    return _current.get()


def request_context(request: Request[Any, Any, Any]) -> RequestContext:
    """The context of ``request`` (set by :class:`RequestPipelineMiddleware`)."""
    ctx = request.scope.get("state", {}).get("ctx")
    if not isinstance(ctx, RequestContext):
        raise RuntimeError("no request context: is RequestPipelineMiddleware installed?")
    return ctx


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _public_tenant_slug(scope: Scope) -> str | None:
    """The tenant slug of a public tenant route (:func:`public_tenant`), else ``None``."""
    handler = scope.get("route_handler")
    param = (getattr(handler, "opt", None) or {}).get(PUBLIC_TENANT_OPT)
    if not param:
        return None
    value = scope.get("path_params", {}).get(param)
    return None if value is None else str(value)


def declared_audit(scope: Scope) -> Audit | NoPersonalData | None:
    handler = scope.get("route_handler")
    opt = getattr(handler, "opt", None) or {}
    value = opt.get(AUDIT_OPT)
    return value if isinstance(value, Audit | NoPersonalData) else None


class RequestPipelineMiddleware(ASGIMiddleware):
    """Identity, tenant and the one session of a request; refusals audited after release."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        app: Any = scope["litestar_app"]
        path = str(scope["path"])
        ctx = RequestContext(
            scope=scope,
            sessionmaker=app.state.sessionmaker,
            plugins=app.state.plugin_manager,
            clock=get_clock(),
            route=str(scope.get("path_template") or path),
            declared=declared_audit(scope),
        )
        scope.setdefault("state", {})["ctx"] = ctx
        token = _current.set(ctx)
        notes_token = start_request_notes(ctx.notes)
        status: list[int] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        slug = scope.get("path_params", {}).get(TENANT_PATH_PARAM)
        public = _public_tenant_slug(scope)
        counted = not exempt(path) and getattr(app.state, "limiter", None) is not None
        try:
            try:
                if counted:
                    await self._limit_sign_in(scope, app)
                try:
                    await self._authenticate(ctx, scope, app, path)
                except NotAuthorizedException:
                    if counted:
                        await self._limit(ctx, scope, app)
                    raise
                if counted:
                    await self._limit(ctx, scope, app)
                if slug is None and public is None:
                    with tenant_scope(None):
                        await next_app(scope, receive, send_wrapper)
                    return
                if slug is None:
                    tenant = await self._enter_public_tenant(ctx, scope, str(public))
                else:
                    tenant = await self._enter_tenant(ctx, scope, slug, path)
                limited = ctx.partner.programme_ids if ctx.partner else None
                with tenant_scope(tenant.id), programme_scope(limited):
                    await bind_session_to_tenant(ctx.session, tenant.id)
                    # A removed member is refused; a role a tenant admin gave replaces the token's.
                    await apply_membership(ctx, scope)
                    await next_app(scope, receive, send_wrapper)
            finally:
                if ctx._session is not None:
                    await ctx._session.close()  # rolls back anything not committed
                stop_request_notes(notes_token)
                _current.reset(token)
        finally:
            # The request's connection is back in the pool: refusals get their own transaction.
            if slug is not None and status and status[0] in REFUSALS and not ctx.after_release:
                ctx.audit_whatever_happens(
                    "access_denied", detail={"reason": "refused", "status": status[0]}
                )
            if ctx.after_release:
                await self._write_after_release(ctx)

    async def _limit_sign_in(self, scope: Scope, app: Any) -> None:
        if getattr(scope.get("route_handler"), "name", None) in SIGN_IN_ROUTES:
            limit = app.state.settings.rate_limit_sign_in
            await app.state.limiter.check("sign_in", client_key(scope), limit, MINUTE)

    async def _limit(self, ctx: RequestContext, scope: Scope, app: Any) -> None:
        """Per signed-in user, else per client address; a refusal writes no audit row."""
        settings = app.state.settings
        try:
            if ctx.actor is not None:
                await app.state.limiter.check(
                    "user", ctx.actor.subject, settings.rate_limit_user, MINUTE
                )
            else:
                await app.state.limiter.check(
                    "address", client_key(scope), settings.rate_limit_address, MINUTE
                )
        except RateLimited:
            ctx.after_release.clear()
            raise

    async def _authenticate(self, ctx: RequestContext, scope: Scope, app: Any, path: str) -> None:
        principal: Principal | None = None
        authorization = _header(scope, b"authorization") or ""
        bearer = authorization.lower().startswith("bearer ")
        if path.startswith("/api/") or (path.startswith(OPENAPI_PATH) and bearer):
            if bearer:
                try:
                    claims = await app.state.token_validator.validate(authorization[7:].strip())
                except InvalidToken as exc:
                    ctx.audit_whatever_happens(
                        "access_denied", detail={"reason": exc.reason, "status": 401}
                    )
                    raise NotAuthorizedException(
                        detail="Invalid or expired access token",
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    ) from None
                principal = principal_from_claims(claims)
        else:
            raw = cookie(scope, session_cookie_name(app.state.settings))
            if raw:
                with tenant_scope(None):
                    principal = await load_session(ctx.session, raw, ctx.clock.now())
        scope["user"] = principal
        ctx.actor = principal
        # Production: the API's map only for a signed-in caller (a Bearer token or the session
        # cookie), unless MAKKER_OPENAPI_PUBLIC=true.
        needs_sign_in = app.state.settings.openapi_needs_sign_in
        if needs_sign_in and principal is None and path.startswith(OPENAPI_PATH):
            raise NotAuthorizedException(headers={"WWW-Authenticate": "Bearer"})

    async def _enter_tenant(
        self, ctx: RequestContext, scope: Scope, slug: str, path: str
    ) -> Tenant:
        principal = ctx.actor
        if principal is None:
            if path.startswith("/api/"):
                ctx.audit_whatever_happens(
                    "access_denied", detail={"reason": "no token", "status": 401}
                )
                raise NotAuthorizedException(headers={"WWW-Authenticate": "Bearer"})
            raw_path = scope.get("raw_path") or path.encode()
            query = scope.get("query_string") or b""
            target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
            raise LoginRequired(target)
        with tenant_scope(None):
            tenant = await get_tenant_by_slug(ctx.session, slug)
            partner = None
            if tenant is not None and not principal.can_enter(tenant.slug):
                # Read on every request: a revoked grant refuses the very next one.
                partner = await coordinate_access(ctx.session, tenant, principal)
        if tenant is None or not (principal.can_enter(tenant.slug) or partner):
            reason = "not a member" if tenant else "no such tenant"
            detail: dict[str, Any] = {"reason": reason, "status": 404}
            if tenant is not None and not principal.can_enter(tenant.slug):
                # A partner whose grant was revoked: the refusal names the grant, so the owner's
                # partner log shows the attempts after the revocation too.
                with tenant_scope(None):
                    detail |= await revoked_grant_detail(ctx.session, tenant, principal)
            ctx.audit_whatever_happens("access_denied", detail=detail)
            raise NotFoundException()
        if partner is not None:
            ctx.partner = partner
            ctx.actor = as_coordinator(principal, tenant)
            scope["user"] = ctx.actor
            scope["state"]["partner_access"] = partner
        # Detached: a handler's rollback (a refused form) must not expire the request's tenant.
        ctx.session.expunge(tenant)
        scope["state"]["tenant"] = tenant
        ctx.tenant = tenant
        return tenant

    async def _enter_public_tenant(self, ctx: RequestContext, scope: Scope, slug: str) -> Tenant:
        """A public route's tenant: anyone may call it; an unknown tenant is a 404."""
        with tenant_scope(None):
            tenant = await get_tenant_by_slug(ctx.session, slug) if len(slug) <= 40 else None
        if tenant is None:
            raise NotFoundException()
        ctx.session.expunge(tenant)
        scope["state"]["tenant"] = tenant
        ctx.tenant = tenant
        return tenant

    async def _write_after_release(self, ctx: RequestContext) -> None:
        rows = ctx.audit_rows(ctx.after_release)
        if ctx.tenant is None:
            # An unknown or foreign tenant: keep the slug as given in the URL.
            slug = ctx.scope.get("path_params", {}).get(TENANT_PATH_PARAM)
            for row in rows:
                row.tenant_slug = slug
        with tenant_scope(None):
            async with ctx.sessionmaker() as session, session.begin():
                session.add_all(rows)


def _is_poll(scope: Any) -> bool:
    return getattr(scope.get("route_handler"), "name", None) in POLLED_ROUTES


async def finish_request(response: Response) -> Response:
    """``after_request``: commit a success together with its audit rows, roll back the rest."""
    ctx = _current.get()
    if ctx is None:
        return response
    status: int = (
        response.status_code or getattr(ctx.scope.get("route_handler"), "status_code", None) or 200
    )
    if status >= 400:
        # Rolled back when the middleware closes the session - after the page is rendered, so
        # a refused form can still show the objects it read (a rollback would expire them).
        return response
    notes = ctx.notes or ([n] if (n := ctx.default_note()) else [])
    if not notes and ctx.partner is not None and not _is_poll(ctx.scope):
        # Every request of a partner in the owner's space is on the owner's partner log (but
        # the count a page polls by itself).
        notes = [AuditNote("partner_access", None, None, {})]
    if notes:
        ctx.session.add_all(ctx.audit_rows(notes))
    if ctx._session is not None:
        await ctx._session.commit()
    return response


def provide_ctx(request: Request[Any, Any, Any]) -> Context:
    """Dependency ``ctx``: the :class:`core.context.Context` of a tenant route's commands."""
    rc = request_context(request)
    if rc.tenant is None:
        raise RuntimeError("ctx is only for tenant routes")
    if rc.command is None:
        rc.command = Context(
            session=rc.session,
            tenant=rc.tenant,
            actor=rc.actor_subject or "",
            plugins=rc.plugins,
            clock=rc.clock,
            principal=rc.actor,
            partner=rc.partner,
        )
    return rc.command


def provide_db_session(request: Request[Any, Any, Any]) -> AsyncSession:
    """Dependency ``db_session``: the request's one session (the pipeline commits it)."""
    return request_context(request).session
