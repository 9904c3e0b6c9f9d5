"""Forløb lifecycle commands: accept a proposal, change state (decline, pause, resume,
complete, end early), set the plan; and the end of a forløb when an enrolment ends.

Each command takes a :class:`core.context.Context` and a typed input, fetches the forløb
through :func:`core.forloeb.access.access_forloeb`, raises :class:`core.errors.Invalid` (a
Danish message per field) before writing anything, flushes (never commits) and notes its audit
row (ids only). Enrolments follow the forløb: ``declined`` returns both to the pool, ``active``
makes both active, ``completed``/``ended_early`` finish the citizen's enrolment (the mentor
stays in the pool). Plugins may veto a change (``Invalid`` on ``to``) or warn (returned).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.courses.records import course_records_of
from core.errors import Invalid
from core.forloeb.access import COORDINATOR, access_forloeb, access_forloeb_as_coordinator
from core.forloeb.labels import state_label
from core.forloeb.lifecycle import ALLOWED, NEEDS_REASON, ForloebState
from core.forloeb.models import OPEN_STATES, Forloeb, ForloebEvent, ForloebPause
from core.forloeb.queries import pauses
from core.forloeb.rows import ForloebRow, get_forloeb, list_forloeb
from core.forloeb.schemas import AcceptIn, PlanIn, TransitionIn
from core.participants.history import move_status
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus, Person
from core.participants.validation import pause_end_fault, text
from core.plugin_api import (
    EnrolmentContext,
    ForloebContext,
    MakkerPluginManager,
    PolicyDecision,
    ProgrammeContext,
    Role,
    Transition,
    localize,
)
from core.programmes.intake import intake_fields
from core.programmes.registry import programme_context
from core.programmes.service import (
    check_transitions,
    enrolment_areas,
    notify_transition,
    person_context,
    roles_held_before,
)
from core.web import text as chars
from core.web.filters import months_text
from core.web.i18n import gettext as _

S = ForloebState
NOTE_MAX = 2000


def OTHER_PARTY_ENDED() -> str:  # noqa: N802 - a message, translated when used
    return _("The forløb ended because the other party stopped.")


@dataclass
class Changed:
    row: ForloebRow
    #: The caller's part: ``coordinator``, ``mentor`` or ``mentee``.
    viewer: str
    #: The plugins' warnings (Danish); the change was made.
    warnings: list[str]


async def lock(session: AsyncSession, model: Any, ids: Iterable[uuid.UUID]) -> None:
    """``SELECT ... FOR UPDATE`` of the rows (PostgreSQL; SQLite serialises writers anyway),
    reloading them so the caller sees what a concurrent transaction committed."""
    await session.execute(
        select(model)
        .where(model.id.in_(list(ids)))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _policy(
    pm: MakkerPluginManager, context: ProgrammeContext, transitions: Iterable[Transition]
) -> tuple[list[PolicyDecision], list[PolicyDecision]]:
    """(vetoes, warnings) of the enabled plugins on ``transitions``."""
    vetoes: list[PolicyDecision] = []
    warnings: list[PolicyDecision] = []
    for result in check_transitions(pm, context, list(transitions)):
        vetoes += [d for d in result.decisions if d.action == "veto" and d not in vetoes]
        warnings += [d for d in result.warnings if d not in warnings]
    return vetoes, warnings


def enrolment_context(enrolment: Enrolment, programme: str) -> EnrolmentContext:
    """What plugins see of an enrolment."""
    role: Role = "mentor" if enrolment.role == EnrolmentRole.MENTOR else "mentee"
    return EnrolmentContext(
        id=enrolment.id, programme=programme, role=role, status=enrolment.status
    )


async def _party_transitions(
    ctx: Context,
    context: ProgrammeContext,
    row: ForloebRow,
    to: ForloebState,
    *,
    reason: str | None = None,
    resume_on: dt.date | None = None,
) -> list[Transition]:
    """The transition of each party (mentee first) with the forløb, both enrolments, the
    pause that begins or ends and the reason."""
    fields = intake_fields(ctx.plugins, context)
    session, forloeb, today = ctx.session, row.forloeb, ctx.today()
    courses = await course_records_of(session, [row.mentee.id, row.mentor.id])
    held = await roles_held_before(session, [row.mentee.id, row.mentor.id])
    areas = {
        row.mentee.id: await enrolment_areas(session, row.mentee, row.programme, "mentee"),
        row.mentor.id: await enrolment_areas(session, row.mentor, row.programme, "mentor"),
    }
    open_pause = next((p for p in await pauses(session, forloeb.id) if p.ends_on is None), None)
    pause_start: dt.date | None
    planned_resume: dt.date | None
    if to == S.PAUSED:
        pause_start, planned_resume = today, resume_on
    elif open_pause is not None:
        pause_start, planned_resume = open_pause.starts_on, open_pause.planned_resume
    else:
        pause_start = planned_resume = None
    about = ForloebContext(
        id=forloeb.id,
        state=forloeb.state,
        started_on=forloeb.started_on,
        frequency=forloeb.frequency,
        planned_months=forloeb.planned_months,
    )
    slug = row.programme.slug
    mentee_e = enrolment_context(row.mentee_enrolment, slug)
    mentor_e = enrolment_context(row.mentor_enrolment, slug)
    parties: list[tuple[Role, Person]] = [("mentee", row.mentee), ("mentor", row.mentor)]
    return [
        Transition(
            person=person_context(
                person,
                fields,
                courses.get(person.id, ()),
                areas=areas[person.id],
                roles_held_before=held.get(person.id, ()),
            ),
            role=role,
            from_status=forloeb.state,
            to_status=to.value,
            on=today,
            kind="forloeb",
            forloeb=about,
            mentee_enrolment=mentee_e,
            mentor_enrolment=mentor_e,
            pause_start=pause_start,
            planned_resume=planned_resume,
            reason=reason,
        )
        for role, person in parties
    ]


async def _other_open(session: AsyncSession, row: ForloebRow) -> int:
    """Open forløb of the mentor's enrolment other than this one."""
    count = await session.scalar(
        select(func.count())
        .select_from(Forloeb)
        .where(
            Forloeb.mentor_enrolment_id == row.mentor_enrolment.id,
            Forloeb.state.in_([s.value for s in OPEN_STATES]),
            Forloeb.id != row.forloeb.id,
        )
    )
    return int(count or 0)


