"""Writing audit events. Callers pass identifiers and reasons, never personal field values.

Inside a request, rows are *noted* (:func:`note`) and the request pipeline
(:mod:`core.web.pipeline`) writes them in the request's own transaction when it succeeds, so a
change and its audit row land or fail together. Outside a request (the CLI, the demo) use
:func:`record`, which writes in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEvent


@dataclass
class AuditNote:
    """One audit row to be written by the request pipeline."""

    action: str
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]


#: The notes of the current request (set by the request pipeline).
_notes: ContextVar[list[AuditNote] | None] = ContextVar("makker_audit_notes", default=None)


def start_request_notes(notes: list[AuditNote]) -> Any:
    """Collect :func:`note` calls of the current request into ``notes`` (the pipeline)."""
    return _notes.set(notes)


def stop_request_notes(token: Any) -> None:
    _notes.reset(token)


def note(
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Note one audit row for the current request (written in its transaction on success).

    :raises RuntimeError: outside a request - use :func:`record` there."""
    notes = _notes.get()
    if notes is None:
        raise RuntimeError("audit.note() outside a request; use audit.record()")
    notes.append(
        AuditNote(
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            detail=detail or {},
        )
    )


@asynccontextmanager
async def notes_written_to(
    session: AsyncSession, *, actor: str | None, tenant_slug: str | None, route: str | None = None
) -> AsyncIterator[None]:
    """Outside a request (the CLI, the demo): collect :func:`note` calls of the block and add
    them to ``session`` as audit rows, in the caller's transaction."""
    notes: list[AuditNote] = []
    token = start_request_notes(notes)
    try:
        yield
    finally:
        stop_request_notes(token)
    session.add_all(
        AuditEvent(
            action=n.action,
            actor=actor,
            tenant_slug=tenant_slug,
            route=route,
            object_type=n.object_type,
            object_id=n.object_id,
            detail=n.detail,
        )
        for n in notes
    )


async def record(
    sessionmaker: async_sessionmaker[AsyncSession],
    action: str,
    *,
    actor: str | None,
    tenant_slug: str | None = None,
    route: str | None = None,
    object_type: str | None = None,
    object_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit event in its own transaction (outside requests: CLI and demo)."""
    async with sessionmaker() as session, session.begin():
        session.add(
            AuditEvent(
                action=action,
                actor=actor,
                tenant_slug=tenant_slug,
                route=route,
                object_type=object_type,
                object_id=None if object_id is None else str(object_id),
                detail=detail or {},
            )
        )
