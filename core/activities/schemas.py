"""Activities: the msgspec Structs in and out of the commands, API and pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from core.activities.models import ActivityKind, Recurrence
from core.clock import LocalTime
from core.web.i18n import gettext as _
from core.web.openapi import allowed

#: The longest title, place, room and description (checked by the command, in Danish).
TEXT_LIMITS = {"title": 200, "place": 200, "room": 100, "description": 2000}


class ActivityIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new activity (`kind`: supervision, cafe, interest_group, event, info_meeting;
    `recurrence`: none, weekly, monthly; `published` only for info meetings)."""

    kind: Annotated[str, allowed(ActivityKind)]
    title: str
    first_on: dt.date
    starts: LocalTime
    ends: LocalTime
    recurrence: Annotated[str, allowed(Recurrence)] = "none"
    until: dt.date | None = None
    programme: str | None = None
    place: str = ""
    room: str = ""
    #: Several lines allowed.
    description: str = ""
    published: bool = False

    @staticmethod
    def messages() -> dict[str, str]:
        """The page form's messages per field (translated when asked)."""
        return {
            "first_on": _("Enter the date of the first time."),
            "starts": _("Enter a time like 10:00."),
            "ends": _("Enter a time like 10:00."),
        }


class PersonIdIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID


class PresentIn(msgspec.Struct, forbid_unknown_fields=True):
    present: list[uuid.UUID]


class OccurrenceOut(msgspec.Struct):
    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    cancelled: bool


class ActivityOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    programme: str | None
    place: str
    room: str
    first_on: dt.date
    starts: LocalTime
    ends: LocalTime
    recurrence: str
    until: dt.date | None
    published: bool


class ActivityDetailOut(msgspec.Struct):
    activity: ActivityOut
    members: list[uuid.UUID]
    occurrences: list[OccurrenceOut]
