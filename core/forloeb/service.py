"""Matching and forløb on the database: waiting lists, proposals, acceptance, states, meetings.

Every function works inside the current tenant's scope (the session's tenant), so another
tenant's ids simply are not found. Bad input raises :class:`FieldErrors` with Danish messages
before anything is written; the caller rolls back.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, load_only

from core import clock
from core.courses.records import course_records_of
from core.forloeb.attention import Attention, ForloebFacts, attention
from core.forloeb.lifecycle import (
    ALLOWED,
    NEEDS_REASON,
    ForloebState,
    Pause,
    planned_end,
)
from core.forloeb.models import (
    ACTIVITIES,
    OPEN_STATES,
    Forloeb,
    ForloebEvent,
    ForloebPause,
    Meeting,
)
from core.matching.assignment import global_assignment, suggestions
from core.matching.types import MatchProfile, PairScore, Proposal, Suggestion
from core.participants.errors import NUL_MESSAGE, FieldErrors, NotFound
from core.participants.history import move_status
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus, Intake, Person
from core.plugin_api import (
    MakkerPluginManager,
    MatchingStrategy,
    PluginError,
    PolicyDecision,
    ProgrammeContext,
    Role,
    Transition,
)
from core.programmes.intake import intake_fields
from core.programmes.registry import matching_strategies, programme_context
from core.programmes.service import (
    check_transition,
    check_transitions,
    notify_transition,
    person_context,
)
from core.tenancy.models import Programme, Tenant
from core.web.i18n import gettext as _

S = ForloebState
#: Mentor enrolments that can take (more) mentees while they have free capacity: a mentor in
#: a forløb is ``matched`` or ``active`` and stays in the pool up to their capacity.
MENTOR_POOL = (EnrolmentStatus.READY, EnrolmentStatus.MATCHED, EnrolmentStatus.ACTIVE)
NOTE_MAX = 2000
#: An "afbud" may be recorded for a planned meeting this many days ahead.
CANCEL_AHEAD_DAYS = 60
_SPLIT = re.compile(r"[,;\n]+")


def OTHER_PARTY_ENDED() -> str:  # noqa: N802 - a message, translated when used
    return _("The forløb ended because the other party stopped.")


# -- candidates ----------------------------------------------------------------------------


def challenge_terms(text: str | None) -> frozenset[str]:
    """The før-samtale's challenges as terms: comma, semicolon or line separated, lower case."""
    return frozenset(
        t.strip().lower() for t in _SPLIT.split(text or "") if 0 < len(t.strip()) <= 60
    )


def _lower(value: str | None) -> str | None:
    return value.strip().lower() or None if value else None


def profile_of(
    enrolment: Enrolment, person: Person, intake: Intake | None, free: int
) -> MatchProfile:
    """What matching sees of a candidate: no name, no contact data."""
    return MatchProfile(
        key=str(enrolment.id),
        areas=frozenset(intake.lived_experience or ()) if intake else frozenset(),
        challenges=challenge_terms(intake.challenges if intake else None),
        interests=frozenset(i.strip().lower() for i in person.interests or () if i.strip()),
        gender=_lower(person.gender),
        birth_year=person.birth_year,
        postal_code=person.postal_code,
        availability=frozenset(person.availability or ()),
        wish_gender=_lower(intake.wish_gender) if intake else None,
        wish_gender_required=bool(intake and intake.wish_gender and intake.wish_gender_required),
        wish_age_min=intake.wish_age_min if intake else None,
        wish_age_max=intake.wish_age_max if intake else None,
        wish_age_required=bool(intake and intake.wish_age_required),
        capacity=free,
    )


#: What the waiting list reads of a person and a før-samtale: what matching and the rules
#: need, and the name - no contact details (less personal data, and a third of the work for a
#: list of a thousand). The rest loads if the same session reads the rows in full later.
_PERSON_COLUMNS = load_only(
    Person.name,
    Person.gender,
    Person.birth_year,
    Person.postal_code,
    Person.interests,
    Person.availability,
    Person.attributes,
)
_INTAKE_COLUMNS = load_only(
    Intake.enrolment_id,
    Intake.lived_experience,
    Intake.challenges,
    Intake.wish_gender,
    Intake.wish_gender_required,
    Intake.wish_age_min,
    Intake.wish_age_max,
    Intake.wish_age_required,
    Intake.capacity,
    Intake.paused_until,
)