def _reason(reason: str | None, errors: dict[str, str]) -> str | None:
    """The reason stripped (``None`` if it shows nothing); several lines allowed, control and
    direction-changing characters not (:func:`core.participants.validation.text`)."""
    clean = text(reason, NOTE_MAX, "reason", errors, multiline=True)
    return None if clean is None or chars.is_blank(clean) else clean


async def change_state(ctx: Context, forloeb_id: uuid.UUID, data: TransitionIn) -> Changed:
    """Move the forløb to ``data.to`` (coordinators); audited ``forloeb.transition``.

    :raises NotFound: no such forløb. :raises Invalid: the change is not allowed now, lacks
        its reason, or a plugin vetoes it; nothing is stored."""
    row = await access_forloeb_as_coordinator(ctx, forloeb_id)
    warnings = await _move(ctx, row, data)
    ctx.audit(
        "forloeb.transition", object_type="forloeb", object_id=forloeb_id, detail={"to": data.to}
    )
    return Changed(await get_forloeb(ctx.session, forloeb_id), COORDINATOR, warnings)


async def _move(ctx: Context, row: ForloebRow, data: TransitionIn) -> list[str]:
    session, actor, today = ctx.session, ctx.actor, ctx.today()
    errors: dict[str, str] = {}
    reason = _reason(data.reason, errors)
    try:
        target = ForloebState(data.to)
    except ValueError:
        raise Invalid({"to": _("Unknown state.")}) from None
    await lock(session, Forloeb, [row.forloeb.id])
    forloeb = row.forloeb
    current = ForloebState(forloeb.state)
    if target not in ALLOWED[current]:
        raise Invalid(
            {
                "to": _("The forløb cannot change from %(from)s to %(to)s.")
                % {"from": state_label(current), "to": state_label(target)}
            }
        )
    if (current, target) in NEEDS_REASON and reason is None and "reason" not in errors:
        errors["reason"] = _("Write a reason.")
    if (
        current == S.PROPOSED
        and target == S.ACTIVE
        and not (forloeb.mentee_accepted_at and forloeb.mentor_accepted_at)
    ):
        errors["to"] = _("Both the citizen and the mentor must accept the proposal first.")
    if target == S.PAUSED and data.resume_on is not None:
        if data.resume_on <= today:
            errors["resume_on"] = _("The planned resume date must be after today.")
        elif fault := pause_end_fault(data.resume_on, today):
            errors["resume_on"] = fault
    if errors:
        raise Invalid(errors)
    context = programme_context(ctx.plugins, ctx.tenant, row.programme)
    transitions = await _party_transitions(
        ctx, context, row, target, reason=reason, resume_on=data.resume_on
    )
    vetoes, warnings = _policy(ctx.plugins, context, transitions)
    if vetoes:
        raise Invalid({"to": " ".join(localize(v.message) for v in vetoes)})
    session.add(
        ForloebEvent(
            forloeb_id=forloeb.id,
            from_state=current.value,
            to_state=target.value,
            actor=actor,
            reason=reason,
        )
    )
    forloeb.state = target.value
    open_pause = next((p for p in await pauses(session, forloeb.id) if p.ends_on is None), None)
    if open_pause is not None and target != S.PAUSED:
        open_pause.ends_on = today
    mentee_e, mentor_e = row.mentee_enrolment, row.mentor_enrolment
    if target == S.ACTIVE and current == S.PROPOSED:
        forloeb.started_on = today
        for enrolment in (mentee_e, mentor_e):
            if enrolment.status == EnrolmentStatus.MATCHED.value:
                move_status(session, enrolment, EnrolmentStatus.ACTIVE, actor, None)
    elif target == S.PAUSED:
        session.add(
            ForloebPause(forloeb_id=forloeb.id, starts_on=today, planned_resume=data.resume_on)
        )
    elif target == S.DECLINED:
        forloeb.ended_on = today
        if mentee_e.status == EnrolmentStatus.MATCHED.value:
            move_status(session, mentee_e, EnrolmentStatus.READY, actor, reason)
        if (
            mentor_e.status == EnrolmentStatus.MATCHED.value
            and await _other_open(session, row) == 0
        ):
            move_status(session, mentor_e, EnrolmentStatus.READY, actor, reason)
    elif target in (S.COMPLETED, S.ENDED_EARLY):
        forloeb.ended_on = today
        if mentee_e.status == EnrolmentStatus.ACTIVE.value:
            move_status(session, mentee_e, EnrolmentStatus.FINISHED, actor, reason)
    await session.flush()
    logged: set[tuple[str, str]] = set()  # a failing plugin is logged once, not per party
    for transition in transitions:
        notify_transition(ctx.plugins, context, transition, logged)
    return [localize(w.message) for w in warnings]


