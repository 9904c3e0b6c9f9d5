"""msgspec Structs in and out of the matching and forløb commands. A page converts its form into
the same Struct the JSON API decodes (:func:`core.web.forms.form_struct`), so both run one
command."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from core.forloeb.lifecycle import ForloebState
from core.forloeb.models import ACTIVITIES, OPEN_STATES
from core.plugin_types import localize
from core.web.openapi import allowed

if TYPE_CHECKING:
    from core.forloeb.rows import ForloebRow
    from core.matching.waiting_list import Candidate

#: Text of at most 2000 characters: the document says so, the command checks it (with a Danish
#: message of its own, the same on the page and in the API) and its characters.
Text2000 = Annotated[str, msgspec.Meta(extra_json_schema={"extra": {"maxLength": 2000}})]

# -- in ------------------------------------------------------------------------------------


class PairIn(msgspec.Struct, forbid_unknown_fields=True):
    #: The citizen's (mentee's) enrolment id.
    mentee: uuid.UUID
    #: The mentor's enrolment id.
    mentor: uuid.UUID


class ProposalsIn(msgspec.Struct, forbid_unknown_fields=True):
    pairs: Annotated[list[PairIn], msgspec.Meta(max_length=2000)]


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Coordinators say which party accepted; a mentor or citizen accepts for themselves.
    party: Annotated[str, allowed(("mentee", "mentor"), optional=True)] | None = None


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    to: Annotated[str, allowed(ForloebState)]
    reason: Text2000 | None = None
    #: For a pause: when the pair plans to meet again.
    resume_on: dt.date | None = None


class PlanIn(msgspec.Struct, forbid_unknown_fields=True):
    #: One of the programme's meeting frequencies (e.g. `weekly`, `fortnightly`).
    frequency: str
    #: Within the programme's duration (Kolding 6-9, Vejle 6).
    planned_months: int


#: A date the command reads itself: the document says ``format: date``, and a missing or wrong
#: one gets the command's own Danish message (not the decoder's general one).
CheckedDate = Annotated[str, msgspec.Meta(extra_json_schema={"extra": {"format": "date"}})]


class MeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    """A meeting or an afbud. ``day`` and ``activity`` are required: the command says so, in
    Danish, when one is missing (so a page form without a choice gets its own message); the
    document gives them no default."""

    #: ``YYYY-MM-DD``.
    day: CheckedDate | msgspec.UnsetType = msgspec.UNSET
    activity: Annotated[str, allowed(ACTIVITIES)] | msgspec.UnsetType = msgspec.UNSET
    duration_minutes: int | None = None
    cancelled: bool = False
    note: Text2000 | None = None


#: How a list of forløb can be sorted: newest or oldest proposal first, or by the citizen's name.
LIST_SORTS = ("newest", "oldest", "name")
#: Forløb per page on the list page.
LIST_PAGE_SIZE = 20


class ListIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Only forløb in these states (none: all).
    state: list[str] = []
    #: Only this programme's (slug).
    programme: str | None = None
    #: Only open forløb that need a coordinator's look (the attention list).
    attention: bool = False
    sort: str = "newest"
    #: At most this many (1-500), from ``offset`` on.
    limit: int = 500
    offset: int = 0


# -- out -----------------------------------------------------------------------------------


class ReasonOut(msgspec.Struct):
    code: str
    text: str
    points: float


class SuggestionOut(msgspec.Struct):
    mentor_enrolment_id: uuid.UUID
    mentor_name: str
    score: float
    free_places: int
    reasons: list[ReasonOut]


class CandidateOut(msgspec.Struct):
    enrolment_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    role: str
    free_places: int
    excluded: list[str]


class PairOut(msgspec.Struct):
    mentee_enrolment_id: uuid.UUID
    mentee_name: str
    mentor_enrolment_id: uuid.UUID
    mentor_name: str
    score: float
    reasons: list[ReasonOut]


class AssignmentOut(msgspec.Struct):
    """A proposal plan for the whole waiting list; nothing is stored until it is posted."""

    programme: str
    strategy: str
    pairs: list[PairOut]
    total_score: float
    unmatched: list[CandidateOut]
    excluded: list[CandidateOut]


class PartyOut(msgspec.Struct):
    person_id: uuid.UUID
    enrolment_id: uuid.UUID
    name: str
    phone: str | None
    accepted_at: dt.datetime | None


class ForloebOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    state: str
    mentee: PartyOut
    mentor: PartyOut
    proposed_on: dt.date
    started_on: dt.date | None
    ended_on: dt.date | None
    frequency: str
    planned_months: int
    #: Coordinators only (the explanation names shared experience); ``None`` for the pair.
    strategy: str | None = None
    score: float | None = None
    reasons: list[ReasonOut] | None = None


class EventOut(msgspec.Struct):
    from_state: str | None
    to_state: str
    actor: str
    at: dt.datetime
    reason: str | None


class PauseOut(msgspec.Struct):
    starts_on: dt.date
    ends_on: dt.date | None
    planned_resume: dt.date | None


class MeetingOut(msgspec.Struct):
    id: uuid.UUID
    day: dt.date
    activity: str
    duration_minutes: int | None
    cancelled: bool
    note: str | None
    logged_as: str


class ForloebDetailOut(msgspec.Struct):
    forloeb: ForloebOut
    #: The caller's part: ``coordinator``, ``mentor`` or ``mentee``.
    viewer: str
    planned_end: dt.date | None
    events: list[EventOut]
    pauses: list[PauseOut]
    meetings: list[MeetingOut]
    warnings: list[str] = []


class AttentionOut(msgspec.Struct):
    forloeb: ForloebOut
    codes: list[str]
    texts: list[str]
    days: list[int]


def reasons_out(items: list[dict[str, Any]] | tuple[Any, ...]) -> list[ReasonOut]:
    out = []
    for r in items:
        # A strategy's text is Danish or {"da": ..., "en": ...} (stored so): the user's language.
        if isinstance(r, dict):
            out.append(ReasonOut(r["code"], localize(r["text"]), float(r["points"])))
        else:
            out.append(ReasonOut(r.code, localize(r.text), round(float(r.points), 4)))
    return out


def forloeb_out(row: ForloebRow, coordinator: bool) -> ForloebOut:
    f = row.forloeb
    # The pair reach each other by phone while the forløb is open, not after it ended.
    phones = coordinator or f.state in {s.value for s in OPEN_STATES}
    return ForloebOut(
        id=f.id,
        programme=row.programme.slug,
        state=f.state,
        mentee=PartyOut(
            row.mentee.id,
            row.mentee_enrolment.id,
            row.mentee.name,
            row.mentee.phone if phones else None,
            f.mentee_accepted_at,
        ),
        mentor=PartyOut(
            row.mentor.id,
            row.mentor_enrolment.id,
            row.mentor.name,
            row.mentor.phone if phones else None,
            f.mentor_accepted_at,
        ),
        proposed_on=f.proposed_on,
        started_on=f.started_on,
        ended_on=f.ended_on,
        frequency=f.frequency,
        planned_months=f.planned_months,
        strategy=f.strategy if coordinator else None,
        score=f.score if coordinator else None,
        reasons=reasons_out(f.reasons or []) if coordinator else None,
    )


def meeting_out(m: Any) -> MeetingOut:
    return MeetingOut(m.id, m.day, m.activity, m.duration_minutes, m.cancelled, m.note, m.logged_as)


def candidate_out(c: Candidate) -> CandidateOut:
    return CandidateOut(
        c.enrolment.id, c.person.id, c.person.name, c.enrolment.role.value, c.free, c.excluded
    )


def proposals_from_form(values: list[str]) -> ProposalsIn:
    """The pairs of the waiting-list form: ``pair`` values ``"<mentee>:<mentor>"`` (enrolment
    ids). A malformed value proposes nothing (the command then asks for a pair)."""
    pairs = []
    for value in values:
        mentee, _sep, mentor = str(value).partition(":")
        try:
            pairs.append(PairIn(uuid.UUID(mentee), uuid.UUID(mentor)))
        except ValueError:
            return ProposalsIn([])
    return ProposalsIn(pairs)
