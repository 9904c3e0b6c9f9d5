"""Evaluating programme rules for people: eligibility, intake answers and forløb transitions.

Every function here runs inside the current tenant's scope (the request's, or
``with tenant_scope(...)``); people and programmes are looked up only through
:func:`access_person_by_id` and :func:`access_programme_by_slug`, which answer "missing" and
"another tenant's" alike.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.courses.records import course_records
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus, Intake, Person
from core.plugin_api import (
    CourseRecord,
    IntakeField,
    MakkerPluginManager,
    Outcome,
    PersonContext,
    PluginError,
    PolicyAction,
    PolicyDecision,
    ProgrammeContext,
    Role,
    RoleHeld,
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
from core.web.i18n import gettext as _


async def access_person_by_id(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    """The current tenant's person with ``person_id``, or ``None`` (also for another tenant's)."""
    return await session.scalar(select(Person).where(Person.id == person_id))


async def access_programme_by_slug(session: AsyncSession, slug: str) -> Programme | None:
    """The current tenant's active programme ``slug``, or ``None``."""
    return await session.scalar(
        select(Programme).where(Programme.slug == slug, Programme.archived_at.is_(None))
    )


def person_context(
    person: Person,
    fields: list[IntakeField],
    courses: tuple[CourseRecord, ...] = (),
    *,
    areas: Iterable[str] = (),
    roles_held_before: tuple[RoleHeld, ...] = (),
) -> PersonContext:
    """What rules see of ``person``: the id, the typed answers to ``fields``, their attendance
    on mentor courses, their non-sensitive basics (birth year, gender, postal code), the areas
    of the før-samtale being judged and the roles they held before - never a name or contact
    details."""
    gender = (person.gender or "").strip().lower() or None
    return PersonContext(
        id=person.id,
        attributes=decode_attributes(fields, person.attributes or {}),
        courses=courses,
        birth_year=person.birth_year,
        gender=gender,
        postal_code=person.postal_code or None,
        areas=frozenset(areas),
        roles_held_before=roles_held_before,
    )


async def roles_held_before(
    session: AsyncSession, person_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[RoleHeld, ...]]:
    """The finished enrolments of the current tenant's people ``person_ids``, as
    :class:`RoleHeld` per person (one statement)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Enrolment.person_id, Programme.slug, Enrolment.role)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(Enrolment.person_id.in_(ids), Enrolment.status == EnrolmentStatus.FINISHED.value)
        .order_by(Enrolment.created_at, Enrolment.id)
    )
    held: dict[uuid.UUID, list[RoleHeld]] = {}
    for person_id, programme, role in rows.all():
        record = RoleHeld(programme=programme, role=EnrolmentRole(role).value)
        if record not in held.setdefault(person_id, []):
            held[person_id].append(record)
    return {k: tuple(v) for k, v in held.items()}


async def enrolment_areas(
    session: AsyncSession, person: Person, programme: Programme, role: Role
) -> frozenset[str]:
    """The areas of lived experience at the før-samtale of ``person``'s latest enrolment in
    ``programme`` as ``role`` (empty without one)."""
    areas = await session.scalar(
        select(Intake.lived_experience)
        .join(Enrolment, Enrolment.id == Intake.enrolment_id)
        .where(
            Enrolment.person_id == person.id,
            Enrolment.programme_id == programme.id,
            Enrolment.role == EnrolmentRole(role),
        )
        .order_by(Enrolment.created_at.desc(), Enrolment.id.desc())
        .limit(1)
    )
    return frozenset(areas or ())


@dataclass(frozen=True)
class EligibilityReport:
    """Each enabled rule's verdict, and the combined outcome (all must pass)."""

    programme: ProgrammeContext
    role: Role
    verdicts: list[Verdict]
    #: Plugins that raised or answered wrongly, with the error (their verdict is ``unknown``).
    failures: dict[str, PluginError] = field(default_factory=dict)

    @property
    def outcome(self) -> Outcome:
        return combine_outcomes(self.verdicts)


def failed_rule_verdict(plugin: str) -> Verdict:
    """The verdict of a rule that failed: ``unknown``, naming the rule, in the user's
    language (the person is not eligible until it is fixed)."""
    return Verdict.unknown(
        plugin,
        _(
            "The rule %(rule)s failed and could not judge the person. It counts as unknown until "
            "the plugin is fixed; Makker's operators can see the error in the log."
        )
        % {"rule": plugin},
    )


