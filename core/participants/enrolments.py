"""Enrolments: enrolling a person, the status machine, the override of a failing rule, and
what the enrolment page and API show.

The machine (:data:`core.participants.models.TRANSITIONS`): interested -> intake -> eligible |
ineligible -> ready -> matched -> active -> finished, or withdrawn from any open status; an
application on the public page starts at ``applied`` (-> interested | intake).
Leaving ``interested`` or ``applied`` (except to ``withdrawn``, and ``applied -> interested``)
needs a consent; ``eligible`` needs a held før-samtale and every rule passing, or a
coordinator's override of a ``fail``. Commands take a :class:`core.context.Context`, raise
:class:`FieldErrors` before writing, flush (never commit) and note their audit row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.db.base import utcnow
from core.forloeb.commands import end_with_enrolment
from core.gdpr.erased_guard import refuse_erased
from core.participants.consent import active_consent, current_consent_text
from core.participants.errors import FieldErrors
from core.participants.history import add_event
from core.participants.intake import get_intake, plugin_fields
from core.participants.labels import status_label
from core.participants.lookup import (
    audit_enrolment,
    get_enrolment,
    get_person,
    programme_by_slug,
)
from core.participants.models import (
    FINAL_STATUSES,
    TRANSITIONS,
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    EnrolmentStatus,
    Intake,
    Person,
)
from core.participants.schemas import EnrolIn, OverrideIn, TransitionIn
from core.participants.validation import text
from core.plugin_api import IntakeField, Outcome, Role
from core.programmes.service import EligibilityReport, eligibility_for
from core.tenancy.models import Programme
from core.web import text as chars
from core.web.i18n import gettext as _

# -- enrolling ------------------------------------------------------------------------------


async def check_enrol_input(session: AsyncSession, programme_slug: str, role: str) -> Programme:
    errors: dict[str, str] = {}
    programme = await programme_by_slug(session, programme_slug) if programme_slug else None
    if programme is None:
        errors["programme"] = _("The programme does not exist in this organisation.")
    if role not in {r.value for r in EnrolmentRole}:
        errors["role"] = _("Choose mentee or mentor.")
    if errors:
        raise FieldErrors(errors)
    assert programme is not None
    return programme


def new_enrolment(
    session: AsyncSession, person: Person, programme: Programme, role: EnrolmentRole, actor: str
) -> Enrolment:
    """A new enrolment (``interested``) with its first history event."""
    enrolment = Enrolment(
        id=uuid.uuid4(),
        person_id=person.id,
        programme_id=programme.id,
        role=role,
        status=EnrolmentStatus.INTERESTED.value,
    )
    session.add(enrolment)
    session.add(
        EnrolmentEvent(
            enrolment_id=enrolment.id,
            from_status=None,
            to_status=EnrolmentStatus.INTERESTED.value,
            actor=actor,
        )
    )
    return enrolment


async def _open_enrolment_exists(
    session: AsyncSession, person: Person, programme: Programme, role: str
) -> bool:
    open_one = await session.scalar(
        select(Enrolment.id).where(
            Enrolment.person_id == person.id,
            Enrolment.programme_id == programme.id,
            Enrolment.role == EnrolmentRole(role),
            Enrolment.status.not_in([s.value for s in FINAL_STATUSES]),
        )
    )
    return open_one is not None


async def enrol(ctx: Context, person_id: uuid.UUID, data: EnrolIn) -> Enrolment:
    """Enrol the person in a programme of this tenant as ``role`` (status ``interested``).

    A person may hold several enrolments (other programmes, the other role, or again after an
    earlier one ended), but only one open enrolment per programme and role.
    """
    session = ctx.session
    person = await get_person(session, person_id)
    programme = await check_enrol_input(session, data.programme, data.role)
    duplicate = FieldErrors(
        {"programme": _("The person is already enrolled in this programme in this role.")}
    )
    if await _open_enrolment_exists(session, person, programme, data.role):
        raise duplicate
    enrolment = new_enrolment(session, person, programme, EnrolmentRole(data.role), ctx.actor)
    try:
        await session.flush()
    except IntegrityError:
        # Two requests enrolled the same person at once: the partial unique index caught the
        # second one after the check above passed for both.
        await session.rollback()
        raise duplicate from None
    detail = {"enrolment": str(enrolment.id), "programme": data.programme, "role": data.role}
    ctx.audit("enrolment.create", object_type="person", object_id=person.id, detail=detail)
    return enrolment


# -- the status machine ---------------------------------------------------------------------


async def _in_open_forloeb(session: AsyncSession, enrolment: Enrolment) -> bool:
    from core.forloeb.models import OPEN_STATES, Forloeb

    found = await session.scalar(
        select(Forloeb.id)
        .where(
            (Forloeb.mentee_enrolment_id == enrolment.id)
            | (Forloeb.mentor_enrolment_id == enrolment.id),
            Forloeb.state.in_([s.value for s in OPEN_STATES]),
        )
        .limit(1)
    )
    return found is not None


async def history(session: AsyncSession, enrolment_id: uuid.UUID) -> list[EnrolmentEvent]:
    rows = await session.scalars(
        select(EnrolmentEvent)
        .where(EnrolmentEvent.enrolment_id == enrolment_id)
        .order_by(EnrolmentEvent.at, EnrolmentEvent.created_at)
    )
    return list(rows)


async def move(
    ctx: Context, enrolment: Enrolment, to: str, reason: str | None = None
) -> EnrolmentEvent:
    """Move the enrolment to ``to`` if the machine allows it and its conditions hold (no audit
    row: :func:`transition` is the command; other services move enrolments with this)."""
    session = ctx.session
    errors: dict[str, str] = {}
    reason = text(reason, 2000, "reason", errors, multiline=True)
    if errors:
        raise FieldErrors(errors)
    try:
        target = EnrolmentStatus(to)
    except ValueError:
        raise FieldErrors({"to": _("Unknown status.")}) from None
    current = EnrolmentStatus(enrolment.status)
    if target not in TRANSITIONS[current]:
        raise FieldErrors(
            {
                "to": _("The status cannot change from %(from)s to %(to)s.")
                % {"from": status_label(current), "to": status_label(target)}
            }
        )
    if target != EnrolmentStatus.WITHDRAWN and await _in_open_forloeb(session, enrolment):
        raise FieldErrors(
            {"to": _("The enrolment is part of a forløb: change the forløb's state instead.")}
        )
    # Only ``applied -> interested`` (the coordinator has called) and withdrawing need none.
    no_consent = (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.INTERESTED)
    if target not in no_consent and await active_consent(session, enrolment.id) is None:
        raise FieldErrors({"to": _("Record the person's consent first.")})
    if target == EnrolmentStatus.ELIGIBLE:
        if await get_intake(session, enrolment.id) is None:
            raise FieldErrors({"to": _("Record the før-samtale first.")})
        report = await eligibility(ctx, enrolment)
        if report.outcome == Outcome.UNKNOWN and report.failures:
            # Not the person's answers: a rule failed (see failed_rule_verdict).
            raise FieldErrors(
                {
                    "to": _(
                        "The rule %(rule)s failed and could not judge the person; the "
                        "enrolment cannot become eligible until the plugin is fixed."
                    )
                    % {"rule": ", ".join(report.failures)}
                }
            )
        if report.outcome == Outcome.UNKNOWN:
            raise FieldErrors(
                {"to": _("The rules cannot decide yet: answer the questions in the før-samtale.")}
            )
        if report.outcome == Outcome.FAIL and not enrolment.override_reason:
            raise FieldErrors(
                {"to": _("A rule is not met. A coordinator may override it with a reason.")}
            )
    add_event(session, enrolment, target, ctx.actor, reason)
    if target == EnrolmentStatus.WITHDRAWN:
        await end_with_enrolment(session, enrolment, ctx.actor, ctx.today(), reason or "udmeldt")
        if current in (EnrolmentStatus.APPLIED, EnrolmentStatus.INTERESTED):
            # Before the programme's consent: the person withdraws the consent to be contacted
            # that their application gave (the event above records when and by whom).
            from core.applications.commands import forget_application

            await forget_application(session, enrolment.id)
    await session.flush()
    events = await history(session, enrolment.id)
    return events[-1]


async def transition(ctx: Context, enrolment_id: uuid.UUID, data: TransitionIn) -> Enrolment:
    """Change the enrolment's status (see :func:`move` for the conditions)."""
    enrolment = await get_enrolment(ctx.session, enrolment_id)
    await refuse_erased(ctx.session, enrolments=[enrolment.id])
    before = enrolment.status
    await move(ctx, enrolment, data.to, data.reason)
    audit_enrolment(ctx, "enrolment.transition", enrolment, {"to": data.to}, before)
    return enrolment


