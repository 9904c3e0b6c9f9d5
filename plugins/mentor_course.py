"""``mentor_course``: a mentor is ready for matching only after completing a mentor course.

A mentor has completed the course of a programme when the coordinators have registered them
present at no fewer than ``min_sessions_attended`` sessions of one of *that programme's* hold
(a hold of another programme does not count). A course taken before Makker is recorded with the
intake field ``mentor_course.completed_on``. The same condition vetoes moving a mentor to
``matched``.

Settings (tenant or programme level)::

    [programmes.plugins.mentor_course]
    min_sessions_attended = 5
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from core.plugin_api import (
    CourseRecord,
    IntakeField,
    PersonContext,
    PolicyAction,
    PolicyDecision,
    ProgrammeContext,
    Role,
    Transition,
    Verdict,
    hookimpl,
)

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

RULE = "mentor_course"
COMPLETED_ON = "mentor_course.completed_on"
MATCHED = "matched"


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    #: Sessions of one hold a mentor must attend to complete the course.
    min_sessions_attended: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5


@hookimpl
def plugin_config_schema() -> type[msgspec.Struct]:
    return Config


@hookimpl
def intake_fields() -> IntakeField:
    return IntakeField(
        name="completed_on",
        type="date",
        label="Mentorkursus gennemført",
        help="Datoen, hvor mentoren gennemførte mentorkurset.",
        roles=("mentor",),
        not_in_future=True,
    )


def _minimum(programme: ProgrammeContext) -> int:
    try:
        return programme.config(Config).min_sessions_attended
    except LookupError:
        return Config().min_sessions_attended


@hookimpl(trylast=True)
def course_completion_threshold(programme: ProgrammeContext) -> int:
    return _minimum(programme)


def completed_course(programme: ProgrammeContext, person: PersonContext) -> CourseRecord | None:
    """The person's first hold of ``programme`` with enough attendance, or ``None``."""
    minimum = _minimum(programme)
    for record in person.courses:
        if record.programme == programme.slug and record.attended >= minimum:
            return record
    return None


def _completed_before(person: PersonContext, today: dt.date) -> dt.date | None:
    completed: dt.date | None = person.get(COMPLETED_ON)
    return completed if completed is not None and completed <= today else None


@hookimpl
def eligibility_verdicts(
    programme: ProgrammeContext, person: PersonContext, role: Role, today: dt.date
) -> Verdict | None:
    if role != "mentor":
        return None
    record = completed_course(programme, person)
    if record is not None:
        return Verdict.passed(
            RULE,
            f"Gennemførte mentorkurset på hold {record.number} "
            f"({record.attended} af {record.sessions} undervisningsgange).",
        )
    completed = _completed_before(person, today)
    if completed is not None:
        return Verdict.passed(RULE, f"Gennemførte mentorkurset {completed.strftime('%d.%m.%Y')}.")
    own = [r for r in person.courses if r.programme == programme.slug]
    if own:
        best = max(own, key=lambda r: r.attended)
        return Verdict.failed(
            RULE,
            f"Mentoren har deltaget i {best.attended} af mindst {_minimum(programme)} "
            f"undervisningsgange på hold {best.number}.",
        )
    return Verdict.failed(RULE, "Mentoren har endnu ikke gennemført mentorkurset.")


@hookimpl
def forloeb_policy(programme: ProgrammeContext, transition: Transition) -> PolicyDecision | None:
    if transition.role != "mentor" or transition.to_status != MATCHED:
        return None
    person = transition.person
    if (
        completed_course(programme, person) is None
        and _completed_before(person, transition.on) is None
    ):
        return PolicyDecision(
            rule=RULE,
            action=PolicyAction.VETO,
            message="En mentor kan først matches efter gennemført mentorkursus.",
        )
    return None
