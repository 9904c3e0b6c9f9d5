"""JSON API: a programme's intake fields, a person's answers, and their eligibility.

A person or programme that does not exist and one of another tenant give the same 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today
from core.errors import Invalid
from core.identity.guards import coordinators, current_principal
from core.participants.models import Person
from core.participants.service import audit, person_has_consent
from core.plugin_api import MakkerPluginManager, PluginError, Role
from core.programmes.intake import IntakeValidationError, intake_fields
from core.programmes.registry import programme_context
from core.programmes.schemas import (
    EligibilityOut,
    IntakeFieldOut,
    IntakeValuesIn,
    IntakeValuesOut,
    VerdictOut,
)
from core.programmes.service import (
    access_person_by_id,
    access_programme_by_slug,
    eligibility_for,
    set_intake_values,
)
from core.tenancy.models import Programme, Tenant
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.middleware import route_template
from core.web.pipeline import NO_PERSONAL_DATA, audits


def provide_plugin_manager(state: State) -> MakkerPluginManager:
    return state.plugin_manager  # type: ignore[no-any-return]


async def _programme(session: AsyncSession, slug: str) -> Programme:
    programme = await access_programme_by_slug(session, slug)
    if programme is None:
        raise NotFoundException()
    return programme


async def _person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await access_person_by_id(session, person_id)
    if person is None:
        raise NotFoundException()
    return person


def _plugin_error(request: Request[Any, Any, Any], exc: PluginError) -> Response[Any]:
    """A broken plugin is a server error, never a pass. The detail names the plugin (and no
    data the plugin's exception may quote)."""
    request.logger.error("plugin error: %s", exc.summary)
    return Response({"status_code": 500, "detail": exc.summary}, status_code=500)


class ProgrammeRulesApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}"
    tags = ["programme rules"]
    #: People's intake answers and verdicts are for staff: coordinators and tenant admins.
    guards = [coordinators]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(provide_plugin_manager, sync_to_thread=False),
    }
    exception_handlers = {PluginError: _plugin_error}

    @get(
        "/programmes/{programme_slug:str}/intake-fields",
        name="api_intake_fields",
        opt=NO_PERSONAL_DATA,
    )
    async def fields(
        self,
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        db_session: NamedDependency[AsyncSession],
        programme_slug: FromPath[str],
        role: FromQuery[Role | None] = None,
    ) -> list[IntakeFieldOut]:
        """The extra intake questions the programme's plugins ask (optionally for one role)."""
        programme = await _programme(db_session, programme_slug)
        context = programme_context(plugin_manager, tenant, programme)
        return [IntakeFieldOut.of(f) for f in intake_fields(plugin_manager, context, role)]

    @get(
        "/people/{person_id:uuid}/intake",
        name="api_person_intake",
        opt=audits("person_intake_answers_read", "person", "person_id"),
    )
    async def get_intake(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        person_id: FromPath[uuid.UUID],
        programme: FromQuery[str],
    ) -> IntakeValuesOut:
        """The person's answers to the programme's intake questions."""
        row = await _programme(db_session, programme)
        person = await _person(db_session, person_id)
        fields = intake_fields(plugin_manager, programme_context(plugin_manager, tenant, row))
        keys = {f.key for f in fields}
        values = {k: v for k, v in (person.attributes or {}).items() if k in keys}
        return IntakeValuesOut(person_id=str(person.id), programme=row.slug, values=values)

    @put(
        "/people/{person_id:uuid}/intake",
        name="api_person_intake_set",
        opt=audits("person_intake_answers_updated", "person", "person_id"),
    )
    async def set_intake(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        person_id: FromPath[uuid.UUID],
        programme: FromQuery[str],
        data: JSONBody[IntakeValuesIn],
        request: Request[Any, Any, Any],
    ) -> IntakeValuesOut:
        """Set answers (``null`` clears one). A wrong value gives 400 naming each wrong field,
        and then nothing is stored. Answers need the person's consent (GDPR Art. 9): without
        one, only clearing answers is allowed. Each change writes one access-log row."""
        row = await _programme(db_session, programme)
        person = await _person(db_session, person_id)
        answered = sorted(k for k, v in data.values.items() if v not in (None, []))
        if answered and not await person_has_consent(db_session, person.id):
            message = _(
                "Requires consent: without a consent only name and contact details may be stored."
            )
            raise Invalid(
                {k: message for k in answered},
                detail=_("Some answers are not valid; nothing was saved."),
            )
        try:
            values = await set_intake_values(
                db_session, plugin_manager, tenant, row, person, data.values, today()
            )
        except IntakeValidationError as exc:
            await db_session.rollback()
            raise Invalid(
                exc.errors, detail=_("Some answers are not valid; nothing was saved.")
            ) from None
        principal = current_principal(request)
        await audit(
            request.app.state.sessionmaker,
            "person_intake_answers_updated",
            actor=principal.subject if principal else "",
            tenant=tenant,
            route=route_template(request.scope),
            person_id=person.id,
            detail={"fields": sorted(data.values)},
        )
        return IntakeValuesOut(person_id=str(person.id), programme=row.slug, values=values)

    @get(
        "/people/{person_id:uuid}/eligibility",
        name="api_person_eligibility",
        opt=audits("person.eligibility", "person", "person_id"),
    )
    async def eligibility(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        person_id: FromPath[uuid.UUID],
        programme: FromQuery[str],
        role: FromQuery[Role],
    ) -> EligibilityOut:
        """Each enabled rule's verdict on the person for the programme and role."""
        row = await _programme(db_session, programme)
        person = await _person(db_session, person_id)
        report = await eligibility_for(
            db_session, plugin_manager, tenant, row, person, role, today()
        )
        return EligibilityOut(
            person_id=str(person.id),
            programme=row.slug,
            role=role,
            outcome=report.outcome.value,
            verdicts=[VerdictOut.of(v) for v in report.verdicts],
        )
