"""Server-side sessions for the web UI and the signed, short-lived sign-in state cookie.

A web session is a row of ``web_session`` (only the hash of the cookie value is stored), read on
every request. Ending one is deleting its row, so :func:`end_web_sessions` - every session of a
sign-in (``iss#sub``) or of a Keycloak session (``sid``) - takes effect at the holder's next
request: used by back-channel logout (:mod:`core.identity.backchannel`) and by removing a
member's access (:mod:`core.identity.members`)."""

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
    sid: str | None = None,
) -> str:
    """Store a new session; return the cookie value (only its hash is stored).

    ``sid`` is the identity provider's session id (the ID token's ``sid``), which a
    back-channel logout token names. Expired sessions are deleted on the way, so the table
    holds only live ones. The caller's transaction (the request pipeline's) commits it."""
    raw = secrets.token_urlsafe(32)
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    session.add(
        WebSession(
            token_hash=_hash(raw),
            principal=msgspec.to_builtins(principal),
            user_id=principal.user_id,
            sid=sid,
            id_token=id_token,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    await session.flush()
    return raw


async def load_session(session: AsyncSession, raw: str, now: dt.datetime) -> Principal | None:
    """The principal of a live web session, read in the request's own session.

    A session without ``user_id`` (made before migration 0014) is not accepted: it could not
    be ended by :func:`end_web_sessions`."""
    row = await session.get(WebSession, _hash(raw))
    if row is None or row.user_id is None or _aware(row.expires_at) <= now:
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


async def end_web_sessions(
    session: AsyncSession, *, user_id: str | None = None, sid: str | None = None
) -> int:
    """End every web session of the sign-in ``user_id`` (``iss#sub``) and/or of the identity
    provider's session ``sid`` (both given: the sessions matching both); return how many.

    Effective at the holder's next request, which finds no row (:func:`load_session`). Flushes
    in the caller's transaction; the request pipeline commits it with the request's audit row.

    :raises ValueError: neither ``user_id`` nor ``sid`` is given (that would end everyone's)."""
    if not user_id and not sid:
        raise ValueError("end_web_sessions needs a user_id or a sid")
    statement = delete(WebSession)
    if user_id:
        statement = statement.where(WebSession.user_id == user_id)
    if sid:
        statement = statement.where(WebSession.sid == sid)
    result = await session.execute(statement)
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


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
