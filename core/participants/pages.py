"""Pages for coordinators: people, enrolments, før-samtale, consent and verdicts (Danish).

Adapters over the same commands as the JSON API: a posted form becomes the command's msgspec
Struct (:func:`core.participants.forms.form_to`); a refused command (:class:`Invalid`) shows
the form again with a message at each field and status 400 (the pipeline rolls back); success
redirects (303). Status changes and withdrawing consent go through a confirmation page. The
commands note the audit rows, as for the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.applications.queries import application_of
from core.context import Context
from core.errors import Invalid
from core.identity.guards import coordinators
from core.outcomes.pages import trajectories
from core.participants import consent, enrolments, intake, labels, people
from core.participants.consent import person_has_consent
from core.participants.forms import form_to, plugin_answers, shown
from core.participants.history import allowed_next
from core.participants.lookup import enrolments_of, get_enrolment, get_person, programmes
from core.participants.models import EnrolmentStatus, Person
from core.participants.schemas import (
    EnrolIn,
    IntakeIn,
    OverrideIn,
    PeopleQuery,
    PersonForm,
    PersonIn,
    TransitionIn,
)
from core.strict_input import StrictController
from core.web.pipeline import NO_PERSONAL_DATA, audits

Form = dict[str, Any]
RequestT = Request[Any, Any, Any]


def _page(name: str, ctx: Context, status_code: int = 200, **context: Any) -> Template:
    return Template(
        f"participants/{name}.html",
        context={
            "tenant": ctx.tenant,
            "active_nav": "participants",
            "status_label": labels.status_label,
            "role_label": labels.role_label,
            "outcome_label": labels.outcome_label,
            "slot_label": labels.slot_label,
            **context,
        },
        status_code=status_code,
        media_type=MediaType.HTML,
    )


async def _person_page(
    ctx: Context, person: Person, status: int = 200, errors: Form | None = None, values: Any = None
) -> Template:
    listed = (await enrolments_of(ctx.session, [person.id])).get(person.id, [])
    views = [await enrolments.enrolment_view(ctx, e) for e, _p in listed]
    return _page(
        "person",
        ctx,
        status,
        person=person,
        views=views,
        has_consent=await person_has_consent(ctx.session, person.id),
        programmes=await programmes(ctx.session),
        trajectories=await trajectories(ctx, person.id),
        # The access log and the export are the municipality's own staff's (issue 15).
        gdpr_links=ctx.partner is None,
        errors=errors or {},
        values=values or {},
    )


async def _edit_page(
    ctx: Context, person: Person, values: Form, status: int = 200, errors: Form | None = None
) -> Template:
    return _page(
        "edit",
        ctx,
        status,
        person=person,
        values=values,
        errors=errors or {},
        has_consent=await person_has_consent(ctx.session, person.id),
        availability=people.AVAILABILITY,
        genders=people.GENDER_SUGGESTIONS,
    )


async def _enrolment_page(
    ctx: Context,
    view: enrolments.EnrolmentView,
    status: int = 200,
    errors: Form | None = None,
    values: Form | None = None,
    plugin_values: Form | None = None,
) -> Template:
    return _page(
        "enrolment",
        ctx,
        status,
        view=view,
        allowed=allowed_next(view.enrolment.status),
        errors=errors or {},
        values=values,
        plugin_values=plugin_values if plugin_values is not None else view.plugin_values,
        areas=intake.LIVED_EXPERIENCE_AREAS,
        # The application from the public page this enrolment came from, if any (issue 17).
        application=await application_of(ctx.session, view.enrolment.id),
    )


def _to_enrolment(ctx: Context, enrolment_id: uuid.UUID) -> Redirect:
    return Redirect(f"/t/{ctx.tenant.slug}/deltagere/tilmelding/{enrolment_id}", status_code=303)


async def _act(
    ctx: Context,
    enrolment_id: uuid.UUID,
    run: Callable[[], Awaitable[Any]],
    values: Form | None = None,
    plugin_values: Form | None = None,
) -> Template | Redirect:
    """Run an enrolment command; refused, the enrolment page again with its errors (400)."""
    try:
        await run()
    except Invalid as exc:
        await ctx.session.rollback()  # the page shows the enrolment as stored
        view = await enrolments.enrolment_view(ctx, await get_enrolment(ctx.session, enrolment_id))
        return await _enrolment_page(ctx, view, 400, exc.errors, values, plugin_values)
    return _to_enrolment(ctx, enrolment_id)


class ParticipantPagesController(StrictController):
    path = "/t/{tenant_slug:str}/deltagere"
    include_in_schema = False
    guards = [coordinators]

    @get("/", name="participants_page", opt=audits("person.search"))
    async def index(
        self,
        request: RequestT,
        ctx: NamedDependency[Context],
        q: FromQuery[str] = "",
        programme: FromQuery[str] = "",
        role: FromQuery[str] = "",
        status: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        criteria, errors = PeopleQuery(q, programme, role, status, max(page, 1)), {}
        try:
            result = await people.search_people(ctx, criteria)
        except Invalid as exc:
            criteria, errors = PeopleQuery(q[:200]), exc.errors
            result = await people.search_people(ctx, criteria)
        partial = bool(request.headers.get("hx-request")) and not errors
        return _page(
            "_results" if partial else "list",
            ctx,
            result=result,
            criteria=criteria,
            errors=errors,
            programmes=await programmes(ctx.session),
            statuses=list(EnrolmentStatus),
        )

    @get("/ny", name="participant_new_page", opt=NO_PERSONAL_DATA)
    async def new(self, ctx: NamedDependency[Context]) -> Template:
        return _page("new", ctx, values={}, errors={}, programmes=await programmes(ctx.session))

    @post("/ny", name="participant_create_page", opt=audits("person.create", "person"))
    async def create(self, request: RequestT, ctx: NamedDependency[Context]) -> Any:
        form = await request.form()
        try:
            data = form_to(PersonIn, form)
            if not data.programme:  # the role belongs to the chosen programme
                data = msgspec.structs.replace(data, programme=None, role=None)
            person = await people.create_person(ctx, data)
        except Invalid as exc:
            listed = await programmes(ctx.session)
            return _page("new", ctx, 400, values=shown(form), errors=exc.errors, programmes=listed)
        return Redirect(f"/t/{ctx.tenant.slug}/deltagere/{person.id}", status_code=303)

    @get(
        "/{person_id:uuid}",
        name="participant_page",
        opt=audits("person.read", "person", "person_id"),
    )
    async def person(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Template:
        return await _person_page(ctx, await people.read_person(ctx, person_id))

    @post(
        "/{person_id:uuid}/tilmeld",
        name="participant_enrol_page",
        opt=audits("enrolment.create", "person", "person_id"),
    )
    async def enrol(
        self, request: RequestT, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await request.form()
        try:
            enrolment = await enrolments.enrol(ctx, person_id, form_to(EnrolIn, form))
        except Invalid as exc:
            await ctx.session.rollback()
            person = await get_person(ctx.session, person_id)
            return await _person_page(ctx, person, 400, exc.errors, shown(form))
        return _to_enrolment(ctx, enrolment.id)

    @get(
        "/{person_id:uuid}/rediger",
        name="participant_edit_page",
        opt=audits("person.read", "person", "person_id"),
    )
    async def edit(self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]) -> Template:
        person = await people.read_person(ctx, person_id, view="edit")
        values = {k: getattr(person, k) for k in (*people.PERSON_FIELDS, "account")}
        return await _edit_page(ctx, person, values)

    @post(
        "/{person_id:uuid}/rediger",
        name="participant_update_page",
        opt=audits("person.update", "person", "person_id"),
    )
    async def update(
        self, request: RequestT, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await request.form()
        try:
            data = form_to(PersonForm, form, checkboxes=("availability",))
            await people.update_person(ctx, person_id, data)
        except Invalid as exc:
            await ctx.session.rollback()
            person = await get_person(ctx.session, person_id)
            return await _edit_page(ctx, person, shown(form, ("availability",)), 400, exc.errors)
        return Redirect(f"/t/{ctx.tenant.slug}/deltagere/{person_id}", status_code=303)

    @get(
        "/tilmelding/{enrolment_id:uuid}",
        name="enrolment_page",
        opt=audits("enrolment.read", "enrolment", "enrolment_id"),
    )
    async def enrolment(
        self, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> Template:
        return await _enrolment_page(ctx, await enrolments.read_enrolment(ctx, enrolment_id))

    @get(
        "/tilmelding/{enrolment_id:uuid}/bekraeft",
        name="enrolment_confirm_page",
        opt=audits("enrolment.read", "enrolment", "enrolment_id"),
    )
    async def confirm(
        self,
        ctx: NamedDependency[Context],
        enrolment_id: FromPath[uuid.UUID],
        til: FromQuery[str] = "",
    ) -> Template:
        """The confirmation step of a status change (``til=<status>``) or of withdrawing
        consent (``til=samtykke-tilbage``)."""
        view = await enrolments.read_enrolment(ctx, enrolment_id, view="confirm")
        allowed = [s.value for s in allowed_next(view.enrolment.status)]
        if til != "samtykke-tilbage" and til not in allowed:
            raise NotFoundException()
        return _page(
            "confirm",
            ctx,
            enrolment=view.enrolment,
            person=view.person,
            programme=view.programme,
            target=til,
            errors={},
        )

    @post(
        "/tilmelding/{enrolment_id:uuid}/samtykke",
        name="consent_give_page",
        opt=audits("consent.give", "enrolment", "enrolment_id"),
    )
    async def give_consent(
        self, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> Any:
        return await _act(ctx, enrolment_id, lambda: consent.give_consent(ctx, enrolment_id))

    @post(
        "/tilmelding/{enrolment_id:uuid}/samtykke/tilbage",
        name="consent_withdraw_page",
        opt=audits("consent.withdraw", "enrolment", "enrolment_id"),
    )
    async def withdraw_consent(
        self, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> Any:
        return await _act(ctx, enrolment_id, lambda: consent.withdraw_consent(ctx, enrolment_id))

    @post(
        "/tilmelding/{enrolment_id:uuid}/status",
        name="enrolment_transition_page",
        opt=audits("enrolment.transition", "enrolment", "enrolment_id"),
    )
    async def transition(
        self, request: RequestT, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await request.form()
        return await _act(
            ctx,
            enrolment_id,
            lambda: enrolments.transition(ctx, enrolment_id, form_to(TransitionIn, form)),
        )

    @post(
        "/tilmelding/{enrolment_id:uuid}/forsamtale",
        name="intake_save_page",
        opt=audits("intake.update", "enrolment", "enrolment_id"),
    )
    async def save_intake(
        self, request: RequestT, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await request.form()
        answers = plugin_answers(form, await intake.fields_of(ctx, enrolment_id))

        async def run() -> Any:
            data = form_to(IntakeIn, form, checkboxes=("lived_experience",))
            data = msgspec.structs.replace(data, values=answers)
            return await intake.save_intake(ctx, enrolment_id, data)

        return await _act(ctx, enrolment_id, run, shown(form, ("lived_experience",)), answers)

    @post(
        "/tilmelding/{enrolment_id:uuid}/dispensation",
        name="override_page",
        opt=audits("enrolment.override", "enrolment", "enrolment_id"),
    )
    async def override(
        self, request: RequestT, ctx: NamedDependency[Context], enrolment_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await request.form()
        return await _act(
            ctx,
            enrolment_id,
            lambda: enrolments.override(ctx, enrolment_id, form_to(OverrideIn, form)),
        )
