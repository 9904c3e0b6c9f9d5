"""The savings estimate's assumptions, one row per version (issue 14).

The tenant file's ``[programmes.savings]`` gives a programme its first version (and a new one
whenever the file's values change); a tenant admin's edit on the page adds the next. The newest
version is the one in force; earlier ones are the history (who, when, what). Rows are never
changed or deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, Model, TenantOwned, tenant_fk

#: ``file``: from the tenant file by ``makker tenants sync``; ``edit``: a tenant admin's edit.
FROM_FILE, EDITED = "file", "edit"


class SavingsAssumptionVersion(TenantOwned, Model):
    """One version of a programme's savings assumptions (see
    :class:`core.reports.assumptions.SavingsAssumptions`)."""

    __tablename__ = "savings_assumption"
    __table_args__ = (
        UniqueConstraint("tenant_id", "programme_id", "version"),
        CheckConstraint("source IN ('file', 'edit')", name="source"),
        CheckConstraint("version >= 1", name="version"),
        tenant_fk("programme_id", "programme"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    support_hours_per_fortnight: Mapped[float] = mapped_column(Float)
    hourly_cost: Mapped[int] = mapped_column(Integer)
    share_otherwise_supported_percent: Mapped[int] = mapped_column(SmallInteger)
    coordinator_hours_per_week: Mapped[float] = mapped_column(Float)
    coordinator_hourly_cost: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    #: Who made the version: the principal's ``sub`` (or ``tenants-sync`` for the file) and
    #: the name shown in the history (a staff member's name at the time).
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_by_name: Mapped[str | None] = mapped_column(String(200), info={"personal_data": True})


class MeetingDayCount(TenantOwned, Base):
    """Meetings per programme, day and afbud (issue 14, the overview's speed): kept by database
    triggers on ``meeting`` (and ``forloeb`` deletions) in migration 0020, so that the overview
    sums a few hundred rows a year instead of every meeting. Never written by the application;
    counts only (no person)."""

    __tablename__ = "meeting_day_count"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "programme_id", "day", "cancelled"),
        tenant_fk("programme_id", "programme"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column()
    day: Mapped[dt.date] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean)
    #: Meetings (or afbud) that day, and the minutes logged for them (0 when none were).
    meetings: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
