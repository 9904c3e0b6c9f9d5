"""Pages that belong to no tenant: the organisation list and the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal
from core.tenancy.service import list_tenants
from core.web.i18n import LOCALE_COOKIE, LOCALES


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
        """The organisations the signed-in person belongs to (all, for a platform admin)."""
        principal = request.scope.get("user")
        tenants = []
        if isinstance(principal, Principal):
            tenants = [t for t in await list_tenants(db_session) if principal.can_enter(t.slug)]
        return Template("index.html", context={"tenants": tenants})

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
