"""Erasure (GDPR Art. 17) and legal hold, one command each for the JSON API and the pages.

:func:`anonymise` is what erasure and retention (:mod:`core.gdpr.retention`) share: it walks the
tables of :func:`core.gdpr.tags.person_tables` and blanks every column tagged personal data in
each of the person's rows (``NULL``, the column's default, or a meaningless unique text), so a
newly tagged column is covered without changing this module. Rows are kept: the reports count
enrolments, forløb and their dates and states, and meetings held, none of which is tagged. The
person's name becomes :data:`ERASED_NAME`, which the other party's forløb then shows. Calendar
links are deleted, the person's sign-in member row removed, pending invitations and messages
withdrawn and every web session of the person's sign-ins ended. What is running ends
(:func:`end_running`): the person's open enrolments are withdrawn and their consents withdrawn,
their open forløb end (a proposal declined, an active or paused one ended early; the other party
back in the pool as when an enrolment is withdrawn) and the planned meetings not yet held in
them are cancelled with their reminders - each change with the reason :data:`ERASED_REASON`, a
fixed text about no one. From then on nothing new can be recorded about the person
(:mod:`core.gdpr.erased_guard`: 409).

Irreversible. Idempotent: erasing an erased person changes nothing and answers 200 with
``already_erased`` true. A legal hold (:class:`core.gdpr.models.LegalHold`) in force blocks
both erasure and retention (409).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Column, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.access.models import Invitation, InvitationStatus, Member
from core.context import Context
from core.errors import Conflict, Invalid, NotFound
from core.forloeb.commands import end_with_enrolment
from core.forloeb.models import Forloeb, PlannedMeeting
from core.gdpr.erased_guard import erasing
from core.gdpr.models import LegalHold
from core.gdpr.queries import _attribute_keys, _belongs, _model
from core.gdpr.tags import PERSON_TABLE, is_personal, person_tables
from core.identity.sessions import end_web_sessions
from core.notifications.outbox import withdraw
from core.participants.history import add_event
from core.participants.models import (
    FINAL_STATUSES,
    Consent,
    Enrolment,
    EnrolmentStatus,
    Person,
)
from core.tenancy.programme_scope import refuse_partner
from core.web.i18n import gettext as _

#: The name an erased person is shown by (on the other party's forløb, in lists).
ERASED_NAME = "Anonymiseret deltager"
#: The reason recorded where erasure ends the person's enrolments and forløb (no personal data).
ERASED_REASON = "personens oplysninger er slettet"
#: Who did it, in the histories and on withdrawn consents and cancelled meetings.
ERASURE_ACTOR = "gdpr.erasure"
#: The word that confirms an erasure when the name is not typed.
CONFIRM_TOKEN = "SLET"
#: Why a person is erased: a category, never free text (it goes into the audit row).
REASONS = ("person_request", "consent_withdrawn", "no_longer_needed", "unlawful", "other")
#: Columns not tagged personal data that erasure blanks too, with why.
ALSO_BLANKED: dict[str, tuple[str, ...]] = {
    # The delivery target (an address or number) kept with each message.
    "notification": ("address",),
}
#: Tables whose rows of the person are deleted, not blanked: a secret link to the person's
#: calendar (nothing in it is counted).
DELETED = frozenset({"calendar_link"})
#: The longest a legal hold may be set for, in days (ten years).
HOLD_MAX_DAYS = 3653


class ErasureIn(msgspec.Struct, forbid_unknown_fields=True):
    #: One of :data:`REASONS`.
    reason: str
    #: The person's name as shown, or the word ``SLET``.
    confirm: str


class LegalHoldIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Why (at least 10 characters, at most 500).
    reason: str
    #: The last day of the hold (ISO date): from today up to ten years ahead.
    ends_on: str


@dataclass
class Erased:
    """What an erasure did: rows blanked per table, rows deleted, sessions ended."""

    person_id: uuid.UUID
    erased_at: dt.datetime
    already_erased: bool = False
    blanked: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    sessions_ended: int = 0


def blank_value(column: Column, row: Any, table: str) -> Any:  # type: ignore[type-arg]
    """The anonymised value of ``column`` in ``row``: the erased name for a person's name,
    ``NULL`` where allowed, else the column's default, else a meaningless unique text."""
    if table == PERSON_TABLE and column.name == "name":
        return ERASED_NAME
    if column.nullable:
        return None
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg  # type: ignore[attr-defined]
    if default is not None and getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[attr-defined]
    text = f"anonymiseret-{row.id.hex}"
    length = getattr(column.type, "length", None)
    return text[:length] if length else text