# -- eligibility and the override -----------------------------------------------------------


async def eligibility(ctx: Context, enrolment: Enrolment) -> EligibilityReport:
    """The rules' verdicts on the enrolment's person, computed now from the stored answers."""
    session = ctx.session
    programme = await session.get_one(Programme, enrolment.programme_id)
    person = await session.get_one(Person, enrolment.person_id)
    role: Role = "mentor" if enrolment.role == EnrolmentRole.MENTOR else "mentee"
    return await eligibility_for(
        session, ctx.plugins, ctx.tenant, programme, person, role, ctx.today()
    )


async def override(ctx: Context, enrolment_id: uuid.UUID, data: OverrideIn) -> Enrolment:
    """Let a person with a ``fail`` verdict through, with a written reason (audited with the
    names of the failing rules)."""
    enrolment = await get_enrolment(ctx.session, enrolment_id)
    await refuse_erased(ctx.session, enrolments=[enrolment.id])
    errors: dict[str, str] = {}
    reason = text(data.reason, 2000, "reason", errors, multiline=True) or ""
    if not errors and len("".join(c for c in reason if chars.is_visible(c))) < 10:
        errors["reason"] = _("Write a reason of at least 10 characters.")
    if errors:
        raise FieldErrors(errors)
    if enrolment.status not in (EnrolmentStatus.INTAKE.value, EnrolmentStatus.INELIGIBLE.value):
        raise FieldErrors({"reason": _("Only an enrolment at the før-samtale can be overridden.")})
    report = await eligibility(ctx, enrolment)
    if report.outcome != Outcome.FAIL:
        raise FieldErrors({"reason": _("Only a rule that is not met can be overridden.")})
    enrolment.override_reason = reason
    enrolment.override_by = ctx.actor
    enrolment.override_at = utcnow()
    await ctx.session.flush()
    rules = [v.rule for v in report.verdicts if v.outcome == Outcome.FAIL]
    audit_enrolment(ctx, "eligibility.override", enrolment, {"rules": rules})
    return enrolment


