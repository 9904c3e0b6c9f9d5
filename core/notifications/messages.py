"""The messages' text: Danish templates in ``core/notifications/messages/``, one per kind and
channel (``<kind>.subject.txt``, ``<kind>.email.txt``, ``<kind>.sms.txt``), and English ones in
``messages/en/`` for a person who chose English (``ContactPreference.language``). The
coordinators' digest is Danish only.

What a message may say (docs/notifications.md): the tenant's name and contact line, a time, a
day and a link into Makker (behind sign-in) - never a diagnosis, a programme's name, a place, a
person's name or anything else a stranger reading a phone's lock screen should not learn. The
templates get only the values of :class:`MessageValues`, so they cannot say more than that;
``tests/test_notifications.py`` renders every SMS template with every tenant file's contact and
checks that no programme name is in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from core.clock import local

TEMPLATE_DIR = Path(__file__).parent / "messages"
#: The languages of the templates: Danish (the default, in TEMPLATE_DIR) and English (``en/``).
LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
#: An SMS longer than this is split in several by the network; keep to three.
SMS_MAX = 3 * 153


@dataclass(frozen=True)
class MessageValues:
    """Everything a template may use."""

    tenant_name: str
    contact: str
    #: The page the message leads to (absolute URL).
    link: str
    #: Where the person turns messages off (absolute URL).
    stop_link: str
    #: The moment the message is about, if any (a meeting's start).
    at: dt.datetime | None = None
    #: A day the message is about (a questionnaire's last day).
    on: dt.date | None = None
    #: Counts for the coordinators' digest.
    attention: int = 0
    applications: int = 0
    missed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


@cache
def _environment(language: str = DEFAULT_LANGUAGE) -> Environment:
    folder = TEMPLATE_DIR if language == DEFAULT_LANGUAGE else TEMPLATE_DIR / language
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=False,  # plain text, never HTML
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
    )


def danish_when(moment: dt.datetime) -> str:
    """``torsdag den 3. december kl. 14.00`` (Danish time)."""
    return format_datetime(local(moment), "EEEE 'den' d. MMMM 'kl.' HH.mm", locale="da")


def danish_day(day: dt.date | dt.datetime) -> str:
    """``3. december``."""
    if isinstance(day, dt.datetime):
        day = local(day).date()
    return format_datetime(dt.datetime.combine(day, dt.time(12)), "d. MMMM", locale="da")


def english_when(moment: dt.datetime) -> str:
    """``Thursday 3 December at 14:00`` (Danish time)."""
    return format_datetime(local(moment), "EEEE d MMMM 'at' HH:mm", locale="en")


def english_day(day: dt.date | dt.datetime) -> str:
    """``3 December``."""
    if isinstance(day, dt.datetime):
        day = local(day).date()
    return format_datetime(dt.datetime.combine(day, dt.time(12)), "d MMMM", locale="en")


def day_word(moment: dt.datetime, sent_on: dt.date | None, language: str) -> str:
    """The day of ``moment`` said from ``sent_on`` (the Danish day the message goes out):
    ``i dag``, ``i morgen`` or ``torsdag den 3. december`` (English: ``today``, ``tomorrow``,
    ``on Thursday 3 December``). Without ``sent_on``: the date."""
    day = local(moment).date()
    english = language == "en"
    if sent_on is not None and day == sent_on:
        return "today" if english else "i dag"
    if sent_on is not None and day == sent_on + dt.timedelta(days=1):
        return "tomorrow" if english else "i morgen"
    noon = dt.datetime.combine(day, dt.time(12))
    if english:
        return format_datetime(noon, "'on' EEEE d MMMM", locale="en")
    return format_datetime(noon, "EEEE 'den' d. MMMM", locale="da")


def _context(values: MessageValues, language: str, sent_on: dt.date | None) -> dict[str, object]:
    context: dict[str, object] = asdict(values)
    when, day_of = (english_when, english_day) if language == "en" else (danish_when, danish_day)
    if values.at is not None:
        context["when"] = when(values.at)
        word = day_word(values.at, sent_on, language)
        context["day_word"] = word
        # "i morgen, torsdag den 3. december kl. 14.00" - or the date alone when it is later
        near = ("today", "tomorrow") if language == "en" else ("i dag", "i morgen")
        context["when_said"] = f"{word}, {context['when']}" if word in near else context["when"]
        context["time"] = local(values.at).strftime("%H:%M" if language == "en" else "%H.%M")
        context["day"] = day_of(values.at)
    if values.on is not None:
        context["day"] = day_of(values.on)
    return context


def language_of(kind: str, language: str | None) -> str:
    """The language a ``kind`` message is written in for a person who chose ``language``:
    theirs if there are templates for it, else Danish."""
    if (
        language in LANGUAGES
        and language != DEFAULT_LANGUAGE
        and (TEMPLATE_DIR / language / f"{kind}.subject.txt").exists()
    ):
        return language
    return DEFAULT_LANGUAGE


def render(
    kind: str,
    channel: str,
    values: MessageValues,
    language: str | None = None,
    sent_on: dt.date | None = None,
) -> Rendered:
    """The title and body of a ``kind`` message on ``channel`` (``email``, ``sms`` or
    ``page``: the page shows the e-mail's text), in ``language`` (default and fallback:
    Danish). ``sent_on``: the Danish day it goes out, so a reminder says "i dag", "i morgen"
    or the date of what it reminds of (without it: the date)."""
    language = language_of(kind, language)
    env = _environment(language)
    context = _context(values, language, sent_on)
    title = env.get_template(f"{kind}.subject.txt").render(context).strip()
    body_template = f"{kind}.{'sms' if channel == 'sms' else 'email'}.txt"
    body = env.get_template(body_template).render(context).strip() + "\n"
    return Rendered(title=title, body=body)
