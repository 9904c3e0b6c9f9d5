"""What a person wants to hear, and how: consent to be contacted, a channel (or none) per kind,
quiet hours, the language of the messages. Read by :func:`core.notifications.outbox.notify`
when a message is written and again by the delivery just before it goes out (a "no" given in
between is respected).

Defaults: without consent to be contacted, messages appear only on the page (the list in the
header) - and only for a person with a sign-in; with consent, every kind goes by e-mail if the
person has an address, else by SMS if they have a phone number, and on the page too. A kind
set to ``off`` is not written at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import COPENHAGEN, local
from core.notifications.models import ContactPreference
from core.participants.models import Person

#: The choices a person has per kind (``page`` alone: nothing leaves Makker).
CHOICES = ("email", "sms", "page", "off")
#: The kinds a person (not the coordinators' team) can receive, in the order the page lists.
PERSON_KINDS = (
    "meeting_reminder",
    "meeting_cancelled",
    "proposal_waiting",
    "questionnaire_due",
    "course_session",
    "activity",
)


@dataclass(frozen=True)
class Choice:
    """The channels a message of one kind goes out on, and the quiet hours."""

    channels: tuple[str, ...]
    quiet_from: dt.time | None = None
    quiet_to: dt.time | None = None
    #: The language the messages are written in (``da`` unless the person chose ``en``).
    language: str = "da"

    def in_quiet_hours(self, moment: dt.datetime) -> bool:
        if self.quiet_from is None or self.quiet_to is None:
            return False
        t = local(moment).time()
        if self.quiet_from <= self.quiet_to:
            return self.quiet_from <= t < self.quiet_to
        return t >= self.quiet_from or t < self.quiet_to

    def out_of_quiet_hours(self, moment: dt.datetime) -> dt.datetime:
        """``moment``, or the end of the quiet hours it falls in (Danish time)."""
        if not self.in_quiet_hours(moment) or self.quiet_to is None:
            return moment
        here = local(moment)
        end_day = here.date() if here.time() < self.quiet_to else here.date() + dt.timedelta(1)
        return dt.datetime.combine(end_day, self.quiet_to, tzinfo=COPENHAGEN).astimezone(dt.UTC)


async def preference_of(session: AsyncSession, person_id: object) -> ContactPreference | None:
    return await session.scalar(
        select(ContactPreference).where(ContactPreference.person_id == person_id)
    )


def default_channel(person: Person) -> str:
    if person.email:
        return "email"
    if person.phone:
        return "sms"
    return "page"


def resolve(person: Person, pref: ContactPreference | None, kind: str) -> Choice:
    """The channels for ``kind`` (pure: the rules above)."""
    chosen = (pref.channels or {}).get(kind) if pref else None
    if chosen == "off":
        return Choice(())
    channels: list[str] = []
    if pref is not None and pref.consented:
        outside = chosen if chosen in ("email", "sms", "page") else default_channel(person)
        if outside == "email" and person.email:
            channels.append("email")
        elif outside == "sms" and person.phone:
            channels.append("sms")
    if person.account:
        channels.append("page")
    quiet = (pref.quiet_from, pref.quiet_to) if pref else (None, None)
    return Choice(tuple(channels), *quiet, language=(pref.language if pref else None) or "da")


async def choice_of(session: AsyncSession, person: Person, kind: str) -> Choice:
    return resolve(person, await preference_of(session, person.id), kind)
