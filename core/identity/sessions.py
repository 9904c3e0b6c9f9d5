"""Server-side sessions for the web UI and the signed, short-lived sign-in state cookie."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import msgspec
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db.base import utcnow
from core.identity.models import WebSession
from core.identity.principal import Principal
from core.settings import Settings

LOGIN_STATE_SECONDS = 600


def session_cookie_name(settings: Settings) -> str:
    """``__Host-`` prefix in production: the browser then insists on Secure, Path=/, no Domain."""
    return "__Host-makker_session" if settings.is_production else "makker_session"


def login_cookie_name(settings: Settings) -> str:
    return "__Host-makker_login" if settings.is_production else "makker_login"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


async def create_session(
    sessionmaker: async_sessionmaker[AsyncSession],
    principal: Principal,
    id_token: str | None,
    hours: int,
) -> str:
    """Store a new session; return the cookie value (only its hash is stored).

    Expired sessions are deleted on the way, so the table holds only live ones."""
    raw = secrets.token_urlsafe(32)
    async with sessionmaker() as session, session.begin():
        await session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
        session.add(
            WebSession(
                token_hash=_hash(raw),
                principal=msgspec.to_builtins(principal),
                id_token=id_token,
                expires_at=utcnow() + dt.timedelta(hours=hours),
            )
        )
    return raw


async def load_session(
    sessionmaker: async_sessionmaker[AsyncSession], raw: str
) -> Principal | None:
    async with sessionmaker() as session:
        row = await session.get(WebSession, _hash(raw))
    if row is None or row.expires_at <= utcnow():
        return None
    return msgspec.convert(row.principal, Principal)


async def end_session(sessionmaker: async_sessionmaker[AsyncSession], raw: str) -> str | None:
    """Delete the session; return its ID token (for the issuer's logout) if there was one."""
    async with sessionmaker() as session, session.begin():
        row = await session.get(WebSession, _hash(raw))
        if row is None:
            return None
        id_token = row.id_token
        await session.delete(row)
    return id_token


# -- sign-in state (state, nonce, PKCE verifier, where to go) in a signed cookie ---------------
def sign_state(secret: str, data: dict[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(
        json.dumps({**data, "exp": int(time.time()) + LOGIN_STATE_SECONDS}).encode()
    ).decode()
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def read_state(secret: str, value: str | None) -> dict[str, Any] | None:
    if not value or "." not in value:
        return None
    payload, mac = value.rsplit(".", 1)
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        return None
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    if data.get("exp", 0) < time.time():
        return None
    return data
