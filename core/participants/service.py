"""People, enrolments, før-samtale, consent and eligibility: the rules, in one place.

Every function runs inside the current tenant's scope (the request's or ``tenant_scope``), so
another tenant's person, enrolment or programme is simply "not found". Functions that change
something commit; on a :class:`FieldErrors` nothing has been stored.

Consent rule: until a consent is given (and not withdrawn) on one of the person's enrolments,
only the name and the contact fields may hold values; a før-samtale and plugin intake answers
need a consent on *that* enrolment.

Audit: the controllers write exactly one audit row per request that reads, searches, creates or
changes person data (:func:`audit`), with ids and criteria, never field values.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import note
from core.db.base import utcnow
from core.forloeb.service import end_with_enrolment
from core.participants.errors import NUL_MESSAGE, FieldErrors, NotFound
from core.participants.history import add_event as _add_event
from core.participants.models import (
    BASIC_FIELDS,
    FINAL_STATUSES,
    TRANSITIONS,
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    EnrolmentStatus,
    Intake,
    Person,
)
from core.plugin_api import IntakeField, MakkerPluginManager, Outcome
from core.programmes.intake import (
    IntakeValidationError,
    apply_intake_values,
    intake_fields,
    validate_intake_values,
)
from core.programmes.registry import programme_context
from core.programmes.service import EligibilityReport, eligibility_for
from core.tenancy.models import Programme, Tenant
from core.web.i18n import gettext as _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PARTS = ("morning", "afternoon", "evening")
#: Availability slots: ``"<weekday>_<part>"``.
AVAILABILITY = tuple(f"{d}_{p}" for d in WEEKDAYS for p in DAY_PARTS)
GENDER_SUGGESTIONS = ("kvinde", "mand", "andet", "ønsker ikke at oplyse")
LIVED_EXPERIENCE_AREAS = ("psykiatri", "handicap", "misbrug")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
TEXT_MAX = 4000

PERSON_FIELDS = (
    "name",
    "phone",
    "email",
    "address",
    "postal_code",
    "birth_year",
    "gender",
    "languages",
    "interests",
    "availability",
    "external_ref",
)
INTAKE_FIELDS = (
    "held_on",
    "staff",
    "motivation",
    "expectations",
    "wish_gender",
    "wish_age_min",
    "wish_age_max",
    "wish_activities",
    "wish_area",
    "lived_experience",
    "challenges",
    "chemistry_notes",
    "wish_gender_required",
    "wish_age_required",
    "capacity",
    "paused_until",
)
#: Most mentees a mentor can take at once.
MAX_CAPACITY = 10

DEFAULT_CONSENT_TEXT = (
    "Jeg giver samtykke til, at {organisation} behandler oplysninger om mig i forbindelse med "
    "min deltagelse i {programme}. Det gælder kontaktoplysninger, oplysninger fra "
    "før-samtalen og følsomme oplysninger om helbred, fx psykisk sårbarhed, handicap eller "
    "misbrug (databeskyttelsesforordningens artikel 9, stk. 2, litra a). Oplysningerne bruges "
    "kun til at finde en passende makker, følge forløbet og lave anonyme opgørelser. Jeg kan til "
    "enhver tid trække mit samtykke tilbage ved at kontakte koordinatoren; så afsluttes min "
    "tilmelding. Tilbagetrækningen påvirker ikke lovligheden af behandlingen indtil da."
)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ]{8,20}$")
_POSTAL = re.compile(r"^[0-9]{4}$")
_CPR = re.compile(r"\b[0-9]{6}-?[0-9]{4}\b")


# -- reading ------------------------------------------------------------------------------


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise NotFound()
    return person


async def get_enrolment(session: AsyncSession, enrolment_id: uuid.UUID) -> Enrolment:
    enrolment = await session.scalar(select(Enrolment).where(Enrolment.id == enrolment_id))
    if enrolment is None:
        raise NotFound()
    return enrolment


async def programmes(session: AsyncSession) -> list[Programme]:
    """The tenant's active programmes, by name."""
    rows = await session.scalars(
        select(Programme).where(Programme.archived_at.is_(None)).order_by(Programme.name)
    )
    return list(rows)


