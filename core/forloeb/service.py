"""The forløb and matching domain's public names, for the other domains that import them.

The code lives in modules of its own: :mod:`core.forloeb.rows` (a forløb with both parties),
:mod:`core.forloeb.access` (fetching one for a caller), :mod:`core.forloeb.queries` (detail,
list, attention list), :mod:`core.forloeb.proposals`, :mod:`core.forloeb.commands` (accept,
state changes, plan, the end with an enrolment), :mod:`core.forloeb.meetings`,
:mod:`core.forloeb.labels`, and :mod:`core.matching.waiting_list` /
:mod:`core.matching.queries` (the waiting list, suggestions and the plan for the whole list).
"""

from __future__ import annotations

from core.forloeb.commands import (
    OTHER_PARTY_ENDED,
    Changed,
    accept,
    change_state,
    end_with_enrolment,
    set_plan,
)
from core.forloeb.labels import activity_label, attention_text, state_label
from core.forloeb.meetings import log_meeting
from core.forloeb.proposals import create_proposals, propose
from core.forloeb.queries import (
    AttentionRow,
    ForloebDetail,
    attention_list,
    events,
    forloeb_detail,
    meetings,
    pauses,
    planned_end_of,
)
from core.forloeb.rows import ForloebRow, get_forloeb, list_forloeb, party_of
from core.matching.waiting_list import (
    MENTOR_POOL,
    Candidate,
    MenteeSuggestions,
    WaitingList,
    assign,
    challenge_terms,
    profile_of,
    strategy_for,
    suggest,
    suggestions_for,
    waiting_list,
)

__all__ = [
    "MENTOR_POOL",
    "OTHER_PARTY_ENDED",
    "AttentionRow",
    "Candidate",
    "Changed",
    "ForloebDetail",
    "ForloebRow",
    "MenteeSuggestions",
    "WaitingList",
    "accept",
    "activity_label",
    "assign",
    "attention_list",
    "attention_text",
    "challenge_terms",
    "change_state",
    "create_proposals",
    "end_with_enrolment",
    "events",
    "forloeb_detail",
    "get_forloeb",
    "list_forloeb",
    "log_meeting",
    "meetings",
    "party_of",
    "pauses",
    "planned_end_of",
    "profile_of",
    "propose",
    "set_plan",
    "state_label",
    "strategy_for",
    "suggest",
    "suggestions_for",
    "waiting_list",
]