async def accept(ctx: Context, forloeb_id: uuid.UUID, data: AcceptIn) -> Changed:
    """Record that a party accepts the proposal: a coordinator names ``data.party``, a mentor
    or citizen accepts for themselves. When both have, the forløb becomes active. Audited
    ``forloeb.accept``.

    :raises NotFound: no such forløb for the caller. :raises Invalid: nothing to accept."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    party = (data.party or "") if viewer == COORDINATOR else viewer
    await lock(ctx.session, Forloeb, [row.forloeb.id])
    forloeb = row.forloeb
    if party not in ("mentor", "mentee"):
        raise Invalid({"party": _("Choose the citizen or the mentor.")})
    if forloeb.state != S.PROPOSED.value:
        raise Invalid({"party": _("Only a proposal can be accepted.")})
    if getattr(forloeb, f"{party}_accepted_at") is not None:
        raise Invalid({"party": _("This party has already accepted.")})
    setattr(forloeb, f"{party}_accepted_at", ctx.now())
    setattr(forloeb, f"{party}_accepted_by", ctx.actor)
    warnings: list[str] = []
    if forloeb.mentee_accepted_at and forloeb.mentor_accepted_at:
        warnings = await _move(ctx, row, TransitionIn(to=S.ACTIVE.value))
    else:
        await ctx.session.flush()
    ctx.audit(
        "forloeb.accept", object_type="forloeb", object_id=forloeb_id, detail={"party": party}
    )
    return Changed(await get_forloeb(ctx.session, forloeb_id), viewer, warnings)


async def set_plan(ctx: Context, forloeb_id: uuid.UUID, data: PlanIn) -> Changed:
    """Set the meeting frequency and planned length within the programme's policy
    (coordinators); audited ``forloeb.plan``. :raises Invalid: outside the policy."""
    row = await access_forloeb_as_coordinator(ctx, forloeb_id)
    policy = row.programme.policy or {}
    frequencies = list(policy.get("meeting_frequencies") or ())
    months = policy.get("duration_months") or {"min": 1, "max": 24}
    errors: dict[str, str] = {}
    if row.forloeb.state not in {s.value for s in OPEN_STATES}:
        errors["plan"] = _("The forløb has ended.")
    if data.frequency not in frequencies:
        errors["frequency"] = _("Choose one of the programme's meeting frequencies.")
    if not months["min"] <= data.planned_months <= months["max"]:
        errors["planned_months"] = _("The planned length must be %(months)s.") % {
            "months": months_text(months["min"], months["max"])
        }
    if errors:
        raise Invalid(errors)
    row.forloeb.frequency, row.forloeb.planned_months = data.frequency, data.planned_months
    await ctx.session.flush()
    ctx.audit("forloeb.plan", object_type="forloeb", object_id=forloeb_id)
    return Changed(await get_forloeb(ctx.session, forloeb_id), COORDINATOR, [])


async def end_with_enrolment(
    session: AsyncSession, enrolment: Enrolment, actor: str, today: dt.date, reason: str
) -> int:
    """The enrolment has ended (withdrawn): its open forløb end with it, without asking plugins
    (a withdrawn consent cannot be vetoed). A proposal is declined, an active or paused forløb
    ends early; the other party returns to the pool (a mentee needs a new mentor; a mentor only
    when no other forløb binds them). No commit; returns how many forløb ended.

    (Called by the participants domain with its own arguments; the enrolment's command audits.)"""
    rows = [
        r
        for r in await list_forloeb(session, [s.value for s in OPEN_STATES])
        if enrolment.id in (r.mentee_enrolment.id, r.mentor_enrolment.id)
    ]
    for row in rows:
        f = row.forloeb
        target = S.DECLINED if f.state == S.PROPOSED.value else S.ENDED_EARLY
        session.add(
            ForloebEvent(
                forloeb_id=f.id,
                from_state=f.state,
                to_state=target.value,
                actor=actor,
                reason=reason,
            )
        )
        f.state, f.ended_on = target.value, today
        for pause in await pauses(session, f.id):
            if pause.ends_on is None:
                pause.ends_on = today
        other = (
            row.mentor_enrolment
            if row.mentee_enrolment.id == enrolment.id
            else row.mentee_enrolment
        )
        back = other.status in (EnrolmentStatus.MATCHED.value, EnrolmentStatus.ACTIVE.value)
        if other.role == EnrolmentRole.MENTOR:
            back = (
                other.status == EnrolmentStatus.MATCHED.value
                and await _other_open(session, row) == 0
            )
        if back:
            # The other person's history gets a neutral reason, never this person's.
            move_status(session, other, EnrolmentStatus.READY, actor, OTHER_PARTY_ENDED())
    return len(rows)
