"""Matching and forløb: the JSON API, adapters over the commands and queries (the same ones the
pages use). Another tenant's ids are the same 404 as unknown ones; errors follow the contract
(:mod:`core.errors`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core.context import Context
from core.errors import Conflict, ErrorBody
from core.forloeb import commands, meetings, proposals, queries
from core.forloeb.labels import attention_text
from core.forloeb.lifecycle import ForloebState
from core.forloeb.queries import ForloebDetail
from core.forloeb.schemas import (
    LIST_SORTS,
    AcceptIn,
    AssignmentOut,
    AttentionOut,
    EventOut,
    ForloebDetailOut,
    ForloebOut,
    ListIn,
    MeetingIn,
    MeetingOut,
    PairOut,
    PauseOut,
    PlanIn,
    ProposalsIn,
    SuggestionOut,
    TransitionIn,
    candidate_out,
    forloeb_out,
    meeting_out,
    reasons_out,
)
from core.identity.guards import any_member, coordinators
from core.matching import queries as matching
from core.strict_input import StrictController
from core.web.openapi import query
from core.web.pipeline import audits

#: The states a list of forløb can be filtered by.
STATES = [s.value for s in ForloebState]
#: A read that answers 409: the programme's matching strategy (a plugin) failed.
STRATEGY_FAILED = {
    409: ResponseSpec(
        ErrorBody,
        description="The programme's matching strategy (a plugin) failed; `detail` says so in "
        "the request's language. The rest of the programme works as usual.",
        generate_examples=False,
    )
}


async def _detail(ctx: Context, changed: commands.Changed) -> ForloebDetailOut:
    return detail_out(await queries.detail_of(ctx, changed.row, changed.viewer, changed.warnings))


class MatchingApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/programmes/{programme_slug:str}"
    tags = ["matching"]
    guards = [coordinators]

    @get(
        "/matching/suggestions",
        name="api_matching_suggestions",
        opt=audits("matching.suggestions", "enrolment"),
        responses=STRATEGY_FAILED,
    )
    async def suggestions(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        mentee: Annotated[uuid.UUID, QueryParameter(description="The mentee's enrolment id.")],
        top: Annotated[int, QueryParameter(ge=1, le=50)] = 5,
    ) -> list[SuggestionOut]:
        """The best mentors with free places for one mentee on the waiting list, with scores
        and the Danish explanation of every point. 409 with a Danish detail when the
        programme's matching strategy failed (the failure is logged, the rest works)."""
        found = await matching.suggestions(ctx, programme_slug, mentee, top)
        if found.strategy_failed:
            raise Conflict(found.strategy_failed)
        keys = found.waiting.by_key()
        return [
            SuggestionOut(
                uuid.UUID(s.mentor),
                keys[s.mentor].person.name,
                round(s.score.points, 4),
                s.free_capacity,
                reasons_out(s.score.reasons),
            )
            for s in found.suggestions
        ]

    @get(
        "/matching/assignment",
        name="api_matching_assignment",
        opt=audits("matching.assignment", "programme"),
        responses=STRATEGY_FAILED,
    )
    async def assignment(
        self, ctx: NamedDependency[Context], programme_slug: FromPath[str]
    ) -> AssignmentOut:
        """The best proposals for the whole waiting list (maximal total score under the
        mentors' capacities). Nothing is stored: post the pairs to `proposals`. 409 with a
        Danish detail when the programme's matching strategy failed."""
        plan = await matching.assignment(ctx, programme_slug)
        if plan.strategy_failed:
            raise Conflict(plan.strategy_failed)
        waiting, keys = plan.waiting, plan.waiting.by_key()
        return AssignmentOut(
            programme=waiting.programme.slug,
            strategy=waiting.strategy.name,
            pairs=[
                PairOut(
                    uuid.UUID(p.mentee),
                    keys[p.mentee].person.name,
                    uuid.UUID(p.mentor),
                    keys[p.mentor].person.name,
                    round(p.score.points, 4),
                    reasons_out(p.score.reasons),
                )
                for p in plan.proposals
            ],
            total_score=plan.total_score,
            unmatched=[candidate_out(c) for c in plan.unmatched],
            excluded=[candidate_out(c) for c in waiting.mentees + waiting.mentors if c.excluded],
        )

    @post(
        "/proposals",
        name="api_proposals_create",
        opt=audits("forloeb.propose", "forloeb"),
        status_code=201,
    )
    async def propose(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        data: JSONBody[ProposalsIn],
    ) -> list[ForloebOut]:
        """Store proposals (forløb in state `proposed`) for the given pairs; all or nothing."""
        rows = await proposals.propose(ctx, programme_slug, data)
        return [forloeb_out(r, True) for r in rows]


class ForloebApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/forloeb"
    tags = ["forloeb"]

    @get("/", name="api_forloeb_list", opt=audits("forloeb.list"), guards=[coordinators])
    async def list_forloeb(
        self,
        ctx: NamedDependency[Context],
        states: Annotated[
            list[str] | None,
            query(name="state", description="Filter by state.", one_of=STATES, many=True),
        ] = None,
        programme: FromQuery[str | None] = None,
        attention: FromQuery[bool] = False,
        sort: Annotated[str, query(one_of=LIST_SORTS)] = "newest",
        limit: Annotated[int, query(minimum=1, maximum=500)] = 500,
        offset: Annotated[int, query(minimum=0)] = 0,
    ) -> list[ForloebOut]:
        """The organisation's forløb and proposals: by state, programme and need of attention;
        sorted newest or oldest first or by the citizen's name; ``limit`` (1-500) from
        ``offset``."""
        query = ListIn(states or [], programme, attention, sort, limit, offset)
        page = await queries.find_forloeb(ctx, query)
        return [forloeb_out(r, True) for r in page.rows]

    @get(
        "/attention",
        name="api_forloeb_attention",
        opt=audits("forloeb.attention"),
        guards=[coordinators],
    )
    async def attention(self, ctx: NamedDependency[Context]) -> list[AttentionOut]:
        """Forløb that need a look: no recent meeting, ending within 30 days, a proposal waiting
        more than 14 days, a pause past its planned resume date."""
        return [
            AttentionOut(
                forloeb_out(a.row, True),
                [i.code for i in a.items],
                [attention_text(i) for i in a.items],
                [i.days for i in a.items],
            )
            for a in await queries.attention_list(ctx)
        ]

    @get(
        "/{forloeb_id:uuid}",
        name="api_forloeb",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def detail(
        self, ctx: NamedDependency[Context], forloeb_id: FromPath[uuid.UUID]
    ) -> ForloebDetailOut:
        """One forløb with its history, pauses and meetings: for coordinators and the pair."""
        return detail_out(await queries.forloeb_detail(ctx, forloeb_id))

    @post(
        "/{forloeb_id:uuid}/acceptances",
        name="api_forloeb_accept",
        opt=audits("forloeb.accept", "forloeb", "forloeb_id"),
        guards=[any_member],
        status_code=200,
    )
    async def accept(
        self,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[AcceptIn],
    ) -> ForloebDetailOut:
        """Record that a party accepts the proposal; when both have, the forløb is active."""
        return await _detail(ctx, await commands.accept(ctx, forloeb_id, data))

    @post(
        "/{forloeb_id:uuid}/transitions",
        name="api_forloeb_transition",
        opt=audits("forloeb.transition", "forloeb", "forloeb_id"),
        guards=[coordinators],
        status_code=200,
    )
    async def transition(
        self,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
    ) -> ForloebDetailOut:
        """Change the forløb's state (pause, resume, complete, end early, decline a proposal).
        Plugins may veto (400 with their message) or warn (`warnings`)."""
        return await _detail(ctx, await commands.change_state(ctx, forloeb_id, data))

    @put(
        "/{forloeb_id:uuid}/plan",
        name="api_forloeb_plan",
        opt=audits("forloeb.plan", "forloeb", "forloeb_id"),
        guards=[coordinators],
    )
    async def plan(
        self, ctx: NamedDependency[Context], forloeb_id: FromPath[uuid.UUID], data: JSONBody[PlanIn]
    ) -> ForloebDetailOut:
        """Set the meeting frequency and planned length (the planned end follows)."""
        return await _detail(ctx, await commands.set_plan(ctx, forloeb_id, data))

    @post(
        "/{forloeb_id:uuid}/meetings",
        name="api_forloeb_meeting",
        opt=audits("forloeb.meeting", "forloeb", "forloeb_id"),
        guards=[any_member],
        status_code=201,
    )
    async def meeting(
        self,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[MeetingIn],
    ) -> MeetingOut:
        """Log a meeting (date, activity, duration, private note) or an afbud (`cancelled`)."""
        return meeting_out(await meetings.log_meeting(ctx, forloeb_id, data))


__all__ = ["ForloebApiController", "MatchingApiController"]


def detail_out(d: ForloebDetail) -> ForloebDetailOut:
    coordinator = d.coordinator
    return ForloebDetailOut(
        forloeb=forloeb_out(d.row, coordinator),
        viewer=d.viewer,
        planned_end=d.planned_end,
        events=[
            EventOut(
                e.from_state,
                e.to_state,
                e.actor if coordinator else "",
                e.at,
                e.reason if coordinator else None,
            )
            for e in d.events
        ],
        pauses=[PauseOut(p.starts_on, p.ends_on, p.planned_resume) for p in d.pauses],
        meetings=[meeting_out(m) for m in d.meetings],
        warnings=list(d.warnings),
    )
