"""Public API schemas of the tenancy domain."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec


class DurationMonthsOut(msgspec.Struct):
    min: int
    max: int


class ProgrammeOut(msgspec.Struct):
    slug: str
    name: str
    type: str
    areas: list[str]
    duration_months: DurationMonthsOut
    meeting_frequencies: list[str]
    description: str | None = None


class TenantOut(msgspec.Struct):
    slug: str
    name: str
    kind: str
    municipality_code: str | None


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    """A partnership grant: the owner's programme, the partner organisation, the scope."""

    programme: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    partner: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    scope: str


class GrantOut(msgspec.Struct):
    id: uuid.UUID
    owner: str
    programme: str
    programme_name: str
    partner: str
    scope: str


class PartnershipsOut(msgspec.Struct):
    granted: list[GrantOut]
    received: list[GrantOut]


class SummaryOut(msgspec.Struct):
    mentees: int
    mentors: int
    by_status: dict[str, int]


class ParticipantOut(msgspec.Struct):
    person_id: uuid.UUID
    name: str
    role: str
    status: str


class PartnerLogRowOut(msgspec.Struct):
    """One thing a partner's staff member did (or was refused) in the owner's programme."""

    at: str
    partner: str
    programme: str
    grant_id: uuid.UUID
    action: str
    object_type: str | None
    object_id: str | None
    actor: str | None
    refused: int | None


class PartnerLogOut(msgspec.Struct):
    rows: list[PartnerLogRowOut]
    total: int
