"""The sign-in link and "Mit forløb": the msgspec Structs in and out of the API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from core.clock import LocalTime


class AccountIn(msgspec.Struct, forbid_unknown_fields=True):
    """The sign-in to link (the principal's user id, ``iss#sub``), or ``None`` to unlink."""

    account: Annotated[str, msgspec.Meta(max_length=600)] | None


class AccountOut(msgspec.Struct):
    person_id: uuid.UUID
    linked: bool


class OccurrenceOut(msgspec.Struct):
    day: dt.date
    starts: LocalTime
    ends: LocalTime
    cancelled: bool


class MyActivityOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    kind_label: str
    title: str
    place: str
    room: str
    next: list[OccurrenceOut]


class MySessionOut(msgspec.Struct):
    id: uuid.UUID
    position: int
    day: dt.date
    starts: LocalTime
    ends: LocalTime
    topic: str
    place: str
    attended: bool | None


class MyCourseOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    number: int
    title: str
    state: str
    attended: int
    sessions: list[MySessionOut]


class MyPersonOut(msgspec.Struct):
    id: uuid.UUID
    name: str


class MyForloebOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    state: str
    #: The caller's part: ``mentor`` or ``mentee``.
    role: str
    other_name: str
    started_on: dt.date | None
    accepted: bool


class MeOut(msgspec.Struct):
    linked: bool
    message: str | None = None
    person: MyPersonOut | None = None
    roles: list[str] = msgspec.field(default_factory=list)
    courses: list[MyCourseOut] = msgspec.field(default_factory=list)
    activities: list[MyActivityOut] = msgspec.field(default_factory=list)
    forloeb: list[MyForloebOut] = msgspec.field(default_factory=list)
