"""Evaluating programme rules for people: eligibility, intake answers and forløb transitions.

Every function here runs inside the current tenant's scope (the request's, or
``with tenant_scope(...)``); people and programmes are looked up only through
:func:`access_person_by_id` and :func:`access_programme_by_slug`, which answer "missing" and
"another tenant's" alike.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.courses.records import course_records
from core.participants.models import Person
from core.plugin_api import (
    CourseRecord,
    IntakeField,
    MakkerPluginManager,
    Outcome,
    PersonContext,
    PolicyAction,
    PolicyDecision,
    ProgrammeContext,
    Role,
    Transition,
    Verdict,
    combine_outcomes,
)
from core.programmes.intake import (
    apply_intake_values,
    decode_attributes,
    intake_fields,
    validate_intake_values,
)
from core.programmes.registry import programme_context, programme_hook
from core.tenancy.models import Programme, Tenant


async def access_person_by_id(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    """The current tenant's person with ``person_id``, or ``None`` (also for another tenant's)."""
    return await session.scalar(select(Person).where(Person.id == person_id))


async def access_programme_by_slug(session: AsyncSession, slug: str) -> Programme | None:
    """The current tenant's active programme ``slug``, or ``None``."""
    return await session.scalar(
        select(Programme).where(Programme.slug == slug, Programme.archived_at.is_(None))
    )


def person_context(
    person: Person, fields: list[IntakeField], courses: tuple[CourseRecord, ...] = ()
) -> PersonContext:
    """What rules see of ``person``: the id, the typed answers to ``fields``, their attendance
    on mentor courses and their birth year."""
    return PersonContext(
        id=person.id,
        attributes=decode_attributes(fields, person.attributes or {}),
        courses=courses,
        birth_year=person.birth_year,
    )


@dataclass(frozen=True)
class EligibilityReport:
    """Each enabled rule's verdict, and the combined outcome (all must pass)."""

    programme: ProgrammeContext
    role: Role
    verdicts: list[Verdict]

    @property
    def outcome(self) -> Outcome:
        return combine_outcomes(self.verdicts)


def evaluate_eligibility(
    pm: MakkerPluginManager,
    programme: ProgrammeContext,
    person: PersonContext,
    role: Role,
    today: dt.date,
) -> EligibilityReport:
    """Ask every plugin the programme enables for its verdict on ``person`` as ``role``."""
    hook = programme_hook(pm, "eligibility_verdicts", programme)
    results = hook(programme=programme, person=person, role=role, today=today)
    return EligibilityReport(programme, role, [v for items in results for v in items])


async def eligibility_for(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    programme: Programme,
    person: Person,
    role: Role,
    today: dt.date,
) -> EligibilityReport:
    """:func:`evaluate_eligibility` for database rows of the current tenant."""
    context = programme_context(pm, tenant, programme)
    fields = intake_fields(pm, context)
    courses = await course_records(session, person.id)
    return evaluate_eligibility(pm, context, person_context(person, fields, courses), role, today)


async def set_intake_values(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    programme: Programme,
    person: Person,
    values: dict[str, Any],
    today: dt.date,
) -> dict[str, Any]:
    """Validate and store answers to the programme's intake fields; commit.

    :raises IntakeValidationError: if any value is wrong; then nothing is stored.
    :return: the person's stored answers to this programme's fields.
    """
    fields = intake_fields(pm, programme_context(pm, tenant, programme))
    clean = validate_intake_values(fields, values, today)
    person.attributes = apply_intake_values(person.attributes or {}, clean)
    await session.flush()
    keys = {f.key for f in fields}
    return {k: v for k, v in person.attributes.items() if k in keys}


@dataclass(frozen=True)
class PolicyResult:
    decisions: list[PolicyDecision]

    @property
    def vetoed(self) -> bool:
        return any(d.action == PolicyAction.VETO for d in self.decisions)

    @property
    def warnings(self) -> list[PolicyDecision]:
        return [d for d in self.decisions if d.action == PolicyAction.WARN]


def check_transition(
    pm: MakkerPluginManager, programme: ProgrammeContext, transition: Transition
) -> PolicyResult:
    """Ask the enabled plugins whether ``transition`` may happen (any veto stops it)."""
    hook = programme_hook(pm, "forloeb_policy", programme)
    results = hook(programme=programme, transition=transition)
    return PolicyResult([d for items in results for d in items])


def check_transitions(
    pm: MakkerPluginManager, programme: ProgrammeContext, transitions: Sequence[Transition]
) -> list[PolicyResult]:
    """:func:`check_transition` of many transitions (a waiting list), one result each, in
    order; the enabled plugins are looked up once."""
    hook = programme_hook(pm, "forloeb_policy", programme)
    return [
        PolicyResult([d for items in hook(programme=programme, transition=t) for d in items])
        for t in transitions
    ]


def notify_transition(
    pm: MakkerPluginManager, programme: ProgrammeContext, transition: Transition
) -> None:
    """Tell the enabled plugins that ``transition`` has happened."""
    programme_hook(pm, "forloeb_event", programme)(programme=programme, transition=transition)
