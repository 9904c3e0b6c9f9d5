"""Server-side web sessions (global table: a session belongs to a person, not a tenant)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The principal (issuer, subject, roles, tenant memberships) as validated at sign-in.
    principal: Mapped[dict[str, Any]] = mapped_column()
    #: The sign-in (``iss#sub``), so all its sessions can be ended at once
    #: (:func:`core.identity.sessions.end_web_sessions`). Empty only for sessions made before
    #: migration 0014, which are no longer accepted.
    user_id: Mapped[str | None] = mapped_column(String(600), index=True)
    #: The identity provider's session id (``sid`` of the ID token), named by a back-channel
    #: logout token.
    sid: Mapped[str | None] = mapped_column(String(255), index=True)
    #: Kept only to end the session at the issuer (``id_token_hint``); never logged.
    id_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
