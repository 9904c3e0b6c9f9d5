"""Matching queries for the API and the pages, by programme slug: the overview, a programme's
waiting list, the plan for the whole list, and the suggested mentors for one citizen.

Each notes its audit row (ids only): ``matching.waiting_list`` and ``matching.assignment`` on
the programme, ``matching.suggestions`` on the citizen's enrolment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.context import Context
from core.forloeb.queries import programme_by_slug
from core.matching.types import Proposal
from core.matching.waiting_list import (
    Candidate,
    MenteeSuggestions,
    WaitingList,
    assign,
    strategy_failed,
    suggestions_for,
    waiting_list,
)
from core.plugin_api import PluginError
from core.tenancy.models import Programme
from core.tenancy.service import list_active_programmes


async def overview(ctx: Context) -> list[tuple[Programme, int, int]]:
    """Each active programme with its number of waiting citizens and of mentors with places."""
    rows = []
    for programme in await list_active_programmes(ctx.session):
        waiting = await waiting_list(ctx, programme)
        rows.append((programme, len(waiting.open_mentees), len(waiting.open_mentors)))
    return rows


async def waiting_for(ctx: Context, programme_slug: str) -> WaitingList:
    """The programme's waiting list. :raises NotFound: no such programme."""
    programme = await programme_by_slug(ctx, programme_slug)
    waiting = await waiting_list(ctx, programme)
    ctx.audit("matching.waiting_list", object_type="programme", object_id=programme.id)
    return waiting


@dataclass
class Plan:
    """The best proposals for the whole waiting list; nothing is stored."""

    waiting: WaitingList
    proposals: list[Proposal]
    #: Citizens who could be matched but are not in the plan (no mentor fits or has a place).
    unmatched: list[Candidate]
    #: The Danish notice when the strategy failed (then there are no proposals).
    strategy_failed: str | None = None

    @property
    def total_score(self) -> float:
        return round(sum(p.score.points for p in self.proposals), 4)


async def assignment(ctx: Context, programme_slug: str) -> Plan:
    """The optimal proposals for the whole waiting list under the mentors' capacities.

    :raises NotFound: no such programme."""
    programme = await programme_by_slug(ctx, programme_slug)
    waiting = await waiting_list(ctx, programme)
    failed = None
    try:
        proposals = assign(waiting, ctx.today())
    except PluginError as exc:
        proposals, failed = [], strategy_failed(waiting.strategy, exc)
    matched = {p.mentee for p in proposals}
    ctx.audit("matching.assignment", object_type="programme", object_id=programme.id)
    unmatched = [c for c in waiting.open_mentees if c.profile.key not in matched]
    return Plan(waiting, proposals, unmatched, failed)


async def suggestions(
    ctx: Context, programme_slug: str, mentee: uuid.UUID, top: int = 5
) -> MenteeSuggestions:
    """The best ``top`` mentors with free places for the citizen enrolment ``mentee``.

    :raises NotFound: no such programme, or ``mentee`` is not on its waiting list."""
    programme = await programme_by_slug(ctx, programme_slug)
    found = await suggestions_for(ctx, programme, mentee, top)
    ctx.audit("matching.suggestions", object_type="enrolment", object_id=mentee)
    return found
