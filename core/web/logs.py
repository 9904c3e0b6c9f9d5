"""One log format for the whole process: JSON lines in production, plain text in development.

:func:`logging_config` gives the app's Litestar ``LoggingConfig``: the root logger's one
handler with one formatter, chosen by ``MAKKER_LOG_FORMAT``; Litestar's logger and uvicorn's
(``makker serve`` and ``makker demo`` run uvicorn with ``log_config=None``, so it adds no
handler of its own) write through it. Every line written while a request
is handled carries its request id (stamped by :class:`RequestIdFilter` from the context variable
the edge sets, :mod:`core.web.edge`).

Never log personal data, tokens or cookies: log ids, route templates and reasons. The HTTP
client libraries trace headers at DEBUG and the SQLite driver traces SQL parameters, so they are
held at WARNING whatever the level.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from contextvars import ContextVar
from typing import Any

from litestar.logging import LoggingConfig
from litestar.logging.config import default_handlers

from core.settings import Settings

#: The id of the request being handled (set by the edge for the request's task).
request_id_var: ContextVar[str | None] = ContextVar("makker_request_id", default=None)

#: Fields a record may carry in ``extra={"fields": {...}}`` (the access log's, for example).
FIELDS_ATTR = "fields"


class RequestIdFilter(logging.Filter):
    """Stamps ``record.request_id`` in the thread that logs (before any queue hands it on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


def _utc(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC), ``level``, ``logger``, ``message``, the
    ``request_id`` of the request (when there is one), the record's ``fields`` and
    ``exception`` (a traceback, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-01T09:30:00.123Z INFO makker.access: message request_id=...`` (development)."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname} {record.name}: {record.getMessage()}"
        request_id = getattr(record, "request_id", None)
        if request_id and "request_id=" not in line:
            line += f" request_id={request_id}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _exception_logged(logger: Any, scope: Any, _tb: list[str]) -> None:
    """An unexpected exception, with its traceback: the route's template, never the path
    (a path may hold a calendar token) or the query string."""
    route = scope.get("path_template") or "(no route)"
    logger.exception("uncaught exception on %s %s", scope.get("method", "-"), route)


def logging_config(settings: Settings, *, quiet_traces: set[Any]) -> LoggingConfig:
    """The app's logging: one handler, one format (``settings.log_format``) for every logger.

    ``quiet_traces``: statuses and exceptions that are answers, not failures (no traceback)."""
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    handlers = copy.deepcopy(default_handlers)
    handlers["queue_listener"]["filters"] = ["request_id"]
    return LoggingConfig(
        formatters={"standard": {"()": formatter}},
        filters={"request_id": {"()": RequestIdFilter}},
        handlers=handlers,
        log_exceptions="always",
        exception_logging_handler=_exception_logged,
        disable_stack_trace=quiet_traces,
        root={"level": settings.log_level, "handlers": ["queue_listener"]},
        loggers={
            # Litestar's own logger through the root's handler (and so its format); uvicorn's
            # loggers have no handler of their own under `makker serve` (log_config=None).
            "litestar": {"level": settings.log_level, "propagate": True},
            # httpx/httpcore trace headers (Set-Cookie, Authorization) and aiosqlite traces SQL
            # parameters (personal data) at DEBUG: never let them through, whatever the level.
            "httpx": {"level": "WARNING", "propagate": True},
            "httpcore": {"level": "WARNING", "propagate": True},
            "aiosqlite": {"level": "WARNING", "propagate": True},
            "sqlalchemy.engine": {"level": "WARNING", "propagate": True},
        },
    )