async def programme_by_slug(session: AsyncSession, slug: str) -> Programme | None:
    return await session.scalar(
        select(Programme).where(Programme.slug == slug, Programme.archived_at.is_(None))
    )


@dataclass(frozen=True)
class SearchCriteria:
    q: str = ""
    programme: str = ""
    role: str = ""
    status: str = ""
    page: int = 1
    #: Rows per page (1-100); ``offset`` (when given) replaces the page's own offset.
    limit: int = PAGE_SIZE
    offset: int | None = None

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.limit

    def audit_detail(self) -> dict[str, Any]:
        """What the access log keeps: which filters were used, never the search text."""
        return {
            "text_search": bool(self.q.strip()),
            "programme": self.programme or None,
            "role": self.role or None,
            "status": self.status or None,
            "page": self.page,
            "limit": self.limit,
            "offset": self.start,
        }


@dataclass(frozen=True)
class PersonRow:
    person: Person
    enrolments: list[tuple[Enrolment, Programme]]


@dataclass(frozen=True)
class SearchResult:
    rows: list[PersonRow]
    total: int
    page: int
    pages: int


def _filtered(criteria: SearchCriteria) -> Select[tuple[uuid.UUID]]:
    query = select(Person.id)
    q = criteria.q.strip().lower()
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(
                func.lower(Person.name).like(like),
                func.lower(func.coalesce(Person.email, "")).like(like),
                func.coalesce(Person.phone, "").like(like),
                func.lower(func.coalesce(Person.external_ref, "")).like(like),
            )
        )
    if criteria.programme or criteria.role or criteria.status:
        sub = select(Enrolment.person_id)
        if criteria.programme:
            sub = sub.join(Programme, Programme.id == Enrolment.programme_id).where(
                Programme.slug == criteria.programme
            )
        if criteria.role:
            sub = sub.where(Enrolment.role == criteria.role)
        if criteria.status:
            sub = sub.where(Enrolment.status == criteria.status)
        query = query.where(Person.id.in_(sub))
    return query


def check_criteria(criteria: SearchCriteria) -> None:
    errors: dict[str, str] = {}
    if criteria.role and criteria.role not in {r.value for r in EnrolmentRole}:
        errors["role"] = _("Choose mentee or mentor.")
    if criteria.status and criteria.status not in {s.value for s in EnrolmentStatus}:
        errors["status"] = _("Unknown status.")
    if criteria.page < 1:
        errors["page"] = _("The page number must be 1 or more.")
    if not 1 <= criteria.limit <= MAX_PAGE_SIZE:
        errors["limit"] = _("Choose from 1 to 100 rows per page.")
    if criteria.offset is not None and criteria.offset < 0:
        errors["offset"] = _("The offset must be 0 or more.")
    if len(criteria.q) > 200:
        errors["q"] = _("The search text is too long.")
    if errors:
        raise FieldErrors(errors)


async def search_people(session: AsyncSession, criteria: SearchCriteria) -> SearchResult:
    """One page of people matching ``criteria`` (name, e-mail, phone or case reference)."""
    check_criteria(criteria)
    ids = _filtered(criteria)
    total = await session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    pages = max(1, -(-total // criteria.limit))
    people = list(
        await session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .order_by(Person.name, Person.id)
            .offset(criteria.start)
            .limit(criteria.limit)
        )
    )
    by_person = await _enrolments_of(session, [p.id for p in people])
    rows = [PersonRow(p, by_person.get(p.id, [])) for p in people]
    return SearchResult(rows, total, criteria.page, pages)


async def _enrolments_of(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[Enrolment, Programme]]]:
    result: dict[uuid.UUID, list[tuple[Enrolment, Programme]]] = {}
    if not person_ids:
        return result
    rows = await session.execute(
        select(Enrolment, Programme)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(Enrolment.person_id.in_(person_ids))
        .order_by(Enrolment.created_at)
    )
    for enrolment, programme in rows.tuples():
        result.setdefault(enrolment.person_id, []).append((enrolment, programme))
    return result


# -- consent --------------------------------------------------------------------------------


