"""The person's messages and choices, and the coordinators' failed deliveries (commands and
reads; the API and the pages are adapters over these)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, update

from core.context import Context
from core.errors import Forbidden, Invalid, NotFound
from core.forloeb.access import acts_as_coordinator
from core.mine.queries import my_person
from core.notifications.messages import DEFAULT_LANGUAGE, LANGUAGES
from core.notifications.models import ContactPreference, Notification
from core.notifications.preferences import CHOICES, PERSON_KINDS, preference_of
from core.notifications.schemas import ChoicesIn, ChoicesOut
from core.participants.models import Person
from core.web.i18n import gettext as _


async def my_messages(ctx: Context) -> tuple[Person | None, list[Notification]]:
    """The caller's page messages that have arrived, newest first (none without a person)."""
    person = await my_person(ctx)
    if person is None:
        return None, []
    rows = await ctx.session.scalars(
        select(Notification)
        .where(
            Notification.person_id == person.id,
            Notification.channel == "page",
            Notification.status == "sent",
        )
        .order_by(Notification.sent_at.desc())
        .limit(100)
    )
    ctx.audit("notifications.list", object_type="person", object_id=person.id)
    return person, list(rows)


async def unread_count(ctx: Context) -> int:
    """How many of the caller's page messages are unread (0 without a linked person)."""
    person = await my_person(ctx)
    if person is None:
        return 0
    found = await ctx.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.person_id == person.id,
            Notification.channel == "page",
            Notification.status == "sent",
            Notification.read_at.is_(None),
        )
    )
    return int(found or 0)


async def mark_read(ctx: Context) -> int:
    """Mark every message of the caller read; returns how many were unread."""
    person = await my_person(ctx)
    if person is None:
        raise NotFound()
    result = await ctx.session.execute(
        update(Notification)
        .where(
            Notification.person_id == person.id,
            Notification.channel == "page",
            Notification.read_at.is_(None),
            Notification.status == "sent",
        )
        .values(read_at=ctx.now())
        .execution_options(synchronize_session=False)
    )
    ctx.audit("notifications.read", object_type="person", object_id=person.id)
    return int(getattr(result, "rowcount", 0) or 0)


def available_channels(person: Person) -> list[str]:
    found = []
    if person.email:
        found.append("email")
    if person.phone:
        found.append("sms")
    return [*found, "page", "off"]


def choices_out(person: Person, pref: ContactPreference | None) -> ChoicesOut:
    return ChoicesOut(
        consent=bool(pref and pref.consented),
        channels={k: str((pref.channels or {}).get(k, "")) for k in PERSON_KINDS if pref}
        if pref
        else {},
        quiet_from=_hhmm(pref.quiet_from) if pref else None,
        quiet_to=_hhmm(pref.quiet_to) if pref else None,
        language=(pref.language if pref else None) or DEFAULT_LANGUAGE,
        available=available_channels(person),
    )


async def _my_person_or_404(ctx: Context) -> Person:
    person = await my_person(ctx)
    if person is None:
        raise NotFound()
    return person


async def my_choices(ctx: Context) -> tuple[Person, ChoicesOut]:
    person = await _my_person_or_404(ctx)
    ctx.audit("notifications.choices", object_type="person", object_id=person.id)
    return person, choices_out(person, await preference_of(ctx.session, person.id))


async def save_choices(ctx: Context, data: ChoicesIn) -> ChoicesOut:
    """Store the caller's choices (audited ``notifications.choices_saved``).

    :raises NotFound: the sign-in is linked to no person of the tenant.
    :raises Invalid: an unknown kind or choice, a channel the person has no address for, or
        quiet hours with only one end."""
    return await _save(ctx, await _my_person_or_404(ctx), data)


async def _person_or_404(ctx: Context, person_id: uuid.UUID) -> Person:
    _coordinators_only(ctx)
    person = await ctx.session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise NotFound()
    return person


async def person_choices(ctx: Context, person_id: uuid.UUID) -> tuple[Person, ChoicesOut]:
    """A person's choices, for a coordinator (who records what the person said in a
    conversation, for one without a sign-in). :raises NotFound: no such person."""
    person = await _person_or_404(ctx, person_id)
    ctx.audit("notifications.choices", object_type="person", object_id=person.id)
    return person, choices_out(person, await preference_of(ctx.session, person.id))


