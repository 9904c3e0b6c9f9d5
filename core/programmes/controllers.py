"""JSON API: a programme's intake fields, a person's answers, and their eligibility.

A person or programme that does not exist and one of another tenant give the same 404.
"""

from __future__ import annotations

import uuid

from litestar import get, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.identity.guards import coordinators
from core.participants import intake
from core.plugin_api import MakkerPluginManager, Role
from core.programmes.intake import intake_fields
from core.programmes.registry import programme_context
from core.programmes.schemas import (
    EligibilityOut,
    IntakeFieldOut,
    IntakeValuesIn,
    IntakeValuesOut,
    VerdictOut,
)
from core.programmes.service import access_programme_by_slug
from core.strict_input import StrictController
from core.tenancy.models import Programme, Tenant
from core.web.deps import provide_tenant
from core.web.pipeline import NO_PERSONAL_DATA, audits


def provide_plugin_manager(state: State) -> MakkerPluginManager:
    return state.plugin_manager  # type: ignore[no-any-return]


async def _programme(session: AsyncSession, slug: str) -> Programme:
    programme = await access_programme_by_slug(session, slug)
    if programme is None:
        raise NotFoundException()
    return programme


class ProgrammeRulesApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}"
    tags = ["programme rules"]
    #: People's intake answers and verdicts are for staff: coordinators and tenant admins.
    guards = [coordinators]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(provide_plugin_manager, sync_to_thread=False),
    }

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
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        programme: FromQuery[str],
    ) -> IntakeValuesOut:
        """The person's answers to the programme's intake questions."""
        person, row, values = await intake.read_answers(ctx, person_id, programme)
        return IntakeValuesOut(person_id=str(person.id), programme=row.slug, values=values)

    @put(
        "/people/{person_id:uuid}/intake",
        name="api_person_intake_set",
        opt=audits("person_intake_answers_updated", "person", "person_id"),
    )
    async def set_intake(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        programme: FromQuery[str],
        data: JSONBody[IntakeValuesIn],
    ) -> IntakeValuesOut:
        """Set answers (``null`` clears one). A wrong value gives 400 naming each wrong field,
        and then nothing is stored. Answers need the person's consent (GDPR Art. 9): without
        one, only clearing answers is allowed. Each change writes one access-log row."""
        person, row, values = await intake.set_answers(ctx, person_id, programme, data)
        return IntakeValuesOut(person_id=str(person.id), programme=row.slug, values=values)

    @get(
        "/people/{person_id:uuid}/eligibility",
        name="api_person_eligibility",
        opt=audits("person.eligibility", "person", "person_id"),
    )
    async def eligibility(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        programme: FromQuery[str],
        role: FromQuery[Role],
    ) -> EligibilityOut:
        """Each enabled rule's verdict on the person for the programme and role."""
        person, row, report = await intake.person_eligibility(ctx, person_id, programme, role)
        return EligibilityOut(
            person_id=str(person.id),
            programme=row.slug,
            role=role,
            outcome=report.outcome.value,
            verdicts=[VerdictOut.of(v) for v in report.verdicts],
        )
