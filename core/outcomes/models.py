"""Questionnaire answers: one row per version of one person's answer at one occasion.

An answer starts as a ``draft`` (saved to be continued later) and becomes ``submitted``. A
submitted answer is never edited: a correction is a new row with the next ``version`` and a
reason, and the earlier version stays as it was. The answers and the score are special-category
personal data (GDPR Art. 9), tagged ``personal_data``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Date, Float, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk
from core.db.encryption import EncryptedText

PERSONAL = {"personal_data": True}
DRAFT, SUBMITTED = "draft", "submitted"
#: Answered by the person on their own, or given in a conversation and entered by a coordinator.
SELF, CONVERSATION = "self", "conversation"


class QuestionnaireResponse(TenantOwned, Model):
    __tablename__ = "questionnaire_response"
    __table_args__ = (
        CheckConstraint("role IN ('mentee', 'mentor')", name="role"),
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        CheckConstraint("entered_as IN ('self', 'conversation')", name="entered_as"),
        CheckConstraint("version >= 1", name="version"),
        Index(
            "uq_questionnaire_response_occasion_version",
            "tenant_id",
            "forloeb_id",
            "occasion",
            "version",
            unique=True,
        ),
        Index("ix_questionnaire_response_tenant_id_person_id", "tenant_id", "person_id"),
        tenant_fk("forloeb_id", "forloeb", ondelete="CASCADE"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
    )

    forloeb_id: Mapped[uuid.UUID] = mapped_column()
    person_id: Mapped[uuid.UUID] = mapped_column()
    role: Mapped[str] = mapped_column(String(10))
    instrument: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[str] = mapped_column(String(20))
    #: The occasion's key (``instrument:role:kind:number``, see :mod:`core.outcomes.schedule`).
    occasion: Mapped[str] = mapped_column(String(140))
    occasion_kind: Mapped[str] = mapped_column(String(20))
    #: The day the occasion opened: orders a trajectory.
    occasion_date: Mapped[dt.date] = mapped_column(Date)
    #: ``{item key: value}`` as answered (before reversal).
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict, info=PERSONAL)
    #: The instrument's score, or ``None`` while an item is unanswered (never imputed).
    total: Mapped[float | None] = mapped_column(Float, info=PERSONAL)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    version: Mapped[int] = mapped_column(SmallInteger, default=1)
    correction_reason: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    entered_as: Mapped[str] = mapped_column(String(20), default=SELF)
    entered_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
