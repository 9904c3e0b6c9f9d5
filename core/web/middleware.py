"""The locale of a request, and small helpers for reading the ASGI scope.

Identity, the tenant and the request's database session are the request pipeline's
(:mod:`core.web.pipeline`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.middleware import ASGIMiddleware

from core.web.i18n import LOCALE_COOKIE, pick_locale, set_locale

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send


def cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def route_template(scope: Scope) -> str:
    return str(scope.get("path_template") or scope["path"])


class LocaleMiddleware(ASGIMiddleware):
    def __init__(self, default_locale: str) -> None:
        self.default_locale = default_locale

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        set_locale(pick_locale(cookie(scope, LOCALE_COOKIE), self.default_locale))
        await next_app(scope, receive, send)
