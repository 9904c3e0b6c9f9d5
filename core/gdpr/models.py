"""A legal hold on a person (issue 15, part C): while it lasts, neither erasure nor retention
touches the person's data (a complaint, a court case, a report to the police)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk
from core.db.encryption import EncryptedText

PERSONAL = {"personal_data": True}


class LegalHold(TenantOwned, Model):
    """Set by a tenant admin with a reason and an end date; active from when it is set until
    the end of ``ends_on`` (Europe/Copenhagen) unless lifted earlier (``lifted_at``)."""

    __tablename__ = "legal_hold"
    __table_args__ = (tenant_fk("person_id", "person", ondelete="CASCADE"),)

    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Why (may describe the case: personal data, encrypted at rest, erased with the person once
    #: the hold ends).
    reason: Mapped[str] = mapped_column(EncryptedText, info=PERSONAL)
    #: The last day the hold is in force.
    ends_on: Mapped[dt.date] = mapped_column(Date)
    #: The tenant admin who set it (a sign-in's ``sub``).
    set_by: Mapped[str] = mapped_column(String(255))
    lifted_at: Mapped[dt.datetime | None] = mapped_column()
    lifted_by: Mapped[str | None] = mapped_column(String(255))


# Registers the check that nothing new is recorded about an erased person (every session).
from core.gdpr import erased_guard as erased_guard  # noqa: E402
