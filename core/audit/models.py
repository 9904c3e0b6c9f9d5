"""Audit events. Global table: denied access may concern a tenant that does not exist."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_tenant_slug_at", "tenant_slug", "at"),
        Index("uq_audit_event_seq", "seq", unique=True),
        # the sealer's queue: the few rows not sealed yet, oldest first
        Index(
            "ix_audit_event_unsealed",
            "at",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
    )

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
    #: The row's number in the hash chain, set when it is sealed (:mod:`core.audit.seal`);
    #: ``None`` until then. The app role may set it (and :attr:`hash`) once, nothing else.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    #: SHA-256 (hex) of the previous sealed row's hash and this row's content.
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditSealAnchor(Base):
    """Where the chain continues after retention removed a whole sealed block.

    One row per removal: every sealed row up to ``through_seq`` is gone, and the row
    ``through_seq + 1`` chains from ``through_hash``. Written by the owner role only
    (:func:`core.audit.seal.remove_sealed_before`); the app role may read it."""

    __tablename__ = "audit_seal_anchor"

    through_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    through_hash: Mapped[str] = mapped_column(String(64))
    #: How many rows the removal took out, and the cut-off it was asked for.
    removed_rows: Mapped[int] = mapped_column(BigInteger)
    removed_before: Mapped[dt.datetime] = mapped_column()
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
