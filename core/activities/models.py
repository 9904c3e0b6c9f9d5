"""Activity tables. Times are local (Europe/Copenhagen) wall-clock times; occurrences of a
recurring activity are computed (see :mod:`core.activities.recurrence`), exceptions stored."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Boolean, Date, Enum, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk


class ActivityKind(enum.StrEnum):
    #: Gruppesparring: mentors only, with staff, about monthly.
    SUPERVISION = "supervision"
    #: Uformelt træf / cafédag: all participants and staff.
    CAFE = "cafe"
    #: Interessefællesskab: a standing group with members.
    INTEREST_GROUP = "interest_group"
    #: Sommerudflugt, julefrokost, ...
    EVENT = "event"
    #: Informationsmøde for interested mentors: no sign-up, may be published.
    INFO_MEETING = "info_meeting"


class Recurrence(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


class Activity(TenantOwned, Model):
    """A group activity, optionally tied to a programme, once or recurring."""

    __tablename__ = "activity"
    __table_args__ = (tenant_fk("programme_id", "programme"),)

    programme_id: Mapped[uuid.UUID | None] = mapped_column()
    kind: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind, "activity_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    room: Mapped[str] = mapped_column(String(100), default="")
    first_on: Mapped[dt.date] = mapped_column(Date)
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)
    recurrence: Mapped[Recurrence] = mapped_column(_enum(Recurrence, "activity_recurrence"))
    #: Last day a recurring activity may occur (inclusive); ``None``: open-ended.
    until: Mapped[dt.date | None] = mapped_column(Date)
    #: Info meetings only: shown on the tenant's public page and .ics feed.
    published: Mapped[bool] = mapped_column(Boolean, default=False)


class ActivityMember(TenantOwned, Model):
    """A member of a standing group (interest group, supervision group)."""

    __tablename__ = "activity_member"
    __table_args__ = (
        UniqueConstraint("tenant_id", "activity_id", "person_id"),
        tenant_fk("activity_id", "activity", ondelete="CASCADE"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column()
    person_id: Mapped[uuid.UUID] = mapped_column()


class ActivityCancellation(TenantOwned, Model):
    """One occurrence (by its local date) that does not take place."""

    __tablename__ = "activity_cancellation"
    __table_args__ = (
        UniqueConstraint("tenant_id", "activity_id", "day"),
        tenant_fk("activity_id", "activity", ondelete="CASCADE"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column()
    day: Mapped[dt.date] = mapped_column(Date)


class ActivityAttendance(TenantOwned, Model):
    """A person was present at one occurrence (by its local date)."""

    __tablename__ = "activity_attendance"
    __table_args__ = (
        UniqueConstraint("tenant_id", "activity_id", "day", "person_id"),
        tenant_fk("activity_id", "activity", ondelete="CASCADE"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column()
    day: Mapped[dt.date] = mapped_column(Date)
    person_id: Mapped[uuid.UUID] = mapped_column()
