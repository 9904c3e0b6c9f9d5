"""``mentor_course``: a mentor is ready for matching only after completing a mentor course.

Until courses arrive (a later issue) the rule reads the intake field
``mentor_course.completed_on``. The same condition vetoes moving a mentor to ``matched``.
"""

from __future__ import annotations

import datetime as dt

from core.plugin_api import (
    IntakeField,
    PersonContext,
    PolicyAction,
    PolicyDecision,
    Role,
    Transition,
    Verdict,
    hookimpl,
)

RULE = "mentor_course"
COMPLETED_ON = "mentor_course.completed_on"
MATCHED = "matched"


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


def _completed(person: PersonContext, today: dt.date) -> dt.date | None:
    completed: dt.date | None = person.get(COMPLETED_ON)
    return completed if completed is not None and completed <= today else None


@hookimpl
def eligibility_verdicts(person: PersonContext, role: Role, today: dt.date) -> Verdict | None:
    if role != "mentor":
        return None
    completed = _completed(person, today)
    if completed is None:
        return Verdict.failed(RULE, "Mentoren har endnu ikke gennemført mentorkurset.")
    return Verdict.passed(RULE, f"Gennemførte mentorkurset {completed.isoformat()}.")


@hookimpl
def forloeb_policy(transition: Transition) -> PolicyDecision | None:
    if transition.role != "mentor" or transition.to_status != MATCHED:
        return None
    if _completed(transition.person, transition.on) is None:
        return PolicyDecision(
            rule=RULE,
            action=PolicyAction.VETO,
            message="En mentor kan først matches efter gennemført mentorkursus.",
        )
    return None
