"""When the identity provider (Keycloak) cannot be reached.

Makker needs the issuer for two things: its signing keys (JWKS, to validate access tokens) and
its token endpoint (to finish a sign-in). Pages of a signed-in user do not need it (sessions
are server-side), and an access token signed with a cached key is still validated.

Calls go through :func:`call_issuer` on a client whose idle connections expire before the
server's keep-alive does (:func:`use_short_keepalive`): a pooled connection the server has just
closed is not an outage.

When a call fails because the issuer is unreachable (no connection, a timeout, a 5xx answer),
:class:`IssuerHealth` logs one warning line (what failed and why, never a token) and backs off:
no new call for 1 s, then 2, 4, ... up to 60 s; the first success resets it. Meanwhile whatever
needs the issuer raises :class:`IssuerUnavailable`, answered by :func:`issuer_unavailable`:
``503`` with ``Retry-After`` (the seconds left of the back-off) and a Danish message - JSON
under ``/api/``, a page elsewhere (the sign-in pages say so).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakConnectionError, KeycloakError
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Template

from core.errors import is_api_path
from core.web.i18n import gettext as _

logger = logging.getLogger("makker.identity")

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0


#: Idle connections to the issuer are dropped after this many seconds, before a server's own
#: keep-alive timeout (uvicorn's, the development issuer's, is 5 s) closes them under us.
KEEPALIVE_SECONDS = 2.0
#: A pooled connection that breaks as it is reused: the request is sent once more, on a new one.
_BROKEN_CONNECTION = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)

T = TypeVar("T")


def use_short_keepalive(openid: KeycloakOpenID, timeout: float) -> None:
    """Give python-keycloak's async HTTP client a keep-alive shorter than the issuer's."""
    connection = openid.connection
    connection.async_s = httpx.AsyncClient(
        verify=connection.verify,
        timeout=timeout,
        limits=httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_SECONDS
        ),
    )


async def call_issuer(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, once more when it failed on a connection that broke as it was reused (the
    server had closed it); a refused connection or a timeout is not repeated."""
    try:
        return await call()
    except KeycloakConnectionError as exc:
        if not isinstance(exc.__cause__, _BROKEN_CONNECTION):
            raise
    return await call()


class IssuerUnavailable(Exception):
    """The issuer cannot be reached; try again after ``retry_after`` seconds."""

    status_code = 503

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"identity provider unavailable, retry after {retry_after:.0f} s")
        self.retry_after = max(1, math.ceil(retry_after))


def is_outage(exc: BaseException) -> bool:
    """Does ``exc`` mean the issuer is unreachable (rather than that it said no)?"""
    if isinstance(exc, KeycloakConnectionError | httpx.TransportError):
        return True
    code = getattr(exc, "response_code", None)
    return isinstance(exc, KeycloakError) and isinstance(code, int) and code >= 500


def describe(exc: BaseException) -> str:
    """The kind of failure for the log: the exception's class and status, never its text (a
    response body may quote a request)."""
    cause = exc.__cause__ or exc.__context__
    kind = type(exc).__name__
    if cause is not None and not isinstance(exc, httpx.TransportError):
        kind += f" ({type(cause).__name__})"
    code = getattr(exc, "response_code", None)
    return f"{kind} {code}" if isinstance(code, int) else kind


class IssuerHealth:
    """Back-off state of one issuer (shared by the token validator and the sign-in pages)."""

    def __init__(
        self,
        issuer: str,
        *,
        first: float = FIRST_BACKOFF_SECONDS,
        cap: float = MAX_BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.first, self.cap, self.clock = first, cap, clock
        self.failures = 0
        self._retry_at = float("-inf")

    def retry_after(self) -> float:
        """Seconds until the issuer may be asked again (0: ask now)."""
        return max(0.0, self._retry_at - self.clock())

    def backing_off(self) -> bool:
        return self.retry_after() > 0

    def failed(self, what: str, exc: BaseException) -> IssuerUnavailable:
        """Note a failed call (one warning line) and return the exception to raise."""
        self.failures += 1
        delay = min(self.cap, self.first * 2 ** (self.failures - 1))
        self._retry_at = self.clock() + delay
        logger.warning(
            "identity provider unreachable: %s at %s failed (%s); answering 503 for %.0f s",
            what,
            self.issuer,
            describe(exc),
            delay,
        )
        return IssuerUnavailable(delay)

    def unavailable(self) -> IssuerUnavailable:
        return IssuerUnavailable(self.retry_after())

    def succeeded(self) -> None:
        if self.failures:
            logger.info(
                "identity provider reachable again: %s (after %d failed calls)",
                self.issuer,
                self.failures,
            )
        self.failures = 0
        self._retry_at = float("-inf")


def issuer_unavailable(request: Request, exc: IssuerUnavailable) -> Response:
    """503 with ``Retry-After`` and a Danish message: JSON under ``/api/``, a page elsewhere."""
    headers = {"Retry-After": str(exc.retry_after)}
    detail = _("The sign-in service is not answering right now. Please try again in a moment.")
    if is_api_path(request.url.path):
        return Response({"status_code": 503, "detail": detail}, status_code=503, headers=headers)
    return Template(  # type: ignore[return-value]
        "identity/issuer_unavailable.html",
        status_code=503,
        media_type=MediaType.HTML,
        headers=headers,
        context={"detail": detail},
    )