async def save_person_choices(ctx: Context, person_id: uuid.UUID, data: ChoicesIn) -> ChoicesOut:
    """A coordinator records a person's consent to be contacted and choices (audited
    ``notifications.choices_saved`` with the coordinator as actor).

    :raises NotFound: no such person. :raises Invalid: as :func:`save_choices`."""
    return await _save(ctx, await _person_or_404(ctx, person_id), data)


async def _save(ctx: Context, person: Person, data: ChoicesIn) -> ChoicesOut:
    errors: dict[str, str] = {}
    available = available_channels(person)
    for kind, choice in data.channels.items():
        if kind in PERSON_KINDS and choice == "":
            continue  # "" is the default (what GET returns for a kind not chosen): not stored
        if kind not in PERSON_KINDS or choice not in CHOICES:
            errors[f"channels.{kind}"] = _("Choose one of the listed options.")
        elif choice not in available:
            errors[f"channels.{kind}"] = (
                _("We have no e-mail address for you; ask your coordinator to add it.")
                if choice == "email"
                else _("We have no phone number for you; ask your coordinator to add it.")
            )
    if (data.quiet_from is None) != (data.quiet_to is None):
        errors["quiet_to" if data.quiet_to is None else "quiet_from"] = _(
            "Give both the start and the end of the quiet hours, or neither."
        )
    elif data.quiet_from is not None and data.quiet_from == data.quiet_to:
        errors["quiet_to"] = _("The quiet hours must end at another time than they start.")
    if data.language is not None and data.language not in LANGUAGES:
        errors["language"] = _("Choose one of the listed options.")
    if errors:
        raise Invalid(errors)
    pref = await preference_of(ctx.session, person.id)
    if pref is None:
        pref = ContactPreference(person_id=person.id, channels={})
        ctx.session.add(pref)
    now = ctx.now()
    if data.consent and not pref.consented:
        pref.consent_given_at, pref.consent_withdrawn_at = now, None
    elif not data.consent and pref.consented:
        pref.consent_withdrawn_at = now
    pref.channels = {k: v for k, v in data.channels.items() if v}
    pref.quiet_from = _time(data.quiet_from)
    pref.quiet_to = _time(data.quiet_to)
    pref.language = data.language or DEFAULT_LANGUAGE
    await ctx.session.flush()
    ctx.audit("notifications.choices_saved", object_type="person", object_id=person.id)
    return choices_out(person, pref)


def _hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _time(value: str | None) -> dt.time | None:
    """``HH:MM`` (the Struct's pattern has checked it) as a time."""
    return dt.time.fromisoformat(value) if value else None


def _coordinators_only(ctx: Context) -> None:
    if not acts_as_coordinator(ctx):
        raise Forbidden(_("Your role does not give access to this."))


async def failed_deliveries(ctx: Context) -> list[tuple[Notification, Person | None]]:
    """Messages that did not go out (failed) or may not have (uncertain), newest first, with
    their recipient - for coordinators."""
    _coordinators_only(ctx)
    rows = await ctx.session.execute(
        select(Notification, Person)
        .outerjoin(Person, Person.id == Notification.person_id)
        .where(Notification.status.in_(("failed", "uncertain")))
        .order_by(Notification.updated_at.desc())
        .limit(200)
    )
    ctx.audit("notifications.failed")
    return [(n, p) for n, p in rows]


async def retry_delivery(ctx: Context, notification_id: uuid.UUID) -> Notification:
    """A coordinator sends a failed or uncertain message again (a fresh row of attempts).

    :raises NotFound: no such failed message in the tenant."""
    _coordinators_only(ctx)
    row = await ctx.session.scalar(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.status.in_(("failed", "uncertain")),
        )
    )
    if row is None:
        raise NotFound()
    row.status, row.attempts, row.due_at, row.last_error = "pending", 0, ctx.now(), None
    await ctx.session.flush()
    ctx.audit("notifications.retry", object_type="notification", object_id=row.id)
    return row


async def mailbox(ctx: Context) -> list[tuple[Notification, Person | None]]:
    """Development: every e-mail and SMS that would have gone out, newest first."""
    _coordinators_only(ctx)
    rows = await ctx.session.execute(
        select(Notification, Person)
        .outerjoin(Person, Person.id == Notification.person_id)
        .where(Notification.channel.in_(("email", "sms")), Notification.status == "sent")
        .order_by(Notification.sent_at.desc())
        .limit(200)
    )
    ctx.audit("notifications.mailbox")
    return [(n, p) for n, p in rows]
