"""Public API schemas of the participants domain (people, enrolments, før-samtale, consent)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec

from core.participants.models import EnrolmentRole, EnrolmentStatus
from core.programmes.schemas import IntakeFieldOut, VerdictOut
from core.web.openapi import allowed

#: Rows per page of the people list unless asked otherwise, and the most.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PeopleQuery(msgspec.Struct, frozen=True):
    """A search of people: text (name, e-mail, phone or case reference), filters and a page."""

    q: str = ""
    programme: str = ""
    role: str = ""
    status: str = ""
    page: int = 1
    #: Rows per page (1-100); ``offset`` (when given) replaces the page's own offset.
    limit: int = PAGE_SIZE
    offset: int | None = None

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.limit

    def audit_detail(self) -> dict[str, Any]:
        """What the access log keeps: which filters were used, never the search text."""
        return {
            "text_search": bool(self.q.strip()),
            "programme": self.programme or None,
            "role": self.role or None,
            "status": self.status or None,
            "page": self.page,
            "limit": self.limit,
            "offset": self.start,
        }


class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new person: name and contact details. Optionally the first enrolment (``interested``).

    Other fields (birth year, gender, ...) need a consent and are set with PATCH afterwards."""

    name: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    postal_code: str | None = None
    programme: str | None = None
    role: str | None = None
    birth_year: int | None = None
    gender: str | None = None
    languages: list[str] = []
    interests: list[str] = []
    availability: list[str] = []
    external_ref: str | None = None


class PersonPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; absent fields stay as they are, ``null`` clears one."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    phone: str | None | msgspec.UnsetType = msgspec.UNSET
    email: str | None | msgspec.UnsetType = msgspec.UNSET
    address: str | None | msgspec.UnsetType = msgspec.UNSET
    postal_code: str | None | msgspec.UnsetType = msgspec.UNSET
    birth_year: int | None | msgspec.UnsetType = msgspec.UNSET
    gender: str | None | msgspec.UnsetType = msgspec.UNSET
    languages: list[str] | None | msgspec.UnsetType = msgspec.UNSET
    interests: list[str] | None | msgspec.UnsetType = msgspec.UNSET
    #: Slots ``"<weekday>_<part>"``: weekday mon..sun, part morning|afternoon|evening.
    availability: list[str] | None | msgspec.UnsetType = msgspec.UNSET
    external_ref: str | None | msgspec.UnsetType = msgspec.UNSET

    def values(self) -> dict[str, Any]:
        """The person fields given (not ``account``)."""
        return {
            f: getattr(self, f)
            for f in self.__struct_fields__
            if f != "account" and getattr(self, f) is not msgspec.UNSET
        }


class PersonForm(PersonPatch, forbid_unknown_fields=True):
    """The edit page: the fields and the linked sign-in (``Mit forløb``; blank removes it).
    The JSON API links sign-ins under ``/mine``."""

    account: str | None | msgspec.UnsetType = msgspec.UNSET


class EnrolmentBriefOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    programme_name: str
    role: str
    status: str


class PersonOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    phone: str | None
    email: str | None
    address: str | None
    postal_code: str | None
    birth_year: int | None
    gender: str | None
    languages: list[str]
    interests: list[str]
    availability: list[str]
    external_ref: str | None
    has_consent: bool
    enrolments: list[EnrolmentBriefOut]


class PersonSummaryOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    enrolments: list[EnrolmentBriefOut]


class PeoplePageOut(msgspec.Struct):
    items: list[PersonSummaryOut]
    total: int
    page: int
    pages: int
    page_size: int
    offset: int = 0


class EnrolIn(msgspec.Struct, forbid_unknown_fields=True):
    programme: str
    #: ``mentee`` or ``mentor``.
    role: Annotated[str, allowed(EnrolmentRole)]


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    #: The new status (see ``allowed_next`` in the enrolment).
    to: Annotated[str, allowed(EnrolmentStatus)]
    reason: str | None = None


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Why the person may take part although a rule is not met (at least 10 characters).
    reason: str


