"""``misbrug``: a mentor in a misbrug programme must have been free of abuse long enough.

The period is ``min_sober_days`` **days** (default 365), counted from the date the mentor has
been free of abuse (the intake field ``misbrug.sober_since``): the mentor is eligible from
``sober_since + min_sober_days`` on. Exactly 365 days is enough; 364 is not. Counting in days
makes leap years explicit: across a 29 February, 365 days end one calendar day before the
anniversary (sober since 2023-03-01 -> eligible on 2024-02-29).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from core.plugin_api import (
    IntakeField,
    PersonContext,
    ProgrammeContext,
    Role,
    Verdict,
    hookimpl,
)

RULE = "misbrug"
SOBER_SINCE = "misbrug.sober_since"


class MisbrugConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    #: Days a mentor must have been free of abuse.
    min_sober_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 365


@hookimpl
def plugin_config_schema() -> type[MisbrugConfig]:
    return MisbrugConfig


@hookimpl
def intake_fields() -> IntakeField:
    return IntakeField(
        name="sober_since",
        type="date",
        label="Ude af misbrug siden",
        help="Datoen, hvor mentoren sidst havde et misbrug.",
        roles=("mentor",),
        not_in_future=True,
    )


@hookimpl
def eligibility_verdicts(
    programme: ProgrammeContext, person: PersonContext, role: Role, today: dt.date
) -> Verdict | None:
    if role != "mentor":
        return None
    days = programme.config(MisbrugConfig).min_sober_days
    since: dt.date | None = person.get(SOBER_SINCE)
    if since is None:
        return Verdict.unknown(RULE, "Ædruelighedsdato mangler.")
    eligible_from = since + dt.timedelta(days=days)
    if today >= eligible_from:
        return Verdict.passed(
            RULE, f"Har været ude af misbrug i mindst {days} dage (siden {since.isoformat()})."
        )
    return Verdict.failed(
        RULE,
        f"Har været ude af misbrug i {(today - since).days} dage; kravet er mindst {days} dage "
        f"(opfyldt fra {eligible_from.isoformat()}).",
    )