async def active_consent(session: AsyncSession, enrolment_id: uuid.UUID) -> Consent | None:
    return await session.scalar(
        select(Consent).where(Consent.enrolment_id == enrolment_id, Consent.withdrawn_at.is_(None))
    )


async def person_has_consent(session: AsyncSession, person_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Consent.id)
        .join(Enrolment, Enrolment.id == Consent.enrolment_id)
        .where(Enrolment.person_id == person_id, Consent.withdrawn_at.is_(None))
        .limit(1)
    )
    return found is not None


async def current_consent_text(
    session: AsyncSession, tenant: Tenant, programme: Programme, actor: str = "makker"
) -> ConsentText:
    """The programme's newest consent text; version 1 is the Danish default, made on first use."""
    text = await session.scalar(
        select(ConsentText)
        .where(ConsentText.programme_id == programme.id)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )
    if text is None:
        text = ConsentText(
            programme_id=programme.id,
            version=1,
            body=DEFAULT_CONSENT_TEXT.format(organisation=tenant.name, programme=programme.name),
            created_by=actor,
        )
        session.add(text)
        await session.flush()
    return text


async def publish_consent_text(
    session: AsyncSession, tenant: Tenant, programme: Programme, body: str, actor: str
) -> ConsentText:
    """A new version of the programme's consent text (existing consents keep their version)."""
    body = body.strip()
    if len(body) < 20 or len(body) > 10000:
        raise FieldErrors({"body": _("Write a consent text of 20 to 10000 characters.")})
    current = await current_consent_text(session, tenant, programme, actor)
    text = ConsentText(
        programme_id=programme.id, version=current.version + 1, body=body, created_by=actor
    )
    session.add(text)
    await session.flush()
    return text


async def give_consent(
    session: AsyncSession, tenant: Tenant, enrolment: Enrolment, actor: str
) -> Consent:
    """Record that the person gave consent to the programme's current text."""
    if enrolment.status in FINAL_STATUSES:
        raise FieldErrors({"consent": _("The enrolment has ended; start a new enrolment.")})
    if await active_consent(session, enrolment.id) is not None:
        raise FieldErrors({"consent": _("Consent has already been given.")})
    programme = await session.get_one(Programme, enrolment.programme_id)
    text = await current_consent_text(session, tenant, programme, actor)
    consent = Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by=actor)
    session.add(consent)
    await session.flush()
    return consent


async def withdraw_consent(
    session: AsyncSession, enrolment: Enrolment, actor: str, today: dt.date
) -> Consent:
    """Record the withdrawal; the enrolment ends (``withdrawn``), with an event in its history."""
    consent = await active_consent(session, enrolment.id)
    if consent is None:
        raise FieldErrors({"consent": _("There is no consent to withdraw.")})
    consent.withdrawn_at = utcnow()
    consent.withdrawn_recorded_by = actor
    if enrolment.status not in FINAL_STATUSES:
        _add_event(session, enrolment, EnrolmentStatus.WITHDRAWN, actor, "samtykke trukket tilbage")
        await _end_forloeb(session, enrolment, actor, today, "samtykke trukket tilbage")
    await session.flush()
    return consent


# -- people ---------------------------------------------------------------------------------


def _text(value: Any, limit: int, key: str, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[key] = _("Expected text.")
        return None
    if "\x00" in value:
        errors[key] = NUL_MESSAGE()
        return None
    value = value.strip()
    if len(value) > limit:
        errors[key] = _("The text is too long (at most %(n)s characters).") % {"n": limit}
        return None
    return value or None


def _list(value: Any, key: str, errors: dict[str, str], allowed: Sequence[str] = ()) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in (s.strip() for s in value.split(",")) if v]
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        errors[key] = _("Expected a list of words.")
        return []
    items = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(items) > 30 or any(len(v) > 60 for v in items):
        errors[key] = _("At most 30 items of at most 60 characters each.")
        return []
    if allowed and any(v not in allowed for v in items):
        errors[key] = _("Choose from the listed values.")
        return []
    return items


