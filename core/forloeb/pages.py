"""Matching and forløb pages: the waiting list, suggestions, the whole list matched in one
action, proposals, the forløb page for coordinators and the pair, meetings from a phone, and
the attention list. Adapters over the same commands and queries as the JSON API: a form becomes
the command's Struct (:func:`core.web.forms.form_struct`); success redirects (303), and an
:class:`core.errors.Invalid` shows the page again with its errors (400)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from core.context import Context
from core.errors import Invalid
from core.forloeb import commands, meetings, planned, proposals, queries
from core.forloeb.access import access_forloeb
from core.forloeb.labels import activity_label, attention_text, state_label
from core.forloeb.lifecycle import ALLOWED, NEEDS_REASON, ForloebState
from core.forloeb.models import ACTIVITIES
from core.forloeb.rows import ForloebRow
from core.forloeb.schemas import (
    LIST_PAGE_SIZE,
    LIST_SORTS,
    AcceptIn,
    ListIn,
    MeetingIn,
    PlanIn,
    TransitionIn,
    proposals_from_form,
)
from core.identity.guards import any_member, coordinators
from core.matching import queries as matching
from core.outcomes.pages import forloeb_questionnaires
from core.outcomes.results import due_in_tenant
from core.web.forms import form_struct, read_form
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits

LABELS = {
    "state_label": state_label,
    "activity_label": activity_label,
    "attention_text": attention_text,
}
STATES = [s.value for s in ForloebState]


def _page(name: str, context: dict[str, Any], status_code: int = 200) -> Template:
    return Template(
        name, context={**LABELS, **context}, status_code=status_code, media_type=MediaType.HTML
    )


async def _waiting_page(
    ctx: Context, programme_slug: str, errors: dict[str, str] | None = None, status: int = 200
) -> Template:
    waiting = await matching.waiting_for(ctx, programme_slug)
    return _page(
        "forloeb/waiting.html",
        {
            "tenant": ctx.tenant,
            "programme": waiting.programme,
            "waiting": waiting,
            "keys": waiting.by_key(),
            "errors": errors or {},
            "active_nav": "matching",
        },
        status,
    )


class MatchingPagesController(Controller):
    path = "/t/{tenant_slug:str}/matchning"
    include_in_schema = False
    guards = [coordinators]

    @get("/", name="matching_page", opt=NO_PERSONAL_DATA)
    async def index(self, ctx: NamedDependency[Context]) -> Template:
        rows = await matching.overview(ctx)
        return _page(
            "forloeb/matching_index.html",
            {"tenant": ctx.tenant, "rows": rows, "active_nav": "matching"},
        )

    @get(
        "/{programme_slug:str}",
        name="matching_waiting_page",
        opt=audits("matching.waiting_list", "programme"),
    )
    async def waiting(
        self, ctx: NamedDependency[Context], programme_slug: FromPath[str]
    ) -> Template:
        return await _waiting_page(ctx, programme_slug)

    @get(
        "/{programme_slug:str}/ventelisten",
        name="matching_assignment_page",
        opt=audits("matching.assignment", "programme"),
    )
    async def assignment(
        self, ctx: NamedDependency[Context], programme_slug: FromPath[str]
    ) -> Template:
        plan = await matching.assignment(ctx, programme_slug)
        return _page(
            "forloeb/assignment.html",
            {
                "tenant": ctx.tenant,
                "programme": plan.waiting.programme,
                "waiting": plan.waiting,
                "keys": plan.waiting.by_key(),
                "plan": plan.proposals,
                "unmatched": plan.unmatched,
                "notices": plan.waiting.notices
                + ([plan.strategy_failed] if plan.strategy_failed else []),
                "errors": {},
                "active_nav": "matching",
            },
        )

    @get(
        "/{programme_slug:str}/borger/{mentee_id:uuid}",
        name="matching_suggestions_page",
        opt=audits("matching.suggestions", "enrolment", "mentee_id"),
    )
    async def suggestions(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        mentee_id: FromPath[uuid.UUID],
    ) -> Template:
        """Suggested mentors for the mentee enrolment ``mentee_id``."""
        found = await matching.suggestions(ctx, programme_slug, mentee_id)
        return _page(
            "forloeb/suggestions.html",
            {
                "tenant": ctx.tenant,
                "programme": found.waiting.programme,
                "mentee": found.mentee,
                "suggestions": found.suggestions,
                "strategy_failed": found.strategy_failed,
                "notices": found.waiting.notices
                + ([found.strategy_failed] if found.strategy_failed else []),
                "keys": found.waiting.by_key(),
                "active_nav": "matching",
            },
        )

    @post(
        "/{programme_slug:str}/forslag",
        name="matching_propose_page",
        opt=audits("forloeb.propose", "forloeb"),
        media_type=MediaType.HTML,
    )
    async def propose(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
    ) -> Any:
        data = proposals_from_form((await read_form(request, lists=("pair",)))["pair"])
        try:
            await proposals.propose(ctx, programme_slug, data)
        except Invalid as exc:
            return await _waiting_page(ctx, programme_slug, exc.errors, 400)
        return Redirect(f"/t/{ctx.tenant.slug}/forloeb/?state=proposed", status_code=303)


async def _detail_page(
    ctx: Context,
    d: queries.ForloebDetail,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    f = d.row.forloeb
    # The questionnaires the viewer may see: every occasion for coordinators, a party's own.
    questionnaires = await forloeb_questionnaires(ctx, d.row, d.viewer)
    current = ForloebState(f.state)
    policy = d.row.programme.policy or {}
    return _page(
        "forloeb/detail.html",
        {
            "tenant": ctx.tenant,
            "row": d.row,
            "f": f,
            "viewer": d.viewer,
            "coordinator": d.coordinator,
            "events": d.events,
            "pauses": d.pauses,
            "meetings": d.meetings,
            "planned_end": d.planned_end,
            "targets": [
                (s.value, (current, s) in NEEDS_REASON)
                for s in ForloebState
                if s in ALLOWED[current]
                and not (current == ForloebState.PROPOSED and s == ForloebState.ACTIVE)
            ],
            "open": d.open,
            "frequencies": list(policy.get("meeting_frequencies") or ()),
            "months": policy.get("duration_months")
            or {"min": f.planned_months, "max": f.planned_months},
            "errors": errors or {},
            "warnings": d.warnings,
            "questionnaires": questionnaires,
            "planned": await planned.upcoming(ctx, f.id),
            "today": ctx.today(),
            "active_nav": "forloeb" if d.coordinator else "mine",
        },
        status_code,
    )


async def _stored(ctx: Context, forloeb_id: uuid.UUID) -> tuple[ForloebRow, str]:
    """The forløb as stored, after a refused command (its changes are undone first)."""
    await ctx.session.rollback()
    return await access_forloeb(ctx, forloeb_id)


async def _refused(ctx: Context, forloeb_id: uuid.UUID, exc: Invalid) -> Template:
    """Nothing was stored: the forløb page again, with the errors (400)."""
    row, viewer = await _stored(ctx, forloeb_id)
    return await _detail_page(ctx, await queries.detail_of(ctx, row, viewer), exc.errors, 400)


async def _done(ctx: Context, changed: commands.Changed) -> Any:
    """Back to the forløb page; with the plugins' warnings shown when there are any."""
    if changed.warnings:
        return await _detail_page(
            ctx, await queries.detail_of(ctx, changed.row, changed.viewer, changed.warnings)
        )
    return Redirect(f"/t/{ctx.tenant.slug}/forloeb/{changed.row.forloeb.id}", status_code=303)


