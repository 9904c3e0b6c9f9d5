"""Matching and forløb: the JSON API. Another tenant's ids are the same 404 as unknown ones."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today
from core.forloeb import service
from core.forloeb.access import actor_of as actor
from core.forloeb.access import audit, forloeb_for, is_coordinator
from core.forloeb.models import OPEN_STATES
from core.identity.guards import any_member, coordinators
from core.participants.schemas import FieldErrorsOut
from core.participants.service import FieldErrors
from core.plugin_api import MakkerPluginManager, PluginError
from core.programmes import controllers as rules
from core.programmes.service import access_programme_by_slug
from core.tenancy.models import Programme, Tenant
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.pipeline import audits

Text2000 = Annotated[str, msgspec.Meta(max_length=2000)]


def errors_response(exc: FieldErrors) -> Response[Any]:
    return Response(
        FieldErrorsOut(400, _("Some fields are not valid; nothing was saved."), exc.errors),
        status_code=400,
    )


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


class PairIn(msgspec.Struct, forbid_unknown_fields=True):
    mentee: uuid.UUID
    mentor: uuid.UUID


class ProposalsIn(msgspec.Struct, forbid_unknown_fields=True):
    pairs: Annotated[list[PairIn], msgspec.Meta(max_length=2000)]


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


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Coordinators say which party accepted; a mentor or citizen accepts for themselves.
    party: str | None = None


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    to: str
    reason: Text2000 | None = None
    #: For a pause: when the pair plans to meet again.
    resume_on: dt.date | None = None


class PlanIn(msgspec.Struct, forbid_unknown_fields=True):
    #: One of the programme's meeting frequencies (e.g. `weekly`, `fortnightly`).
    frequency: str
    #: Within the programme's duration (Kolding 6-9, Vejle 6).
    planned_months: int


class MeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    day: str
    activity: str
    duration_minutes: int | None = None
    cancelled: bool = False
    note: Text2000 | None = None


def _reasons(items: list[dict[str, Any]] | tuple[Any, ...]) -> list[ReasonOut]:
    out = []
    for r in items:
        if isinstance(r, dict):
            out.append(ReasonOut(r["code"], r["text"], float(r["points"])))
        else:
            out.append(ReasonOut(r.code, r.text, round(float(r.points), 4)))
    return out


def forloeb_out(row: service.ForloebRow, coordinator: bool) -> ForloebOut:
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
        reasons=_reasons(f.reasons or []) if coordinator else None,
    )


async def detail_out(
    session: AsyncSession,
    row: service.ForloebRow,
    viewer: str,
    warnings: list[str] = (),  # type: ignore[assignment]
) -> ForloebDetailOut:
    f = row.forloeb
    pause_rows = await service.pauses(session, f.id)
    coordinator = viewer == "coordinator"
    return ForloebDetailOut(
        forloeb=forloeb_out(row, coordinator),
        viewer=viewer,
        planned_end=service.planned_end_of(f, pause_rows, today()),
        events=[
            EventOut(
                e.from_state,
                e.to_state,
                e.actor if coordinator else "",
                e.at,
                e.reason if coordinator else None,
            )
            for e in await service.events(session, f.id)
        ],
        pauses=[PauseOut(p.starts_on, p.ends_on, p.planned_resume) for p in pause_rows],
        meetings=[
            MeetingOut(
                m.id, m.day, m.activity, m.duration_minutes, m.cancelled, m.note, m.logged_as
            )
            for m in await service.meetings(session, f.id)
        ],
        warnings=list(warnings),
    )


def candidate_out(c: service.Candidate) -> CandidateOut:
    return CandidateOut(
        c.enrolment.id, c.person.id, c.person.name, c.enrolment.role.value, c.free, c.excluded
    )


async def programme_or_404(session: AsyncSession, slug: str) -> Programme:
    programme = await access_programme_by_slug(session, slug)
    if programme is None:
        raise NotFoundException()
    return programme


class MatchingApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/programmes/{programme_slug:str}"
    tags = ["matching"]
    guards = [coordinators]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(rules.provide_plugin_manager, sync_to_thread=False),
    }
    exception_handlers = {PluginError: rules._plugin_error}

    @get(
        "/matching/suggestions",
        name="api_matching_suggestions",
        opt=audits("matching.suggestions", "enrolment"),
    )
    async def suggestions(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        programme_slug: FromPath[str],
        mentee: Annotated[uuid.UUID, QueryParameter(description="The mentee's enrolment id.")],
        top: Annotated[int, QueryParameter(ge=1, le=50)] = 5,
    ) -> list[SuggestionOut]:
        """The best mentors with free places for one mentee on the waiting list, with scores
        and the Danish explanation of every point."""
        programme = await programme_or_404(db_session, programme_slug)
        try:
            found = await service.suggestions_for(
                db_session, plugin_manager, tenant, programme, mentee, today(), top
            )
        except service.NotFound:
            raise NotFoundException() from None
        keys = found.waiting.by_key()
        await audit(request, tenant, "matching.suggestions", "enrolment", mentee)
        return [
            SuggestionOut(
                uuid.UUID(s.mentor),
                keys[s.mentor].person.name,
                round(s.score.points, 4),
                s.free_capacity,
                _reasons(s.score.reasons),
            )
            for s in found.suggestions
        ]

    @get(
        "/matching/assignment",
        name="api_matching_assignment",
        opt=audits("matching.assignment", "programme"),
    )
    async def assignment(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        programme_slug: FromPath[str],
    ) -> AssignmentOut:
        """The best proposals for the whole waiting list (maximal total score under the
        mentors' capacities). Nothing is stored: post the pairs to `proposals`."""
        programme = await programme_or_404(db_session, programme_slug)
        waiting = await service.waiting_list(db_session, plugin_manager, tenant, programme, today())
        plan = service.assign(waiting, today())
        keys = waiting.by_key()
        matched = {p.mentee for p in plan}
        await audit(request, tenant, "matching.assignment", "programme", programme.id)
        return AssignmentOut(
            programme=programme.slug,
            strategy=waiting.strategy.name,
            pairs=[
                PairOut(
                    uuid.UUID(p.mentee),
                    keys[p.mentee].person.name,
                    uuid.UUID(p.mentor),
                    keys[p.mentor].person.name,
                    round(p.score.points, 4),
                    _reasons(p.score.reasons),
                )
                for p in plan
            ],
            total_score=round(sum(p.score.points for p in plan), 4),
            unmatched=[
                candidate_out(c) for c in waiting.open_mentees if c.profile.key not in matched
            ],
            excluded=[candidate_out(c) for c in waiting.mentees + waiting.mentors if c.excluded],
        )

    @post("/proposals", name="api_proposals_create", opt=audits("forloeb.propose", "forloeb"))
    async def propose(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        programme_slug: FromPath[str],
        data: JSONBody[ProposalsIn],
    ) -> Response[Any]:
        """Store proposals (forløb in state `proposed`) for the given pairs; all or nothing."""
        programme = await programme_or_404(db_session, programme_slug)
        try:
            created = await service.create_proposals(
                db_session,
                plugin_manager,
                tenant,
                programme,
                [(p.mentee, p.mentor) for p in data.pairs],
                actor(request),
                today(),
            )
        except FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        for f in created:
            await audit(request, tenant, "forloeb.propose", "forloeb", f.id)
        rows = [await service.get_forloeb(db_session, f.id) for f in created]
        return Response([forloeb_out(r, True) for r in rows], status_code=201)


class ForloebApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/forloeb"
    tags = ["forloeb"]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(rules.provide_plugin_manager, sync_to_thread=False),
    }
    exception_handlers = {PluginError: rules._plugin_error}

    @get("/", name="api_forloeb_list", opt=audits("forloeb.list"), guards=[coordinators])
    async def list_forloeb(
        self,
        db_session: NamedDependency[AsyncSession],
        states: Annotated[
            list[str] | None, QueryParameter(name="state", description="Filter by state.")
        ] = None,
        programme: FromQuery[str | None] = None,
    ) -> list[ForloebOut]:
        """The organisation's forløb and proposals, newest first."""
        programme_id = None
        if programme:
            programme_id = (await programme_or_404(db_session, programme)).id
        rows = await service.list_forloeb(db_session, states or (), programme_id)
        return [forloeb_out(r, True) for r in rows]

    @get(
        "/attention",
        name="api_forloeb_attention",
        opt=audits("forloeb.attention"),
        guards=[coordinators],
    )
    async def attention(self, db_session: NamedDependency[AsyncSession]) -> list[AttentionOut]:
        """Forløb that need a look: no recent meeting, ending within 30 days, a proposal waiting
        more than 14 days, a pause past its planned resume date."""
        return [
            AttentionOut(
                forloeb_out(a.row, True),
                [i.code for i in a.items],
                [service.attention_text(i) for i in a.items],
                [i.days for i in a.items],
            )
            for a in await service.attention_list(db_session, today())
        ]

    @get(
        "/{forloeb_id:uuid}",
        name="api_forloeb",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        forloeb_id: FromPath[uuid.UUID],
    ) -> ForloebDetailOut:
        """One forløb with its history, pauses and meetings: for coordinators and the pair."""
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        await audit(request, tenant, "forloeb.read", "forloeb", row.forloeb.id)
        return await detail_out(db_session, row, viewer)

    @post(
        "/{forloeb_id:uuid}/acceptances",
        name="api_forloeb_accept",
        opt=audits("forloeb.accept", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def accept(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[AcceptIn],
    ) -> Response[Any]:
        """Record that a party accepts the proposal; when both have, the forløb is active."""
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        party = data.party if viewer == "coordinator" else viewer
        try:
            changed = await service.accept(
                db_session, plugin_manager, tenant, row, party or "", actor(request), today()
            )
        except FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await audit(request, tenant, "forloeb.accept", "forloeb", row.forloeb.id, {"party": party})
        return Response(
            await detail_out(db_session, changed.row, viewer, changed.warnings), status_code=200
        )

    @post(
        "/{forloeb_id:uuid}/transitions",
        name="api_forloeb_transition",
        opt=audits("forloeb.transition", "forloeb", "forloeb_id"),
        guards=[coordinators],
    )
    async def transition(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
    ) -> Response[Any]:
        """Change the forløb's state (pause, resume, complete, end early, decline a proposal).
        Plugins may veto (400 with their message) or warn (`warnings`)."""
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        try:
            changed = await service.change_state(
                db_session,
                plugin_manager,
                tenant,
                row,
                data.to,
                actor(request),
                today(),
                data.reason,
                data.resume_on,
            )
        except FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await audit(
            request, tenant, "forloeb.transition", "forloeb", row.forloeb.id, {"to": data.to}
        )
        return Response(
            await detail_out(db_session, changed.row, viewer, changed.warnings), status_code=200
        )

    @put(
        "/{forloeb_id:uuid}/plan",
        name="api_forloeb_plan",
        opt=audits("forloeb.plan", "forloeb", "forloeb_id"),
        guards=[coordinators],
    )
    async def plan(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[PlanIn],
    ) -> Response[Any]:
        """Set the meeting frequency and planned length (the planned end follows)."""
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        try:
            row = await service.set_plan(db_session, row, data.frequency, data.planned_months)
        except FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await audit(request, tenant, "forloeb.plan", "forloeb", row.forloeb.id)
        return Response(await detail_out(db_session, row, viewer), status_code=200)

    @post(
        "/{forloeb_id:uuid}/meetings",
        name="api_forloeb_meeting",
        opt=audits("forloeb.meeting", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def meeting(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[MeetingIn],
    ) -> Response[Any]:
        """Log a meeting (date, activity, duration, private note) or an afbud (`cancelled`)."""
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        try:
            meeting = await service.log_meeting(
                db_session,
                row,
                logged_as=viewer,
                actor=actor(request),
                values=msgspec.structs.asdict(data),
                today=today(),
            )
        except FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await audit(request, tenant, "forloeb.meeting", "forloeb", row.forloeb.id)
        return Response(
            MeetingOut(
                meeting.id,
                meeting.day,
                meeting.activity,
                meeting.duration_minutes,
                meeting.cancelled,
                meeting.note,
                meeting.logged_as,
            ),
            status_code=201,
        )


__all__ = ["ForloebApiController", "MatchingApiController", "is_coordinator"]