def clean_person_values(values: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Validate person fields (only those present in ``values``); raise :class:`FieldErrors`."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    unknown = set(values) - set(PERSON_FIELDS)
    for key in sorted(unknown):
        errors[key] = _("Unknown field.")
    if "name" in values:
        name = _text(values["name"], 200, "name", errors)
        if not name and "name" not in errors:
            errors["name"] = _("Write the person's name.")
        clean["name"] = name
    if "email" in values:
        email = _text(values["email"], 254, "email", errors)
        if email and not _EMAIL.match(email):
            errors["email"] = _("Write a valid e-mail address, e.g. navn@example.dk.")
        clean["email"] = email
    if "phone" in values:
        phone = _text(values["phone"], 40, "phone", errors)
        if phone and not _PHONE.match(phone):
            errors["phone"] = _("Write a phone number of 8 digits or more (spaces and + allowed).")
        clean["phone"] = phone
    if "address" in values:
        clean["address"] = _text(values["address"], 200, "address", errors)
    if "postal_code" in values:
        postal = _text(values["postal_code"], 4, "postal_code", errors)
        if postal and not _POSTAL.match(postal):
            errors["postal_code"] = _("A postal code has 4 digits.")
        clean["postal_code"] = postal
    if "birth_year" in values:
        year = values["birth_year"]
        if isinstance(year, str):
            year = int(year) if year.strip().isdigit() else (None if not year.strip() else year)
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            errors["birth_year"] = _("Write the birth year as four digits.")
        elif year is not None and year > today.year:
            errors["birth_year"] = _("The birth year cannot be in the future.")
        elif year is not None and year < 1900:
            errors["birth_year"] = _("The birth year must be 1900 or later.")
        else:
            clean["birth_year"] = year
    if "gender" in values:
        clean["gender"] = _text(values["gender"], 60, "gender", errors)
    if "languages" in values:
        clean["languages"] = _list(values["languages"], "languages", errors)
    if "interests" in values:
        clean["interests"] = _list(values["interests"], "interests", errors)
    if "availability" in values:
        clean["availability"] = _list(values["availability"], "availability", errors, AVAILABILITY)
    if "external_ref" in values:
        ref = _text(values["external_ref"], 60, "external_ref", errors)
        if ref and _CPR.search(ref):
            errors["external_ref"] = _("A CPR number must not be stored; use the case number.")
        clean["external_ref"] = ref
    if errors:
        raise FieldErrors(errors)
    return clean


def _needs_consent(clean: Mapping[str, Any]) -> list[str]:
    return sorted(k for k, v in clean.items() if k not in BASIC_FIELDS and v not in (None, []))


def _consent_errors(keys: list[str]) -> dict[str, str]:
    message = _("Requires consent: without a consent only name and contact details may be stored.")
    return {k: message for k in keys}


async def create_person(
    session: AsyncSession,
    tenant: Tenant,
    values: Mapping[str, Any],
    actor: str,
    today: dt.date,
    programme_slug: str | None = None,
    role: str | None = None,
) -> Person:
    """A new person with name and contact details (nothing else: there is no consent yet);
    with ``programme_slug`` and ``role`` also their first enrolment (``interested``)."""
    errors: dict[str, str] = {}
    try:
        clean = clean_person_values({"name": None, **values}, today)
    except FieldErrors as exc:
        errors.update(exc.errors)
        clean = {}
    errors.update(_consent_errors(_needs_consent(clean)))
    programme = None
    if programme_slug or role:
        try:
            programme = await _check_enrol_input(session, programme_slug or "", role or "")
        except FieldErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    person = Person(**clean)
    session.add(person)
    await session.flush()
    if programme is not None and role:
        _new_enrolment(session, person, programme, EnrolmentRole(role), actor)
    await session.flush()
    return person


async def update_person(
    session: AsyncSession, person: Person, values: Mapping[str, Any], today: dt.date
) -> Person:
    """Change the given fields. Fields beyond name and contact need a consent."""
    clean = clean_person_values(values, today)
    needs = [k for k in _needs_consent(clean) if getattr(person, k) != clean[k]]
    if needs and not await person_has_consent(session, person.id):
        raise FieldErrors(_consent_errors(needs))
    for key, value in clean.items():
        setattr(person, key, [] if value is None and key in _LIST_FIELDS else value)
    await session.flush()
    return person


_LIST_FIELDS = ("languages", "interests", "availability")


# -- enrolments -----------------------------------------------------------------------------


async def _check_enrol_input(session: AsyncSession, programme_slug: str, role: str) -> Programme:
    errors: dict[str, str] = {}
    programme = await programme_by_slug(session, programme_slug) if programme_slug else None
    if programme is None:
        errors["programme"] = _("The programme does not exist in this organisation.")
    if role not in {r.value for r in EnrolmentRole}:
        errors["role"] = _("Choose mentee or mentor.")
    if errors:
        raise FieldErrors(errors)
    assert programme is not None
    return programme


def _new_enrolment(
    session: AsyncSession, person: Person, programme: Programme, role: EnrolmentRole, actor: str
) -> Enrolment:
    enrolment = Enrolment(
        id=uuid.uuid4(),
        person_id=person.id,
        programme_id=programme.id,
        role=role,
        status=EnrolmentStatus.INTERESTED.value,
    )
    session.add(enrolment)
    session.add(
        EnrolmentEvent(
            enrolment_id=enrolment.id,
            from_status=None,
            to_status=EnrolmentStatus.INTERESTED.value,
            actor=actor,
        )
    )
    return enrolment


async def enrol(
    session: AsyncSession, person: Person, programme_slug: str, role: str, actor: str
) -> Enrolment:
    """Enrol ``person`` in a programme of this tenant as ``role`` (status ``interested``).

    A person may hold several enrolments (other programmes, the other role, or again after an
    earlier one ended), but only one open enrolment per programme and role.
    """
    programme = await _check_enrol_input(session, programme_slug, role)
    duplicate = FieldErrors(
        {"programme": _("The person is already enrolled in this programme in this role.")}
    )
    if await _open_enrolment_exists(session, person, programme, role):
        raise duplicate
    enrolment = _new_enrolment(session, person, programme, EnrolmentRole(role), actor)
    try:
        await session.flush()
    except IntegrityError:
        # Two requests enrolled the same person at once: the partial unique index caught the
        # second one after the check above passed for both.
        await session.rollback()
        raise duplicate from None
    return enrolment


async def _open_enrolment_exists(
    session: AsyncSession, person: Person, programme: Programme, role: str
) -> bool:
    open_one = await session.scalar(
        select(Enrolment.id).where(
            Enrolment.person_id == person.id,
            Enrolment.programme_id == programme.id,
            Enrolment.role == EnrolmentRole(role),
            Enrolment.status.not_in([s.value for s in FINAL_STATUSES]),
        )
    )
    return open_one is not None


async def _in_open_forloeb(session: AsyncSession, enrolment: Enrolment) -> bool:
    from core.forloeb.models import OPEN_STATES, Forloeb

    found = await session.scalar(
        select(Forloeb.id)
        .where(
            (Forloeb.mentee_enrolment_id == enrolment.id)
            | (Forloeb.mentor_enrolment_id == enrolment.id),
            Forloeb.state.in_([s.value for s in OPEN_STATES]),
        )
        .limit(1)
    )
    return found is not None


async def _end_forloeb(
    session: AsyncSession, enrolment: Enrolment, actor: str, today: dt.date, reason: str
) -> None:
    """A withdrawn enrolment ends its open forløb (see :mod:`core.forloeb.service`)."""
    await end_with_enrolment(session, enrolment, actor, today, reason)


async def history(session: AsyncSession, enrolment_id: uuid.UUID) -> list[EnrolmentEvent]:
    rows = await session.scalars(
        select(EnrolmentEvent)
        .where(EnrolmentEvent.enrolment_id == enrolment_id)
        .order_by(EnrolmentEvent.at, EnrolmentEvent.created_at)
    )
    return list(rows)


def allowed_next(status: str) -> list[EnrolmentStatus]:
    """The statuses an enrolment in ``status`` may move to, in machine order."""
    targets = TRANSITIONS.get(EnrolmentStatus(status), frozenset())
    return [s for s in EnrolmentStatus if s in targets]


async def transition(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    enrolment: Enrolment,
    to: str,
    actor: str,
    today: dt.date,
    reason: str | None = None,
) -> EnrolmentEvent:
    """Move the enrolment to ``to`` if the machine allows it and its conditions hold.

    * only the transitions in :data:`TRANSITIONS`;
    * leaving ``interested`` (except to ``withdrawn``) needs a consent on the enrolment;
    * ``eligible`` needs a held før-samtale and every rule passing, or a coordinator's override
      of a ``fail``.
    """
    errors: dict[str, str] = {}
    reason = _text(reason, 2000, "reason", errors)
    if errors:
        raise FieldErrors(errors)
    try:
        target = EnrolmentStatus(to)
    except ValueError:
        raise FieldErrors({"to": _("Unknown status.")}) from None
    current = EnrolmentStatus(enrolment.status)
    if target not in TRANSITIONS[current]:
        raise FieldErrors(
            {
                "to": _("The status cannot change from %(from)s to %(to)s.")
                % {"from": status_label(current), "to": status_label(target)}
            }
        )
    if target != EnrolmentStatus.WITHDRAWN and await _in_open_forloeb(session, enrolment):
        raise FieldErrors(
            {"to": _("The enrolment is part of a forløb: change the forløb's state instead.")}
        )
    if target != EnrolmentStatus.WITHDRAWN and await active_consent(session, enrolment.id) is None:
        raise FieldErrors({"to": _("Record the person's consent first.")})
    if target == EnrolmentStatus.ELIGIBLE:
        intake = await get_intake(session, enrolment.id)
        if intake is None:
            raise FieldErrors({"to": _("Record the før-samtale first.")})
        report = await eligibility(session, pm, tenant, enrolment, today)
        if report.outcome == Outcome.UNKNOWN:
            raise FieldErrors(
                {"to": _("The rules cannot decide yet: answer the questions in the før-samtale.")}
            )
        if report.outcome == Outcome.FAIL and not enrolment.override_reason:
            raise FieldErrors(
                {"to": _("A rule is not met. A coordinator may override it with a reason.")}
            )
    _add_event(session, enrolment, target, actor, reason)
    if target == EnrolmentStatus.WITHDRAWN:
        await _end_forloeb(session, enrolment, actor, today, reason or "udmeldt")
    await session.flush()
    events = await history(session, enrolment.id)
    return events[-1]


# -- eligibility ----------------------------------------------------------------------------


async def eligibility(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    enrolment: Enrolment,
    today: dt.date,
) -> EligibilityReport:
    """The rules' verdicts on the enrolment's person, computed now from the stored answers."""
    programme = await session.get_one(Programme, enrolment.programme_id)
    person = await session.get_one(Person, enrolment.person_id)
    role = EnrolmentRole(enrolment.role).value
    return await eligibility_for(session, pm, tenant, programme, person, role, today)  # type: ignore[arg-type]


async def override_fail(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    enrolment: Enrolment,
    reason: str,
    actor: str,
    today: dt.date,
) -> list[str]:
    """Let a person with a ``fail`` verdict through, with a written reason. Returns the names
    of the failing rules (for the audit row)."""
    errors: dict[str, str] = {}
    text = _text(reason, 2000, "reason", errors) or ""
    if not errors and len(text) < 10:
        errors["reason"] = _("Write a reason of at least 10 characters.")
    if errors:
        raise FieldErrors(errors)
    if enrolment.status not in (EnrolmentStatus.INTAKE.value, EnrolmentStatus.INELIGIBLE.value):
        raise FieldErrors({"reason": _("Only an enrolment at the før-samtale can be overridden.")})
    report = await eligibility(session, pm, tenant, enrolment, today)
    if report.outcome != Outcome.FAIL:
        raise FieldErrors({"reason": _("Only a rule that is not met can be overridden.")})
    enrolment.override_reason = text
    enrolment.override_by = actor
    enrolment.override_at = utcnow()
    await session.flush()
    return [v.rule for v in report.verdicts if v.outcome == Outcome.FAIL]


# -- før-samtale ----------------------------------------------------------------------------


async def get_intake(session: AsyncSession, enrolment_id: uuid.UUID) -> Intake | None:
    return await session.scalar(select(Intake).where(Intake.enrolment_id == enrolment_id))


async def plugin_fields(
    pm: MakkerPluginManager, tenant: Tenant, session: AsyncSession, enrolment: Enrolment
) -> list[IntakeField]:
    """The programme's plugin questions for the enrolment's role."""
    programme = await session.get_one(Programme, enrolment.programme_id)
    context = programme_context(pm, tenant, programme)
    return intake_fields(pm, context, EnrolmentRole(enrolment.role).value)  # type: ignore[arg-type]


def _clean_intake(values: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in sorted(set(values) - set(INTAKE_FIELDS)):
        errors[key] = _("Unknown field.")
    if "held_on" in values:
        raw = values["held_on"]
        if raw in (None, ""):
            clean["held_on"] = None
        else:
            day = None
            if isinstance(raw, str) and len(raw) == 10:
                try:
                    day = dt.date.fromisoformat(raw)
                except ValueError:
                    day = None
            if day is None:
                errors["held_on"] = _("Expected a date (YYYY-MM-DD).")
            elif day > today:
                errors["held_on"] = _("The date must not be in the future.")
            else:
                clean["held_on"] = day
    for key, limit in (("staff", 200), ("wish_gender", 60), ("wish_area", 200)):
        if key in values:
            clean[key] = _text(values[key], limit, key, errors)
    for key in ("motivation", "expectations", "wish_activities", "challenges", "chemistry_notes"):
        if key in values:
            clean[key] = _text(values[key], TEXT_MAX, key, errors)
    for key in ("wish_age_min", "wish_age_max"):
        if key in values:
            raw = values[key]
            if isinstance(raw, str):
                raw = int(raw) if raw.strip().isdigit() else (None if not raw.strip() else raw)
            if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int)):
                errors[key] = _("Write an age in whole years.")
            elif raw is not None and not 15 <= raw <= 100:
                errors[key] = _("Write an age between 15 and 100.")
            else:
                clean[key] = raw
    for key in ("wish_gender_required", "wish_age_required"):
        if key in values:
            raw = values[key]
            if isinstance(raw, str) and raw in ("", "on", "true", "false"):
                raw = raw in ("on", "true")
            if not isinstance(raw, bool):
                errors[key] = _("Expected yes or no.")
            else:
                clean[key] = raw
    if "capacity" in values:
        raw = values["capacity"]
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_CAPACITY:
            errors["capacity"] = _("Write a number of mentees between 1 and %(max)d.") % {
                "max": MAX_CAPACITY
            }
        else:
            clean["capacity"] = raw
    if "paused_until" in values:
        raw = values["paused_until"]
        if raw in (None, ""):
            clean["paused_until"] = None
        else:
            try:
                clean["paused_until"] = (
                    dt.date.fromisoformat(str(raw)) if len(str(raw)) == 10 else None
                )
            except ValueError:
                clean["paused_until"] = None
            if clean["paused_until"] is None:
                errors["paused_until"] = _("Expected a date (YYYY-MM-DD).")
    lo, hi = clean.get("wish_age_min"), clean.get("wish_age_max")
    if lo is not None and hi is not None and lo > hi:
        errors["wish_age_max"] = _("The highest age must not be below the lowest.")
    if "lived_experience" in values:
        clean["lived_experience"] = _list(
            values["lived_experience"], "lived_experience", errors, LIVED_EXPERIENCE_AREAS
        )
    if errors:
        raise FieldErrors(errors)
    return clean


