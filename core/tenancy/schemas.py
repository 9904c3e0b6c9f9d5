"""Public API schemas of the tenancy domain."""

from __future__ import annotations

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
