"""Person, enrolment, før-samtale (intake), consent: the participants domain's tables.

Personal data (GDPR; Art. 9 for health-related answers) is tagged with
``info={"personal_data": True}`` on the column, for export, retention and the processing
register. No CPR number is stored anywhere.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk, utcnow
from core.db.encryption import EncryptedText

PERSONAL = {"personal_data": True}


class Person(TenantOwned, Model):
    """A citizen or mentor. ``personal_data`` in column info tags fields for GDPR export.

    Without a given consent on one of the person's enrolments only the name and the contact
    fields (:data:`BASIC_FIELDS`) may hold values; the service enforces it.
    """

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("tenant_id", "account"),)

    name: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger, info=PERSONAL)
    #: Typed extra fields declared by plugins through the intake-field hook, validated by the
    #: core before they are stored: ``{"<plugin>.<field>": value}`` (JSON-compatible values).
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, info=PERSONAL)
    phone: Mapped[str | None] = mapped_column(String(40), info=PERSONAL)
    email: Mapped[str | None] = mapped_column(String(254), info=PERSONAL)
    address: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    postal_code: Mapped[str | None] = mapped_column(String(4), info=PERSONAL)
    #: Free text (the form suggests "kvinde", "mand", "andet", "ønsker ikke at oplyse").
    gender: Mapped[str | None] = mapped_column(String(60), info=PERSONAL)
    languages: Mapped[list[str]] = mapped_column(default=list, info=PERSONAL)
    interests: Mapped[list[str]] = mapped_column(default=list, info=PERSONAL)
    #: Slots ``"<weekday>_<part>"``, e.g. ``"mon_morning"`` (see ``service.AVAILABILITY``).
    availability: Mapped[list[str]] = mapped_column(default=list, info=PERSONAL)
    #: An optional reference to the municipality's case system (never a CPR number).
    external_ref: Mapped[str | None] = mapped_column(String(60), info=PERSONAL)
    #: The sign-in linked to this person: the principal's user id (``iss#sub``), set by a
    #: coordinator; at most one person per sign-in in a tenant. Used by "Mit forløb".
    account: Mapped[str | None] = mapped_column(String(600), info=PERSONAL)
    #: When the person was erased (GDPR Art. 17, ``core/gdpr/erasure.py``): every tagged column
    #: is blanked and the name is :data:`core.gdpr.erasure.ERASED_NAME`; irreversible.
    erased_at: Mapped[dt.datetime | None] = mapped_column()


#: Fields that may be stored before any consent is given.
BASIC_FIELDS = ("name", "phone", "email", "address", "postal_code")


class EnrolmentRole(enum.StrEnum):
    MENTEE = "mentee"
    MENTOR = "mentor"


class EnrolmentStatus(enum.StrEnum):
    #: Applied on the programme's public page (``core.applications``): the coordinator calls.
    APPLIED = "applied"
    INTERESTED = "interested"
    INTAKE = "intake"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    READY = "ready"
    MATCHED = "matched"
    ACTIVE = "active"
    FINISHED = "finished"
    WITHDRAWN = "withdrawn"


S = EnrolmentStatus
#: Final states: nothing follows them.
FINAL_STATUSES = frozenset({S.FINISHED, S.WITHDRAWN})
#: The allowed transitions. ``withdrawn`` is reachable from every non-final state.
#: ``applied -> interested``: the coordinator has called and the person wants to go on later;
#: ``applied -> intake``: the coordinator starts the før-samtale (with the person's consent).
#: ``ineligible -> intake`` is a new assessment (new information); ``matched -> ready`` undoes
#: a match that never started; ``active -> ready``: the forløb ended early and the person is to
#: be matched again (e.g. their mentor stopped).
TRANSITIONS: dict[EnrolmentStatus, frozenset[EnrolmentStatus]] = {
    S.APPLIED: frozenset({S.INTERESTED, S.INTAKE, S.WITHDRAWN}),
    S.INTERESTED: frozenset({S.INTAKE, S.WITHDRAWN}),
    S.INTAKE: frozenset({S.ELIGIBLE, S.INELIGIBLE, S.WITHDRAWN}),
    S.ELIGIBLE: frozenset({S.READY, S.WITHDRAWN}),
    S.INELIGIBLE: frozenset({S.INTAKE, S.WITHDRAWN}),
    S.READY: frozenset({S.MATCHED, S.WITHDRAWN}),
    S.MATCHED: frozenset({S.ACTIVE, S.READY, S.WITHDRAWN}),
    S.ACTIVE: frozenset({S.FINISHED, S.READY, S.WITHDRAWN}),
    S.FINISHED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
_STATUS_SQL = ", ".join(f"'{s.value}'" for s in EnrolmentStatus)
_OPEN_SQL = "status NOT IN ('finished', 'withdrawn')"


class Enrolment(TenantOwned, Model):
    """Person x Programme x role with its status (see :data:`TRANSITIONS`).

    The status is a plain string checked by the database, so counts by status (partnerships)
    read it as text. At most one open (non-final) enrolment per person, programme and role.
    """

    __tablename__ = "enrolment"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        Index(
            "uq_enrolment_open",
            "tenant_id",
            "person_id",
            "programme_id",
            "role",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
        tenant_fk("programme_id", "programme"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column()
    programme_id: Mapped[uuid.UUID] = mapped_column()
    role: Mapped[EnrolmentRole] = mapped_column(
        Enum(
            EnrolmentRole,
            name="enrolment_role",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    status: Mapped[str] = mapped_column(String(30), default="interested")
    #: A coordinator's written reason for letting a person with a ``fail`` verdict through.
    override_reason: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    override_by: Mapped[str | None] = mapped_column(String(255))
    override_at: Mapped[dt.datetime | None] = mapped_column()


class EnrolmentEvent(TenantOwned, Model):
    """One status change of an enrolment (``from_status`` is ``None`` when it was created)."""

    __tablename__ = "enrolment_event"
    __table_args__ = (
        Index("ix_enrolment_event_tenant_enrolment", "tenant_id", "enrolment_id"),
        tenant_fk("enrolment_id", "enrolment", ondelete="CASCADE"),
    )

    enrolment_id: Mapped[uuid.UUID] = mapped_column()
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)


class Intake(TenantOwned, Model):
    """The før-samtale of one enrolment. Plugin intake answers stay in ``Person.attributes``."""

    __tablename__ = "intake"
    __table_args__ = (
        UniqueConstraint("tenant_id", "enrolment_id"),
        tenant_fk("enrolment_id", "enrolment", ondelete="CASCADE"),
    )

    enrolment_id: Mapped[uuid.UUID] = mapped_column()
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    staff: Mapped[str | None] = mapped_column(String(200))
    motivation: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    expectations: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    wish_gender: Mapped[str | None] = mapped_column(String(60), info=PERSONAL)
    wish_age_min: Mapped[int | None] = mapped_column(SmallInteger, info=PERSONAL)
    wish_age_max: Mapped[int | None] = mapped_column(SmallInteger, info=PERSONAL)
    wish_activities: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    wish_area: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    lived_experience: Mapped[list[str]] = mapped_column(default=list, info=PERSONAL)
    challenges: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    chemistry_notes: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    #: Matching (issue 6): a wish marked as a must is a hard filter, not just points.
    wish_gender_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), info=PERSONAL
    )
    wish_age_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), info=PERSONAL
    )
    #: How many mentees a mentor takes at once (mentors only).
    capacity: Mapped[int] = mapped_column(SmallInteger, default=1, server_default=text("1"))
    #: Not to be matched before this date (a person taking a break from the waiting list).
    paused_until: Mapped[dt.date | None] = mapped_column(Date)


class ConsentText(TenantOwned, Model):
    """A version of a programme's consent text; the highest version is the current one."""

    __tablename__ = "consent_text"
    __table_args__ = (
        UniqueConstraint("tenant_id", "programme_id", "version"),
        tenant_fk("programme_id", "programme"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))


class Consent(TenantOwned, Model):
    """Explicit consent (GDPR Art. 9) to one enrolment, given to one version of the text."""

    __tablename__ = "consent"
    __table_args__ = (
        Index("ix_consent_tenant_enrolment", "tenant_id", "enrolment_id"),
        tenant_fk("enrolment_id", "enrolment", ondelete="CASCADE"),
        tenant_fk("consent_text_id", "consent_text"),
    )

    enrolment_id: Mapped[uuid.UUID] = mapped_column()
    consent_text_id: Mapped[uuid.UUID] = mapped_column()
    given_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(255))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column()
    withdrawn_recorded_by: Mapped[str | None] = mapped_column(String(255))
