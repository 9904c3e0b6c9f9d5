"""Person: a human known to one tenant. Personal data (GDPR Art. 9 context)."""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import Enum, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned


class Person(TenantOwned, Model):
    """A citizen or mentor. ``personal_data`` in column info tags fields for GDPR export."""

    __tablename__ = "person"

    name: Mapped[str] = mapped_column(String(200), info={"personal_data": True})
    birth_year: Mapped[int | None] = mapped_column(SmallInteger, info={"personal_data": True})
    #: Typed extra fields declared by plugins through the intake-field hook, validated by the
    #: core before they are stored: ``{"<plugin>.<field>": value}`` (JSON-compatible values).
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict, info={"personal_data": True})


class EnrolmentRole(enum.StrEnum):
    MENTEE = "mentee"
    MENTOR = "mentor"


class Enrolment(TenantOwned, Model):
    """Person x Programme x role. The status machine and history come with the participants
    domain; for now the status is a plain value (``interested`` ... ``finished``)."""

    __tablename__ = "enrolment"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programme.id"))
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
