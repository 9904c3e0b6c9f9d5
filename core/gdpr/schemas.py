"""JSON out of the GDPR routes: a person's access log and the export of everything held."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec


class AccessEntryOut(msgspec.Struct):
    """One read or change of the person's data."""

    #: When, in UTC (ISO 8601).
    at: str
    #: Who: a member's name, "the person themself", a partner's staff, or a neutral word.
    who: str
    #: The role code (``coordinator``, ``tenant_admin``, ``mentor``...), ``None`` if unknown.
    role: str | None
    #: The role in the current language.
    role_label: str | None
    #: What: the audit action's code and its words.
    action: str
    what: str
    object_type: str | None
    object_id: str | None


class AccessLogOut(msgspec.Struct):
    person_id: uuid.UUID
    entries: list[AccessEntryOut]
    total: int


class ExportTableOut(msgspec.Struct):
    """The person's rows of one table (every column but the few named in ``docs/gdpr.md``)."""

    table: str
    label: str
    #: The columns the model tags as personal data.
    personal_columns: list[str]
    rows: list[dict[str, Any]]


class ExportOut(msgspec.Struct):
    """Everything Makker holds about the person in this tenant (GDPR Art. 15)."""

    person_id: uuid.UUID
    tenant: str
    tenant_name: str
    #: When the export was made, in UTC (ISO 8601).
    generated_at: str
    tables: list[ExportTableOut]
    #: Who has read or changed the data, newest first (all of it).
    access_log: list[AccessEntryOut]


class ErasureOut(msgspec.Struct):
    """What an erasure did (GDPR Art. 17)."""

    person_id: uuid.UUID
    #: When the person was erased (UTC, ISO 8601); the first erasure's time when already erased.
    erased_at: str
    #: True when the person was erased before: nothing was changed this time.
    already_erased: bool
    #: The person's rows blanked, per table (empty when already erased).
    blanked: dict[str, int]
    #: The person's rows deleted, per table (calendar links).
    deleted: dict[str, int]
    #: Web sessions of the person's sign-ins that were ended.
    sessions_ended: int


class LegalHoldOut(msgspec.Struct):
    """The legal hold in force on a person, if any."""

    person_id: uuid.UUID
    active: bool
    #: The last day of the hold (ISO date), ``null`` when none is in force.
    ends_on: str | None = None
    reason: str | None = None