async def active_hold(
    session: AsyncSession, person_id: uuid.UUID, today: dt.date
) -> LegalHold | None:
    """The person's legal hold in force on ``today`` (not lifted, ``ends_on`` not passed)."""
    return await session.scalar(
        select(LegalHold)
        .where(
            LegalHold.person_id == person_id,
            LegalHold.lifted_at.is_(None),
            LegalHold.ends_on >= today,
        )
        .order_by(LegalHold.ends_on.desc())
        .limit(1)
    )


def hold_message(hold: LegalHold) -> str:
    return _(
        "The person's data is under a legal hold until %(day)s and cannot be erased or removed "
        "before then."
    ) % {"day": hold.ends_on.strftime("%d.%m.%Y")}


async def end_running(session: AsyncSession, person: Person, now: dt.datetime) -> None:
    """End what is running for ``person`` (see the module); no commit."""
    today = clock.local(now).date()
    enrolments = list(
        await session.scalars(
            select(Enrolment).where(Enrolment.person_id == person.id).order_by(Enrolment.id)
        )
    )
    ids = [e.id for e in enrolments]
    for consent in await session.scalars(
        select(Consent).where(Consent.enrolment_id.in_(ids), Consent.withdrawn_at.is_(None))
    ):
        consent.withdrawn_at = now
        consent.withdrawn_recorded_by = ERASURE_ACTOR
    for enrolment in enrolments:
        if enrolment.status not in FINAL_STATUSES:
            add_event(session, enrolment, EnrolmentStatus.WITHDRAWN, ERASURE_ACTOR, ERASED_REASON)
        # Also a forløb still open under an ended enrolment (none should be).
        await end_with_enrolment(session, enrolment, ERASURE_ACTOR, today, ERASED_REASON)
    forloebs = select(Forloeb.id).where(
        or_(Forloeb.mentee_enrolment_id.in_(ids), Forloeb.mentor_enrolment_id.in_(ids))
    )
    for planned in await session.scalars(
        select(PlannedMeeting).where(
            PlannedMeeting.forloeb_id.in_(forloebs),
            PlannedMeeting.cancelled_at.is_(None),
            PlannedMeeting.starts_at > now,
        )
    ):
        planned.cancelled_at = now
        planned.cancelled_as = "coordinator"
        planned.cancelled_by = ERASURE_ACTOR
        await withdraw(session, planned.id, ("meeting_reminder",), now)
    await session.flush()


async def anonymise(session: AsyncSession, person: Person, now: dt.datetime) -> Erased:
    """End what is running and blank every tagged column of every row about ``person`` (see
    the module); the caller has checked the legal hold and writes the audit row."""
    with erasing(session):
        return await _anonymise(session, person, now)


async def _anonymise(session: AsyncSession, person: Person, now: dt.datetime) -> Erased:
    result = Erased(person.id, now)
    ids: dict[str, set[Any]] = {}
    accounts = {person.account} if person.account else set()
    for spec in person_tables():
        model = _model(spec.name)
        where = _belongs(model, spec, person.id, ids)
        rows = list(await session.scalars(select(model).where(where))) if where is not None else []
        ids[spec.name] = {r.id for r in rows}
        if not rows:
            continue
        if spec.name in DELETED:
            await session.execute(delete(model).where(model.id.in_(ids[spec.name])))
            result.deleted[spec.name] = len(rows)
            continue
        keys = _attribute_keys(model)
        columns = [c for c in spec.table.columns if is_personal(c)] + [
            spec.table.columns[name] for name in ALSO_BLANKED.get(spec.name, ())
        ]
        for row in rows:
            if isinstance(row, Member):
                accounts.add(row.user_id)
                row.removed_at = row.removed_at or now
                row.removed_by = row.removed_by or "gdpr.erasure"
            if isinstance(row, Invitation) and row.status in (
                InvitationStatus.PENDING.value,
                InvitationStatus.SENT.value,
            ):
                row.status = InvitationStatus.REVOKED.value
            if spec.name == "notification" and row.status == "pending":
                row.status = "withdrawn"
            for column in columns:
                setattr(row, keys[column.name], blank_value(column, row, spec.name))
        result.blanked[spec.name] = len(rows)
    await session.flush()
    # After the blanking, so the new history rows keep their reason (about no one).
    await end_running(session, person, now)
    for account in sorted(accounts):
        result.sessions_ended += await end_web_sessions(session, user_id=account)
    person.erased_at = now
    await session.flush()
    return result


def _confirmed(person: Person, confirm: str) -> bool:
    typed = " ".join(confirm.split()).casefold()
    return typed in (CONFIRM_TOKEN.casefold(), " ".join(person.name.split()).casefold())


async def _person(ctx: Context, person_id: uuid.UUID) -> Person:
    person = await ctx.session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise NotFound()
    return person


