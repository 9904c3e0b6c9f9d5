"""Mentor course (hold) tables. Times are local (Europe/Copenhagen) wall-clock times."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Index, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk


class Course(TenantOwned, Model):
    """One hold of a programme's mentor course, e.g. "Hold 10" of Borger til Borger.

    Its state (planned, running, finished) follows from its sessions' dates.
    """

    __tablename__ = "course"
    __table_args__ = (
        UniqueConstraint("tenant_id", "programme_id", "number"),
        tenant_fk("programme_id", "programme"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column()
    number: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[dt.date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(SmallInteger)


class CourseSession(TenantOwned, Model):
    """One teaching day of a hold, with its topic."""

    __tablename__ = "course_session"
    __table_args__ = (
        UniqueConstraint("tenant_id", "course_id", "position"),
        Index("ix_course_session_tenant_id_day", "tenant_id", "day"),
        tenant_fk("course_id", "course", ondelete="CASCADE"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column()
    position: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[dt.date] = mapped_column(Date)
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)
    topic: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")


class CourseParticipant(TenantOwned, Model):
    """A mentor enrolled on a hold."""

    __tablename__ = "course_participant"
    __table_args__ = (
        UniqueConstraint("tenant_id", "course_id", "person_id"),
        tenant_fk("course_id", "course", ondelete="CASCADE"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column()
    person_id: Mapped[uuid.UUID] = mapped_column()


class CourseAttendance(TenantOwned, Model):
    """A participant was present at a session (absence is the missing row)."""

    __tablename__ = "course_attendance"
    __table_args__ = (
        UniqueConstraint("tenant_id", "session_id", "person_id"),
        tenant_fk("session_id", "course_session", ondelete="CASCADE"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column()
    person_id: Mapped[uuid.UUID] = mapped_column()
