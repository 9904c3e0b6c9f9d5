"""Proposals: the coordinator proposes pairs from the waiting list (forløb in state
``proposed``); both enrolments move to ``matched``. All or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from core.context import Context
from core.errors import Invalid
from core.forloeb.lifecycle import ForloebState
from core.forloeb.models import Forloeb, ForloebEvent
from core.forloeb.queries import programme_by_slug
from core.forloeb.rows import ForloebRow, list_forloeb
from core.forloeb.schemas import ProposalsIn
from core.matching.types import PairScore
from core.matching.waiting_list import Candidate, strategy_failed, waiting_list
from core.notifications.outbox import links_for
from core.notifications.schedule import tell_proposal
from core.participants.history import move_status
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus
from core.plugin_api import PluginError
from core.tenancy.models import Programme
from core.web.i18n import gettext as _

S = ForloebState


async def propose(ctx: Context, programme_slug: str, data: ProposalsIn) -> list[ForloebRow]:
    """Propose ``data.pairs`` in the programme ``programme_slug``: the stored proposals with
    both parties (read back in one statement); one ``forloeb.propose`` audit row each.

    :raises NotFound: no such programme.
    :raises Invalid: a pair cannot be proposed; nothing is stored."""
    programme = await programme_by_slug(ctx, programme_slug)
    created = await create_proposals(ctx, programme, [(p.mentee, p.mentor) for p in data.pairs])
    for forloeb in created:
        ctx.audit("forloeb.propose", object_type="forloeb", object_id=forloeb.id)
    order = {f.id: index for index, f in enumerate(created)}
    rows = await list_forloeb(ctx.session, ids=list(order))
    # Both parties are told a proposal waits for their yes, in this transaction (issue 16).
    links = links_for(ctx)
    for row in rows:
        await tell_proposal(ctx, row, links)
    return sorted(rows, key=lambda r: order[r.forloeb.id])


async def create_proposals(
    ctx: Context, programme: Programme, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[Forloeb]:
    """Store proposals for ``(mentee enrolment, mentor enrolment)`` pairs (flushed, not
    committed), in two batched flushes however many pairs.

    Each pair must be on the waiting list, allowed by the strategy's hard filters and within
    the mentor's free capacity; otherwise nothing is stored. Both enrolments move to
    ``matched`` (a mentor already matched or active stays so). A strategy whose scorer fails
    cannot check a pair: such pairs are refused with the Danish notice (logged once).

    :raises Invalid: per pair (``pairs.<index>``); nothing is stored.
    """
    session, actor, today = ctx.session, ctx.actor, ctx.today()
    if not pairs:
        raise Invalid({"pairs": _("Choose at least one pair.")})
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
        ctx,
        programme,
        mentees={mentee_id for mentee_id, _ in pairs},
        mentors={mentor_id for _, mentor_id in pairs},
    )
    candidates = {c.enrolment.id: c for c in waiting.mentees + waiting.mentors}
    errors: dict[str, str] = {}
    free = {c.enrolment.id: c.free for c in waiting.mentors}
    seen: set[uuid.UUID] = set()
    scored: list[tuple[Candidate, Candidate, PairScore]] = []
    scorer = waiting.scorer
    failed: str | None = None
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
        elif failed is not None:
            errors[key] = failed
        else:
            try:
                score = scorer.explain(mentee.profile, mentor.profile, waiting.config, today)
            except PluginError as exc:
                # Nobody is proposed on a strategy that could not check the pair (logged once).
                failed = errors[key] = strategy_failed(waiting.strategy, exc)
                continue
            if not score.allowed:
                errors[key] = _("Not a possible match: %(why)s.") % {"why": score.excluded_because}
            else:
                seen.add(mentee_id)
                free[mentor_id] -= 1
                scored.append((mentee, mentor, score))
    if errors:
        raise Invalid(errors)
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
    except IntegrityError:
        # The partial unique index: the citizen was proposed at the same moment elsewhere.
        await session.rollback()
        raise Invalid({"pairs": _("A citizen has just been proposed by someone else.")}) from None
    return created
