"""Per-person calendar links. Global table: the public feed URL carries no tenant, so the link
is found by its token hash first, and the feed is then read inside the owner tenant's scope."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model


class CalendarLink(Model):
    """An unguessable, revocable link to one person's .ics feed. Only the SHA-256 of the token
    is stored; the token itself is shown once, when the link is made."""

    __tablename__ = "calendar_link"
    __table_args__ = (Index("ix_calendar_link_owner", "owner_tenant_id", "person_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    owner_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    created_by: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
