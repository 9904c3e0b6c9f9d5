"""Forløb tables: a mentor-mentee pair from proposal to end, its history, pauses and meetings.

A *proposal* is a forløb in state ``proposed``: nothing is final until both parties have
accepted it. Personal data (GDPR) is tagged with ``info={"personal_data": True}``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    Index,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk, utcnow
from core.db.encryption import EncryptedText
from core.forloeb.lifecycle import ForloebState

PERSONAL = {"personal_data": True}
_STATES_SQL = ", ".join(f"'{s.value}'" for s in ForloebState)
#: A forløb that still binds its mentee: proposed, active or paused.
OPEN_STATES = (ForloebState.PROPOSED, ForloebState.ACTIVE, ForloebState.PAUSED)
_OPEN_SQL = "state IN ('proposed', 'active', 'paused')"
ACTIVITIES = ("gaatur", "cafe", "sport", "biograf", "indkoeb", "andet")
_ACTIVITIES_SQL = ", ".join(f"'{a}'" for a in ACTIVITIES)


class Forloeb(TenantOwned, Model):
    """A mentee and a mentor of one programme (see :mod:`core.forloeb.lifecycle`).

    At most one open forløb per mentee enrolment (a partial unique index); a mentor's open
    forløb are limited by the capacity from the før-samtale (checked by the service).
    """

    __tablename__ = "forloeb"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES_SQL})", name="state"),
        CheckConstraint("mentee_enrolment_id <> mentor_enrolment_id", name="two_people"),
        Index(
            "uq_forloeb_open_mentee",
            "tenant_id",
            "mentee_enrolment_id",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        Index("ix_forloeb_tenant_id_mentor_enrolment_id", "tenant_id", "mentor_enrolment_id"),
        Index("ix_forloeb_tenant_id_programme_id_state", "tenant_id", "programme_id", "state"),
        tenant_fk("programme_id", "programme"),
        tenant_fk("mentee_enrolment_id", "enrolment", ondelete="CASCADE"),
        tenant_fk("mentor_enrolment_id", "enrolment", ondelete="CASCADE"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column()
    mentee_enrolment_id: Mapped[uuid.UUID] = mapped_column()
    mentor_enrolment_id: Mapped[uuid.UUID] = mapped_column()
    state: Mapped[str] = mapped_column(String(20), default=ForloebState.PROPOSED.value)
    #: The matching strategy that proposed the pair ("manual" when a coordinator chose it).
    strategy: Mapped[str] = mapped_column(String(60))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    #: The explanation shown to coordinators: ``[{"code", "text", "points"}]`` (Danish texts
    #: that mention shared experience - health data, hence personal).
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list, info=PERSONAL)
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    proposed_by: Mapped[str] = mapped_column(String(255))
    mentee_accepted_at: Mapped[dt.datetime | None] = mapped_column()
    mentee_accepted_by: Mapped[str | None] = mapped_column(String(255))
    mentor_accepted_at: Mapped[dt.datetime | None] = mapped_column()
    mentor_accepted_by: Mapped[str | None] = mapped_column(String(255))
    #: The policy chosen at the start: frequency and planned length in months.
    frequency: Mapped[str] = mapped_column(String(40))
    planned_months: Mapped[int] = mapped_column(SmallInteger)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)


class ForloebEvent(TenantOwned, Model):
    """One state change of a forløb: who, when, why (``from_state`` ``None`` when proposed)."""

    __tablename__ = "forloeb_event"
    __table_args__ = (
        Index("ix_forloeb_event_tenant_id_forloeb_id", "tenant_id", "forloeb_id"),
        tenant_fk("forloeb_id", "forloeb", ondelete="CASCADE"),
    )

    forloeb_id: Mapped[uuid.UUID] = mapped_column()
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)


class ForloebPause(TenantOwned, Model):
    """A pause of a forløb; ``ends_on`` is ``None`` while it goes on."""

    __tablename__ = "forloeb_pause"
    __table_args__ = (
        Index("ix_forloeb_pause_tenant_id_forloeb_id", "tenant_id", "forloeb_id"),
        tenant_fk("forloeb_id", "forloeb", ondelete="CASCADE"),
    )

    forloeb_id: Mapped[uuid.UUID] = mapped_column()
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    planned_resume: Mapped[dt.date | None] = mapped_column(Date)


class Meeting(TenantOwned, Model):
    """A meeting of the pair, or its cancellation ("afbud").

    ``note`` is private: only the pair and the coordinators see it.
    """

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(f"activity IN ({_ACTIVITIES_SQL})", name="activity"),
        CheckConstraint(
            "duration_minutes IS NULL OR (duration_minutes > 0 AND duration_minutes <= 720)",
            name="duration",
        ),
        Index("ix_meeting_tenant_id_forloeb_id_day", "tenant_id", "forloeb_id", "day"),
        tenant_fk("forloeb_id", "forloeb", ondelete="CASCADE"),
    )

    forloeb_id: Mapped[uuid.UUID] = mapped_column()
    day: Mapped[dt.date] = mapped_column(Date)
    activity: Mapped[str] = mapped_column(String(20))
    duration_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    #: An "afbud": the meeting was planned but did not happen.
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    #: Who logged it: ``mentor``, ``mentee`` or ``coordinator``, and the sign-in.
    logged_as: Mapped[str] = mapped_column(String(20))
    logged_by: Mapped[str] = mapped_column(String(255))


class PlannedMeeting(TenantOwned, Model):
    """The pair's next meeting, planned ahead: when (stored in UTC, planned in Danish time)
    and where. It appears in the forløb and in both people's calendar feeds; its reminder is
    written to the outbox in the same transaction (:mod:`core.forloeb.planned`). An afbud
    cancels it (and withdraws the reminders not yet sent)."""

    __tablename__ = "planned_meeting"
    __table_args__ = (
        Index(
            "ix_planned_meeting_tenant_id_forloeb_id_starts_at",
            "tenant_id",
            "forloeb_id",
            "starts_at",
        ),
        tenant_fk("forloeb_id", "forloeb", ondelete="CASCADE"),
    )

    forloeb_id: Mapped[uuid.UUID] = mapped_column()
    starts_at: Mapped[dt.datetime] = mapped_column()
    place: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    #: ``mentor``, ``mentee`` or ``coordinator``, and the sign-in.
    planned_as: Mapped[str] = mapped_column(String(20))
    planned_by: Mapped[str] = mapped_column(String(255))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column()
    cancelled_as: Mapped[str | None] = mapped_column(String(20))
    cancelled_by: Mapped[str | None] = mapped_column(String(255))
