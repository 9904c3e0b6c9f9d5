"""Mentor course (hold) tables. Times are local (Europe/Copenhagen) wall-clock times."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned


class Course(TenantOwned, Model):
    """One hold of a programme's mentor course, e.g. "Hold 10" of Borger til Borger.

    Its state (planned, running, finished) follows from its sessions' dates.
    """

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("tenant_id", "programme_id", "number"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programme.id"))
    number: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[dt.date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(SmallInteger)


class CourseSession(TenantOwned, Model):
    """One teaching day of a hold, with its topic."""

    __tablename__ = "course_session"
    __table_args__ = (
        UniqueConstraint("tenant_id", "course_id", "position"),
        Index("ix_course_session_tenant_id_day", "tenant_id", "day"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[dt.date] = mapped_column(Date)
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)
    topic: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")


class CourseParticipant(TenantOwned, Model):
    """A mentor enrolled on a hold."""

    __tablename__ = "course_participant"
    __table_args__ = (UniqueConstraint("tenant_id", "course_id", "person_id"),)

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))


class CourseAttendance(TenantOwned, Model):
    """A participant was present at a session (absence is the missing row)."""

    __tablename__ = "course_attendance"
    __table_args__ = (UniqueConstraint("tenant_id", "session_id", "person_id"),)

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("course_session.id", ondelete="CASCADE")
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