async def save_intake(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    enrolment: Enrolment,
    values: Mapping[str, Any],
    plugin_values: Mapping[str, Any],
    actor: str,
    today: dt.date,
) -> Intake:
    """Record or change the før-samtale and the plugin answers (needs consent on the
    enrolment). Plugin answers go to ``Person.attributes``; ``None`` clears one."""
    if enrolment.status in FINAL_STATUSES:
        raise FieldErrors({"intake": _("The enrolment has ended; start a new enrolment.")})
    if await active_consent(session, enrolment.id) is None:
        raise FieldErrors(
            {"intake": _("Record the person's consent before the før-samtale is stored.")}
        )
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean = _clean_intake(values, today)
    except FieldErrors as exc:
        errors.update(exc.errors)
    fields = await plugin_fields(pm, tenant, session, enrolment)
    plugin_clean: dict[str, Any] = {}
    try:
        plugin_clean = validate_intake_values(fields, plugin_values, today)
    except IntakeValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    intake = await get_intake(session, enrolment.id)
    if intake is None:
        intake = Intake(enrolment_id=enrolment.id, lived_experience=[], staff=None)
        session.add(intake)
    for key, value in clean.items():
        setattr(intake, key, [] if value is None and key == "lived_experience" else value)
    if intake.held_on is None:
        intake.held_on = today
    if not intake.staff:
        intake.staff = actor
    if plugin_clean:
        person = await session.get_one(Person, enrolment.person_id)
        person.attributes = apply_intake_values(person.attributes or {}, plugin_clean)
    await session.flush()
    return intake


