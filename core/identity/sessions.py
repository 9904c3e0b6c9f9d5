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
from sqlalchemy.ext.asyncio import AsyncSession

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
    session: AsyncSession,
    principal: Principal,
    id_token: str | None,
    hours: int,
    now: dt.datetime,
) -> str:
    """Store a new session; return the cookie value (only its hash is stored).

    Expired sessions are deleted on the way, so the table holds only live ones. The caller's
    transaction (the request pipeline's) commits it."""
    raw = secrets.token_urlsafe(32)
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(
        WebSession(
            token_hash=_hash(raw),
            principal=msgspec.to_builtins(principal),
            id_token=id_token,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    await session.flush()
    return raw


async def load_session(session: AsyncSession, raw: str, now: dt.datetime) -> Principal | None:
    """The principal of a live web session, read in the request's own session."""
    row = await session.get(WebSession, _hash(raw))
    if row is None or _aware(row.expires_at) <= now:
        return None
    return msgspec.convert(row.principal, Principal)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def end_session(session: AsyncSession, raw: str) -> str | None:
    """Delete the session; return its ID token (for the issuer's logout) if there was one."""
    row = await session.get(WebSession, _hash(raw))
    if row is None:
        return None
    id_token = row.id_token
    await session.delete(row)
    await session.flush()
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
