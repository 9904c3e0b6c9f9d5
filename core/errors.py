"""The one error contract.

Commands raise these; the app-level handlers (:func:`exception_handlers`) answer them - JSON
under ``/api/`` and ``/schema``, a Danish page elsewhere - so no handler builds an error body of
its own:

* :class:`NotFound` -> 404 ``{"status_code": 404, "detail": "Findes ikke."}``: the same body for a
  missing object and for another tenant's.
* :class:`Invalid` -> 400 ``{"status_code": 400, "detail": ..., "errors": {field: message}}``;
  messages in the request's language (Danish first, English second). Litestar's own validation
  errors (a wrong type, a missing parameter) get the same shape with the real field names.
* :class:`Conflict` -> 409 ``{"status_code": 409, "detail": ...}``.
* :class:`Forbidden` -> 403 ``{"status_code": 403, "detail": ...}``.
* A failing plugin -> 500 naming the plugin (never a pass).
* An exhausted connection pool -> 503 with ``Retry-After`` and a Danish message, after a short,
  bounded wait (``MAKKER_DB_POOL_TIMEOUT``), never a 30-second hang and a 500.
* A database that does not answer (down, restarting, a connection cut) -> 503 with
  ``Retry-After`` and the same Danish message, never a 500; the pool replaces its dead
  connections, so the app recovers by itself when the database is back (:func:`database_down`).
* A rate limit reached (:mod:`core.web.ratelimit`) -> 429 with ``Retry-After`` (the seconds
  left of the window) and a Danish message.
* An identity provider that cannot be reached -> 503 with ``Retry-After`` and a Danish message
  (:mod:`core.identity.issuer`, installed next to these by :func:`core.app.create_app`).

The OpenAPI document declares these answers on every ``/api/`` route, in one place
(:func:`document_api_errors`, called by :func:`core.app.create_app`), with one body schema
(:class:`ErrorBody`).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.enums import HttpMethod, MediaType
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Redirect, Template
from litestar.routes import BaseRoute
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.plugin_api import PluginError
from core.strict_input import REPEATED
from core.web.i18n import gettext as _
from core.web.ratelimit import RateLimited

RETRY_AFTER_SECONDS = 2
database_logger = logging.getLogger("makker.database")


class LoginRequired(Exception):
    """A page needs a signed-in user; answered with a redirect to ``/auth/login``."""

    status_code = 303

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class MakkerError(Exception):
    """Base of the contract's errors."""

    status_code = 500

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(MakkerError, LookupError):
    """A missing object, or another tenant's (the two look the same)."""

    status_code = 404


class Invalid(MakkerError, ValueError):
    """Input is wrong; ``errors`` maps each field to a message. Nothing was stored."""

    status_code = 400

    def __init__(self, errors: Mapping[str, str] | None = None, detail: str = "") -> None:
        # The exception's text names fields only: messages may quote input (personal data).
        super().__init__(detail)
        self.errors = dict(errors or {})
        self.args = ("; ".join(self.errors),)


class Conflict(MakkerError):
    """The action cannot be done in the object's current state."""

    status_code = 409


class Forbidden(MakkerError, PermissionError):
    """The caller may not do this."""

    status_code = 403


class ErrorBody(msgspec.Struct):
    """The body of every error answer under ``/api/``."""

    status_code: int
    #: What went wrong, in the request's language for 400, 403, 409 and 503.
    detail: str
    #: 400 only: a message per field (the field's name, or ``body`` for the request as a whole).
    errors: dict[str, str] = msgspec.field(default_factory=dict)


#: The contract's error answers, as the OpenAPI document describes them.
API_ERRORS: dict[int, str] = {
    400: "The request is not valid (a field, a query value or the JSON itself); `errors` names "
    "each field with a message. Nothing was saved.",
    401: "No access token, or one that is not valid (`WWW-Authenticate: Bearer`).",
    403: "The caller's role does not allow this.",
    404: "Not found: no such object, another tenant's object, or a tenant the caller is not a "
    "member of - the same answer for all three.",
    409: "The action cannot be done in the object's current state.",
    429: "Too many requests from this user (or, without a token, this address) in a short "
    "time; try again after `Retry-After` seconds.",
    503: "Makker is busy (no database connection came free in time), the database or the "
    "identity provider cannot be reached; try again after `Retry-After` seconds.",
}
#: A read never conflicts with an object's state.
_READS = {HttpMethod.GET, HttpMethod.HEAD}