# -- labels and audit -----------------------------------------------------------------------


def status_label(status: str) -> str:
    labels = {
        "interested": _("Interested"),
        "intake": _("Før-samtale"),
        "eligible": _("Eligible"),
        "ineligible": _("Not eligible"),
        "ready": _("Ready"),
        "matched": _("Matched"),
        "active": _("In a forløb"),
        "finished": _("Finished"),
        "withdrawn": _("Withdrawn"),
    }
    return labels.get(str(status), str(status))


def role_label(role: str) -> str:
    return {"mentee": _("Citizen (mentee)"), "mentor": _("Mentor")}.get(str(role), str(role))


async def audit(
    _sessionmaker: Any,
    action: str,
    *,
    person_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    **_request: Any,
) -> None:
    """One access-log row: who did what to which person (ids and criteria, no field values),
    written by the request pipeline in the request's own transaction."""
    note(
        action,
        object_type="person" if person_id else None,
        object_id=person_id,
        detail=detail or {},
    )


@dataclass
class EnrolmentView:
    """Everything the enrolment page and API show."""

    enrolment: Enrolment
    programme: Programme
    person: Person
    consent: Consent | None
    consent_text: ConsentText | None
    intake: Intake | None
    report: EligibilityReport
    fields: list[IntakeField]
    events: list[EnrolmentEvent] = field(default_factory=list)

    @property
    def plugin_values(self) -> dict[str, Any]:
        keys = {f.key for f in self.fields}
        return {k: v for k, v in (self.person.attributes or {}).items() if k in keys}


