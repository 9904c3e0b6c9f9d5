"""The GDPR reads as commands: a person's access log and the export of everything held.

Each refuses a partner's staff (403, before any look-up) and notes its audit row naming the
person, so reading the log or exporting is itself on the person's log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from core.context import Context
from core.gdpr.labels import action_label, table_label
from core.gdpr.queries import (
    AccessEntry,
    AccessLog,
    TableRows,
    access_log,
    person_rows,
    refuse_partners,
)
from core.gdpr.schemas import AccessEntryOut, ExportOut, ExportTableOut
from core.identity.dev_users import role_label
from core.web.paging import check_paging

#: The most access-log rows an export carries (newest first); beyond it the export says so.
EXPORT_LOG_LIMIT = 10_000


def entry_out(entry: AccessEntry) -> AccessEntryOut:
    return AccessEntryOut(
        at=entry.at.isoformat(),
        who=entry.who,
        role=entry.role,
        role_label=role_label(entry.role) if entry.role else None,
        action=entry.action,
        what=action_label(entry.action),
        object_type=entry.object_type,
        object_id=entry.object_id,
    )


async def read_access_log(ctx: Context, person_id: uuid.UUID, limit: int, offset: int) -> AccessLog:
    """The person's access log for a coordinator or tenant admin (audited ``gdpr.access_log``).

    :raises NotForPartners: for a partner's staff. :raises NotFound: no such person.
    :raises Invalid: a limit or offset out of range."""
    refuse_partners(ctx)
    check_paging(limit, offset)
    log = await access_log(ctx, person_id, limit, offset)
    ctx.audit("gdpr.access_log", object_type="person", object_id=person_id)
    return log


async def read_own_access_log(
    ctx: Context, person_id: uuid.UUID, limit: int, offset: int
) -> AccessLog:
    """The signed-in person's own log ("Mit forløb"); audited ``gdpr.access_log``.

    :raises Invalid: a limit or offset out of range."""
    check_paging(limit, offset)
    log = await access_log(ctx, person_id, limit, offset, own=True)
    ctx.audit("gdpr.access_log", object_type="person", object_id=person_id, detail={"own": True})
    return log


@dataclass(frozen=True)
class PersonExport:
    """Everything held about a person: the rows of each table and the whole access log."""

    tables: list[TableRows]
    access_log: list[AccessEntry]
    generated_at: dt.datetime


async def export_person(ctx: Context, person_id: uuid.UUID) -> PersonExport:
    """Everything held about the person (GDPR Art. 15), read through the ORM so encrypted
    fields come back in clear; audited ``gdpr.export``.

    :raises NotForPartners: for a partner's staff. :raises NotFound: no such person."""
    refuse_partners(ctx)
    tables = await person_rows(ctx, person_id)
    log = await access_log(ctx, person_id, EXPORT_LOG_LIMIT, 0)
    ctx.audit("gdpr.export", object_type="person", object_id=person_id)
    return PersonExport(tables, log.entries, ctx.now())


def export_out(ctx: Context, person_id: uuid.UUID, export: PersonExport) -> ExportOut:
    """The export as JSON."""
    return ExportOut(
        person_id=person_id,
        tenant=ctx.tenant.slug,
        tenant_name=ctx.tenant.name,
        generated_at=export.generated_at.isoformat(),
        tables=[
            ExportTableOut(t.table, table_label(t.table), t.personal, t.rows) for t in export.tables
        ],
        access_log=[entry_out(e) for e in export.access_log],
    )
