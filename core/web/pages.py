"""Pages that belong to no tenant: the organisation list, the accessibility statement and the
language switch."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal
from core.tenancy.coordinate import coordinated_owners
from core.tenancy.models import Tenant
from core.tenancy.service import list_tenants
from core.web.i18n import LOCALE_COOKIE, LOCALES

#: When the statement was last prepared (a self-assessment and the automated axe-core checks of
#: the browser tests); change it when the statement is reviewed.
ACCESSIBILITY_REVIEWED = dt.date(2026, 11, 30)


def safe_next(target: str | None) -> str:
    """Only local paths: ``/t/kolding/`` yes, ``//evil.example`` or ``https://...`` no."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


class PagesController(Controller):
    include_in_schema = False

    @get("/", name="index")
    async def index(
        self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        """The organisations the signed-in person belongs to (all, for a platform admin), and
        those whose programmes their partner organisation co-runs."""
        principal = request.scope.get("user")
        tenants, partnered = [], []
        if isinstance(principal, Principal):
            tenants = [t for t in await list_tenants(db_session) if principal.can_enter(t.slug)]
            # Municipalities whose programmes the person's partner organisation co-runs.
            partnered = [
                t
                for t in await coordinated_owners(db_session, principal)
                if not principal.can_enter(t.slug)
            ]
        return Template("index.html", context={"tenants": tenants, "partnered": partnered})

    @get("/tilgaengelighedserklaering", name="accessibility_statement")
    async def accessibility_statement(
        self, db_session: NamedDependency[AsyncSession], organisation: FromQuery[str | None] = None
    ) -> Template:
        """The accessibility statement (webtilgængelighedsloven), linked from every footer; with
        ``organisation`` it names that organisation and links its published statement."""
        found = None
        if organisation and len(organisation) <= 40:
            found = await db_session.scalar(select(Tenant).where(Tenant.slug == organisation))
        return Template(
            "accessibility_statement.html",
            context={"organisation": found, "reviewed": ACCESSIBILITY_REVIEWED},
        )

    @get("/sprog/{code:str}", name="set_language")
    async def set_language(
        self, code: FromPath[str], next: FromQuery[str | None] = None
    ) -> Redirect:
        response = Redirect(path=safe_next(next), status_code=303)
        if code in LOCALES:
            response.set_cookie(
                LOCALE_COOKIE,
                code,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                path="/",
            )
        return response
