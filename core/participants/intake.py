"""The før-samtale (intake) of an enrolment and a person's answers to the plugins' questions.

Both need a consent (GDPR Art. 9): the før-samtale on *that* enrolment; plugin answers on any
of the person's enrolments (clearing answers needs none). Plugin answers live in
``Person.attributes``. Commands take a :class:`core.context.Context`, raise
:class:`FieldErrors` before writing, flush (never commit) and note their audit row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Invalid
from core.form_fields import in_order
from core.gdpr.erased_guard import refuse_erased
from core.participants.consent import active_consent, person_has_consent
from core.participants.errors import FieldErrors
from core.participants.lookup import audit_enrolment, get_enrolment, get_person, get_programme
from core.participants.models import (
    FINAL_STATUSES,
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    Intake,
    Person,
)
from core.participants.schemas import IntakeIn
from core.participants.validation import (
    TEXT_MAX,
    intake_date_fault,
    pause_end_fault,
    text,
    word_list,
)
from core.plugin_api import IntakeField, MakkerPluginManager, Role
from core.programmes.intake import (
    IntakeValidationError,
    apply_intake_values,
    intake_fields,
    validate_intake_values,
)
from core.programmes.registry import programme_context
from core.programmes.schemas import IntakeValuesIn
from core.programmes.service import EligibilityReport, eligibility_for, set_intake_values
from core.tenancy.models import Programme, Tenant
from core.web.i18n import gettext as _

LIVED_EXPERIENCE_AREAS = ("psykiatri", "handicap", "misbrug")
#: The programme question that asks what the før-samtale's "Egen erfaring" asks (the built-in
#: ``lived_experience`` rule's). Where a programme asks it, it is the one answer: the form shows
#: one group, and the rule (person attributes) and matching (the før-samtale) read the same.
LIVED_EXPERIENCE_QUESTION = "lived_experience.areas"
#: Most mentees a mentor can take at once.
MAX_CAPACITY = 10
#: The før-samtale form's fields in the order the page shows them (then the programme's
#: questions, in their order): errors are listed so.
FORM_ORDER = (
    "held_on",
    "staff",
    "motivation",
    "expectations",
    "wish_gender",
    "wish_gender_required",
    "wish_age_min",
    "wish_age_max",
    "wish_age_required",
    "wish_activities",
    "wish_area",
    "lived_experience",
    "challenges",
    "chemistry_notes",
    "capacity",
    "paused_until",
)


# -- queries --------------------------------------------------------------------------------


async def get_intake(session: AsyncSession, enrolment_id: uuid.UUID) -> Intake | None:
    return await session.scalar(select(Intake).where(Intake.enrolment_id == enrolment_id))


async def plugin_fields(
    pm: MakkerPluginManager, tenant: Tenant, session: AsyncSession, enrolment: Enrolment
) -> list[IntakeField]:
    """The programme's plugin questions for the enrolment's role."""
    programme = await session.get_one(Programme, enrolment.programme_id)
    context = programme_context(pm, tenant, programme)
    return intake_fields(pm, context, EnrolmentRole(enrolment.role).value)  # type: ignore[arg-type]


async def fields_of(ctx: Context, enrolment_id: uuid.UUID) -> list[IntakeField]:
    """The plugin questions of an enrolment (to read a posted før-samtale form)."""
    enrolment = await get_enrolment(ctx.session, enrolment_id)
    return await plugin_fields(ctx.plugins, ctx.tenant, ctx.session, enrolment)


# -- the før-samtale ------------------------------------------------------------------------


def _date(raw: Any, key: str, errors: dict[str, str]) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        if isinstance(raw, str) and len(raw) == 10:
            return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    errors[key] = _("Expected a date (YYYY-MM-DD).")
    return None


def _age(raw: Any, key: str, errors: dict[str, str]) -> int | None:
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int)):
        errors[key] = _("Write an age in whole years.")
    elif raw is not None and not 15 <= raw <= 100:
        errors[key] = _("Write an age between 15 and 100.")
    return raw  # type: ignore[no-any-return]


def clean_intake(
    values: Mapping[str, Any], today: dt.date, stored: Intake | None = None
) -> dict[str, Any]:
    """The før-samtale's fields given in ``values``, checked; raise :class:`FieldErrors`.

    A date is checked against today's limits when it changes: the ``stored`` før-samtale's own
    dates are kept as they are (an unchanged form can always be saved again)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    def check_date(key: str, rule: Callable[[dt.date, dt.date], str | None]) -> None:
        day = _date(values[key], key, errors)
        fault = None if day is None or day == getattr(stored, key, None) else rule(day, today)
        if fault:
            errors[key] = fault
        clean[key] = day

    if "held_on" in values:
        check_date("held_on", intake_date_fault)
    for key, limit in (("staff", 200), ("wish_gender", 60), ("wish_area", 200)):
        if key in values:
            clean[key] = text(values[key], limit, key, errors)
    for key in ("motivation", "expectations", "wish_activities", "challenges", "chemistry_notes"):
        if key in values:
            clean[key] = text(values[key], TEXT_MAX, key, errors, multiline=True)
    for key in ("wish_age_min", "wish_age_max"):
        if key in values:
            clean[key] = _age(values[key], key, errors)
    for key in ("wish_gender_required", "wish_age_required"):
        if key in values:
            clean[key] = bool(values[key])
    if "capacity" in values:
        raw = values["capacity"]
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_CAPACITY:
            errors["capacity"] = _("Write a number of mentees between 1 and %(max)d.") % {
                "max": MAX_CAPACITY
            }
        clean["capacity"] = raw
    if "paused_until" in values:
        check_date("paused_until", pause_end_fault)
    lo, hi = clean.get("wish_age_min"), clean.get("wish_age_max")
    checked = "wish_age_min" not in errors and "wish_age_max" not in errors
    if checked and lo is not None and hi is not None and lo > hi:
        errors["wish_age_max"] = _("The highest age must not be below the lowest.")
    if "lived_experience" in values:
        clean["lived_experience"] = word_list(
            values["lived_experience"], "lived_experience", errors, LIVED_EXPERIENCE_AREAS
        )
    if errors:
        raise FieldErrors(in_order(errors, FORM_ORDER))
    return clean