@dataclass
class Candidate:
    enrolment: Enrolment
    #: Only the columns in ``_PERSON_COLUMNS`` / ``_INTAKE_COLUMNS`` are loaded.
    person: Person
    intake: Intake | None
    #: Free places (a mentor's capacity minus open forløb; 1 for a mentee).
    free: int
    profile: MatchProfile
    #: Why the candidate cannot be matched now (Danish), empty if they can.
    excluded: list[str] = field(default_factory=list)


@dataclass
class WaitingList:
    programme: Programme
    context: ProgrammeContext
    strategy: MatchingStrategy
    config: Any
    mentees: list[Candidate]
    mentors: list[Candidate]

    @property
    def open_mentees(self) -> list[Candidate]:
        return [c for c in self.mentees if not c.excluded]

    @property
    def open_mentors(self) -> list[Candidate]:
        return [c for c in self.mentors if not c.excluded and c.free > 0]

    def by_key(self) -> dict[str, Candidate]:
        return {c.profile.key: c for c in self.mentees + self.mentors}


def strategy_for(
    pm: MakkerPluginManager, context: ProgrammeContext
) -> tuple[MatchingStrategy, Any]:
    """The programme's matching strategy and its settings: the one an enabled plugin registers
    (other than the default), else the default the plugins answer through the
    ``default_matching_strategy`` hook (built in: ``shared_experience``)."""
    strategies = [s for s in matching_strategies(pm).values() if s.scorer is not None]
    default = pm.hook.default_matching_strategy(programme=context)
    enabled = [s for s in strategies if s.plugin in context.configs]
    chosen = [s for s in enabled if s.name != default] or [
        s for s in strategies if s.name == default
    ]
    if not chosen:
        raise PluginError(
            f"no matching strategy for {context.tenant.slug}/{context.slug}"
            + (f" (the default {default!r} is not registered)" if default else "")
        )
    if len(chosen) > 1:
        names = ", ".join(sorted(s.name for s in chosen))
        raise PluginError(
            f"{context.tenant.slug}/{context.slug} enables several matching strategies: {names}"
        )
    strategy = chosen[0]
    return strategy, context.configs.get(strategy.plugin)