class IntakeIn(msgspec.Struct, forbid_unknown_fields=True):
    """The før-samtale. Absent fields stay; ``values`` are the programme's plugin questions
    (``{"<plugin>.<field>": value}``, ``null`` clears one)."""

    held_on: str | None | msgspec.UnsetType = msgspec.UNSET
    staff: str | None | msgspec.UnsetType = msgspec.UNSET
    motivation: str | None | msgspec.UnsetType = msgspec.UNSET
    expectations: str | None | msgspec.UnsetType = msgspec.UNSET
    wish_gender: str | None | msgspec.UnsetType = msgspec.UNSET
    wish_age_min: int | None | msgspec.UnsetType = msgspec.UNSET
    wish_age_max: int | None | msgspec.UnsetType = msgspec.UNSET
    wish_activities: str | None | msgspec.UnsetType = msgspec.UNSET
    wish_area: str | None | msgspec.UnsetType = msgspec.UNSET
    #: Areas of lived experience: psykiatri, handicap, misbrug.
    lived_experience: list[str] | None | msgspec.UnsetType = msgspec.UNSET
    challenges: str | None | msgspec.UnsetType = msgspec.UNSET
    chemistry_notes: str | None | msgspec.UnsetType = msgspec.UNSET
    #: A wish marked as a must is a hard filter in matching.
    wish_gender_required: bool | msgspec.UnsetType = msgspec.UNSET
    wish_age_required: bool | msgspec.UnsetType = msgspec.UNSET
    #: Mentors: how many mentees at once (1-10).
    capacity: int | msgspec.UnsetType = msgspec.UNSET
    #: Not to be matched before this date (YYYY-MM-DD); ``null`` clears it.
    paused_until: str | None | msgspec.UnsetType = msgspec.UNSET
    values: dict[str, Any] = {}

    def intake_values(self) -> dict[str, Any]:
        return {
            f: getattr(self, f)
            for f in self.__struct_fields__
            if f != "values" and getattr(self, f) is not msgspec.UNSET
        }


class IntakeOut(msgspec.Struct):
    held_on: dt.date | None
    staff: str | None
    motivation: str | None
    expectations: str | None
    wish_gender: str | None
    wish_age_min: int | None
    wish_age_max: int | None
    wish_activities: str | None
    wish_area: str | None
    lived_experience: list[str]
    challenges: str | None
    chemistry_notes: str | None
    wish_gender_required: bool
    wish_age_required: bool
    capacity: int
    paused_until: dt.date | None


class ConsentOut(msgspec.Struct):
    given_at: dt.datetime
    recorded_by: str
    withdrawn_at: dt.datetime | None
    withdrawn_recorded_by: str | None
    text_version: int


class ConsentTextOut(msgspec.Struct):
    programme: str
    version: int
    body: str


class ConsentTextIn(msgspec.Struct, forbid_unknown_fields=True):
    body: str


class EventOut(msgspec.Struct):
    from_status: str | None
    to_status: str
    actor: str
    at: dt.datetime
    reason: str | None


class OverrideOut(msgspec.Struct):
    reason: str
    by: str | None
    at: dt.datetime | None


class EnrolmentOut(msgspec.Struct):
    id: uuid.UUID
    person_id: uuid.UUID
    programme: str
    role: str
    status: str
    allowed_next: list[str]
    consent: ConsentOut | None
    consent_text: ConsentTextOut | None
    intake: IntakeOut | None
    #: The programme's plugin questions for this role, and the person's answers.
    intake_fields: list[IntakeFieldOut]
    intake_values: dict[str, Any]
    #: Recomputed on every read: ``pass`` only when every rule passes.
    eligibility: str
    verdicts: list[VerdictOut]
    override: OverrideOut | None
    history: list[EventOut]


class FieldErrorsOut(msgspec.Struct):
    status_code: int
    detail: str
    #: ``{field: message}``, in Danish.
    errors: dict[str, str]


def brief(view: tuple[Any, Any]) -> EnrolmentBriefOut:
    enrolment, programme = view
    return EnrolmentBriefOut(
        id=enrolment.id,
        programme=programme.slug,
        programme_name=programme.name,
        role=str(getattr(enrolment.role, "value", enrolment.role)),
        status=enrolment.status,
    )