def _meeting_page(
    ctx: Context,
    row: ForloebRow,
    viewer: str,
    values: Any,
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    return _page(
        "forloeb/meeting.html",
        {
            "tenant": ctx.tenant,
            "row": row,
            "viewer": viewer,
            "activities": ACTIVITIES,
            "values": values,
            "errors": errors,
            "active_nav": "forloeb" if viewer == "coordinator" else "mine",
        },
        status_code,
    )


class ForloebPagesController(Controller):
    path = "/t/{tenant_slug:str}/forloeb"
    include_in_schema = False

    @get("/", name="forloeb_list_page", opt=audits("forloeb.list"), guards=[coordinators])
    async def index(
        self,
        ctx: NamedDependency[Context],
        state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
        programme: FromQuery[str | None] = None,
        attention: FromQuery[str | None] = None,
        sort: FromQuery[str | None] = None,
        side: FromQuery[str | None] = None,
    ) -> Template:
        """The list, 20 a page: filters and sort from the form; a wrong value shows them all."""
        page_no = int(side) if side and side.isdigit() and 0 < int(side) < 10_000 else 1
        programmes = await queries.programmes_of(ctx)
        query = ListIn(
            [state_filter] if state_filter in STATES else [],
            programme if programme in {p.slug for p in programmes} else None,
            attention == "1",
            sort if sort in LIST_SORTS else "newest",
            LIST_PAGE_SIZE,
            (page_no - 1) * LIST_PAGE_SIZE,
        )
        found = await queries.find_forloeb(ctx, query)
        return _page(
            "forloeb/list.html",
            {
                "tenant": ctx.tenant,
                "rows": found.rows,
                "total": found.total,
                "page_no": page_no,
                "pages": max(1, -(-found.total // LIST_PAGE_SIZE)),
                "query": query,
                "state": query.state[0] if query.state else "",
                "states": STATES,
                "programmes": programmes,
                "sorts": LIST_SORTS,
                "attention_count": len(await queries.attention_list(ctx)),
                "active_nav": "forloeb",
            },
        )

    @get(
        "/opmaerksomhed",
        name="forloeb_attention_page",
        opt=audits("forloeb.attention"),
        guards=[coordinators],
    )
    async def attention(self, ctx: NamedDependency[Context]) -> Template:
        """Forløb that need a look, and the questionnaires open for answers (soonest closing
        first) with a link to enter answers given in a conversation."""
        due = await due_in_tenant(ctx)
        ctx.audit("forloeb.attention")
        if due:
            ctx.audit("outcomes.due", object_type="forloeb")
        return _page(
            "forloeb/attention.html",
            {
                "tenant": ctx.tenant,
                "items": await queries.attention_list(ctx),
                "due": due,
                "active_nav": "forloeb",
            },
        )

    @get(
        "/{forloeb_id:uuid}",
        name="forloeb_page",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def detail(
        self, ctx: NamedDependency[Context], forloeb_id: FromPath[uuid.UUID]
    ) -> Template:
        return await _detail_page(ctx, await queries.forloeb_detail(ctx, forloeb_id))

    @post(
        "/{forloeb_id:uuid}/accept",
        name="forloeb_accept_page",
        opt=audits("forloeb.accept", "forloeb", "forloeb_id"),
        guards=[any_member],
        media_type=MediaType.HTML,
    )
    async def accept(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        try:
            data = form_struct(await read_form(request), AcceptIn)
            changed = await commands.accept(ctx, forloeb_id, data)
        except Invalid as exc:
            return await _refused(ctx, forloeb_id, exc)
        return await _done(ctx, changed)

    @post(
        "/{forloeb_id:uuid}/status",
        name="forloeb_status_page",
        opt=audits("forloeb.transition", "forloeb", "forloeb_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def status(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        messages = {"resume_on": _("Expected a date (YYYY-MM-DD).")}
        try:
            data = form_struct(await read_form(request), TransitionIn, messages)
            changed = await commands.change_state(ctx, forloeb_id, data)
        except Invalid as exc:
            return await _refused(ctx, forloeb_id, exc)
        return await _done(ctx, changed)

    @post(
        "/{forloeb_id:uuid}/plan",
        name="forloeb_plan_page",
        opt=audits("forloeb.plan", "forloeb", "forloeb_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def plan(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        try:
            data = form_struct(await read_form(request), PlanIn)
            await commands.set_plan(ctx, forloeb_id, data)
        except Invalid as exc:
            return await _refused(ctx, forloeb_id, exc)
        return Redirect(f"/t/{ctx.tenant.slug}/forloeb/{forloeb_id}", status_code=303)

    @get(
        "/{forloeb_id:uuid}/moede",
        name="forloeb_meeting_form_page",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def meeting_form(
        self, ctx: NamedDependency[Context], forloeb_id: FromPath[uuid.UUID]
    ) -> Template:
        row, viewer = await queries.meeting_form(ctx, forloeb_id)
        values = {"day": ctx.today().isoformat(), "activity": "", "duration_minutes": "60"}
        return _meeting_page(ctx, row, viewer, values, {})

    @post(
        "/{forloeb_id:uuid}/moede",
        name="forloeb_meeting_page",
        opt=audits("forloeb.meeting", "forloeb", "forloeb_id"),
        guards=[any_member],
        media_type=MediaType.HTML,
    )
    async def meeting(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        values = await read_form(request, checks=("cancelled",))
        try:
            data = form_struct(values, MeetingIn)
            await meetings.log_meeting(ctx, forloeb_id, data)
        except Invalid as exc:
            row, viewer = await _stored(ctx, forloeb_id)
            return _meeting_page(ctx, row, viewer, values, exc.errors, 400)
        return Redirect(f"/t/{ctx.tenant.slug}/forloeb/{forloeb_id}?gemt=1", status_code=303)