def document_api_errors(routes: Iterable[BaseRoute]) -> None:
    """Declare the contract's error answers on every ``/api/`` route's operation (409 on the
    ones that change something), with :class:`ErrorBody`; a route's own ``responses`` win."""
    for route in routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", ()):
            reads_only = set(handler.http_methods) <= _READS
            declared = {
                status: ResponseSpec(ErrorBody, description=text, generate_examples=False)
                for status, text in API_ERRORS.items()
                if not (status == 409 and reads_only)
            }
            handler.responses = {**declared, **(handler.responses or {})}


#: Litestar's CSRF middleware's detail, answered in Danish by :func:`_forbidden`.
CSRF_FAILED = "CSRF token verification failed"
#: The detail of a token the pipeline refuses (``core.web.pipeline``).
TOKEN_REFUSED = "Invalid or expired access token"


def not_found_detail() -> str:
    """The one 404 detail: the same for a missing object, another tenant's and an unknown
    address."""
    return _("Not found.")


def _client_detail(status: int, detail: str) -> str:
    """Danish details for the client errors Litestar raises in English."""
    if status == 401:
        if detail == TOKEN_REFUSED:
            return _("The access token is not valid or has expired.")
        return _("Sign in to use Makker.")
    if status == 405:
        return _("This address cannot be used that way.")
    if status == 429:  # Litestar's own; the application form answers with its page instead
        return _(
            "Too many requests have come from your address in a short time. Please wait a "
            "while and try again."
        )
    if status == 404:
        return not_found_detail()
    return detail


def is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/schema"))


def invalid_body(errors: Mapping[str, str], detail: str | None = None) -> dict[str, Any]:
    return {
        "status_code": 400,
        "detail": detail or _("Some fields are not valid; nothing was saved."),
        "errors": dict(errors),
    }


_TENANT_PATH = re.compile(r"^/t/([a-z][a-z0-9-]{1,39})(?:/|$)")


def _home(request: Request) -> str:
    """Where an error page's "Gå til forsiden" leads: the tenant's front page for an address
    under ``/t/<tenant>/`` (a stranger to that tenant gets its 404 there, as anywhere), else
    the start page."""
    found = _TENANT_PATH.match(request.url.path)
    return f"/t/{found.group(1)}/" if found else "/"


def _page(template: str, status: int, **context: Any) -> Response:
    return Template(  # type: ignore[return-value]
        template, status_code=status, media_type=MediaType.HTML, context=context
    )


def _not_found(request: Request, _exc: Exception) -> Response:
    if is_api_path(request.url.path):
        return Response({"status_code": 404, "detail": not_found_detail()}, status_code=404)
    return _page("errors/not_found.html", 404, home=_home(request))


def _forbidden(request: Request, exc: Exception) -> Response:
    detail = getattr(exc, "detail", "") or _("Your role does not give access to this.")
    if detail == CSRF_FAILED:  # Litestar's CSRF middleware: a stale or foreign form
        detail = _(
            "The form had expired or came from another page. Go back, reload the page and try "
            "again."
        )
    if is_api_path(request.url.path):
        return Response({"status_code": 403, "detail": detail}, status_code=403)
    return _page("errors/forbidden.html", 403, detail=detail, home=_home(request))


def _invalid(request: Request, exc: Invalid) -> Response:
    detail = exc.detail or None
    if detail is None and request.method in ("GET", "HEAD"):  # a read saves nothing anyway
        detail = _("Some values in the address are not valid.")
    return Response(invalid_body(exc.errors, detail), status_code=400)


def _conflict(request: Request, exc: Conflict) -> Response:
    """409: JSON on the API, a Danish page with the reason and a way back elsewhere (a form
    posted from a page must never answer with an error body)."""
    if not is_api_path(request.url.path):
        return _page("errors/not_allowed.html", 409, detail=exc.detail, home=_home(request))
    return Response({"status_code": 409, "detail": exc.detail}, status_code=409)


