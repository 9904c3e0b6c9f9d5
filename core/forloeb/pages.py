"""Matching and forløb pages: the waiting list, suggestions, the whole list matched in one
action, proposals, the forløb page for coordinators and the pair, meetings from a phone, and
the attention list. Forms redirect (303) on success and re-render (400) with the errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today
from core.forloeb import service
from core.forloeb.access import actor_of as actor
from core.forloeb.access import audit, forloeb_for
from core.forloeb.controllers import programme_or_404
from core.forloeb.lifecycle import ALLOWED, NEEDS_REASON, ForloebState
from core.forloeb.models import ACTIVITIES, OPEN_STATES
from core.identity.guards import any_member, coordinators
from core.participants.service import FieldErrors
from core.plugin_api import MakkerPluginManager, PluginError
from core.programmes import controllers as rules
from core.tenancy.models import Tenant
from core.tenancy.service import list_active_programmes
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits

LABELS = {
    "state_label": service.state_label,
    "activity_label": service.activity_label,
    "attention_text": service.attention_text,
}


def _page(name: str, context: dict[str, Any], status_code: int = 200) -> Template:
    return Template(
        name, context={**LABELS, **context}, status_code=status_code, media_type=MediaType.HTML
    )


def _pairs(form: Any) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """``pair`` values ``"<mentee enrolment>:<mentor enrolment>"`` from a form."""
    pairs = []
    for value in form.getall("pair", []):
        mentee, _sep, mentor = str(value).partition(":")
        pairs.append((uuid.UUID(mentee), uuid.UUID(mentor)))
    return pairs


class MatchingPagesController(Controller):
    path = "/t/{tenant_slug:str}/matchning"
    include_in_schema = False
    guards = [coordinators]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(rules.provide_plugin_manager, sync_to_thread=False),
    }
    exception_handlers = {PluginError: rules._plugin_error}

    @get("/", name="matching_page", opt=NO_PERSONAL_DATA)
    async def index(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
    ) -> Template:
        rows = []
        for programme in await list_active_programmes(db_session):
            waiting = await service.waiting_list(
                db_session, plugin_manager, tenant, programme, today()
            )
            rows.append((programme, len(waiting.open_mentees), len(waiting.open_mentors)))
        return _page(
            "forloeb/matching_index.html",
            {"tenant": tenant, "rows": rows, "active_nav": "matching"},
        )

    async def _waiting(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant: Tenant,
        plugin_manager: MakkerPluginManager,
        programme_slug: str,
        template: str,
        extra: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Template:
        programme = await programme_or_404(db_session, programme_slug)
        waiting = await service.waiting_list(db_session, plugin_manager, tenant, programme, today())
        context: dict[str, Any] = {
            "tenant": tenant,
            "programme": programme,
            "waiting": waiting,
            "keys": waiting.by_key(),
            "errors": {},
            "active_nav": "matching",
        }
        if template == "forloeb/assignment.html":
            plan = service.assign(waiting, today())
            matched = {p.mentee for p in plan}
            context["plan"] = plan
            context["unmatched"] = [c for c in waiting.open_mentees if c.profile.key not in matched]
            await audit(request, tenant, "matching.assignment", "programme", programme.id)
        context.update(extra or {})
        return _page(template, context, status_code)

    @get(
        "/{programme_slug:str}",
        name="matching_waiting_page",
        opt=audits("matching.waiting_list", "programme"),
    )
    async def waiting(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        programme_slug: FromPath[str],
    ) -> Template:
        return await self._waiting(
            request, db_session, tenant, plugin_manager, programme_slug, "forloeb/waiting.html"
        )

    @get(
        "/{programme_slug:str}/ventelisten",
        name="matching_assignment_page",
        opt=audits("matching.assignment", "programme"),
    )
    async def assignment(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        programme_slug: FromPath[str],
    ) -> Template:
        return await self._waiting(
            request, db_session, tenant, plugin_manager, programme_slug, "forloeb/assignment.html"
        )

    @get(
        "/{programme_slug:str}/borger/{mentee_id:uuid}",
        name="matching_suggestions_page",
        opt=audits("matching.suggestions", "enrolment", "mentee_id"),
    )
    async def suggestions(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        programme_slug: FromPath[str],
        mentee_id: FromPath[uuid.UUID],
    ) -> Template:
        """Suggested mentors for the mentee enrolment ``mentee_id``."""
        enrolment_id = mentee_id
        programme = await programme_or_404(db_session, programme_slug)
        try:
            found = await service.suggestions_for(
                db_session, plugin_manager, tenant, programme, enrolment_id, today()
            )
        except service.NotFound:
            raise NotFoundException() from None
        await audit(request, tenant, "matching.suggestions", "enrolment", enrolment_id)
        return _page(
            "forloeb/suggestions.html",
            {
                "tenant": tenant,
                "programme": programme,
                "mentee": found.mentee,
                "suggestions": found.suggestions,
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
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        programme_slug: FromPath[str],
    ) -> Any:
        programme = await programme_or_404(db_session, programme_slug)
        form = await request.form()
        try:
            pairs = _pairs(form)
        except ValueError:
            pairs = []
        try:
            created = await service.create_proposals(
                db_session, plugin_manager, tenant, programme, pairs, actor(request), today()
            )
        except FieldErrors as exc:
            await db_session.rollback()
            return await self._waiting(
                request,
                db_session,
                tenant,
                plugin_manager,
                programme_slug,
                "forloeb/waiting.html",
                {"errors": exc.errors},
                400,
            )
        for f in created:
            await audit(request, tenant, "forloeb.propose", "forloeb", f.id)
        return Redirect(f"/t/{tenant.slug}/forloeb/?state=proposed", status_code=303)


class ForloebPagesController(Controller):
    path = "/t/{tenant_slug:str}/forloeb"
    include_in_schema = False
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(rules.provide_plugin_manager, sync_to_thread=False),
    }
    exception_handlers = {PluginError: rules._plugin_error}

    @get("/", name="forloeb_list_page", opt=audits("forloeb.list"), guards=[coordinators])
    async def index(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
    ) -> Template:
        state = state_filter
        states = [state] if state in {s.value for s in ForloebState} else []
        rows = await service.list_forloeb(db_session, states)
        attention = await service.attention_list(db_session, today())
        return _page(
            "forloeb/list.html",
            {
                "tenant": tenant,
                "rows": rows,
                "state": states[0] if states else "",
                "states": [s.value for s in ForloebState],
                "attention_count": len(attention),
                "active_nav": "forloeb",
            },
        )

    @get(
        "/opmaerksomhed",
        name="forloeb_attention_page",
        opt=audits("forloeb.attention"),
        guards=[coordinators],
    )
    async def attention(
        self, db_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]
    ) -> Template:
        return _page(
            "forloeb/attention.html",
            {
                "tenant": tenant,
                "items": await service.attention_list(db_session, today()),
                "active_nav": "forloeb",
            },
        )

    async def _detail(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant: Tenant,
        forloeb_id: uuid.UUID,
        errors: dict[str, str] | None = None,
        warnings: list[str] | None = None,
        status_code: int = 200,
    ) -> Template:
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        f = row.forloeb
        pause_rows = await service.pauses(db_session, f.id)
        current = ForloebState(f.state)
        await audit(request, tenant, "forloeb.read", "forloeb", f.id)
        return _page(
            "forloeb/detail.html",
            {
                "tenant": tenant,
                "row": row,
                "f": f,
                "viewer": viewer,
                "coordinator": viewer == "coordinator",
                "events": await service.events(db_session, f.id),
                "pauses": pause_rows,
                "meetings": await service.meetings(db_session, f.id),
                "planned_end": service.planned_end_of(f, pause_rows, today()),
                "targets": [
                    (s.value, (current, s) in NEEDS_REASON)
                    for s in ForloebState
                    if s in ALLOWED[current]
                    and not (current == ForloebState.PROPOSED and s == ForloebState.ACTIVE)
                ],
                "open": f.state in {s.value for s in OPEN_STATES},
                "frequencies": list((row.programme.policy or {}).get("meeting_frequencies") or ()),
                "months": (row.programme.policy or {}).get("duration_months")
                or {"min": f.planned_months, "max": f.planned_months},
                "errors": errors or {},
                "warnings": warnings or [],
                "today": today(),
                "active_nav": "forloeb" if viewer == "coordinator" else "mine",
            },
            status_code,
        )

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant: Tenant,
        forloeb_id: uuid.UUID,
        exc: FieldErrors,
    ) -> Template:
        """Nothing was stored: the forløb page again, with the errors (400)."""
        await db_session.rollback()
        return await self._detail(request, db_session, tenant, forloeb_id, exc.errors, None, 400)

    async def _done(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant: Tenant,
        forloeb_id: uuid.UUID,
        warnings: list[str],
    ) -> Any:
        """Back to the forløb page; with the plugins' warnings shown when there are any."""
        if warnings:
            return await self._detail(request, db_session, tenant, forloeb_id, None, warnings)
        return Redirect(f"/t/{tenant.slug}/forloeb/{forloeb_id}", status_code=303)

    @get(
        "/{forloeb_id:uuid}",
        name="forloeb_page",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def detail(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Template:
        return await self._detail(request, db_session, tenant, forloeb_id)

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
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        form = await request.form()
        party = str(form.get("party", "")) if viewer == "coordinator" else viewer
        try:
            changed = await service.accept(
                db_session, plugin_manager, tenant, row, party, actor(request), today()
            )
        except FieldErrors as exc:
            return await self._refused(request, db_session, tenant, forloeb_id, exc)
        await audit(request, tenant, "forloeb.accept", "forloeb", row.forloeb.id, {"party": party})
        return await self._done(request, db_session, tenant, forloeb_id, changed.warnings)

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
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        row, _viewer = await forloeb_for(request, db_session, forloeb_id)
        form = await request.form()
        to = str(form.get("to", ""))
        resume_on: dt.date | None = None
        raw = str(form.get("resume_on", "") or "")
        errors: dict[str, str] = {}
        if raw:
            try:
                resume_on = dt.date.fromisoformat(raw)
            except ValueError:
                errors["resume_on"] = _("Expected a date (YYYY-MM-DD).")
        try:
            if errors:
                raise FieldErrors(errors)
            changed = await service.change_state(
                db_session,
                plugin_manager,
                tenant,
                row,
                to,
                actor(request),
                today(),
                str(form.get("reason", "") or ""),
                resume_on,
            )
        except FieldErrors as exc:
            return await self._refused(request, db_session, tenant, forloeb_id, exc)
        await audit(request, tenant, "forloeb.transition", "forloeb", row.forloeb.id, {"to": to})
        return await self._done(request, db_session, tenant, forloeb_id, changed.warnings)

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
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        row, _viewer = await forloeb_for(request, db_session, forloeb_id)
        form = await request.form()
        raw = str(form.get("planned_months", "") or "")
        try:
            await service.set_plan(
                db_session,
                row,
                str(form.get("frequency", "") or ""),
                int(raw) if raw.strip().isdigit() else -1,
            )
        except FieldErrors as exc:
            return await self._refused(request, db_session, tenant, forloeb_id, exc)
        await audit(request, tenant, "forloeb.plan", "forloeb", row.forloeb.id)
        return Redirect(f"/t/{tenant.slug}/forloeb/{forloeb_id}", status_code=303)

    def _meeting_form(
        self,
        tenant: Tenant,
        row: service.ForloebRow,
        viewer: str,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        return _page(
            "forloeb/meeting.html",
            {
                "tenant": tenant,
                "row": row,
                "viewer": viewer,
                "activities": ACTIVITIES,
                "values": values,
                "errors": errors,
                "active_nav": "forloeb" if viewer == "coordinator" else "mine",
            },
            status_code,
        )

    @get(
        "/{forloeb_id:uuid}/moede",
        name="forloeb_meeting_form_page",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def meeting_form(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Template:
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        values = {"day": today().isoformat(), "activity": "", "duration_minutes": "60"}
        return self._meeting_form(tenant, row, viewer, values, {})

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
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        row, viewer = await forloeb_for(request, db_session, forloeb_id)
        form = await request.form()
        values: dict[str, str | bool] = {
            k: str(form.get(k, "") or "") for k in ("day", "activity", "duration_minutes", "note")
        }
        values["cancelled"] = "cancelled" in form
        try:
            await service.log_meeting(
                db_session,
                row,
                logged_as=viewer,
                actor=actor(request),
                values=values,
                today=today(),
            )
        except FieldErrors as exc:
            await db_session.rollback()
            # The rollback expired the loaded rows: read them again for the form.
            row, viewer = await forloeb_for(request, db_session, forloeb_id)
            return self._meeting_form(tenant, row, viewer, values, exc.errors, 400)
        await audit(request, tenant, "forloeb.meeting", "forloeb", row.forloeb.id)
        return Redirect(f"/t/{tenant.slug}/forloeb/{forloeb_id}?gemt=1", status_code=303)