async def enrolment_view(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    enrolment: Enrolment,
    today: dt.date,
) -> EnrolmentView:
    programme = await session.get_one(Programme, enrolment.programme_id)
    person = await session.get_one(Person, enrolment.person_id)
    consent = await session.scalar(
        select(Consent)
        .where(Consent.enrolment_id == enrolment.id)
        .order_by(Consent.given_at.desc())
        .limit(1)
    )
    text = (
        await session.get(ConsentText, consent.consent_text_id)
        if consent
        else await current_consent_text(session, tenant, programme)
    )
    view = EnrolmentView(
        enrolment=enrolment,
        programme=programme,
        person=person,
        consent=consent,
        consent_text=text,
        intake=await get_intake(session, enrolment.id),
        report=await eligibility(session, pm, tenant, enrolment, today),
        fields=await plugin_fields(pm, tenant, session, enrolment),
        events=await history(session, enrolment.id),
    )
    await session.flush()  # keeps a default consent text made on first use
    return view


def outcome_label(outcome: str) -> str:
    return {"pass": _("Met"), "fail": _("Not met"), "unknown": _("Not decided")}.get(
        outcome, outcome
    )


def slot_label(slot: str) -> str:
    """``"mon_morning"`` -> "mandag formiddag" (in the current language)."""
    day, _sep, part = slot.partition("_")
    days = {
        "mon": _("Monday"),
        "tue": _("Tuesday"),
        "wed": _("Wednesday"),
        "thu": _("Thursday"),
        "fri": _("Friday"),
        "sat": _("Saturday"),
        "sun": _("Sunday"),
    }
    parts = {"morning": _("morning"), "afternoon": _("afternoon"), "evening": _("evening")}
    return f"{days.get(day, day)} {parts.get(part, part)}"