_MISSING = re.compile(r"Missing required \w+ parameter '([^']{1,60})'")
_MISSING_FIELD = re.compile(r"missing required field `([^`]{1,60})`")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]{1,60})`")
_FIELD_PATH = re.compile(r"""([A-Za-z_]\w{0,59})(?:\[['"]([A-Za-z_]\w{0,59})['"]\])?""")


def _field_error(item: dict[str, Any]) -> tuple[str, str]:
    """(field, Danish message) for one of Litestar's validation items: the body is decoded
    as a whole (``key`` ``data``), so the field is read from msgspec's message."""
    message = str(item.get("message") or "")
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        return unknown.group(1), _("The field is not known.")
    missing = _MISSING_FIELD.search(message)
    if missing:
        return missing.group(1), _("The field is required.")
    if message == REPEATED:  # core.strict_input.single_query_values
        return str(item.get("key")), _("Give this value only once in the address.")
    raw = str(item.get("key") or "body")
    if raw == "data":
        path = re.search(r"at `\$\.([^`]{1,200})`", message)
        raw = path.group(1) if path else "body"
    # ``answers['hope']`` names the item ``hope`` (a mapping's key is the field a person sees);
    # ``plan.months`` names ``plan``.
    found = _FIELD_PATH.match(raw.removeprefix("$."))
    if not found:
        return "body", _("The value is not valid.")
    return found.group(2) or found.group(1), _("The value is not valid.")


def _litestar_invalid(request: Request, exc: ValidationException) -> Response:
    """Litestar's own validation errors in the contract's shape: Danish, per real field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = dict(
        _field_error(item)
        for item in extra
        if isinstance(item, dict) and item.get("key") != "tenant_slug"
    )
    missing = _MISSING.match(str(exc.detail))
    if not errors and missing:
        errors = {missing.group(1): _("The field is required.")}
    if not errors and isinstance(exc.detail, str) and not exc.detail.startswith("Validation"):
        # A handler's explicit 400 with its own (already translated) message.
        return Response({"status_code": 400, "detail": exc.detail, "errors": {}}, status_code=400)
    errors = errors or {"body": _("The value is not valid.")}
    if request.method in ("GET", "HEAD"):
        detail = _("Some values in the address are not valid.")
    else:
        detail = _("Some fields are not valid; nothing was saved.")
    if not is_api_path(request.url.path):
        return _page("errors/bad_request.html", 400, detail=detail, errors=errors)
    return Response(invalid_body(errors, detail), status_code=400)


def _client_error(request: Request, exc: ClientException) -> Response:
    """A request Litestar could not read (malformed JSON, bad encoding) in the contract's shape
    and in Danish; other client errors (401, 405, ...) keep their status, detail and headers."""
    if exc.status_code != 400:
        detail = _client_detail(exc.status_code, str(exc.detail))
        if not is_api_path(request.url.path):
            return Template(  # type: ignore[return-value]
                "errors/not_allowed.html",
                status_code=exc.status_code,
                media_type=MediaType.HTML,
                headers=exc.headers,
                context={"detail": detail, "home": _home(request)},
            )
        return Response(
            {"status_code": exc.status_code, "detail": detail},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    message = _("The request could not be read: it is not valid JSON in UTF-8.")
    return Response(invalid_body({"body": message}, message), status_code=400)


def _too_deep(request: Request, _exc: RecursionError) -> Response:
    """A body nested too deeply to decode (msgspec recurses): 400, not 500."""
    message = _("The request is nested too deeply.")
    return Response(invalid_body({"body": message}, message), status_code=400)


def _pool_exhausted(request: Request, _exc: Exception) -> Response:
    # One line, no traceback: the overload is the operator's signal, not a bug to debug.
    request.logger.warning("database pool exhausted: answered 503 on %s", request.url.path)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    detail = _("Makker is busy right now. Please try again in a moment.")
    if is_api_path(request.url.path):
        return Response({"status_code": 503, "detail": detail}, status_code=503, headers=headers)
    return Template(  # type: ignore[return-value]
        "errors/busy.html",
        status_code=503,
        media_type=MediaType.HTML,
        headers=headers,
        context={"detail": detail},
    )


#: SQLSTATEs of a database that is not there: connection failures (08...), shutting down or
#: starting up (57P01-57P03).
_OUTAGE_STATES = frozenset(
    {"08000", "08001", "08003", "08004", "08006", "53300", "57P01", "57P02", "57P03"}
)


#: The exception types of a database outage, logged by :func:`_database_error` itself (the app's
#: logging config leaves out their traceback; another error of these types gets one here).
QUIET_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    OperationalError,
    InterfaceError,
    ConnectionRefusedError,
    ConnectionResetError,
    FileNotFoundError,
    TimeoutError,
    # asyncpg raises these itself (unwrapped) while connecting
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def _from_the_database_driver(exc: BaseException) -> bool:
    """Raised inside asyncpg or SQLAlchemy's pool (not by a file, a plugin or an HTTP call)."""
    return any(
        "/asyncpg/" in frame.f_code.co_filename or "/sqlalchemy/" in frame.f_code.co_filename
        for frame, _line in traceback.walk_tb(exc.__traceback__)
    )


def database_down(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached (rather than refusing a statement)."""
    if isinstance(exc, OSError) and not isinstance(exc, DBAPIError):
        # refused, reset, or (a unix socket) no socket file while connecting: asyncpg raises
        # these unwrapped
        return _from_the_database_driver(exc)
    if isinstance(exc, asyncpg.exceptions.PostgresError | asyncpg.exceptions.InterfaceError):
        # asyncpg's own, unwrapped while connecting: shutting down, starting up, too many
        return (
            getattr(exc, "sqlstate", None) in _OUTAGE_STATES
            or type(exc).__name__ == "ConnectionDoesNotExistError"
        )
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _OUTAGE_STATES:
        return True
    cause = getattr(orig, "__cause__", None)
    return isinstance(cause, ConnectionError | TimeoutError) or (
        cause is not None and type(cause).__name__ in {"ConnectionDoesNotExistError"}
    )


def _busy(request: Request, detail: str, seconds: int, status: int = 503) -> Response:
    headers = {"Retry-After": str(seconds)}
    if is_api_path(request.url.path):
        return Response(
            {"status_code": status, "detail": detail}, status_code=status, headers=headers
        )
    return Template(  # type: ignore[return-value]
        "errors/busy.html",
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers,
        context={"detail": detail},
    )


def _database_error(request: Request, exc: Exception) -> Response:
    """The database does not answer: 503 with Retry-After and one log line (no traceback);
    any other database error is a 500 with its traceback."""
    if not database_down(exc):
        if type(exc) in QUIET_DATABASE_ERRORS:  # else the app's logging wrote its traceback
            route = request.scope.get("path_template") or "(no route)"
            request.logger.error("uncaught exception on %s %s", request.method, route, exc_info=exc)
        return _server_error(request, exc)
    database_logger.warning(
        "database unavailable (%s): answered 503 on %s",
        type(getattr(exc, "orig", None) or exc).__name__,
        request.scope.get("path_template") or "(no route)",
    )
    detail = _("Makker is busy right now. Please try again in a moment.")
    return _busy(request, detail, RETRY_AFTER_SECONDS)


def _rate_limited(request: Request, exc: RateLimited) -> Response:
    """A rate limit is reached (logged once per key and window by the limiter)."""
    detail = _(
        "Too many requests have come in a short time. Please wait %(seconds)s seconds and try "
        "again."
    ) % {"seconds": exc.seconds}
    return _busy(request, detail, exc.seconds, 429)


def _plugin_failed(request: Request, exc: PluginError) -> Response:
    """A broken plugin is a server error, never a pass. The detail names the plugin (and no
    data the plugin's exception may quote); pages get the 500 page."""
    request.logger.error("plugin error: %s", exc.summary)
    if is_api_path(request.url.path):
        return Response({"status_code": 500, "detail": exc.summary}, status_code=500)
    return _page("errors/server_error.html", 500, home=_home(request))


def _server_error(request: Request, _exc: Exception) -> Response:
    """Anything unexpected: a 500 without details (they are in the log, never in the answer)."""
    if is_api_path(request.url.path):
        detail = _("Something went wrong in Makker. Please try again later.")
        return Response({"status_code": 500, "detail": detail}, status_code=500)
    return _page("errors/server_error.html", 500, home=_home(request))


def _login_required(request: Request, exc: LoginRequired) -> Response:
    return Redirect(path=f"/auth/login?{urlencode({'next': exc.next_path})}", status_code=303)  # type: ignore[return-value]


def exception_handlers() -> dict[Any, Any]:
    """The app-level handlers of the contract (installed by :func:`core.app.create_app`)."""
    return {
        NotFoundException: _not_found,
        NotFound: _not_found,
        PermissionDeniedException: _forbidden,
        Forbidden: _forbidden,
        ValidationException: _litestar_invalid,
        ClientException: _client_error,
        RecursionError: _too_deep,
        Invalid: _invalid,
        Conflict: _conflict,
        PoolTimeout: _pool_exhausted,
        DBAPIError: _database_error,
        OSError: _database_error,
        asyncpg.exceptions.PostgresError: _database_error,
        asyncpg.exceptions.InterfaceError: _database_error,
        RateLimited: _rate_limited,
        LoginRequired: _login_required,
        PluginError: _plugin_failed,
        500: _server_error,
    }