# -- what the enrolment page and API show ---------------------------------------------------


@dataclass
class EnrolmentView:
    """Everything the enrolment page and API show."""

    enrolment: Enrolment
    programme: Programme
    person: Person
    consent: Consent | None
    consent_text: ConsentText | None
    intake: Intake | None
    report: EligibilityReport
    fields: list[IntakeField]
    events: list[EnrolmentEvent] = field(default_factory=list)

    @property
    def plugin_values(self) -> dict[str, Any]:
        keys = {f.key for f in self.fields}
        return {k: v for k, v in (self.person.attributes or {}).items() if k in keys}


async def enrolment_view(ctx: Context, enrolment: Enrolment) -> EnrolmentView:
    session = ctx.session
    programme = await session.get_one(Programme, enrolment.programme_id)
    person = await session.get_one(Person, enrolment.person_id)
    consent = await session.scalar(
        select(Consent)
        .where(Consent.enrolment_id == enrolment.id)
        .order_by(Consent.given_at.desc())
        .limit(1)
    )
    text_row = (
        await session.get(ConsentText, consent.consent_text_id)
        if consent
        else await current_consent_text(session, ctx.tenant, programme)
    )
    view = EnrolmentView(
        enrolment=enrolment,
        programme=programme,
        person=person,
        consent=consent,
        consent_text=text_row,
        intake=await get_intake(session, enrolment.id),
        report=await eligibility(ctx, enrolment),
        fields=await plugin_fields(ctx.plugins, ctx.tenant, session, enrolment),
        events=await history(session, enrolment.id),
    )
    await session.flush()  # keeps a default consent text made on first use
    return view


async def read_enrolment(
    ctx: Context, enrolment_id: uuid.UUID, view: str | None = None
) -> EnrolmentView:
    """The enrolment as shown (audited: ``enrolment.read``; ``view`` names another page)."""
    enrolment = await get_enrolment(ctx.session, enrolment_id)
    audit_enrolment(ctx, "enrolment.read", enrolment, {"view": view} if view else None)
    return await enrolment_view(ctx, enrolment)