async def _lock(session: AsyncSession, model: Any, ids: Iterable[uuid.UUID]) -> None:
    """``SELECT ... FOR UPDATE`` of the rows (PostgreSQL; SQLite serialises writers anyway),
    reloading them so the caller sees what a concurrent transaction committed."""
    await session.execute(
        select(model)
        .where(model.id.in_(list(ids)))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _open_forloeb_counts(
    session: AsyncSession, programme_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(Forloeb.mentor_enrolment_id, func.count())
        .where(
            Forloeb.programme_id == programme_id, Forloeb.state.in_([s.value for s in OPEN_STATES])
        )
        .group_by(Forloeb.mentor_enrolment_id)
    )
    return {enrolment_id: count for enrolment_id, count in rows.all()}


def _policy(
    pm: MakkerPluginManager,
    context: ProgrammeContext,
    transitions: Iterable[Transition],
) -> tuple[list[PolicyDecision], list[PolicyDecision]]:
    """(vetoes, warnings) of the enabled plugins on ``transitions``."""
    vetoes: list[PolicyDecision] = []
    warnings: list[PolicyDecision] = []
    for transition in transitions:
        result = check_transition(pm, context, transition)
        vetoes += [d for d in result.decisions if d.action == "veto" and d not in vetoes]
        warnings += [d for d in result.warnings if d not in warnings]
    return vetoes, warnings


async def waiting_list(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    programme: Programme,
    today: dt.date,
    *,
    mentees: Collection[uuid.UUID] | None = None,
    mentors: Collection[uuid.UUID] | None = None,
) -> WaitingList:
    """The programme's candidates: ``ready`` mentees, mentors with free capacity.

    A candidate is *excluded* (shown with the reason, never matched) while paused
    (``paused_until`` after today) or when an enabled plugin vetoes the match (e.g. a mentor
    without a completed mentor course).

    ``mentees``/``mentors`` (enrolment ids) read only those candidates of that side (the
    suggestions for one citizen, the pairs of a proposal); the others are left out, not
    excluded. Reads a fixed number of statements, however long the list.
    """
    context = programme_context(pm, tenant, programme)
    strategy, config = strategy_for(pm, context)
    fields = intake_fields(pm, context)
    mentee_side = (Enrolment.role == EnrolmentRole.MENTEE) & (
        Enrolment.status == EnrolmentStatus.READY.value
    )
    mentor_side = (Enrolment.role == EnrolmentRole.MENTOR) & Enrolment.status.in_(
        [s.value for s in MENTOR_POOL]
    )
    if mentees is not None:
        mentee_side &= Enrolment.id.in_(list(mentees))
    if mentors is not None:
        mentor_side &= Enrolment.id.in_(list(mentors))
    rows = (
        await session.execute(
            select(Enrolment, Person, Intake)
            .join(Person, Person.id == Enrolment.person_id)
            .outerjoin(Intake, Intake.enrolment_id == Enrolment.id)
            .where(Enrolment.programme_id == programme.id, or_(mentee_side, mentor_side))
            .options(_PERSON_COLUMNS, _INTAKE_COLUMNS)
            .order_by(Enrolment.created_at, Enrolment.id)
        )
    ).all()
    busy = await _open_forloeb_counts(session, programme.id)
    courses = await course_records_of(session, [person.id for _e, person, _i in rows])
    found: list[tuple[Candidate, Transition]] = []
    for enrolment, person, intake in rows:
        is_mentor = enrolment.role == EnrolmentRole.MENTOR
        free = (intake.capacity if intake else 1) - busy.get(enrolment.id, 0) if is_mentor else 1
        free = max(free, 0)
        candidate = Candidate(
            enrolment, person, intake, free, profile_of(enrolment, person, intake, free)
        )
        if intake and intake.paused_until and intake.paused_until > today:
            candidate.excluded.append(
                _("Paused until %(date)s.") % {"date": intake.paused_until.strftime("%d.%m.%Y")}
            )
        if is_mentor and free == 0:
            candidate.excluded.append(
                _("No free places (takes %(n)d at once).") % {"n": intake.capacity if intake else 1}
            )
        transition = Transition(
            person=person_context(person, fields, courses.get(person.id, ())),
            role=enrolment.role.value,
            from_status=enrolment.status,
            to_status=EnrolmentStatus.MATCHED.value,
            on=today,
        )
        found.append((candidate, transition))
    results = check_transitions(pm, context, [t for _c, t in found])
    waiting = WaitingList(programme, context, strategy, config, [], [])
    for (candidate, _t), result in zip(found, results, strict=True):
        vetoes: list[PolicyDecision] = []
        vetoes += [d for d in result.decisions if d.action == "veto" and d not in vetoes]
        candidate.excluded += [v.message for v in vetoes]
        is_mentor = candidate.enrolment.role == EnrolmentRole.MENTOR
        (waiting.mentors if is_mentor else waiting.mentees).append(candidate)
    return waiting


def suggest(
    waiting: WaitingList, mentee: Candidate, today: dt.date, top: int = 5
) -> list[Suggestion]:
    """The best ``top`` mentors for one mentee, with scores and explanations."""
    mentors = [c.profile for c in waiting.open_mentors]
    return suggestions(waiting.strategy.scorer, mentee.profile, mentors, waiting.config, today, top)


@dataclass
class MenteeSuggestions:
    #: The waiting list read for this citizen: the citizen alone, and every mentor.
    waiting: WaitingList
    mentee: Candidate
    suggestions: list[Suggestion]


async def suggestions_for(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    programme: Programme,
    mentee: uuid.UUID,
    today: dt.date,
    top: int = 5,
) -> MenteeSuggestions:
    """:func:`suggest` for the mentee enrolment ``mentee``, reading and scoring only that
    citizen (not the whole waiting list).

    :raises NotFound: if ``mentee`` is not a citizen on the programme's waiting list.
    """
    waiting = await waiting_list(session, pm, tenant, programme, today, mentees=[mentee])
    candidate = next((c for c in waiting.mentees if c.enrolment.id == mentee), None)
    if candidate is None:
        raise NotFound()
    return MenteeSuggestions(waiting, candidate, suggest(waiting, candidate, today, top))


def assign(waiting: WaitingList, today: dt.date) -> list[Proposal]:
    """The optimal proposals for the whole waiting list under the mentors' capacities."""
    mentees = [c.profile for c in waiting.open_mentees]
    mentors = [c.profile for c in waiting.open_mentors]
    return global_assignment(waiting.strategy.scorer, mentees, mentors, waiting.config, today)


# -- proposals -----------------------------------------------------------------------------


async def create_proposals(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    programme: Programme,
    pairs: Sequence[tuple[uuid.UUID, uuid.UUID]],
    actor: str,
    today: dt.date,
) -> list[Forloeb]:
    """Store proposals for ``(mentee enrolment, mentor enrolment)`` pairs; commit.

    Each pair must be on the waiting list, allowed by the strategy's hard filters and within
    the mentor's free capacity; otherwise nothing is stored. Both enrolments move to
    ``matched`` (a mentor already matched or active stays so).
    """
    if not pairs:
        raise FieldErrors({"pairs": _("Choose at least one pair.")})
    # Lock the enrolments first (a no-op UPDATE: row locks on PostgreSQL, the write lock on
    # SQLite), so a second coordinator proposing the same people at the same time waits and
    # then sees them matched, or the mentor full.
    await session.execute(
        update(Enrolment)
        .where(Enrolment.id.in_(list({i for pair in pairs for i in pair})))
        .values(status=Enrolment.status)
        .execution_options(synchronize_session=False)
    )
    waiting = await waiting_list(
        session,
        pm,
        tenant,
        programme,
        today,
        mentees={mentee_id for mentee_id, _ in pairs},
        mentors={mentor_id for _, mentor_id in pairs},
    )
    candidates = {c.enrolment.id: c for c in waiting.mentees + waiting.mentors}
    errors: dict[str, str] = {}
    free = {c.enrolment.id: c.free for c in waiting.mentors}
    seen: set[uuid.UUID] = set()
    scored: list[tuple[Candidate, Candidate, PairScore]] = []
    for index, (mentee_id, mentor_id) in enumerate(pairs):
        key = f"pairs.{index}"
        mentee, mentor = candidates.get(mentee_id), candidates.get(mentor_id)
        if mentee is None or mentee.enrolment.role != EnrolmentRole.MENTEE:
            errors[key] = _("The citizen is not on the programme's waiting list.")
        elif mentor is None or mentor.enrolment.role != EnrolmentRole.MENTOR:
            errors[key] = _("The mentor is not among the programme's available mentors.")
        elif mentee.excluded or mentor.excluded:
            errors[key] = " ".join(mentee.excluded + mentor.excluded)
        elif mentee_id in seen:
            errors[key] = _("The citizen appears in more than one pair.")
        elif free[mentor_id] < 1:
            errors[key] = _("The mentor has no free places left.")
        else:
            score = waiting.strategy.scorer.explain(
                mentee.profile, mentor.profile, waiting.config, today
            )
            if not score.allowed:
                errors[key] = _("Not a possible match: %(why)s.") % {"why": score.excluded_because}
            else:
                seen.add(mentee_id)
                free[mentor_id] -= 1
                scored.append((mentee, mentor, score))
    if errors:
        raise FieldErrors(errors)
    policy = programme.policy or {}
    frequencies = policy.get("meeting_frequencies") or ["weekly"]
    months = (policy.get("duration_months") or {"min": 6})["min"]
    created: list[Forloeb] = []
    try:
        # All rows in two flushes (the forløb, then what refers to them), each a few batched
        # statements, instead of a round trip per pair.
        for mentee, mentor, score in scored:
            forloeb = Forloeb(
                id=uuid.uuid4(),
                programme_id=programme.id,
                mentee_enrolment_id=mentee.enrolment.id,
                mentor_enrolment_id=mentor.enrolment.id,
                state=S.PROPOSED.value,
                strategy=waiting.strategy.name,
                score=round(score.points, 4),
                reasons=[
                    {"code": r.code, "text": r.text, "points": round(r.points, 4)}
                    for r in score.reasons
                ],
                proposed_on=today,
                proposed_by=actor,
                frequency=frequencies[0],
                planned_months=months,
            )
            session.add(forloeb)
            created.append(forloeb)
        await session.flush()
        for forloeb, (mentee, mentor, _score) in zip(created, scored, strict=True):
            session.add(
                ForloebEvent(
                    forloeb_id=forloeb.id, from_state=None, to_state=S.PROPOSED.value, actor=actor
                )
            )
            for candidate in (mentee, mentor):
                if candidate.enrolment.status == EnrolmentStatus.READY.value:
                    move_status(session, candidate.enrolment, EnrolmentStatus.MATCHED, actor, None)
        await session.flush()
        await session.flush()
    except IntegrityError:
        # The partial unique index: the citizen was proposed at the same moment elsewhere.
        await session.rollback()
        raise FieldErrors(
            {"pairs": _("A citizen has just been proposed by someone else.")}
        ) from None
    return created


# -- reading -------------------------------------------------------------------------------


@dataclass
class ForloebRow:
    forloeb: Forloeb
    programme: Programme
    mentee: Person
    mentor: Person
    mentee_enrolment: Enrolment
    mentor_enrolment: Enrolment


def _rows_query() -> Any:
    mentee_e, mentor_e = aliased(Enrolment), aliased(Enrolment)
    mentee_p, mentor_p = aliased(Person), aliased(Person)
    return (
        select(Forloeb, Programme, mentee_p, mentor_p, mentee_e, mentor_e)
        .join(Programme, Programme.id == Forloeb.programme_id)
        .join(mentee_e, mentee_e.id == Forloeb.mentee_enrolment_id)
        .join(mentor_e, mentor_e.id == Forloeb.mentor_enrolment_id)
        .join(mentee_p, mentee_p.id == mentee_e.person_id)
        .join(mentor_p, mentor_p.id == mentor_e.person_id)
    ), (mentee_e, mentor_e)


async def list_forloeb(
    session: AsyncSession,
    states: Sequence[str] = (),
    programme_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> list[ForloebRow]:
    """Forløb with both parties, newest first; optionally by state, programme or person."""
    stmt, (mentee_e, mentor_e) = _rows_query()
    if states:
        stmt = stmt.where(Forloeb.state.in_(list(states)))
    if programme_id is not None:
        stmt = stmt.where(Forloeb.programme_id == programme_id)
    if person_id is not None:
        stmt = stmt.where(or_(mentee_e.person_id == person_id, mentor_e.person_id == person_id))
    rows = (
        await session.execute(stmt.order_by(Forloeb.proposed_on.desc(), Forloeb.created_at.desc()))
    ).all()
    return [ForloebRow(*row) for row in rows]


async def get_forloeb(session: AsyncSession, forloeb_id: uuid.UUID) -> ForloebRow:
    stmt, _aliases = _rows_query()
    row = (await session.execute(stmt.where(Forloeb.id == forloeb_id))).first()
    if row is None:
        raise NotFound()
    return ForloebRow(*row)


def party_of(row: ForloebRow, person: Person | None) -> str | None:
    """``"mentor"``/``"mentee"`` if ``person`` is a party of the forløb, else ``None``."""
    if person is None:
        return None
    if row.mentor.id == person.id:
        return "mentor"
    if row.mentee.id == person.id:
        return "mentee"
    return None


async def events(session: AsyncSession, forloeb_id: uuid.UUID) -> list[ForloebEvent]:
    rows = await session.scalars(
        select(ForloebEvent)
        .where(ForloebEvent.forloeb_id == forloeb_id)
        .order_by(ForloebEvent.at, ForloebEvent.created_at)
    )
    return list(rows)


async def pauses(session: AsyncSession, forloeb_id: uuid.UUID) -> list[ForloebPause]:
    rows = await session.scalars(
        select(ForloebPause)
        .where(ForloebPause.forloeb_id == forloeb_id)
        .order_by(ForloebPause.starts_on)
    )
    return list(rows)


async def meetings(session: AsyncSession, forloeb_id: uuid.UUID) -> list[Meeting]:
    rows = await session.scalars(
        select(Meeting)
        .where(Meeting.forloeb_id == forloeb_id)
        .order_by(Meeting.day.desc(), Meeting.created_at.desc())
    )
    return list(rows)


def _pauses(rows: Iterable[ForloebPause]) -> list[Pause]:
    return [Pause(p.starts_on, p.ends_on, p.planned_resume) for p in rows]


def planned_end_of(
    forloeb: Forloeb, pause_rows: Iterable[ForloebPause], today: dt.date
) -> dt.date | None:
    if forloeb.started_on is None:
        return None
    return planned_end(forloeb.started_on, forloeb.planned_months, _pauses(pause_rows), today)


# -- acceptance and state changes ----------------------------------------------------------


@dataclass
class Changed:
    row: ForloebRow
    warnings: list[str]


async def _party_transitions(
    session: AsyncSession,
    pm: MakkerPluginManager,
    context: ProgrammeContext,
    row: ForloebRow,
    to: ForloebState,
    today: dt.date,
) -> list[Transition]:
    fields = intake_fields(pm, context)
    courses = await course_records_of(session, [row.mentee.id, row.mentor.id])
    parties: list[tuple[Role, Person]] = [("mentee", row.mentee), ("mentor", row.mentor)]
    return [
        Transition(
            person=person_context(person, fields, courses.get(person.id, ())),
            role=role,
            from_status=row.forloeb.state,
            to_status=to.value,
            on=today,
            kind="forloeb",
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
    if reason is None or not reason.strip():
        return None
    if "\x00" in reason:
        errors["reason"] = NUL_MESSAGE()
    if len(reason) > NOTE_MAX:
        errors["reason"] = _("At most %(n)d characters.") % {"n": NOTE_MAX}
    return reason.strip()


async def change_state(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    row: ForloebRow,
    to: str,
    actor: str,
    today: dt.date,
    reason: str | None = None,
    resume_on: dt.date | None = None,
) -> Changed:
    """Move the forløb to ``to``; commit. Enrolments follow: ``declined`` returns both to the
    pool, ``active`` makes both active, ``completed``/``ended_early`` finish the mentee's
    enrolment (the mentor stays in the pool). Plugins may veto; their warnings are returned."""
    errors: dict[str, str] = {}
    reason = _reason(reason, errors)
    try:
        target = ForloebState(to)
    except ValueError:
        raise FieldErrors({"to": _("Unknown state.")}) from None
    await _lock(session, Forloeb, [row.forloeb.id])
    forloeb = row.forloeb
    current = ForloebState(forloeb.state)
    if target not in ALLOWED[current]:
        raise FieldErrors(
            {
                "to": _("The forløb cannot change from %(from)s to %(to)s.")
                % {"from": state_label(current), "to": state_label(target)}
            }
        )
    if (current, target) in NEEDS_REASON and reason is None:
        errors["reason"] = _("Write a reason.")
    if (
        current == S.PROPOSED
        and target == S.ACTIVE
        and not (forloeb.mentee_accepted_at and forloeb.mentor_accepted_at)
    ):
        errors["to"] = _("Both the citizen and the mentor must accept the proposal first.")
    if target == S.PAUSED and resume_on is not None and resume_on <= today:
        errors["resume_on"] = _("The planned resume date must be after today.")
    if errors:
        raise FieldErrors(errors)
    context = programme_context(pm, tenant, row.programme)
    transitions = await _party_transitions(session, pm, context, row, target, today)
    vetoes, warnings = _policy(pm, context, transitions)
    if vetoes:
        raise FieldErrors({"to": " ".join(v.message for v in vetoes)})
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
        session.add(ForloebPause(forloeb_id=forloeb.id, starts_on=today, planned_resume=resume_on))
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
    for transition in transitions:
        notify_transition(pm, context, transition)
    return Changed(await get_forloeb(session, forloeb.id), [w.message for w in warnings])


async def accept(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    row: ForloebRow,
    party: str,
    actor: str,
    today: dt.date,
) -> Changed:
    """Record that ``party`` (``mentor``/``mentee``) accepts the proposal; commit. When both
    have accepted, the forløb becomes active."""
    await _lock(session, Forloeb, [row.forloeb.id])
    forloeb = row.forloeb
    if party not in ("mentor", "mentee"):
        raise FieldErrors({"party": _("Choose the citizen or the mentor.")})
    if forloeb.state != S.PROPOSED.value:
        raise FieldErrors({"party": _("Only a proposal can be accepted.")})
    if getattr(forloeb, f"{party}_accepted_at") is not None:
        raise FieldErrors({"party": _("This party has already accepted.")})
    setattr(forloeb, f"{party}_accepted_at", clock.now())
    setattr(forloeb, f"{party}_accepted_by", actor)
    if forloeb.mentee_accepted_at and forloeb.mentor_accepted_at:
        return await change_state(session, pm, tenant, row, S.ACTIVE.value, actor, today)
    await session.flush()
    return Changed(await get_forloeb(session, forloeb.id), [])


async def end_with_enrolment(
    session: AsyncSession, enrolment: Enrolment, actor: str, today: dt.date, reason: str
) -> int:
    """The enrolment has ended (withdrawn): its open forløb end with it, without asking plugins
    (a withdrawn consent cannot be vetoed). A proposal is declined, an active or paused forløb
    ends early; the other party returns to the pool (a mentee needs a new mentor; a mentor only
    when no other forløb binds them). No commit; returns how many forløb ended."""
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


async def set_plan(
    session: AsyncSession, row: ForloebRow, frequency: str, planned_months: int
) -> ForloebRow:
    """Set the meeting frequency and planned length within the programme's policy; commit."""
    policy = row.programme.policy or {}
    frequencies = list(policy.get("meeting_frequencies") or ())
    months = policy.get("duration_months") or {"min": 1, "max": 24}
    errors: dict[str, str] = {}
    if row.forloeb.state not in {s.value for s in OPEN_STATES}:
        errors["plan"] = _("The forløb has ended.")
    if frequency not in frequencies:
        errors["frequency"] = _("Choose one of the programme's meeting frequencies.")
    if not months["min"] <= planned_months <= months["max"]:
        errors["planned_months"] = _("The planned length must be %(min)d-%(max)d months.") % {
            "min": months["min"],
            "max": months["max"],
        }
    if errors:
        raise FieldErrors(errors)
    row.forloeb.frequency, row.forloeb.planned_months = frequency, planned_months
    await session.flush()
    return await get_forloeb(session, row.forloeb.id)


# -- meetings ------------------------------------------------------------------------------


async def log_meeting(
    session: AsyncSession,
    row: ForloebRow,
    *,
    logged_as: str,
    actor: str,
    values: dict[str, Any],
    today: dt.date,
) -> Meeting:
    """Record a meeting or an "afbud" of an active forløb; commit."""
    errors: dict[str, str] = {}
    forloeb = row.forloeb
    if forloeb.state != S.ACTIVE.value:
        raise FieldErrors({"day": _("Meetings can only be logged while the forløb is active.")})
    cancelled = values.get("cancelled") in (True, "on", "true", "1")
    day: dt.date | None = None
    raw_day = values.get("day")
    try:
        day = dt.date.fromisoformat(str(raw_day)) if raw_day and len(str(raw_day)) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors["day"] = _("Enter the date of the meeting.")
    elif forloeb.started_on and day < forloeb.started_on:
        errors["day"] = _("The date is before the forløb started.")
    elif not cancelled and day > today:
        errors["day"] = _(
            "A meeting that has not happened yet cannot be logged; record an afbud instead."
        )
    elif day > today + dt.timedelta(days=CANCEL_AHEAD_DAYS):
        errors["day"] = _("An afbud can be recorded at most %(n)d days ahead.") % {
            "n": CANCEL_AHEAD_DAYS
        }
    activity = str(values.get("activity") or "")
    if activity not in ACTIVITIES:
        errors["activity"] = _("Choose what you did.")
    duration: int | None = None
    raw = values.get("duration_minutes")
    if raw not in (None, ""):
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 5 <= raw <= 720:
            errors["duration_minutes"] = _("Write the duration in minutes (5-720).")
        else:
            duration = raw
    elif not cancelled:
        errors["duration_minutes"] = _("Write how long the meeting lasted.")
    note = values.get("note")
    if note is not None and not isinstance(note, str):
        errors["note"] = _("Expected text.")
    elif note and len(note) > NOTE_MAX:
        errors["note"] = _("At most %(n)d characters.") % {"n": NOTE_MAX}
    elif note and "\x00" in note:
        errors["note"] = NUL_MESSAGE()
    if errors:
        raise FieldErrors(errors)
    assert day is not None
    meeting = Meeting(
        forloeb_id=forloeb.id,
        day=day,
        activity=activity,
        duration_minutes=None if cancelled else duration,
        cancelled=cancelled,
        note=(note or "").strip() or None,
        logged_as=logged_as,
        logged_by=actor,
    )
    session.add(meeting)
    await session.flush()
    return meeting


# -- attention -----------------------------------------------------------------------------


@dataclass
class AttentionRow:
    row: ForloebRow
    items: list[Attention]


async def attention_list(session: AsyncSession, today: dt.date) -> list[AttentionRow]:
    """Open forløb that need a coordinator's look, most urgent first."""
    rows = await list_forloeb(session, [s.value for s in OPEN_STATES])
    if not rows:
        return []
    ids = [r.forloeb.id for r in rows]
    held: dict[uuid.UUID, list[dt.date]] = {}
    for forloeb_id, day in (
        await session.execute(
            select(Meeting.forloeb_id, Meeting.day).where(
                Meeting.forloeb_id.in_(ids), Meeting.cancelled.is_(False)
            )
        )
    ).all():
        held.setdefault(forloeb_id, []).append(day)
    paused: dict[uuid.UUID, list[ForloebPause]] = {}
    for pause in await session.scalars(
        select(ForloebPause).where(ForloebPause.forloeb_id.in_(ids))
    ):
        paused.setdefault(pause.forloeb_id, []).append(pause)
    found: list[AttentionRow] = []
    for row in rows:
        f = row.forloeb
        facts = ForloebFacts(
            key=str(f.id),
            state=ForloebState(f.state),
            frequency=f.frequency,
            proposed_on=f.proposed_on,
            started_on=f.started_on,
            planned_months=f.planned_months,
            meetings=tuple(held.get(f.id, ())),
            pauses=tuple(_pauses(sorted(paused.get(f.id, []), key=lambda p: p.starts_on))),
        )
        items = attention(facts, today)
        if items:
            found.append(AttentionRow(row, items))
    found.sort(key=lambda a: (-max(i.days for i in a.items), a.row.mentee.name))
    return found


# -- labels --------------------------------------------------------------------------------


def state_label(state: str) -> str:
    return {
        "proposed": _("Proposed"),
        "active": _("Active"),
        "paused": _("Paused"),
        "completed": _("Completed"),
        "ended_early": _("Ended early"),
        "declined": _("Declined"),
    }.get(str(state), str(state))


def activity_label(activity: str) -> str:
    return {
        "gaatur": _("Walk"),
        "cafe": _("Café"),
        "sport": _("Sport"),
        "biograf": _("Cinema"),
        "indkoeb": _("Shopping"),
        "andet": _("Other"),
    }.get(activity, activity)


def attention_text(item: Attention) -> str:
    if item.code == "no_recent_meeting":
        return _("No meeting for %(n)d days.") % {"n": item.days}
    if item.code == "ending_soon":
        return _("Ends in %(n)d days.") % {"n": item.days}
    if item.code == "proposal_waiting":
        return _("The proposal has waited %(n)d days.") % {"n": item.days}
    if item.code == "pause_overdue":
        return _("The pause should have ended %(n)d days ago.") % {"n": item.days}
    return item.code
