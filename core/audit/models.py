"""Audit events. Global table: denied access may concern a tenant that does not exist."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_tenant_slug_at", "tenant_slug", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: ``sub`` of the acting person (a pseudonymous id), or ``None`` when anonymous.
    actor: Mapped[str | None] = mapped_column(String(255))
    #: The tenant in whose space the action happened (slug as given in the URL).
    tenant_slug: Mapped[str | None] = mapped_column(String(60))
    #: e.g. ``sign_in``, ``sign_out``, ``access_denied``, ``partnership_granted``, ``partner_read``.
    action: Mapped[str] = mapped_column(String(60))
    #: The route template (``/t/{tenant_slug}/...``), never a query string.
    route: Mapped[str | None] = mapped_column(String(255))
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(64))
    #: Non-personal details only (reasons, scopes, counts).
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The request's id (its ``X-Request-ID`` and access-log line); ``None`` outside a request.
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: The client's IP address (behind ``MAKKER_TRUSTED_PROXIES``: from ``X-Forwarded-For``);
    #: ``None`` outside a request. Kept with the audit row, never in the access log.
    client_address: Mapped[str | None] = mapped_column(String(64))
