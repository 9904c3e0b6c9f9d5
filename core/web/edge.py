"""The edge of the app: what every request and every response gets, before routing and after
error handling - also a 404 for an unknown path, a static file and a 500.

* **Request id.** A sane incoming ``X-Request-ID`` (8-64 of ``A-Z a-z 0-9 . _ -``, e.g. a
  proxy's UUID) is kept, otherwise one is made (32 hex digits). It is answered in the
  ``X-Request-ID`` header, stamped on every log line of the request and stored in its audit
  rows (``scope["state"]["request_id"]``).
* **Client address** (for audit rows): the peer's address; when the peer is one of
  ``MAKKER_TRUSTED_PROXIES``, the first address in ``X-Forwarded-For`` read from the right that
  is not a trusted proxy (:func:`client_address`).
* **Security headers** on every response (:func:`security_headers`): a Content-Security-Policy
  without ``unsafe-inline`` (the templates have no inline script, style or event handler),
  ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin``,
  ``X-Content-Type-Options: nosniff``, a Permissions-Policy, ``Cross-Origin-Opener-Policy`` and,
  in production, HSTS.
* **Access log**: one line per request on the logger ``makker.access`` (:func:`access_line`):
  method, the route template (``/t/{tenant_slug}/personer/{person_id}``, never the path itself:
  a path holds object ids and a calendar feed's token), the query string's parameter *names*
  only (values may hold personal data: a search text), status, duration in milliseconds, request
  id and the tenant slug. Never a client address, user, token, cookie or header. Successful
  health probes are logged at DEBUG (a probe every few seconds would drown the log).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.settings import Network, Settings
from core.web.logs import FIELDS_ATTR, request_id_var

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

access_logger = logging.getLogger("makker.access")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SANE_SLUG = re.compile(r"^[a-z0-9-]{1,60}$")
_SANE_NAME = re.compile(r"^[A-Za-z0-9_.\[\]-]{1,40}$")
HEALTH_PATHS = frozenset({"/health/live", "/health/ready"})
#: An X-Forwarded-For longer than this is not read beyond its last entries.
_MAX_FORWARDED = 20


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(scope: Scope) -> str:
    """The incoming ``X-Request-ID`` when it is sane, otherwise a new one."""
    incoming = _header(scope, b"x-request-id")
    if incoming and _SANE_REQUEST_ID.match(incoming):
        return incoming
    return new_request_id()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:443
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(scope: Scope, trusted: Iterable[Network]) -> str | None:
    """The client's address: the peer, or - when the peer is a trusted proxy - the right-most
    address in ``X-Forwarded-For`` that is not a trusted proxy. Unparsable entries stop the
    walk (what lies left of them cannot be believed)."""
    peer = scope.get("client")
    address = _ip(str(peer[0])) if peer else None
    trusted = tuple(trusted)
    if address is None or not trusted:
        return None if address is None else str(address)

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip.version == net.version and ip in net for net in trusted)

    if not is_trusted(address):
        return str(address)
    forwarded: list[str] = []
    for key, value in scope.get("headers", []):
        if key == b"x-forwarded-for":
            forwarded.extend(value.decode("latin-1").split(","))
    for entry in reversed(forwarded[-_MAX_FORWARDED:]):
        ip = _ip(entry)
        if ip is None:
            break
        address = ip
        if not is_trusted(ip):
            break
    return str(address)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every response gets (a response that sets one itself keeps its own)."""
    form_action = ["'self'"]
    if _origin(settings.oidc_issuer) != _origin(settings.base_url):
        # Signing out posts to /auth/logout, which redirects to the issuer: CSP's form-action
        # covers the redirect of a form's submission.
        form_action.append(_origin(settings.oidc_issuer))
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action {' '.join(form_action)}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )
    headers = {
        "content-security-policy": policy,
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "x-content-type-options": "nosniff",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.is_production:
        headers["strict-transport-security"] = "max-age=31536000"
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _query_names(scope: Scope) -> str:
    """``?limit&q`` for ``?q=Jens&limit=20``: the names a route was called with, never values."""
    raw = scope.get("query_string") or b""
    if not raw:
        return ""
    names: list[str] = []
    for part in raw.decode("latin-1").split("&"):
        name = part.split("=", 1)[0]
        if not name:
            continue
        name = name if _SANE_NAME.match(name) else "?"
        if name not in names:
            names.append(name)
    return "?" + "&".join(names) if names else ""


def access_line(scope: Scope, status: int, duration_ms: float, request_id: str) -> dict[str, Any]:
    """The fields of one access-log line (see the module's docstring for what is left out)."""
    route = scope.get("path_template") or "(no route)"
    slug = (scope.get("path_params") or {}).get("tenant_slug")
    return {
        "method": str(scope.get("method", "-")),
        "path": str(route) + _query_names(scope),
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "request_id": request_id,
        "tenant": slug if isinstance(slug, str) and _SANE_SLUG.match(slug) else None,
    }


class Edge:
    """ASGI wrapper around the app's handler (installed by :func:`core.app.create_app`)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.trusted = settings.trusted_proxies
        self.headers = security_headers(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope)
        state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
        state["request_id"] = request_id
        state["client_address"] = client_address(scope, self.trusted)
        token = request_id_var.set(request_id)
        status = [500]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                extra.append((b"x-request-id", request_id.encode("ascii")))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            fields = access_line(
                scope, status[0], (time.perf_counter() - started) * 1000, request_id
            )
            quiet = scope.get("path") in HEALTH_PATHS and status[0] == 200
            access_logger.log(
                logging.DEBUG if quiet else logging.INFO,
                "%s %s %s %.1f ms tenant=%s",
                fields["method"],
                fields["path"],
                fields["status"],
                fields["duration_ms"],
                fields["tenant"] or "-",
                extra={FIELDS_ATTR: fields},
            )
            request_id_var.reset(token)
