"""Pages for coordinators: people, enrolments, før-samtale, consent and verdicts (Danish).

Forms post back to the same URL; wrong input re-renders the form (400) with a message at each
field and nothing stored; success redirects (303). Status changes and withdrawing consent go
through a confirmation page. Each request writes one audit row, as the API does.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today
from core.identity.guards import coordinators
from core.mine import service as mine
from core.participants import service
from core.participants.controllers import actor_of
from core.plugin_api import IntakeField, MakkerPluginManager
from core.programmes import controllers as rules
from core.tenancy.models import Tenant
from core.web.deps import provide_tenant
from core.web.middleware import route_template
from core.web.pipeline import NO_PERSONAL_DATA, audits

Form = dict[str, Any]


def _form_values(form: Any, keys: tuple[str, ...], lists: tuple[str, ...] = ()) -> Form:
    values: Form = {}
    for key in keys:
        if key in lists:
            values[key] = [v for v in form.getall(key, []) if v]
        elif key in form:
            values[key] = form.get(key)
    return values


def _plugin_values(form: Any, fields: list[IntakeField]) -> Form:
    """Form answers to plugin questions as JSON values (blank clears an answer)."""
    values: Form = {}
    for f in fields:
        name = f"plugin:{f.key}"
        if f.type == "choices":
            if f"{name}:present" in form:
                chosen = [v for v in form.getall(name, []) if v]
                values[f.key] = chosen or None
            continue
        if name not in form:
            continue
        raw = str(form.get(name) or "").strip()
        if raw == "":
            values[f.key] = None
        elif f.type == "boolean":
            values[f.key] = {"ja": True, "nej": False}.get(raw, raw)
        elif f.type == "integer":
            values[f.key] = int(raw) if raw.lstrip("-").isdigit() else raw
        else:
            values[f.key] = raw
    return values


class ParticipantPagesController(Controller):
    path = "/t/{tenant_slug:str}/deltagere"
    include_in_schema = False
    guards = [coordinators]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(rules.provide_plugin_manager, sync_to_thread=False),
    }

    async def _audit(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: Tenant,
        action: str,
        person_id: uuid.UUID | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await service.audit(
            state.sessionmaker,
            action,
            actor=actor_of(request),
            tenant=tenant,
            route=route_template(request.scope),
            person_id=person_id,
            detail=detail,
        )

    def _page(self, name: str, tenant: Tenant, status_code: int = 200, **context: Any) -> Template:
        return Template(
            f"participants/{name}.html",
            context={
                "tenant": tenant,
                "active_nav": "participants",
                "status_label": service.status_label,
                "role_label": service.role_label,
                "outcome_label": service.outcome_label,
                "slot_label": service.slot_label,
                **context,
            },
            status_code=status_code,
            media_type=MediaType.HTML,
        )

    # -- list ------------------------------------------------------------------------------

    @get("/", name="participants_page", opt=audits("person.search"))
    async def index(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[str] = "",
        programme: FromQuery[str] = "",
        role: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        criteria = service.SearchCriteria(q, programme, role, status, max(page, 1))
        errors: dict[str, str] = {}
        try:
            result = await service.search_people(db_session, criteria)
        except service.FieldErrors as exc:
            errors = exc.errors
            criteria = service.SearchCriteria(q[:200])
            result = await service.search_people(db_session, criteria)
        await self._audit(request, state, tenant, "person.search", None, criteria.audit_detail())
        partial = bool(request.headers.get("hx-request")) and not errors
        return self._page(
            "_results" if partial else "list",
            tenant,
            result=result,
            criteria=criteria,
            errors=errors,
            programmes=await service.programmes(db_session),
            statuses=list(service.EnrolmentStatus),
        )

    # -- create and edit ------------------------------------------------------------------

    @get("/ny", name="participant_new_page", opt=NO_PERSONAL_DATA)
    async def new(
        self, tenant: NamedDependency[Tenant], db_session: NamedDependency[AsyncSession]
    ) -> Template:
        return self._page(
            "new",
            tenant,
            values={},
            errors={},
            programmes=await service.programmes(db_session),
        )

    @post("/ny", name="participant_create_page", opt=audits("person.create", "person"))
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
    ) -> Any:
        form = await request.form()
        values = _form_values(form, service.BASIC_FIELDS)
        programme = str(form.get("programme") or "")
        role = str(form.get("role") or "") if programme else ""
        try:
            person = await service.create_person(
                db_session, tenant, values, actor_of(request), today(), programme, role
            )
        except service.FieldErrors as exc:
            await db_session.rollback()
            return self._page(
                "new",
                tenant,
                400,
                values={**values, "programme": programme, "role": role},
                errors=exc.errors,
                programmes=await service.programmes(db_session),
            )
        await self._audit(request, state, tenant, "person.create", person.id)
        return Redirect(f"/t/{tenant.slug}/deltagere/{person.id}", status_code=303)

    @get(
        "/{person_id:uuid}",
        name="participant_page",
        opt=audits("person.read", "person", "person_id"),
    )
    async def person(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        person_id: FromPath[uuid.UUID],
    ) -> Template:
        person = await _person(db_session, person_id)
        enrolments = (await service._enrolments_of(db_session, [person.id])).get(person.id, [])
        views = [
            await service.enrolment_view(db_session, plugin_manager, tenant, e, today())
            for e, _p in enrolments
        ]
        await self._audit(request, state, tenant, "person.read", person.id)
        return self._page(
            "person",
            tenant,
            person=person,
            views=views,
            has_consent=await service.person_has_consent(db_session, person.id),
            programmes=await service.programmes(db_session),
            errors={},
            values={},
        )

    @post(
        "/{person_id:uuid}/tilmeld",
        name="participant_enrol_page",
        opt=audits("enrolment.create", "person", "person_id"),
    )
    async def enrol(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        person_id: FromPath[uuid.UUID],
    ) -> Any:
        person = await _person(db_session, person_id)
        form = await request.form()
        programme, role = str(form.get("programme") or ""), str(form.get("role") or "")
        try:
            enrolment = await service.enrol(db_session, person, programme, role, actor_of(request))
        except service.FieldErrors as exc:
            await db_session.rollback()
            enrolments = (await service._enrolments_of(db_session, [person.id])).get(person.id, [])
            views = [
                await service.enrolment_view(db_session, plugin_manager, tenant, e, today())
                for e, _p in enrolments
            ]
            await self._audit(request, state, tenant, "person.read", person.id)
            return self._page(
                "person",
                tenant,
                400,
                person=person,
                views=views,
                has_consent=await service.person_has_consent(db_session, person.id),
                programmes=await service.programmes(db_session),
                errors=exc.errors,
                values={"programme": programme, "role": role},
            )
        await self._audit(
            request,
            state,
            tenant,
            "enrolment.create",
            person.id,
            {"enrolment": str(enrolment.id), "programme": programme, "role": role},
        )
        return Redirect(f"/t/{tenant.slug}/deltagere/tilmelding/{enrolment.id}", status_code=303)

    @get(
        "/{person_id:uuid}/rediger",
        name="participant_edit_page",
        opt=audits("person.read", "person", "person_id"),
    )
    async def edit(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        person_id: FromPath[uuid.UUID],
    ) -> Template:
        person = await _person(db_session, person_id)
        values = {k: getattr(person, k) for k in service.PERSON_FIELDS}
        values["account"] = person.account
        await self._audit(request, state, tenant, "person.read", person.id, {"view": "edit"})
        return self._page(
            "edit",
            tenant,
            person=person,
            values=values,
            errors={},
            has_consent=await service.person_has_consent(db_session, person.id),
            availability=service.AVAILABILITY,
            genders=service.GENDER_SUGGESTIONS,
        )

    @post(
        "/{person_id:uuid}/rediger",
        name="participant_update_page",
        opt=audits("person.update", "person", "person_id"),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        person_id: FromPath[uuid.UUID],
    ) -> Any:
        person = await _person(db_session, person_id)
        has_consent = await service.person_has_consent(db_session, person.id)
        form = await request.form()
        keys = service.PERSON_FIELDS if has_consent else service.BASIC_FIELDS
        values = _form_values(form, keys, ("availability",) if has_consent else ())
        for key in ("languages", "interests"):
            if key in values:
                values[key] = values[key] or None
        # The linked sign-in ("Mit forløb"); blank removes the link.
        account = str(form.get("account") or "").strip() or None if "account" in form else None
        new_account = "account" in form and account != person.account
        try:
            if new_account:
                try:
                    await mine.check_account(db_session, person, account)
                except mine.AccountError as err:
                    raise service.FieldErrors({"account": err.message}) from None
            await service.update_person(db_session, person, values, today())
            if new_account:
                try:
                    await mine.set_account(db_session, person.id, account)
                except mine.AccountError as err:  # linked elsewhere meanwhile
                    raise service.FieldErrors({"account": err.message}) from None
        except service.FieldErrors as exc:
            await db_session.rollback()
            await db_session.refresh(person)  # the rollback expired it; the page reads it
            return self._page(
                "edit",
                tenant,
                400,
                person=person,
                values={**values, "account": account},
                errors=exc.errors,
                has_consent=has_consent,
                availability=service.AVAILABILITY,
                genders=service.GENDER_SUGGESTIONS,
            )
        fields = sorted([*values, "account"] if new_account else values)
        await self._audit(request, state, tenant, "person.update", person.id, {"fields": fields})
        return Redirect(f"/t/{tenant.slug}/deltagere/{person.id}", status_code=303)

    # -- enrolment ------------------------------------------------------------------------

    async def _enrolment_page(
        self,
        db_session: AsyncSession,
        plugin_manager: MakkerPluginManager,
        tenant: Tenant,
        enrolment: service.Enrolment,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        values: Form | None = None,
        plugin_values: Form | None = None,
    ) -> Template:
        view = await service.enrolment_view(db_session, plugin_manager, tenant, enrolment, today())
        return self._page(
            "enrolment",
            tenant,
            status_code,
            view=view,
            allowed=service.allowed_next(enrolment.status),
            errors=errors or {},
            values=values,
            plugin_values=plugin_values if plugin_values is not None else view.plugin_values,
            areas=service.LIVED_EXPERIENCE_AREAS,
        )

    @get(
        "/tilmelding/{enrolment_id:uuid}",
        name="enrolment_page",
        opt=audits("enrolment.read", "enrolment", "enrolment_id"),
    )
    async def enrolment(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
    ) -> Template:
        enrolment = await _enrolment(db_session, enrolment_id)
        await self._audit(
            request,
            state,
            tenant,
            "enrolment.read",
            enrolment.person_id,
            {"enrolment": str(enrolment.id)},
        )
        return await self._enrolment_page(db_session, plugin_manager, tenant, enrolment)

    async def _act(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: Tenant,
        plugin_manager: MakkerPluginManager,
        db_session: AsyncSession,
        enrolment_id: uuid.UUID,
        action: str,
        run: Any,
        values: Form | None = None,
        plugin_values: Form | None = None,
    ) -> Any:
        enrolment = await _enrolment(db_session, enrolment_id)
        before = enrolment.status
        try:
            await run(enrolment)
        except service.FieldErrors as exc:
            await db_session.rollback()
            enrolment = await _enrolment(db_session, enrolment_id)
            return await self._enrolment_page(
                db_session,
                plugin_manager,
                tenant,
                enrolment,
                400,
                exc.errors,
                values,
                plugin_values,
            )
        detail: dict[str, Any] = {"enrolment": str(enrolment.id)}
        if enrolment.status != before:
            detail.update({"from": before, "to": enrolment.status})
        if values is not None or plugin_values is not None:
            detail["fields"] = sorted([*(values or {}), *(plugin_values or {})])
        await self._audit(request, state, tenant, action, enrolment.person_id, detail)
        return Redirect(f"/t/{tenant.slug}/deltagere/tilmelding/{enrolment.id}", status_code=303)

    @post(
        "/tilmelding/{enrolment_id:uuid}/samtykke",
        name="consent_give_page",
        opt=audits("consent.give", "enrolment", "enrolment_id"),
    )
    async def give_consent(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
    ) -> Any:
        async def run(enrolment: Any) -> None:
            await service.give_consent(db_session, tenant, enrolment, actor_of(request))

        return await self._act(
            request, state, tenant, plugin_manager, db_session, enrolment_id, "consent.give", run
        )

    @get(
        "/tilmelding/{enrolment_id:uuid}/bekraeft",
        name="enrolment_confirm_page",
        opt=audits("enrolment.read", "enrolment", "enrolment_id"),
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
        til: FromQuery[str] = "",
    ) -> Template:
        """The confirmation step of a status change (``til=<status>``) or of withdrawing
        consent (``til=samtykke-tilbage``)."""
        enrolment = await _enrolment(db_session, enrolment_id)
        person = await service.get_person(db_session, enrolment.person_id)
        programme = await db_session.get_one(service.Programme, enrolment.programme_id)
        allowed = [s.value for s in service.allowed_next(enrolment.status)]
        if til != "samtykke-tilbage" and til not in allowed:
            raise NotFoundException()
        await self._audit(
            request,
            state,
            tenant,
            "enrolment.read",
            enrolment.person_id,
            {"enrolment": str(enrolment.id), "view": "confirm"},
        )
        return self._page(
            "confirm",
            tenant,
            enrolment=enrolment,
            person=person,
            programme=programme,
            target=til,
            errors={},
        )

    @post(
        "/tilmelding/{enrolment_id:uuid}/status",
        name="enrolment_transition_page",
        opt=audits("enrolment.transition", "enrolment", "enrolment_id"),
    )
    async def transition(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
    ) -> Any:
        form = await request.form()
        target = str(form.get("to") or "")
        reason = str(form.get("reason") or "") or None

        async def run(enrolment: Any) -> None:
            await service.transition(
                db_session,
                plugin_manager,
                tenant,
                enrolment,
                target,
                actor_of(request),
                today(),
                reason,
            )

        return await self._act(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "enrolment.transition",
            run,
        )

    @post(
        "/tilmelding/{enrolment_id:uuid}/samtykke/tilbage",
        name="consent_withdraw_page",
        opt=audits("consent.withdraw", "enrolment", "enrolment_id"),
    )
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
    ) -> Any:
        async def run(enrolment: Any) -> None:
            await service.withdraw_consent(db_session, enrolment, actor_of(request), today())

        return await self._act(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "consent.withdraw",
            run,
        )

    @post(
        "/tilmelding/{enrolment_id:uuid}/forsamtale",
        name="intake_save_page",
        opt=audits("intake.update", "enrolment", "enrolment_id"),
    )
    async def save_intake(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
    ) -> Any:
        form = await request.form()
        enrolment = await _enrolment(db_session, enrolment_id)
        fields = await service.plugin_fields(plugin_manager, tenant, db_session, enrolment)
        values = _form_values(form, service.INTAKE_FIELDS, ("lived_experience",))
        for flag in ("wish_gender_required", "wish_age_required"):
            values[flag] = flag in form
        plugin_values = _plugin_values(form, fields)

        async def run(enrolment: Any) -> None:
            await service.save_intake(
                db_session,
                plugin_manager,
                tenant,
                enrolment,
                values,
                plugin_values,
                actor_of(request),
                today(),
            )

        return await self._act(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "intake.update",
            run,
            values,
            plugin_values,
        )

    @post(
        "/tilmelding/{enrolment_id:uuid}/dispensation",
        name="override_page",
        opt=audits("enrolment.override", "enrolment", "enrolment_id"),
    )
    async def override(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
    ) -> Any:
        form = await request.form()
        reason = str(form.get("reason") or "")

        async def run(enrolment: Any) -> None:
            await service.override_fail(
                db_session, plugin_manager, tenant, enrolment, reason, actor_of(request), today()
            )

        return await self._act(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "eligibility.override",
            run,
        )


async def _person(session: AsyncSession, person_id: uuid.UUID) -> service.Person:
    try:
        return await service.get_person(session, person_id)
    except service.NotFound:
        raise NotFoundException() from None


async def _enrolment(session: AsyncSession, enrolment_id: uuid.UUID) -> service.Enrolment:
    try:
        return await service.get_enrolment(session, enrolment_id)
    except service.NotFound:
        raise NotFoundException() from None