def evaluate_eligibility(
    pm: MakkerPluginManager,
    programme: ProgrammeContext,
    person: PersonContext,
    role: Role,
    today: dt.date,
) -> EligibilityReport:
    """Ask every plugin the programme enables for its verdict on ``person`` as ``role``.

    A plugin that raises or answers wrongly is isolated: its verdict is ``unknown`` saying
    that the rule failed (:func:`failed_rule_verdict`), and the other rules are asked as usual.
    """
    hook = programme_hook(pm, "eligibility_verdicts", programme)
    verdicts: list[Verdict] = []
    failures: dict[str, PluginError] = {}
    for plugin, result in pm.call_isolated(
        hook, programme=programme, person=person, role=role, today=today
    ):
        if isinstance(result, PluginError):
            failures[plugin] = result
            verdicts.append(failed_rule_verdict(plugin))
        else:
            verdicts += result
    return EligibilityReport(programme, role, verdicts, failures)


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
    held = await roles_held_before(session, [person.id])
    areas = await enrolment_areas(session, person, programme, role)
    about = person_context(
        person, fields, courses, areas=areas, roles_held_before=held.get(person.id, ())
    )
    return evaluate_eligibility(pm, context, about, role, today)


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
    #: Plugins that raised or answered wrongly, with the error (see :func:`check_transition`).
    failures: dict[str, PluginError] = field(default_factory=dict)

    @property
    def vetoed(self) -> bool:
        return any(d.action == PolicyAction.VETO for d in self.decisions)

    @property
    def warnings(self) -> list[PolicyDecision]:
        return [d for d in self.decisions if d.action == PolicyAction.WARN]


def failed_policy_decision(plugin: str, transition: Transition) -> PolicyDecision:
    """The decision of a policy that failed, in the user's language: on an enrolment (being
    matched) a veto - like an ``unknown`` verdict, nobody is matched on a rule that could not
    be checked; on a forløb a warning - a pause or an end must stay possible."""
    if transition.kind == "enrolment":
        return PolicyDecision(
            rule=plugin,
            action=PolicyAction.VETO,
            message=_(
                "The rule %(rule)s failed and could not check the match; the person cannot be "
                "matched until the plugin is fixed."
            )
            % {"rule": plugin},
        )
    return PolicyDecision(
        rule=plugin,
        action=PolicyAction.WARN,
        message=_("The rule %(rule)s failed and could not check this change; it did not stop it.")
        % {"rule": plugin},
    )


def _policy_result(
    pm: MakkerPluginManager,
    hook: Any,
    programme: ProgrammeContext,
    transition: Transition,
    logged: set[tuple[str, str]] | None = None,
) -> PolicyResult:
    decisions: list[PolicyDecision] = []
    failures: dict[str, PluginError] = {}
    for plugin, result in pm.call_isolated(
        hook, logged=logged, programme=programme, transition=transition
    ):
        if isinstance(result, PluginError):
            failures[plugin] = result
            decisions.append(failed_policy_decision(plugin, transition))
        else:
            decisions += result
    return PolicyResult(decisions, failures)


def check_transition(
    pm: MakkerPluginManager, programme: ProgrammeContext, transition: Transition
) -> PolicyResult:
    """Ask the enabled plugins whether ``transition`` may happen (any veto stops it).

    A plugin that raises or answers wrongly is isolated (:func:`failed_policy_decision`); the
    other plugins are asked as usual."""
    hook = programme_hook(pm, "forloeb_policy", programme)
    return _policy_result(pm, hook, programme, transition)


def check_transitions(
    pm: MakkerPluginManager, programme: ProgrammeContext, transitions: Sequence[Transition]
) -> list[PolicyResult]:
    """:func:`check_transition` of many transitions (a waiting list, both parties of a
    forløb), one result each, in order; the enabled plugins are looked up once, and a plugin
    that fails for every transition is logged once for the batch, not once per person."""
    hook = programme_hook(pm, "forloeb_policy", programme)
    logged: set[tuple[str, str]] = set()
    return [_policy_result(pm, hook, programme, t, logged) for t in transitions]


def notify_transition(
    pm: MakkerPluginManager,
    programme: ProgrammeContext,
    transition: Transition,
    logged: set[tuple[str, str]] | None = None,
) -> dict[str, PluginError]:
    """Tell the enabled plugins that ``transition`` has happened. A plugin that fails is
    logged (once per ``logged`` batch) and skipped (the transition has happened); returns the
    failures."""
    hook = programme_hook(pm, "forloeb_event", programme)
    return {
        plugin: result
        for plugin, result in pm.call_isolated(
            hook, logged=logged, programme=programme, transition=transition
        )
        if isinstance(result, PluginError)
    }
