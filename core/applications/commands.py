"""Applying on a programme's public page, and what the coordinator sees of it.

:func:`apply` is the one command: it checks every field (Danish messages, nothing stored when one
is wrong), makes the :class:`~core.participants.models.Person` (name and contact only), an
enrolment in the status ``applied`` and the :class:`~core.applications.models.Application` with
the consent to be contacted. A second identical application (same programme, role, name and
contact details) within :data:`DUPLICATE_WINDOW` makes nothing new: it answers the first one.

The public page is anonymous, so the audit row names no one: the action, the ids made and the
programme and role - never the name, contact details or text (the request id and client address
are the audit row's own columns, as for every request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.forget import forget_invitations_of
from core.applications.models import Application
from core.applications.queries import other_enrolments
from core.applications.schemas import HOPE_MAX, ApplicationIn
from core.context import Context
from core.errors import Conflict
from core.form_fields import in_order
from core.participants.errors import FieldErrors, NotFound
from core.participants.lookup import programme_by_slug
from core.participants.models import (
    Consent,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    EnrolmentStatus,
    Person,
)
from core.participants.people import clean_person_values
from core.participants.validation import text as clean_text
from core.tenancy.models import Programme
from core.tenancy.partnerships import co_runners
from core.web import text as chars
from core.web.i18n import gettext as _

#: Who made the person and enrolment, in their histories ("Ansøgning på den offentlige side").
APPLICANT = "offentlig-ansoegning"
#: A second identical application within this time makes nothing new.
DUPLICATE_WINDOW = dt.timedelta(minutes=30)
#: The fingerprint of an application older than :data:`DUPLICATE_WINDOW` or withdrawn: none.
FORGOTTEN = ""
#: The form's fields in the order the page shows them: errors are listed so.
FORM_ORDER = ("role", "name", "phone", "email", "hope", "consent")


def contact_consent_text(organisation: str, programme: str, partners: Sequence[str] = ()) -> str:
    """The consent to be contacted, as the form shows it (in the request's language). When
    partner organisations co-run the programme (a ``coordinate`` grant: their staff see the
    applications, phone, e-mail and text), the text names them too."""
    if partners:
        organisation = _("%(organisation)s and %(partners)s, who run the programme together,") % {
            "organisation": organisation,
            "partners": ", ".join(partners),
        }
    return _(
        "I agree that %(organisation)s stores the information in this application and contacts "
        "me by phone or e-mail about %(programme)s. The information is used only to contact me "
        "and to arrange a first conversation. I can withdraw my consent at any time by "
        "contacting the coordinator."
    ) % {"organisation": organisation, "programme": programme}


async def consent_text_for(ctx: Context, programme: Programme) -> str:
    """The consent to be contacted for ``programme``, naming its co-running partners."""
    partners = await co_runners(ctx.session, programme)
    return contact_consent_text(ctx.tenant.name, programme.name, partners)


def open_roles(programme: Programme) -> list[str]:
    """The roles the programme's public page takes applications for: ``mentee``, ``mentor``."""
    public = programme.public or {}
    return [role for role in ("mentee", "mentor") if public.get(role)]


async def public_programme(ctx: Context, slug: str) -> Programme:
    """The tenant's active programme ``slug`` with a public page, else :class:`NotFound`."""
    programme = await programme_by_slug(ctx.session, slug) if len(slug) <= 60 else None
    if programme is None or not programme.public:
        raise NotFound()
    return programme


def fingerprint(programme: Programme, role: str, name: str, phone: str, email: str) -> str:
    """What makes two applications the same, hashed: programme, role, the name (case and spaces
    ignored), the phone number's digits and the e-mail address (case ignored)."""
    parts = (
        str(programme.id),
        role,
        " ".join(name.casefold().split()),
        re.sub(r"\D", "", phone),
        email.casefold(),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Applied:
    """What :func:`apply` did: the application, and whether it was a repeat of an earlier one."""

    application: Application
    duplicate: bool


def _check(data: ApplicationIn, roles: list[str], today: dt.date) -> dict[str, str | None]:
    errors: dict[str, str] = {}
    clean: dict[str, str | None] = {}
    if data.role not in roles:
        errors["role"] = (
            _("Choose whether you want a mentor or want to be a mentor.")
            if len(roles) > 1
            else _("The programme does not take this kind of application.")
        )
    try:
        values = clean_person_values(
            {"name": data.name, "phone": data.phone, "email": data.email}, today
        )
        clean.update(values)
    except FieldErrors as exc:
        errors.update(exc.errors)
    if "name" in errors and chars.is_blank(data.name or ""):
        errors["name"] = _("Write your name.")
    no_contact = chars.is_blank(data.phone or "") and chars.is_blank(data.email or "")
    if "phone" not in errors and "email" not in errors and no_contact:
        errors["phone"] = _("Write a phone number or an e-mail address, so we can contact you.")
    clean["hope"] = clean_text(data.hope, HOPE_MAX, "hope", errors, multiline=True)
    if not data.consent:
        errors["consent"] = _("Tick the box to agree that we may contact you.")
    if errors:
        raise FieldErrors(in_order(errors, FORM_ORDER))
    return clean


async def _lock(ctx: Context, key: str) -> None:
    """On PostgreSQL, hold a transaction lock on the fingerprint: a double click's second
    request waits for the first to commit and then finds it. (SQLite runs one writer at a
    time anyway.)"""
    connection = await ctx.session.connection()
    if connection.dialect.name == "postgresql":
        number = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
        await connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number})


