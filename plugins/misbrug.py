"""``misbrug``: a mentor in a misbrug programme must have been free of abuse long enough.

The period is ``min_sober_years`` **calendar years** (default 1), counted from the date the
mentor has been free of abuse (the intake field ``misbrug.sober_since``): the mentor is eligible
from the anniversary on, ``sober_since + relativedelta(years=min_sober_years)``. Sober since
2025-03-01: eligible on 2026-03-01, not on 2026-02-28 (although 2025-03-01 + 365 days would be
2026-03-01 too, a year across a leap day is 366 days). A 29 February counts to 28 February in a
year without it: sober since 2024-02-29, eligible on 2025-02-28.

The date must be plausible: the intake field refuses a date before 1 January 1920
(:data:`EARLIEST_SOBER_SINCE`; the core's own bound for any date is 1900), and the rule answers
``unknown`` - not eligible until the date is corrected - for a stored date before it or before
1 January of the person's birth year when that is recorded (nobody is free of an abuse before
they are born).

The old setting ``min_sober_days`` (days) is refused by ``makker tenants check`` with a message
that names ``min_sober_years``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

import msgspec
from dateutil.relativedelta import relativedelta

from core.plugin_api import (
    IntakeField,
    PersonContext,
    ProgrammeContext,
    Role,
    Verdict,
    hookimpl,
)

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

RULE = "misbrug"
SOBER_SINCE = "misbrug.sober_since"
#: No sober-since date before this day is believed (nor one before the person's birth year).
EARLIEST_SOBER_SINCE = dt.date(1920, 1, 1)


class MisbrugConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    #: Calendar years a mentor must have been free of abuse.
    min_sober_years: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1

    #: Settings this plugin no longer takes, with what to write instead (tenant file check).
    retired_settings: ClassVar[dict[str, str]] = {
        "min_sober_days": "replaced by min_sober_years (whole calendar years, e.g. "
        "min_sober_years = 1 for at least one year)",
    }


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
        earliest=EARLIEST_SOBER_SINCE,
    )


def _danish(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


@hookimpl
def eligibility_verdicts(
    programme: ProgrammeContext, person: PersonContext, role: Role, today: dt.date
) -> Verdict | None:
    if role != "mentor":
        return None
    years = programme.config(MisbrugConfig).min_sober_years
    since: dt.date | None = person.get(SOBER_SINCE)
    if since is None:
        return Verdict.unknown(RULE, "Ædruelighedsdato mangler.")
    if since < EARLIEST_SOBER_SINCE:
        return Verdict.unknown(
            RULE,
            f"Ude af misbrug siden {_danish(since)} er ikke troværdigt (før "
            f"{_danish(EARLIEST_SOBER_SINCE)}); ret datoen i før-samtalen.",
        )
    if person.birth_year is not None and since.year < person.birth_year:
        return Verdict.unknown(
            RULE,
            f"Ude af misbrug siden {_danish(since)} ligger før personens fødselsår "
            f"({person.birth_year}); ret datoen i før-samtalen.",
        )
    eligible_from = since + relativedelta(years=years)
    if today >= eligible_from:
        return Verdict.passed(
            RULE, f"Har været ude af misbrug i mindst {years} år (siden {_danish(since)})."
        )
    return Verdict.failed(
        RULE,
        f"Har været ude af misbrug siden {_danish(since)}; kravet er mindst {years} år "
        f"(opfyldt fra {_danish(eligible_from)}).",
    )
