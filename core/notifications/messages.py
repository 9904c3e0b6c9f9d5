"""The messages' text: Danish templates in ``core/notifications/messages/``, one per kind and
channel (``<kind>.subject.txt``, ``<kind>.email.txt``, ``<kind>.sms.txt``).

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
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
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


def _context(values: MessageValues) -> dict[str, object]:
    context: dict[str, object] = asdict(values)
    if values.at is not None:
        context["when"] = danish_when(values.at)
        context["time"] = local(values.at).strftime("%H.%M")
        context["day"] = danish_day(values.at)
    if values.on is not None:
        context["day"] = danish_day(values.on)
    return context


def render(kind: str, channel: str, values: MessageValues) -> Rendered:
    """The title and body of a ``kind`` message on ``channel`` (``email``, ``sms`` or
    ``page``: the page shows the e-mail's text)."""
    env = _environment()
    context = _context(values)
    title = env.get_template(f"{kind}.subject.txt").render(context).strip()
    body_template = f"{kind}.{'sms' if channel == 'sms' else 'email'}.txt"
    body = env.get_template(body_template).render(context).strip() + "\n"
    return Rendered(title=title, body=body)