async def apply(
    ctx: Context,
    programme_slug: str,
    data: ApplicationIn,
    admit: Callable[[], Awaitable[None]] | None = None,
) -> Applied:
    """Apply to the programme: a person, an enrolment ``applied`` and the application with the
    consent to be contacted; audited as ``application.create`` (ids, programme and role only).

    :raises NotFound: the programme does not exist here or has no public page.
    :raises FieldErrors: a field is wrong (each named, in the form's order); nothing stored.

    ``admit`` is called before a new application is made (not for a repeat): the page's rate
    limit raises there to refuse it."""
    programme = await public_programme(ctx, programme_slug)
    clean = _check(data, open_roles(programme), ctx.today())
    name, phone, email = clean["name"] or "", clean.get("phone") or "", clean.get("email") or ""
    key = fingerprint(programme, data.role, name, phone, email)
    await _lock(ctx, key)
    await forget_old_fingerprints(ctx)
    earlier = await ctx.session.scalar(
        select(Application)
        .where(
            Application.fingerprint == key,
            Application.fingerprint != FORGOTTEN,
            Application.created_at >= ctx.now() - DUPLICATE_WINDOW,
        )
        .order_by(Application.created_at)
        .limit(1)
    )
    detail = {"programme": programme.slug, "role": data.role}
    if earlier is not None:
        ctx.audit(
            "application.create",
            object_type="person",
            object_id=earlier.person_id,
            detail={**detail, "duplicate": True},
        )
        return Applied(earlier, duplicate=True)
    if admit is not None:
        await admit()
    person = Person(name=name, phone=phone or None, email=email or None)
    ctx.session.add(person)
    await ctx.session.flush()
    enrolment = Enrolment(
        id=uuid.uuid4(),
        person_id=person.id,
        programme_id=programme.id,
        role=EnrolmentRole(data.role),
        status=EnrolmentStatus.APPLIED.value,
    )
    ctx.session.add(enrolment)
    ctx.session.add(
        EnrolmentEvent(
            enrolment_id=enrolment.id,
            from_status=None,
            to_status=EnrolmentStatus.APPLIED.value,
            actor=APPLICANT,
        )
    )
    await ctx.session.flush()
    application = Application(
        person_id=person.id,
        enrolment_id=enrolment.id,
        hope=clean.get("hope"),
        contact_consent_text=await consent_text_for(ctx, programme),
        contact_consent_at=ctx.now(),
        fingerprint=key,
    )
    ctx.session.add(application)
    await ctx.session.flush()
    ctx.audit(
        "application.create",
        object_type="person",
        object_id=person.id,
        detail={**detail, "enrolment": str(enrolment.id), "application": str(application.id)},
    )
    return Applied(application, duplicate=False)


async def forget_old_fingerprints(ctx: Context) -> None:
    """Clear the fingerprints older than :data:`DUPLICATE_WINDOW` (they only serve to recognise
    a repeat within it); run on every application, so none lives much longer."""
    await ctx.session.execute(
        update(Application)
        .where(
            Application.fingerprint != FORGOTTEN,
            Application.created_at < ctx.now() - DUPLICATE_WINDOW,
        )
        .values(fingerprint=FORGOTTEN)
        .execution_options(synchronize_session=False)
    )


async def forget_application(session: AsyncSession, enrolment_id: uuid.UUID) -> None:
    """The applicant withdrew (their enrolment left ``applied`` or ``interested`` for
    ``withdrawn``): clear what they hoped for and the fingerprint. The row stays with the
    consent text as shown and when it was given; the enrolment's history says when it was
    withdrawn and by whom."""
    await session.execute(
        update(Application)
        .where(Application.enrolment_id == enrolment_id)
        .values(hope=None, fingerprint=FORGOTTEN)
        .execution_options(synchronize_session="fetch")
    )


def not_waiting_message() -> str:
    """Why an application cannot be deleted (in the request's language)."""
    return _(
        "Only an application nobody has acted on can be deleted: the enrolment has a consent "
        "or has left Applied. Withdraw the enrolment instead."
    )


@dataclass(frozen=True)
class Deleted:
    """What :func:`delete_application` removed."""

    person_deleted: bool


async def delete_application(ctx: Context, application_id: uuid.UUID) -> Deleted:
    """Delete an application that still waits (its enrolment ``applied``, no consent recorded):
    the application with the hope text, the enrolment with its history, and the person if they
    have no other enrolment. Audited as ``application.delete`` with ids, programme and role only.

    :raises NotFound: no such application here.
    :raises Conflict: the enrolment has left ``applied`` or has a consent (withdraw it instead)."""
    session = ctx.session
    application = await session.get(Application, application_id)
    if application is None:
        raise NotFound()
    enrolment = await session.get_one(Enrolment, application.enrolment_id)
    consented = await session.scalar(
        select(Consent.id).where(Consent.enrolment_id == enrolment.id).limit(1)
    )
    if enrolment.status != EnrolmentStatus.APPLIED.value or consented is not None:
        raise Conflict(not_waiting_message())
    programme = await session.get_one(Programme, enrolment.programme_id)
    others = await other_enrolments(session, enrolment)
    person_id = enrolment.person_id
    await session.execute(delete(Application).where(Application.id == application.id))
    await session.execute(delete(EnrolmentEvent).where(EnrolmentEvent.enrolment_id == enrolment.id))
    await session.execute(delete(Enrolment).where(Enrolment.id == enrolment.id))
    person_deleted = not others
    if person_deleted:
        await forget_invitations_of(session, [person_id])  # its invitations go with it
        await session.execute(delete(Person).where(Person.id == person_id))
    session.expunge(application)
    session.expunge(enrolment)
    ctx.audit(
        "application.delete",
        object_type="application",
        object_id=application_id,
        detail={
            "programme": programme.slug,
            "role": enrolment.role.value,
            "person_deleted": person_deleted,
        },
    )
    return Deleted(person_deleted)