def refuse_partners_erasure(ctx: Context) -> None:
    """A partner's staff (even under a ``coordinate`` grant) never erases or holds: 403."""
    refuse_partner(ctx.partner, _("Only the municipality's own staff can erase a person's data."))


async def erase_person(ctx: Context, person_id: uuid.UUID, data: ErasureIn) -> Erased:
    """Erase the person (Art. 17); audited ``person.erase`` with the reason's category.

    :raises NotForPartners: a partner's staff. :raises NotFound: no such person.
    :raises Invalid: an unknown reason, or a confirmation that is neither the name nor SLET.
    :raises Conflict: a legal hold is in force."""
    refuse_partners_erasure(ctx)
    person = await _person(ctx, person_id)
    if person.erased_at is not None:
        ctx.audit(
            "person.erase",
            object_type="person",
            object_id=person_id,
            detail={"already_erased": True},
        )
        return Erased(person.id, person.erased_at, already_erased=True)
    errors = {}
    if data.reason not in REASONS:
        errors["reason"] = _("Choose why the person's data is erased.")
    if not _confirmed(person, data.confirm):
        errors["confirm"] = _("Type the person's name exactly as shown, or the word SLET.")
    if errors:
        raise Invalid(errors)
    hold = await active_hold(ctx.session, person.id, ctx.today())
    if hold is not None:
        raise Conflict(hold_message(hold))
    erased = await anonymise(ctx.session, person, ctx.now())
    ctx.audit(
        "person.erase",
        object_type="person",
        object_id=person_id,
        detail={"reason": data.reason, "tables": len(erased.blanked) + len(erased.deleted)},
    )
    return erased


async def what_erasure_removes(ctx: Context, person_id: uuid.UUID) -> dict[str, int]:
    """The person's rows per table that an erasure would blank or delete (the confirmation
    page's list; ids only, nothing stored)."""
    refuse_partners_erasure(ctx)
    await _person(ctx, person_id)
    ids: dict[str, set[Any]] = {}
    counts: dict[str, int] = {}
    for spec in person_tables():
        model = _model(spec.name)
        where = _belongs(model, spec, person_id, ids)
        found = (
            set(await ctx.session.scalars(select(model.id).where(where)))
            if where is not None
            else set()
        )
        ids[spec.name] = found
        if found:
            counts[spec.name] = len(found)
    return counts


def parse_hold(ctx: Context, data: LegalHoldIn) -> tuple[str, dt.date]:
    """:raises Invalid: a reason under 10 or over 500 characters, an end date that is not a
    date, in the past or more than ten years ahead."""
    errors = {}
    reason = " ".join(data.reason.split())
    if not 10 <= len(reason) <= 500:
        errors["reason"] = _("Write why, in 10 to 500 characters.")
    ends_on: dt.date | None = None
    try:
        ends_on = dt.date.fromisoformat(data.ends_on.strip())
    except ValueError:
        errors["ends_on"] = _("Give the last day of the hold as a date.")
    if ends_on is not None:
        today = ctx.today()
        if ends_on < today:
            errors["ends_on"] = _("The last day of the hold cannot be in the past.")
        elif ends_on > today + dt.timedelta(days=HOLD_MAX_DAYS):
            errors["ends_on"] = _("A legal hold can last at most ten years.")
    if errors or ends_on is None:
        raise Invalid(errors)
    return reason, ends_on


async def set_legal_hold(ctx: Context, person_id: uuid.UUID, data: LegalHoldIn) -> LegalHold:
    """Set a legal hold (a tenant admin; the route's guard). A hold already in force is
    replaced (lifted now, the new one set). Audited ``person.legal_hold`` with the end date.

    :raises NotForPartners, NotFound, Invalid: see above. :raises Conflict: the person is
    already erased."""
    refuse_partners_erasure(ctx)
    person = await _person(ctx, person_id)
    reason, ends_on = parse_hold(ctx, data)
    if person.erased_at is not None:
        raise Conflict(_("The person's data is already erased."))
    current = await active_hold(ctx.session, person.id, ctx.today())
    if current is not None:
        current.lifted_at = ctx.now()
        current.lifted_by = ctx.actor
    hold = LegalHold(person_id=person.id, reason=reason, ends_on=ends_on, set_by=ctx.actor)
    ctx.session.add(hold)
    await ctx.session.flush()
    ctx.audit(
        "person.legal_hold",
        object_type="person",
        object_id=person_id,
        detail={"ends_on": ends_on.isoformat()},
    )
    return hold


async def read_legal_hold(ctx: Context, person_id: uuid.UUID) -> LegalHold | None:
    """The hold in force now, or ``None`` (coordinators and tenant admins)."""
    refuse_partners_erasure(ctx)
    await _person(ctx, person_id)
    return await active_hold(ctx.session, person_id, ctx.today())
