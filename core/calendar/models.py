"""Per-person calendar links. Global table: the public feed URL carries no tenant, so the link
is found by its token hash first, and the feed is then read inside the owner tenant's scope."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, tenant_fk


class CalendarLink(Model):
    """An unguessable, revocable link to one person's .ics feed. Only the SHA-256 of the token
    is stored; the token itself is shown once, when the link is made."""

    __tablename__ = "calendar_link"
    __table_args__ = (
        Index("ix_calendar_link_owner", "owner_tenant_id", "person_id"),
        tenant_fk("person_id", "person", ondelete="CASCADE", owner="owner_tenant_id"),
        # With the owner: Citus distributes the table by owner_tenant_id (docs/deploy.md), and
        # a unique key there must include it. The token is 256 random bits: two links with one
        # hash do not happen, in one tenant or across.
        UniqueConstraint("token_hash", "owner_tenant_id"),
    )
    # The row's key includes its owner (as a tenant-owned row's its tenant_id); the ORM
    # identity is the id alone.
    __mapper_args__ = {"primary_key": ["id"]}

    token_hash: Mapped[str] = mapped_column(String(64))
    owner_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
