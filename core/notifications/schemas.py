"""The notifications API's Structs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

#: ``""``: the default (e-mail if the person has an address, else SMS) - what GET returns for
#: a kind the person has not chosen, so a GET's answer can be PUT back as it is.
Choice = Annotated[
    str, msgspec.Meta(extra_json_schema={"enum": ["", "email", "sms", "page", "off"]})
]
#: The language of the messages: ``da`` (Danish, the default) or ``en`` (English).
Language = Annotated[str, msgspec.Meta(extra_json_schema={"enum": ["da", "en"]})]
#: A time of day on the Danish wall clock, ``HH:MM`` (quiet hours).
QuietTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        extra_json_schema={"description": "Danish time, HH:MM."},
    ),
]


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str
    sent_at: dt.datetime | None
    read: bool


class ChoicesIn(msgspec.Struct, forbid_unknown_fields=True):
    """Consent to be contacted by e-mail or SMS; per kind ``email``, ``sms``, ``page`` (only in
    Makker), ``off`` or ``""`` (the default); quiet hours in Danish time (both or neither;
    ``from`` later than ``to`` spans midnight); the messages' ``language`` (``da``, the
    default, or ``en``)."""

    consent: bool = False
    channels: dict[str, Choice] = {}
    quiet_from: QuietTime | None = None
    quiet_to: QuietTime | None = None
    language: Language | None = None


class ChoicesOut(msgspec.Struct):
    consent: bool
    channels: dict[str, str]
    quiet_from: QuietTime | None
    quiet_to: QuietTime | None
    language: Language
    #: What the person can choose now (e-mail needs an address, SMS a phone number).
    available: list[str]


class FailedOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    channel: str
    #: ``failed`` (given up) or ``uncertain`` (a worker stopped while handing it over).
    status: str
    person_id: uuid.UUID | None
    attempts: int
    #: The kind of error only (``SMTPConnectError``, ``no_address``, ``HTTP 503``).
    error: str | None
    at: dt.datetime


class PlannedMeetingOut(msgspec.Struct):
    id: uuid.UUID
    forloeb_id: uuid.UUID
    starts_at: dt.datetime
    place: str
    planned_as: str
    cancelled: bool
