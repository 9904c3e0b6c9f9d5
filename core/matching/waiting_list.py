"""The waiting list: who can be matched in a programme now, and the matching on it.

``ready`` citizens (mentees) and mentors with free places, each with what matching sees of them
(:class:`core.matching.types.MatchProfile`: no name, no contact data) and why they cannot be
matched now (paused, full, or an enabled plugin's veto). The scoring and the assignment are the
pure functions of :mod:`core.matching.assignment`; the programme's strategy comes from the
plugins (:func:`strategy_for`). Reads work inside the context's tenant.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from core.context import Context
from core.courses.records import course_records_of
from core.errors import NotFound
from core.forloeb.models import OPEN_STATES, Forloeb
from core.matching.assignment import GuardedScorer, global_assignment, suggestions
from core.matching.types import MatchProfile, Proposal, Suggestion
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus, Intake, Person
from core.plugin_api import (
    EnrolmentContext,
    MakkerPluginManager,
    MatchingStrategy,
    PluginError,
    PolicyDecision,
    ProgrammeContext,
    Transition,
    localize,
    log_failure,
)
from core.programmes.intake import intake_fields
from core.programmes.registry import matching_strategies, programme_context
from core.programmes.service import check_transitions, person_context, roles_held_before
from core.tenancy.models import Programme
from core.web.i18n import gettext as _

#: Mentor enrolments that can take (more) mentees while they have free capacity: a mentor in
#: a forløb is ``matched`` or ``active`` and stays in the pool up to their capacity.
MENTOR_POOL = (EnrolmentStatus.READY, EnrolmentStatus.MATCHED, EnrolmentStatus.ACTIVE)
_SPLIT = re.compile(r"[,;\n]+")


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
    #: What the coordinator should know about the matching itself (Danish), e.g. that a
    #: plugin failed to name the default strategy and the built-in default is used.
    notices: list[str] = field(default_factory=list)

    @property
    def scorer(self) -> GuardedScorer:
        """The strategy's scorer, guarded: a failure raises :class:`PluginError`."""
        return GuardedScorer(self.strategy)

    @property
    def open_mentees(self) -> list[Candidate]:
        return [c for c in self.mentees if not c.excluded]

    @property
    def open_mentors(self) -> list[Candidate]:
        return [c for c in self.mentors if not c.excluded and c.free > 0]

    def by_key(self) -> dict[str, Candidate]:
        return {c.profile.key: c for c in self.mentees + self.mentors}


def strategy_failed_notice(strategy: MatchingStrategy) -> str:
    """What the coordinator reads when the programme's strategy failed (Danish)."""
    return _(
        "The matching strategy %(strategy)s failed, so Makker cannot suggest or check pairs in "
        "this programme right now. Makker's operators can see the error in the log; the rest "
        "of the programme works as usual."
    ) % {"strategy": strategy.name}


def strategy_failed(strategy: MatchingStrategy, error: PluginError) -> str:
    """Log the failure of ``strategy``'s scorer (one line, no message) and return the notice."""
    log_failure(error.plugin or strategy.plugin, error.hook or "scorer", error)
    return strategy_failed_notice(strategy)


def strategy_for(
    pm: MakkerPluginManager, context: ProgrammeContext, notices: list[str] | None = None
) -> tuple[MatchingStrategy, Any]:
    """The programme's matching strategy and its settings: the one an enabled plugin registers
    (other than the default), else the default the plugins answer through the
    ``default_matching_strategy`` hook (built in: ``shared_experience``).

    A plugin that fails to answer the default is logged and skipped (the next answers, in the
    end the built-in); ``notices`` gets a Danish line saying so."""
    strategies = [s for s in matching_strategies(pm).values() if s.scorer is not None]
    default, failures = pm.answer_isolated(pm.hook.default_matching_strategy, programme=context)
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
    if notices is not None and strategy.name == default:
        notices += [
            _(
                "The plugin %(plugin)s failed to name the programme's default matching "
                "strategy; Makker uses %(strategy)s until it is fixed."
            )
            % {"plugin": plugin, "strategy": default}
            for plugin in failures
        ]
    return strategy, context.configs.get(strategy.plugin)


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


async def waiting_list(
    ctx: Context,
    programme: Programme,
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
    session, pm, today = ctx.session, ctx.plugins, ctx.today()
    context = programme_context(pm, ctx.tenant, programme)
    notices: list[str] = []
    strategy, config = strategy_for(pm, context, notices)
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
    held = await roles_held_before(session, [person.id for _e, person, _i in rows])
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
            person=person_context(
                person,
                fields,
                courses.get(person.id, ()),
                areas=candidate.profile.areas,
                roles_held_before=held.get(person.id, ()),
            ),
            role=enrolment.role.value,
            from_status=enrolment.status,
            to_status=EnrolmentStatus.MATCHED.value,
            on=today,
            enrolment=EnrolmentContext(
                id=enrolment.id,
                programme=programme.slug,
                role=enrolment.role.value,
                status=enrolment.status,
            ),
        )
        found.append((candidate, transition))
    results = check_transitions(pm, context, [t for _c, t in found])
    waiting = WaitingList(programme, context, strategy, config, [], [], notices)
    for (candidate, _t), result in zip(found, results, strict=True):
        vetoes: list[PolicyDecision] = []
        vetoes += [d for d in result.decisions if d.action == "veto" and d not in vetoes]
        candidate.excluded += [localize(v.message) for v in vetoes]
        is_mentor = candidate.enrolment.role == EnrolmentRole.MENTOR
        (waiting.mentors if is_mentor else waiting.mentees).append(candidate)
    return waiting


def suggest(
    waiting: WaitingList, mentee: Candidate, today: dt.date, top: int = 5
) -> list[Suggestion]:
    """The best ``top`` mentors for one mentee, with scores and explanations.

    :raises PluginError: if the strategy's scorer fails (see :func:`strategy_failed`)."""
    mentors = [c.profile for c in waiting.open_mentors]
    return suggestions(waiting.scorer, mentee.profile, mentors, waiting.config, today, top)


@dataclass
class MenteeSuggestions:
    #: The waiting list read for this citizen: the citizen alone, and every mentor.
    waiting: WaitingList
    mentee: Candidate
    suggestions: list[Suggestion]
    #: The Danish notice when the strategy failed (then there are no suggestions).
    strategy_failed: str | None = None


async def suggestions_for(
    ctx: Context, programme: Programme, mentee: uuid.UUID, top: int = 5
) -> MenteeSuggestions:
    """:func:`suggest` for the mentee enrolment ``mentee``, reading and scoring only that
    citizen (not the whole waiting list).

    :raises NotFound: if ``mentee`` is not a citizen on the programme's waiting list.
    """
    waiting = await waiting_list(ctx, programme, mentees=[mentee])
    candidate = next((c for c in waiting.mentees if c.enrolment.id == mentee), None)
    if candidate is None:
        raise NotFound()
    try:
        found = suggest(waiting, candidate, ctx.today(), top)
    except PluginError as exc:
        return MenteeSuggestions(waiting, candidate, [], strategy_failed(waiting.strategy, exc))
    return MenteeSuggestions(waiting, candidate, found)


def assign(waiting: WaitingList, today: dt.date) -> list[Proposal]:
    """The optimal proposals for the whole waiting list under the mentors' capacities.

    :raises PluginError: if the strategy's scorer fails (see :func:`strategy_failed`)."""
    mentees = [c.profile for c in waiting.open_mentees]
    mentors = [c.profile for c in waiting.open_mentors]
    return global_assignment(waiting.scorer, mentees, mentors, waiting.config, today)
