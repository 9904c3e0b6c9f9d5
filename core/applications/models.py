"""The application table: what a citizen or volunteer sent from the public page, and their
consent to be contacted.

An application makes a :class:`~core.participants.models.Person` (name and contact details only,
as for anyone without an Art. 9 consent) with an :class:`~core.participants.models.Enrolment` in
the status ``applied``; this row keeps what only the application has: the text about what they
hope for and the consent to be contacted, with the text they were shown.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk, utcnow
from core.db.encryption import EncryptedText

PERSONAL = {"personal_data": True}


class Application(TenantOwned, Model):
    """One application from the public page (see :mod:`core.applications.commands`)."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_tenant_enrolment", "tenant_id", "enrolment_id"),
        Index("ix_application_tenant_fingerprint", "tenant_id", "fingerprint"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
        tenant_fk("enrolment_id", "enrolment", ondelete="CASCADE"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column()
    enrolment_id: Mapped[uuid.UUID] = mapped_column()
    #: What they hope for, in their own words (at most 1,000 characters).
    hope: Mapped[str | None] = mapped_column(EncryptedText, info=PERSONAL)
    #: The consent to be contacted: the text as the form showed it, and when it was given.
    contact_consent_text: Mapped[str] = mapped_column(Text)
    contact_consent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: SHA-256 of programme, role, name and contact details (normalised): a second identical
    #: application within minutes is recognised without comparing the clear text.
    fingerprint: Mapped[str] = mapped_column(String(64), info=PERSONAL)
