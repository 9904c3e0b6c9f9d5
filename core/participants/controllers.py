"""JSON API of the participants domain, under ``/api/v1/t/{tenant}``: coordinators only.

Adapters over the commands of :mod:`~core.participants.people`, :mod:`~.consent`,
:mod:`~.enrolments` and :mod:`~.intake`: each request that reads, searches, creates or changes
person data gets exactly one audit row (noted by the command; ids and criteria, never field
values). Wrong input gives 400 ``{status_code, detail, errors: {field: message}}`` in Danish
and nothing is stored; a missing object and another tenant's give the same 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from core.context import Context
from core.identity.guards import coordinators, tenant_admins
from core.participants import consent, enrolments, intake, people
from core.participants.consent import person_has_consent
from core.participants.enrolments import EnrolmentView
from core.participants.history import allowed_next
from core.participants.lookup import enrolments_of
from core.participants.models import Enrolment, EnrolmentRole, EnrolmentStatus, Person
from core.participants.people import MAX_OFFSET, MAX_PAGE_NUMBER, MAX_QUERY_LENGTH
from core.participants.schemas import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    ConsentOut,
    ConsentTextIn,
    ConsentTextOut,
    EnrolIn,
    EnrolmentOut,
    EventOut,
    IntakeFieldOut,
    IntakeIn,
    IntakeOut,
    OverrideIn,
    OverrideOut,
    PeoplePageOut,
    PeopleQuery,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonSummaryOut,
    TransitionIn,
    VerdictOut,
    brief,
)
from core.strict_input import StrictController
from core.web.openapi import query
from core.web.pipeline import NO_PERSONAL_DATA, audits


async def person_out(ctx: Context, person: Person) -> PersonOut:
    """The person as the API shows it - what the person page shows: the fields beyond name and
    contact only with a consent the caller can see (a ``coordinate`` partner: one given in a
    programme it co-runs; a consent of another programme does not show them)."""
    listed = (await enrolments_of(ctx.session, [person.id])).get(person.id, [])
    consent = await person_has_consent(ctx.session, person.id)
    return PersonOut(
        id=person.id,
        name=person.name,
        phone=person.phone,
        email=person.email,
        address=person.address,
        postal_code=person.postal_code,
        birth_year=person.birth_year if consent else None,
        gender=person.gender if consent else None,
        languages=list(person.languages or []) if consent else [],
        interests=list(person.interests or []) if consent else [],
        availability=list(person.availability or []) if consent else [],
        external_ref=person.external_ref if consent else None,
        has_consent=consent,
        enrolments=[brief(v) for v in listed],
    )


async def _shown(ctx: Context, enrolment: Enrolment) -> EnrolmentOut:
    return enrolment_out(await enrolments.enrolment_view(ctx, enrolment))


class ParticipantsApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}"
    tags = ["participants"]
    guards = [coordinators]

    @get("/people", name="api_people", opt=audits("person.search"))
    async def list_people(
        self,
        ctx: NamedDependency[Context],
        q: Annotated[str, query(max_length=MAX_QUERY_LENGTH)] = "",
        programme: FromQuery[str] = "",
        role: Annotated[str, query(one_of=["", *EnrolmentRole])] = "",
        status: Annotated[str, query(one_of=["", *EnrolmentStatus])] = "",
        page: Annotated[int, query(minimum=1, maximum=MAX_PAGE_NUMBER)] = 1,
        limit: Annotated[int, query(minimum=1, maximum=MAX_PAGE_SIZE)] = PAGE_SIZE,
        offset: Annotated[int | None, query(minimum=0, maximum=MAX_OFFSET, nullable=True)] = None,
    ) -> PeoplePageOut:
        """Search people by name, e-mail, phone or case reference; filter by programme (slug),
        role and status; ``limit`` per page (20 unless given, at most 100), from ``page`` or
        from ``offset`` rows in."""
        criteria = PeopleQuery(q, programme, role, status, page, limit, offset)
        result = await people.search_people(ctx, criteria)
        items = [
            PersonSummaryOut(r.person.id, r.person.name, [brief(v) for v in r.enrolments])
            for r in result.rows
        ]
        return PeoplePageOut(
            items, result.total, result.page, result.pages, criteria.limit, criteria.start
        )

    @post("/people", name="api_person_create", opt=audits("person.create", "person"))
    async def create_person(
        self, ctx: NamedDependency[Context], data: JSONBody[PersonIn]
    ) -> PersonOut:
        """Register a person at first contact: name and contact details, optionally enrolled
        (``programme`` and ``role``) as ``interested``. Other fields need a consent first."""
        return await person_out(ctx, await people.create_person(ctx, data))

    @get(
        "/people/{person_id:uuid}",
        name="api_person",
        opt=audits("person.read", "person", "person_id"),
    )
    async def get_person(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> PersonOut:
        """A person with their enrolments (audited)."""
        return await person_out(ctx, await people.read_person(ctx, person_id))

    @patch(
        "/people/{person_id:uuid}",
        name="api_person_update",
        opt=audits("person.update", "person", "person_id"),
    )
    async def update_person(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[PersonPatch],
    ) -> PersonOut:
        """Change fields. Anything beyond name and contact needs a given consent."""
        return await person_out(ctx, await people.update_person(ctx, person_id, data))

    @post(
        "/people/{person_id:uuid}/enrolments",
        name="api_person_enrol",
        opt=audits("enrolment.create", "person", "person_id"),
    )
    async def enrol(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID], data: JSONBody[EnrolIn]
    ) -> EnrolmentOut:
        """Enrol the person in a programme as ``mentee`` or ``mentor`` (status ``interested``)."""
        return await _shown(ctx, await enrolments.enrol(ctx, person_id, data))

    @get(
        "/enrolments/{enrolment_id:uuid}",
        name="api_enrolment",
        opt=audits("enrolment.read", "enrolment", "enrolment_id"),
    )
    async def get_enrolment(
        self, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> EnrolmentOut:
        """An enrolment: consent, før-samtale, plugin answers, the rules' verdicts (computed
        now), the override if any, the allowed next statuses and the history (audited)."""
        return enrolment_out(await enrolments.read_enrolment(ctx, enrolment_id))

    @post(
        "/enrolments/{enrolment_id:uuid}/transitions",
        name="api_enrolment_transition",
        opt=audits("enrolment.transition", "enrolment", "enrolment_id"),
        status_code=200,
    )
    async def transition(
        self,
        ctx: NamedDependency[Context],
        enrolment_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
    ) -> EnrolmentOut:
        """Change the status: interested -> intake -> eligible | ineligible -> ready ->
        matched -> active -> finished, or withdrawn from any open status. Leaving
        ``interested`` needs consent; ``eligible`` needs a før-samtale and passing rules (or an
        override of a failing one)."""
        return await _shown(ctx, await enrolments.transition(ctx, enrolment_id, data))

    @post(
        "/enrolments/{enrolment_id:uuid}/consent",
        name="api_consent_give",
        opt=audits("consent.give", "enrolment", "enrolment_id"),
        status_code=200,
    )
    async def give_consent(
        self, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> EnrolmentOut:
        """Record that the person gave explicit consent to the programme's current text."""
        return await _shown(ctx, await consent.give_consent(ctx, enrolment_id))

    @post(
        "/enrolments/{enrolment_id:uuid}/consent/withdraw",
        name="api_consent_withdraw",
        opt=audits("consent.withdraw", "enrolment", "enrolment_id"),
        status_code=200,
    )
    async def withdraw_consent(
        self, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> EnrolmentOut:
        """Record that the person withdrew consent: the enrolment ends (``withdrawn``)."""
        return await _shown(ctx, await consent.withdraw_consent(ctx, enrolment_id))

    @put(
        "/enrolments/{enrolment_id:uuid}/intake",
        name="api_enrolment_intake",
        opt=audits("intake.update", "enrolment", "enrolment_id"),
    )
    async def save_intake(
        self,
        ctx: NamedDependency[Context],
        enrolment_id: FromPath[uuid.UUID],
        data: JSONBody[IntakeIn],
    ) -> EnrolmentOut:
        """Record or change the før-samtale and the programme's plugin questions (needs
        consent). The verdicts in the answer are recomputed from the new answers."""
        return await _shown(ctx, await intake.save_intake(ctx, enrolment_id, data))

    @post(
        "/enrolments/{enrolment_id:uuid}/override",
        name="api_enrolment_override",
        opt=audits("enrolment.override", "enrolment", "enrolment_id"),
        status_code=200,
    )
    async def override(
        self,
        ctx: NamedDependency[Context],
        enrolment_id: FromPath[uuid.UUID],
        data: JSONBody[OverrideIn],
    ) -> EnrolmentOut:
        """Override a failing rule with a written reason (audited); the enrolment may then go
        to ``eligible``."""
        return await _shown(ctx, await enrolments.override(ctx, enrolment_id, data))

    @get(
        "/programmes/{programme_slug:str}/consent-text",
        name="api_consent_text",
        opt=NO_PERSONAL_DATA,
    )
    async def consent_text(
        self, ctx: NamedDependency[Context], programme_slug: FromPath[str]
    ) -> ConsentTextOut:
        """The programme's current consent text (the Danish default is version 1)."""
        programme, text = await consent.consent_text(ctx, programme_slug)
        return ConsentTextOut(programme.slug, text.version, text.body)

    @post(
        "/programmes/{programme_slug:str}/consent-text",
        name="api_consent_text_publish",
        opt=audits("consent_text.publish"),
        guards=[tenant_admins],
    )
    async def publish_consent_text(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        data: JSONBody[ConsentTextIn],
    ) -> ConsentTextOut:
        """Publish a new version of the consent text (tenant admins). Given consents keep the
        version they were given to."""
        text = await consent.publish_consent_text(ctx, programme_slug, data)
        return ConsentTextOut(programme_slug, text.version, text.body)


def enrolment_out(view: EnrolmentView) -> EnrolmentOut:
    e = view.enrolment
    intake = view.intake
    consent = view.consent
    text = view.consent_text
    return EnrolmentOut(
        id=e.id,
        person_id=e.person_id,
        programme=view.programme.slug,
        role=str(getattr(e.role, "value", e.role)),
        status=e.status,
        allowed_next=[s.value for s in allowed_next(e.status)],
        consent=ConsentOut(
            given_at=consent.given_at,
            recorded_by=consent.recorded_by,
            withdrawn_at=consent.withdrawn_at,
            withdrawn_recorded_by=consent.withdrawn_recorded_by,
            text_version=text.version if text else 0,
        )
        if consent
        else None,
        consent_text=ConsentTextOut(view.programme.slug, text.version, text.body) if text else None,
        intake=IntakeOut(
            held_on=intake.held_on,
            staff=intake.staff,
            motivation=intake.motivation,
            expectations=intake.expectations,
            wish_gender=intake.wish_gender,
            wish_age_min=intake.wish_age_min,
            wish_age_max=intake.wish_age_max,
            wish_activities=intake.wish_activities,
            wish_area=intake.wish_area,
            lived_experience=list(intake.lived_experience or []),
            challenges=intake.challenges,
            chemistry_notes=intake.chemistry_notes,
            wish_gender_required=intake.wish_gender_required,
            wish_age_required=intake.wish_age_required,
            capacity=intake.capacity,
            paused_until=intake.paused_until,
        )
        if intake
        else None,
        intake_fields=[IntakeFieldOut.of(f) for f in view.fields],
        intake_values=view.plugin_values,
        eligibility=view.report.outcome.value,
        verdicts=[VerdictOut.of(v) for v in view.report.verdicts],
        override=OverrideOut(e.override_reason, e.override_by, e.override_at)
        if e.override_reason
        else None,
        history=[
            EventOut(ev.from_status, ev.to_status, ev.actor, ev.at, ev.reason) for ev in view.events
        ],
    )