def one_lived_experience(
    fields: list[IntakeField],
    clean: dict[str, Any],
    plugin_clean: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Where the programme asks :data:`LIVED_EXPERIENCE_QUESTION`, the før-samtale's lived
    experience and that answer are one: the one given is copied to the other (both given and
    different is an error)."""
    if not any(f.key == LIVED_EXPERIENCE_QUESTION for f in fields):
        return
    core, asked = "lived_experience" in clean, LIVED_EXPERIENCE_QUESTION in plugin_clean
    if core and asked:
        answer = plugin_clean[LIVED_EXPERIENCE_QUESTION] or []
        if sorted(clean["lived_experience"] or []) != sorted(answer):
            errors["lived_experience"] = _(
                "Lived experience is given twice with different answers; give it once."
            )
    elif asked:
        clean["lived_experience"] = list(plugin_clean[LIVED_EXPERIENCE_QUESTION] or [])
    elif core:
        plugin_clean[LIVED_EXPERIENCE_QUESTION] = list(clean["lived_experience"] or []) or None


async def save_intake(ctx: Context, enrolment_id: uuid.UUID, data: IntakeIn) -> Enrolment:
    """Record or change the før-samtale and the plugin answers (needs consent on the
    enrolment). Plugin answers go to ``Person.attributes``; ``None`` clears one."""
    session = ctx.session
    enrolment = await get_enrolment(session, enrolment_id)
    await refuse_erased(session, enrolments=[enrolment.id])
    if enrolment.status in FINAL_STATUSES:
        raise FieldErrors({"intake": _("The enrolment has ended; start a new enrolment.")})
    if await active_consent(session, enrolment.id) is None:
        raise FieldErrors(
            {"intake": _("Record the person's consent before the før-samtale is stored.")}
        )
    values = data.intake_values()
    intake = await get_intake(session, enrolment.id)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean = clean_intake(values, ctx.today(), intake)
    except FieldErrors as exc:
        errors.update(exc.errors)
    fields = await plugin_fields(ctx.plugins, ctx.tenant, session, enrolment)
    plugin_clean: dict[str, Any] = {}
    try:
        plugin_clean = validate_intake_values(fields, data.values, ctx.today())
    except IntakeValidationError as exc:
        errors.update(exc.errors)
    one_lived_experience(fields, clean, plugin_clean, errors)
    if errors:
        raise FieldErrors(in_order(errors, (*FORM_ORDER, *(f.key for f in fields))))
    new = intake is None
    if intake is None:
        intake = Intake(enrolment_id=enrolment.id, lived_experience=[], staff=None)
        session.add(intake)
    # Only what differs is set: an unchanged form changes no column (nor ``updated_at``).
    for key, value in clean.items():
        value = [] if value is None and key == "lived_experience" else value
        if new or getattr(intake, key) != value:
            setattr(intake, key, value)
    if intake.held_on is None:
        intake.held_on = ctx.today()
    if new and not intake.staff:
        # Who held it, when a new før-samtale does not say; later the field may stay empty.
        intake.staff = staff_name(ctx)
    if plugin_clean:
        person = await session.get_one(Person, enrolment.person_id)
        attributes = apply_intake_values(person.attributes or {}, plugin_clean)
        if attributes != (person.attributes or {}):
            person.attributes = attributes
    await session.flush()
    before = enrolment.status
    if before == EnrolmentStatus.APPLIED.value:
        # An application's før-samtale is held: the enrolment moves on to ``intake`` (it no
        # longer waits on the front page). The consent was checked above.
        from core.participants.enrolments import move

        await move(ctx, enrolment, EnrolmentStatus.INTAKE.value)
    detail = {"fields": sorted([*values, *data.values])}
    audit_enrolment(ctx, "intake.update", enrolment, detail, before)
    return enrolment


def staff_name(ctx: Context) -> str | None:
    """Who held the før-samtale when the form does not say: the signed-in user's name, never an
    internal id (none outside a request)."""
    principal = ctx.principal
    return (principal.name or principal.username or None) if principal else None


# -- a person's answers and verdicts for a programme ----------------------------------------


def _answers(fields: list[IntakeField], person: Person) -> dict[str, Any]:
    keys = {f.key for f in fields}
    return {k: v for k, v in (person.attributes or {}).items() if k in keys}


async def read_answers(
    ctx: Context, person_id: uuid.UUID, programme_slug: str
) -> tuple[Person, Programme, dict[str, Any]]:
    """The person's answers to the programme's intake questions (audited by the route)."""
    programme = await get_programme(ctx.session, programme_slug)
    person = await get_person(ctx.session, person_id)
    fields = intake_fields(ctx.plugins, programme_context(ctx.plugins, ctx.tenant, programme))
    return person, programme, _answers(fields, person)


async def set_answers(
    ctx: Context, person_id: uuid.UUID, programme_slug: str, data: IntakeValuesIn
) -> tuple[Person, Programme, dict[str, Any]]:
    """Set answers (``None`` clears one); answering needs the person's consent.

    :raises Invalid: naming each wrong field; nothing is stored."""
    programme = await get_programme(ctx.session, programme_slug)
    person = await get_person(ctx.session, person_id)
    detail = _("Some answers are not valid; nothing was saved.")
    answered = sorted(k for k, v in data.values.items() if v not in (None, []))
    if answered and not await person_has_consent(ctx.session, person.id):
        message = _(
            "Requires consent: without a consent only name and contact details may be stored."
        )
        raise Invalid({k: message for k in answered}, detail=detail)
    try:
        answers = await set_intake_values(
            ctx.session, ctx.plugins, ctx.tenant, programme, person, data.values, ctx.today()
        )
    except IntakeValidationError as exc:
        raise Invalid(exc.errors, detail=detail) from None
    ctx.audit(
        "person_intake_answers_updated",
        object_type="person",
        object_id=person.id,
        detail={"fields": sorted(data.values)},
    )
    return person, programme, answers


async def person_eligibility(
    ctx: Context, person_id: uuid.UUID, programme_slug: str, role: Role
) -> tuple[Person, Programme, EligibilityReport]:
    """Each enabled rule's verdict on the person for the programme and role (audited by the
    route)."""
    programme = await get_programme(ctx.session, programme_slug)
    person = await get_person(ctx.session, person_id)
    report = await eligibility_for(
        ctx.session, ctx.plugins, ctx.tenant, programme, person, role, ctx.today()
    )
    return person, programme, report
