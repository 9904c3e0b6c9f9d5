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
    #: Kept only to end the session at the issuer (``id_token_hint``); never logged.
    id_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
