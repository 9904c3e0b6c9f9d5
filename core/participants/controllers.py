"""JSON API of the participants domain, under ``/api/v1/t/{tenant}``: coordinators only.

Every request that reads, searches, creates or changes person data writes exactly one audit
row (ids and search criteria, never field values). Wrong input gives 400 with a Danish message
per field, and nothing is stored. A missing object and another tenant's give the same 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today
from core.identity.guards import coordinators, current_principal, tenant_admins
from core.participants import service
from core.participants.schemas import (
    ConsentTextIn,
    ConsentTextOut,
    EnrolIn,
    EnrolmentOut,
    FieldErrorsOut,
    IntakeIn,
    OverrideIn,
    PeoplePageOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonSummaryOut,
    TransitionIn,
    brief,
    enrolment_out,
)
from core.plugin_api import MakkerPluginManager, PluginError
from core.programmes import controllers as rules
from core.tenancy.models import Tenant
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.middleware import route_template
from core.web.pipeline import NO_PERSONAL_DATA, audits


def actor_of(request: Request[Any, Any, Any]) -> str:
    principal = current_principal(request)
    assert principal is not None
    return principal.subject


def errors_response(exc: service.FieldErrors) -> Response[Any]:
    return Response(
        FieldErrorsOut(400, _("Some fields are not valid; nothing was saved."), exc.errors),
        status_code=400,
    )


def _not_found(request: Request[Any, Any, Any], exc: service.NotFound) -> Response[Any]:
    raise NotFoundException()


async def person_out(session: AsyncSession, person: service.Person) -> PersonOut:
    enrolments = (await service._enrolments_of(session, [person.id])).get(person.id, [])
    return PersonOut(
        id=person.id,
        name=person.name,
        phone=person.phone,
        email=person.email,
        address=person.address,
        postal_code=person.postal_code,
        birth_year=person.birth_year,
        gender=person.gender,
        languages=list(person.languages or []),
        interests=list(person.interests or []),
        availability=list(person.availability or []),
        external_ref=person.external_ref,
        has_consent=await service.person_has_consent(session, person.id),
        enrolments=[brief(v) for v in enrolments],
    )


class ParticipantsApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}"
    tags = ["participants"]
    guards = [coordinators]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(rules.provide_plugin_manager, sync_to_thread=False),
    }
    exception_handlers = {PluginError: rules._plugin_error}

    async def _audit(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: Tenant,
        action: str,
        person_id: uuid.UUID | None = None,
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

    @get("/people", name="api_people", opt=audits("person.search"))
    async def list_people(
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
        limit: FromQuery[int] = service.PAGE_SIZE,
        offset: FromQuery[int | None] = None,
    ) -> Response[Any]:
        """Search people by name, e-mail, phone or case reference; filter by programme (slug),
        role and status; ``limit`` per page (20 unless given, at most 100), from ``page`` or
        from ``offset`` rows in."""
        criteria = service.SearchCriteria(q, programme, role, status, page, limit, offset)
        try:
            result = await service.search_people(db_session, criteria)
        except service.FieldErrors as exc:
            return errors_response(exc)
        await self._audit(request, state, tenant, "person.search", None, criteria.audit_detail())
        return Response(
            PeoplePageOut(
                items=[
                    PersonSummaryOut(r.person.id, r.person.name, [brief(v) for v in r.enrolments])
                    for r in result.rows
                ],
                total=result.total,
                page=result.page,
                pages=result.pages,
                page_size=criteria.limit,
                offset=criteria.start,
            )
        )

    @post("/people", name="api_person_create", opt=audits("person.create", "person"))
    async def create_person(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        data: JSONBody[PersonIn],
    ) -> Response[Any]:
        """Register a person at first contact: name and contact details, optionally enrolled
        (``programme`` and ``role``) as ``interested``. Other fields need a consent first."""
        values = {
            k: getattr(data, k) for k in service.PERSON_FIELDS if getattr(data, k) not in (None, [])
        }
        values.setdefault("name", data.name)
        try:
            person = await service.create_person(
                db_session, tenant, values, actor_of(request), today(), data.programme, data.role
            )
        except service.FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await self._audit(request, state, tenant, "person.create", person.id)
        return Response(await person_out(db_session, person), status_code=201)

    @get(
        "/people/{person_id:uuid}",
        name="api_person",
        opt=audits("person.read", "person", "person_id"),
    )
    async def get_person(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        person_id: FromPath[uuid.UUID],
    ) -> PersonOut:
        """A person with their enrolments (audited)."""
        person = await _person(db_session, person_id)
        await self._audit(request, state, tenant, "person.read", person.id)
        return await person_out(db_session, person)

    @patch(
        "/people/{person_id:uuid}",
        name="api_person_update",
        opt=audits("person.update", "person", "person_id"),
    )
    async def update_person(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[PersonPatch],
    ) -> Response[Any]:
        """Change fields. Anything beyond name and contact needs a given consent."""
        person = await _person(db_session, person_id)
        try:
            await service.update_person(db_session, person, data.values(), today())
        except service.FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await self._audit(
            request, state, tenant, "person.update", person.id, {"fields": sorted(data.values())}
        )
        return Response(await person_out(db_session, person))

    @post(
        "/people/{person_id:uuid}/enrolments",
        name="api_person_enrol",
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
        data: JSONBody[EnrolIn],
    ) -> Response[Any]:
        """Enrol the person in a programme as ``mentee`` or ``mentor`` (status ``interested``)."""
        person = await _person(db_session, person_id)
        try:
            enrolment = await service.enrol(
                db_session, person, data.programme, data.role, actor_of(request)
            )
        except service.FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await self._audit(
            request,
            state,
            tenant,
            "enrolment.create",
            person.id,
            {"enrolment": str(enrolment.id), "programme": data.programme, "role": data.role},
        )
        view = await service.enrolment_view(db_session, plugin_manager, tenant, enrolment, today())
        return Response(enrolment_out(view), status_code=201)

    @get(
        "/enrolments/{enrolment_id:uuid}",
        name="api_enrolment",
        opt=audits("enrolment.read", "enrolment", "enrolment_id"),
    )
    async def get_enrolment(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        enrolment_id: FromPath[uuid.UUID],
    ) -> EnrolmentOut:
        """An enrolment: consent, før-samtale, plugin answers, the rules' verdicts (computed
        now), the override if any, the allowed next statuses and the history (audited)."""
        enrolment = await _enrolment(db_session, enrolment_id)
        await self._audit(
            request, state, tenant, "enrolment.read", enrolment.person_id, _e(enrolment)
        )
        return enrolment_out(
            await service.enrolment_view(db_session, plugin_manager, tenant, enrolment, today())
        )

    async def _change(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: Tenant,
        plugin_manager: MakkerPluginManager,
        db_session: AsyncSession,
        enrolment_id: uuid.UUID,
        action: str,
        run: Any,
        detail: Any = None,
    ) -> Response[Any]:
        enrolment = await _enrolment(db_session, enrolment_id)
        before = enrolment.status
        try:
            extra = await run(enrolment)
        except service.FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        info = {**_e(enrolment), **(detail or {}), **(extra or {})}
        if enrolment.status != before:
            info.update({"from": before, "to": enrolment.status})
        await self._audit(request, state, tenant, action, enrolment.person_id, info)
        view = await service.enrolment_view(db_session, plugin_manager, tenant, enrolment, today())
        return Response(enrolment_out(view), status_code=200)

    @post(
        "/enrolments/{enrolment_id:uuid}/transitions",
        name="api_enrolment_transition",
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
        data: JSONBody[TransitionIn],
    ) -> Response[Any]:
        """Change the status: interested -> intake -> eligible | ineligible -> ready ->
        matched -> active -> finished, or withdrawn from any open status. Leaving
        ``interested`` needs consent; ``eligible`` needs a før-samtale and passing rules (or an
        override of a failing one)."""

        async def run(enrolment: Any) -> None:
            await service.transition(
                db_session,
                plugin_manager,
                tenant,
                enrolment,
                data.to,
                actor_of(request),
                today(),
                data.reason,
            )

        return await self._change(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "enrolment.transition",
            run,
            {"to": data.to},
        )

    @post(
        "/enrolments/{enrolment_id:uuid}/consent",
        name="api_consent_give",
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
    ) -> Response[Any]:
        """Record that the person gave explicit consent to the programme's current text."""

        async def run(enrolment: Any) -> dict[str, Any]:
            consent = await service.give_consent(db_session, tenant, enrolment, actor_of(request))
            return {"consent": str(consent.id)}

        return await self._change(
            request, state, tenant, plugin_manager, db_session, enrolment_id, "consent.give", run
        )

    @post(
        "/enrolments/{enrolment_id:uuid}/consent/withdraw",
        name="api_consent_withdraw",
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
    ) -> Response[Any]:
        """Record that the person withdrew consent: the enrolment ends (``withdrawn``)."""

        async def run(enrolment: Any) -> dict[str, Any]:
            consent = await service.withdraw_consent(
                db_session, enrolment, actor_of(request), today()
            )
            return {"consent": str(consent.id)}

        return await self._change(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "consent.withdraw",
            run,
        )

    @put(
        "/enrolments/{enrolment_id:uuid}/intake",
        name="api_enrolment_intake",
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
        data: JSONBody[IntakeIn],
    ) -> Response[Any]:
        """Record or change the før-samtale and the programme's plugin questions (needs
        consent). The verdicts in the answer are recomputed from the new answers."""

        async def run(enrolment: Any) -> None:
            await service.save_intake(
                db_session,
                plugin_manager,
                tenant,
                enrolment,
                data.intake_values(),
                data.values,
                actor_of(request),
                today(),
            )

        fields = sorted([*data.intake_values(), *data.values])
        return await self._change(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "intake.update",
            run,
            {"fields": fields},
        )

    @post(
        "/enrolments/{enrolment_id:uuid}/override",
        name="api_enrolment_override",
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
        data: JSONBody[OverrideIn],
    ) -> Response[Any]:
        """Override a failing rule with a written reason (audited); the enrolment may then go
        to ``eligible``."""

        async def run(enrolment: Any) -> dict[str, Any]:
            rules_failed = await service.override_fail(
                db_session,
                plugin_manager,
                tenant,
                enrolment,
                data.reason,
                actor_of(request),
                today(),
            )
            return {"rules": rules_failed}

        return await self._change(
            request,
            state,
            tenant,
            plugin_manager,
            db_session,
            enrolment_id,
            "eligibility.override",
            run,
        )

    @get(
        "/programmes/{programme_slug:str}/consent-text",
        name="api_consent_text",
        opt=NO_PERSONAL_DATA,
    )
    async def consent_text(
        self,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        programme_slug: FromPath[str],
    ) -> ConsentTextOut:
        """The programme's current consent text (the Danish default is version 1)."""
        programme = await service.programme_by_slug(db_session, programme_slug)
        if programme is None:
            raise NotFoundException()
        text = await service.current_consent_text(db_session, tenant, programme)
        return ConsentTextOut(programme.slug, text.version, text.body)

    @post(
        "/programmes/{programme_slug:str}/consent-text",
        name="api_consent_text_publish",
        opt=audits("consent_text.publish"),
        guards=[tenant_admins],
    )
    async def publish_consent_text(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        programme_slug: FromPath[str],
        data: JSONBody[ConsentTextIn],
    ) -> Response[Any]:
        """Publish a new version of the consent text (tenant admins). Given consents keep the
        version they were given to."""
        programme = await service.programme_by_slug(db_session, programme_slug)
        if programme is None:
            raise NotFoundException()
        try:
            text = await service.publish_consent_text(
                db_session, tenant, programme, data.body, actor_of(request)
            )
        except service.FieldErrors as exc:
            await db_session.rollback()
            return errors_response(exc)
        await service.audit(
            state.sessionmaker,
            "consent_text.publish",
            actor=actor_of(request),
            tenant=tenant,
            route=route_template(request.scope),
            detail={"programme": programme.slug, "version": text.version},
        )
        return Response(ConsentTextOut(programme.slug, text.version, text.body), status_code=201)


def _e(enrolment: Any) -> dict[str, Any]:
    return {"enrolment": str(enrolment.id)}


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
