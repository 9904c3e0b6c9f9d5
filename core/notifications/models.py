"""Notification tables: the outbox and each person's contact preferences.

The outbox (:class:`Notification`) is written in the same transaction as the change that causes
a message (a planned meeting writes its reminder, due the day before), or by the periodic job
for what time causes (a questionnaire that opens, tomorrow's course session). A row is never
sent twice: its ``idempotency_key`` is unique per tenant, and delivery moves it through states
that a restarted worker reads (:mod:`core.notifications.delivery`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    CheckConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk

PERSONAL = {"personal_data": True}

#: What is sent (the keys of a person's choices and of the message templates).
KINDS = (
    "meeting_reminder",
    "meeting_cancelled",
    "proposal_waiting",
    "questionnaire_due",
    "course_session",
    "activity",
    "digest",
)
#: Channels a message goes out on. ``page`` is the list in the header (no contact needed).
CHANNELS = ("email", "sms", "page")
#: Delivery states (docs/notifications.md):
#: ``pending`` waits for ``due_at``; ``claimed`` a worker holds it (nothing handed over yet);
#: ``handing_over`` the transport has it, the answer not yet recorded; ``sent``; ``failed``
#: (given up after the retries, or not deliverable); ``uncertain`` a worker died while handing
#: it over - not sent again (no duplicate), shown to coordinators; ``withdrawn`` its cause went
#: away (the meeting was cancelled) or the person said no before it went out.
STATES = (
    "pending",
    "claimed",
    "handing_over",
    "sent",
    "failed",
    "uncertain",
    "withdrawn",
)
_KINDS_SQL = ", ".join(f"'{k}'" for k in KINDS)
_CHANNELS_SQL = ", ".join(f"'{c}'" for c in CHANNELS)
_STATES_SQL = ", ".join(f"'{s}'" for s in STATES)


class Notification(TenantOwned, Model):
    """One message to one recipient on one channel (the outbox row)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(f"kind IN ({_KINDS_SQL})", name="kind"),
        CheckConstraint(f"channel IN ({_CHANNELS_SQL})", name="channel"),
        CheckConstraint(f"status IN ({_STATES_SQL})", name="status"),
        Index("ix_notification_tenant_id_status_due_at", "tenant_id", "status", "due_at"),
        Index("ix_notification_tenant_id_person_id", "tenant_id", "person_id"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
        tenant_fk("programme_id", "programme", ondelete="CASCADE"),
    )

    #: ``<kind>:<object>:<occasion>:<person>:<channel>``: one message per cause, ever.
    idempotency_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))
    #: The recipient; ``None`` for the coordinators' digest (sent to the tenant's address).
    person_id: Mapped[uuid.UUID | None] = mapped_column()
    #: The coordinators' address of a digest (from the tenant file; not a person's).
    address: Mapped[str | None] = mapped_column(String(254))
    #: The programme the message is about (its course, activity, forløb); ``None`` for the
    #: digest and an activity of the whole municipality. A ``coordinate`` partner sees only
    #: its programmes' messages (``core.tenancy.programme_scope``), never one without.
    programme_id: Mapped[uuid.UUID | None] = mapped_column()
    #: The object the message is about (a planned meeting, a forløb, ...), for withdrawing it.
    subject_id: Mapped[uuid.UUID | None] = mapped_column()
    #: Not before this moment (UTC): the reminder time, moved out of the quiet hours.
    due_at: Mapped[dt.datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: A claimed or handed-over row belongs to its worker until then.
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    #: The error's kind only (``SMTPConnectError``, ``no_address``) - never an address or text.
    last_error: Mapped[str | None] = mapped_column(String(120))
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    #: A page notification read by its recipient.
    read_at: Mapped[dt.datetime | None] = mapped_column()
    #: How it went out (``smtp``, ``mailbox`` in development, ``http``...).
    transport: Mapped[str | None] = mapped_column(String(30))
    #: The rendered text (Danish); the subject is for e-mail and the page list.
    title: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    body: Mapped[str] = mapped_column(Text, info=PERSONAL)
    #: The link the message carries (to Makker, behind sign-in).
    link: Mapped[str] = mapped_column(String(500))


class ContactPreference(TenantOwned, Model):
    """What one person wants: consent to be contacted, a channel (or none) per kind, and quiet
    hours in Danish time. Without a row, or without consent, messages appear only on the page."""

    __tablename__ = "contact_preference"
    __table_args__ = (
        UniqueConstraint("tenant_id", "person_id"),
        tenant_fk("person_id", "person", ondelete="CASCADE"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column()
    #: Consent to be contacted by e-mail or SMS (given and withdrawn by the person).
    consent_given_at: Mapped[dt.datetime | None] = mapped_column(info=PERSONAL)
    consent_withdrawn_at: Mapped[dt.datetime | None] = mapped_column(info=PERSONAL)
    #: ``{kind: "email" | "sms" | "page" | "off"}``; a kind left out gets the default.
    channels: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict, info=PERSONAL)
    #: No e-mail or SMS between these Danish times (from > to: over midnight); both or neither.
    quiet_from: Mapped[dt.time | None] = mapped_column(Time, info=PERSONAL)
    quiet_to: Mapped[dt.time | None] = mapped_column(Time, info=PERSONAL)
    #: The language of the person's messages: ``en`` English, ``da`` or ``None`` Danish (the
    #: command accepts these; any other value is written in Danish).
    language: Mapped[str | None] = mapped_column(String(2), info=PERSONAL)

    @property
    def consented(self) -> bool:
        return self.consent_given_at is not None and self.consent_withdrawn_at is None
