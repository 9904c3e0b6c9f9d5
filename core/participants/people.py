"""People: registration at first contact, changes, search and reading one person.

Consent rule: until a consent is given (and not withdrawn) on one of the person's enrolments,
only the name and the contact fields (:data:`BASIC_FIELDS`) may hold values.

Commands take a :class:`core.context.Context` and a msgspec input, raise
:class:`FieldErrors` (the contract's ``Invalid``) before writing anything, flush (never commit)
and note one audit row each (ids and criteria, never field values).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Select, func, or_, select

from core.context import Context
from core.form_fields import in_order
from core.gdpr.erased_guard import refuse_erased
from core.participants.consent import person_has_consent
from core.participants.enrolments import check_enrol_input, new_enrolment
from core.participants.errors import FieldErrors
from core.participants.lookup import enrolments_of, get_person
from core.participants.models import BASIC_FIELDS, Enrolment, EnrolmentRole, EnrolmentStatus, Person
from core.participants.schemas import MAX_PAGE_SIZE, PeopleQuery, PersonIn, PersonPatch
from core.participants.validation import text, word_list
from core.tenancy.models import Programme
from core.tenancy.programme_scope import refuse_partner
from core.web import text as chars
from core.web.i18n import gettext as _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PARTS = ("morning", "afternoon", "evening")
#: Availability slots: ``"<weekday>_<part>"``.
AVAILABILITY = tuple(f"{d}_{p}" for d in WEEKDAYS for p in DAY_PARTS)
GENDER_SUGGESTIONS = ("kvinde", "mand", "andet", "ønsker ikke at oplyse")
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
_LIST_FIELDS = ("languages", "interests", "availability")
#: The order of the person forms' fields ("Ny person" and the edit page): errors are listed so.
FORM_ORDER = (*PERSON_FIELDS, "programme", "role", "account")

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ]{8,20}$")
_POSTAL = re.compile(r"^[0-9]{4}$")
_CPR = re.compile(r"\b[0-9]{6}-?[0-9]{4}\b")

#: Bounds that keep a page request a page request (and inside a 64-bit database integer).
MAX_PAGE_NUMBER = 100_000
MAX_OFFSET = 10_000_000
#: The longest search text.
MAX_QUERY_LENGTH = 200


# -- search ---------------------------------------------------------------------------------


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


def _filtered(criteria: PeopleQuery) -> Select[tuple[uuid.UUID]]:
    query = select(Person.id)
    q = criteria.q.strip().lower()
    if q:
        # The text as typed: ``%`` and ``_`` are characters, not LIKE's wildcards
        # (``autoescape`` escapes them, and the escape character, on SQLite and PostgreSQL).
        query = query.where(
            or_(
                func.lower(Person.name).contains(q, autoescape=True),
                func.lower(func.coalesce(Person.email, "")).contains(q, autoescape=True),
                func.coalesce(Person.phone, "").contains(q, autoescape=True),
                func.lower(func.coalesce(Person.external_ref, "")).contains(q, autoescape=True),
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


def check_criteria(criteria: PeopleQuery) -> None:
    errors: dict[str, str] = {}
    if criteria.role and criteria.role not in {r.value for r in EnrolmentRole}:
        errors["role"] = _("Choose mentee or mentor.")
    if criteria.status and criteria.status not in {s.value for s in EnrolmentStatus}:
        errors["status"] = _("Unknown status.")
    if criteria.page < 1:
        errors["page"] = _("The page number must be 1 or more.")
    elif criteria.page > MAX_PAGE_NUMBER:
        errors["page"] = _("The number is too large.")
    if not 1 <= criteria.limit <= MAX_PAGE_SIZE:
        errors["limit"] = _("Choose from 1 to 100 rows per page.")
    if criteria.offset is not None and criteria.offset < 0:
        errors["offset"] = _("The offset must be 0 or more.")
    elif criteria.offset is not None and criteria.offset > MAX_OFFSET:
        errors["offset"] = _("The number is too large.")
    if len(criteria.q) > MAX_QUERY_LENGTH:
        errors["q"] = _("The search text is too long.")
    if errors:
        raise FieldErrors(errors)


async def search_people(ctx: Context, criteria: PeopleQuery) -> SearchResult:
    """One page of people matching ``criteria`` (audited with the filters, not the text)."""
    check_criteria(criteria)
    session = ctx.session
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
    by_person = await enrolments_of(session, [p.id for p in people])
    ctx.audit("person.search", detail=criteria.audit_detail())
    return SearchResult(
        [PersonRow(p, by_person.get(p.id, [])) for p in people], total, criteria.page, pages
    )


async def read_person(ctx: Context, person_id: uuid.UUID, view: str | None = None) -> Person:
    """The person (audited: ``person.read``, ``view`` names a page other than the person's)."""
    person = await get_person(ctx.session, person_id)
    _audit(ctx, "person.read", person.id, {"view": view} if view else None)
    return person


# -- validation -----------------------------------------------------------------------------


def clean_person_values(values: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Validate person fields (only those present in ``values``); raise :class:`FieldErrors`."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in sorted(set(values) - set(PERSON_FIELDS)):
        errors[key] = _("Unknown field.")
    if "name" in values:
        name = text(values["name"], 200, "name", errors)
        if (not name or chars.is_blank(name)) and "name" not in errors:
            errors["name"] = _("Write the person's name.")
        clean["name"] = name
    if "email" in values:
        email = text(values["email"], 254, "email", errors)
        if email and not _EMAIL.match(email):
            errors["email"] = _("Write a valid e-mail address, e.g. navn@example.dk.")
        clean["email"] = email
    if "phone" in values:
        phone = text(values["phone"], 40, "phone", errors)
        if phone and not _PHONE.match(phone):
            errors["phone"] = _("Write a phone number of 8 digits or more (spaces and + allowed).")
        clean["phone"] = phone
    if "address" in values:
        clean["address"] = text(values["address"], 200, "address", errors)
    if "postal_code" in values:
        postal = text(values["postal_code"], 4, "postal_code", errors)
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
        clean["gender"] = text(values["gender"], 60, "gender", errors)
    for key in _LIST_FIELDS:
        if key in values:
            allowed = AVAILABILITY if key == "availability" else ()
            clean[key] = word_list(values[key], key, errors, allowed)
    if "external_ref" in values:
        ref = text(values["external_ref"], 60, "external_ref", errors)
        if ref and _CPR.search(ref):
            errors["external_ref"] = _("A CPR number must not be stored; use the case number.")
        clean["external_ref"] = ref
    if errors:
        raise FieldErrors(in_order(errors, FORM_ORDER))
    return clean


def _needs_consent(clean: Mapping[str, Any]) -> list[str]:
    return sorted(k for k, v in clean.items() if k not in BASIC_FIELDS and v not in (None, []))


def _consent_errors(keys: list[str]) -> dict[str, str]:
    message = _("Requires consent: without a consent only name and contact details may be stored.")
    return {k: message for k in keys}


def _audit(
    ctx: Context, action: str, person_id: uuid.UUID, detail: dict[str, Any] | None = None
) -> None:
    ctx.audit(action, object_type="person", object_id=person_id, detail=detail)


# -- commands -------------------------------------------------------------------------------


async def create_person(ctx: Context, data: PersonIn) -> Person:
    """A new person with name and contact details (nothing else: there is no consent yet);
    with ``programme`` and ``role`` also their first enrolment (``interested``)."""
    values = {k: getattr(data, k) for k in PERSON_FIELDS if getattr(data, k) not in (None, [])}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean = clean_person_values({"name": data.name, **values}, ctx.today())
    except FieldErrors as exc:
        errors.update(exc.errors)
    errors.update(_consent_errors(_needs_consent(clean)))
    programme = None
    if ctx.partner is not None and not data.programme:
        # A partner registers people for the programme it co-runs: a person in none of its
        # programmes would be the municipality's alone, out of the partner's sight at once.
        errors["programme"] = _("Choose the programme the person is registered for.")
    if data.programme or data.role:
        try:
            programme = await check_enrol_input(ctx.session, data.programme or "", data.role or "")
        except FieldErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldErrors(in_order(errors, FORM_ORDER))
    person = Person(**clean)
    ctx.session.add(person)
    await ctx.session.flush()
    if programme is not None and data.role:
        new_enrolment(ctx.session, person, programme, EnrolmentRole(data.role), ctx.actor)
    await ctx.session.flush()
    _audit(ctx, "person.create", person.id)
    return person


async def update_person(ctx: Context, person_id: uuid.UUID, data: PersonPatch) -> Person:
    """Change the given fields (fields beyond name and contact need a consent); from the edit
    page also the linked sign-in (``account``, :class:`PersonForm`)."""
    person = await get_person(ctx.session, person_id)
    await refuse_erased(ctx.session, people=[person.id])
    values = data.values()
    given = getattr(data, "account", msgspec.UNSET)
    account = None if given is msgspec.UNSET else (given or "").strip() or None
    new_account = given is not msgspec.UNSET and account != person.account
    clean = clean_person_values(values, ctx.today())
    needs = [k for k in _needs_consent(clean) if getattr(person, k) != clean[k]]
    if needs and not await person_has_consent(ctx.session, person.id):
        raise FieldErrors(_consent_errors(needs))
    if new_account:
        from core.mine.commands import partner_account_message

        # A partner neither sets nor clears a shared person's sign-in (nor learns whether a
        # sign-in is linked to a person it cannot see).
        refuse_partner(ctx.partner, partner_account_message())
        await _link_account(ctx, person, account)
    for key, value in clean.items():
        setattr(person, key, [] if value is None and key in _LIST_FIELDS else value)
    await ctx.session.flush()
    fields = sorted([*values, "account"] if new_account else values)
    _audit(ctx, "person.update", person.id, {"fields": fields})
    return person


async def _link_account(ctx: Context, person: Person, account: str | None) -> None:
    # Imported here: core.mine's queries import the forløb rows, which import the
    # participants' models (and through them this package) back.
    from core.mine import commands as mine

    try:
        await mine.check_account(ctx.session, person, account)
        await mine.set_account(ctx.session, person.id, account)
    except mine.AccountError as err:
        raise FieldErrors({"account": err.message}) from None
