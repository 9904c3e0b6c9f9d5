"""Mentor courses (hold): the msgspec Structs in and out of the commands, API and pages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec

from core.activities.recurrence import monthly_days
from core.clock import LocalTime
from core.errors import Invalid
from core.participants.validation import start_date_fault
from core.web import text as chars
from core.web.i18n import gettext as _

#: The longest topic or place (checked by the commands, with a Danish message).
TEXT_MAX = 200


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    """One session of a new hold."""

    day: dt.date
    starts: LocalTime
    ends: LocalTime
    topic: str
    place: str = ""


class CourseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new hold: the programme (slug), places, sessions; ``number`` defaults to the next."""

    programme: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    capacity: int
    sessions: list[SessionIn]
    number: int | None = None


class CoursePlanIn(msgspec.Struct):
    """The page's "new hold" form: ``count`` monthly sessions from ``start``, one topic a line."""

    programme: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    start: dt.date
    count: Annotated[int, msgspec.Meta(ge=1, le=24)]
    capacity: int
    starts: LocalTime
    ends: LocalTime
    place: str = ""
    topics: str = ""

    @staticmethod
    def messages() -> dict[str, str]:
        """The form's messages per field (translated when asked)."""
        return {
            "programme": _("Choose a programme."),
            "start": _("Enter the date of the first session."),
            "count": _("Enter a number of sessions between 1 and 24."),
            "capacity": _("The capacity must be between 1 and 100."),
            "starts": _("Enter a time like 10:00."),
            "ends": _("Enter a time like 10:00."),
        }

    def course_in(self, today: dt.date) -> CourseIn:
        """The same hold as the API's :class:`CourseIn` (sessions without a topic line are
        called "Session n").

        :raises Invalid: per form field (:func:`plan_faults`)."""
        errors = plan_faults(msgspec.structs.asdict(self), today)
        if errors:
            raise Invalid(errors, detail=next(iter(errors.values())))
        lines = chars.line_feeds(self.topics).split("\n")
        topics = [t.strip() for t in lines if not chars.is_blank(t)]
        sessions = [
            SessionIn(
                day,
                self.starts,
                self.ends,
                topics[i] if i < len(topics) else _("Session %(number)d") % {"number": i + 1},
                self.place,
            )
            for i, day in enumerate(monthly_days(self.start, self.count))
        ]
        return CourseIn(self.programme, self.capacity, sessions)


#: The new-hold form's fields in the order the page shows them (the error summary's order).
PLAN_FORM_ORDER = (
    "programme",
    "start",
    "count",
    "starts",
    "ends",
    "capacity",
    "place",
    "topics",
)


def plan_faults(values: Mapping[str, Any], today: dt.date) -> dict[str, str]:
    """The faults of the new-hold form's own fields - ``start`` (within
    :func:`core.participants.validation.start_date_fault`'s years), ``place`` and ``topics``
    (too long or a forbidden character - never cut to fit), ``ends`` before ``starts`` - among
    ``values`` (a field missing from them did not convert and is not checked)."""
    errors: dict[str, str] = {}
    if "start" in values and (message := start_date_fault(values["start"], today)):
        errors["start"] = message
    starts, ends = values.get("starts"), values.get("ends")
    if starts is not None and ends is not None and ends <= starts:
        errors["ends"] = _("A session must end after it starts.")
    if "place" in values and (message := chars.fault(values["place"], TEXT_MAX)):
        errors["place"] = message
    if "topics" in values:
        lines = chars.line_feeds(values["topics"]).split("\n")
        if message := chars.check("\n".join(lines), multiline=True) or next(
            (m for m in (chars.fault(t, TEXT_MAX) for t in lines) if m), None
        ):
            errors["topics"] = message
    return errors


class PersonIdIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID


class PresentIn(msgspec.Struct, forbid_unknown_fields=True):
    present: list[uuid.UUID]


class SessionOut(msgspec.Struct):
    id: uuid.UUID
    position: int
    day: dt.date
    starts: LocalTime
    ends: LocalTime
    topic: str
    place: str


class CourseOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    number: int
    state: str
    start_date: dt.date
    capacity: int
    participants: int
    sessions: list[SessionOut]


class ProgressOut(msgspec.Struct):
    person_id: uuid.UUID
    name: str
    attended: int
    completed: bool
    enrolment_status: str | None
    missing_sessions: list[int]


class CourseDetailOut(msgspec.Struct):
    course: CourseOut
    min_sessions_attended: int
    participants: list[ProgressOut]


class AttendanceOut(msgspec.Struct):
    session_id: uuid.UUID
    present: list[uuid.UUID]
    became_ready: list[uuid.UUID]
