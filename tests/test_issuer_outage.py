"""Keycloak down: the API answers 503 with Retry-After and a Danish message, the sign-in pages
say so in Danish, one warning line is logged (never a token), and the keys are not fetched
again on every request (back-off); cached keys keep working for a while."""

from __future__ import annotations

import logging
import socket
import time
import uuid

import httpx
import pytest
from jwcrypto import jwk, jwt
from keycloak.exceptions import KeycloakConnectionError
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.app import create_app
from core.audit.models import AuditEvent
from core.identity.issuer import (
    KEEPALIVE_SECONDS,
    IssuerHealth,
    IssuerUnavailable,
    call_issuer,
)
from core.identity.sessions import login_cookie_name, sign_state
from core.identity.tokens import TokenValidator
from tests.conftest import settings_for

DANISH = "Login-tjenesten svarer ikke lige nu. Prøv igen om et øjeblik."
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def down(database):
    """Settings whose issuer is an address where nothing answers."""
    return settings_for(database, oidc_issuer=f"http://127.0.0.1:{_closed_port()}/realms/makker")


@pytest.fixture
def app(down):
    """The app, built before the test runs: building it configures logging, which would
    remove the handler ``caplog`` adds for the test itself."""
    return create_app(down)


def _token(settings, key=None) -> str:
    key = key or jwk.JWK.generate(kty="RSA", size=2048, kid=uuid.uuid4().hex)
    now = int(time.time())
    claims = {
        "iss": settings.oidc_issuer,
        "sub": "someone",
        "iat": now,
        "exp": now + 300,
        "typ": "Bearer",
        "azp": "makker-web",
        "aud": ["makker-api"],
    }
    token = jwt.JWT(header={"alg": "RS256", "kid": key.get("kid")}, claims=claims)
    token.make_signed_token(key)
    return str(token.serialize())


def _warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "makker.identity" and r.levelno == logging.WARNING
    ]


@SQLITE
async def test_the_api_answers_503_with_retry_after_and_a_danish_message(app, down, caplog):
    caplog.set_level(logging.INFO)
    token = _token(down)
    async with AsyncTestClient(app=app) as client:
        response = await client.get(
            "/api/v1/t/kolding/programmes", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json() == {"status_code": 503, "detail": DANISH}
    assert "Traceback" not in response.text
    assert _warnings(caplog) == [
        f"identity provider unreachable: fetching the signing keys (JWKS) at "
        f"{down.oidc_issuer} failed (KeycloakConnectionError (ConnectError)); answering 503 "
        "for 1 s"
    ]
    assert "Traceback" not in caplog.text and token not in caplog.text
    assert token.split(".")[2] not in caplog.text


@SQLITE
async def test_key_fetches_back_off_instead_of_hitting_the_issuer_on_every_request(
    app, down, caplog
):
    caplog.set_level(logging.INFO)
    validator = app.state.token_validator
    now = [1000.0]
    validator.health.clock = lambda: now[0]
    calls = []

    async def unreachable():
        calls.append(now[0])
        raise KeycloakConnectionError("Can't connect to server")

    validator.openid.a_certs = unreachable
    headers = {"Authorization": f"Bearer {_token(down)}"}
    async with AsyncTestClient(app=app) as client:
        statuses = []
        for _ in range(5):
            response = await client.get("/api/v1/t/kolding/programmes", headers=headers)
            statuses.append((response.status_code, response.headers["retry-after"]))
        assert statuses == [(503, "1")] * 5
        assert calls == [1000.0]  # one fetch; the other four were answered from the back-off
        now[0] += 1.5  # the back-off has passed: one new try, then twice as long
        for _ in range(3):
            response = await client.get("/api/v1/t/kolding/programmes", headers=headers)
        assert (response.status_code, response.headers["retry-after"]) == (503, "2")
        assert calls == [1000.0, 1001.5]
    assert len(_warnings(caplog)) == 2  # one line per failed fetch, not per request


def test_the_back_off_doubles_up_to_a_minute_and_a_success_resets_it():
    now = [0.0]
    health = IssuerHealth("https://kc.example.dk/realms/makker", clock=lambda: now[0])
    delays = [health.failed("x", KeycloakConnectionError("down")).retry_after for _ in range(8)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    assert health.backing_off()
    health.succeeded()
    assert (health.backing_off(), health.failures) == (False, 0)
    assert health.failed("x", KeycloakConnectionError("down")).retry_after == 1


@SQLITE
async def test_cached_keys_keep_working_while_the_issuer_is_down(live, tenants, caplog):
    caplog.set_level(logging.INFO)
    validator = TokenValidator(live.settings)
    tokens = await live.tokens(
        live.add_user(f"outage-{tenants.a.slug}", ("coordinator",), (tenants.a.slug,)).username
    )
    await validator.validate(tokens["access_token"])

    async def unreachable():
        raise KeycloakConnectionError("Can't connect to server")

    validator.openid.a_certs = unreachable
    validator._last_refresh = time.monotonic() - validator.max_age - 1  # a refresh is due
    claims = await validator.validate(tokens["access_token"])  # the cached key still checks it
    assert claims["typ"] == "Bearer"
    assert len(_warnings(caplog)) == 1
    validator._last_refresh = time.monotonic() - validator.max_stale - 1  # too old to trust
    validator.health.succeeded()  # the back-off has passed
    with pytest.raises(IssuerUnavailable):
        await validator.validate(tokens["access_token"])


@SQLITE
async def test_the_sign_in_page_says_so_in_danish(app, caplog):
    caplog.set_level(logging.INFO)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/auth/login", follow_redirects=False)
        again = await client.get("/auth/login", follow_redirects=False)
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Log ind er ikke muligt lige nu</h1>" in response.text
    assert DANISH in response.text
    assert again.status_code == 503
    assert len(_warnings(caplog)) == 1  # the second visit was answered from the back-off


@SQLITE
async def test_a_sign_in_callback_with_the_token_endpoint_down_is_a_danish_503(
    app, down, sessionmaker, caplog
):
    caplog.set_level(logging.INFO)
    cookie = sign_state(
        down.secret_key, {"state": "s1", "nonce": "n1", "verifier": "v" * 43, "next": "/"}
    )
    async with AsyncTestClient(app=app) as client:
        client.cookies.set(login_cookie_name(down), cookie)
        response = await client.get(
            "/auth/callback", params={"code": "c1", "state": "s1"}, follow_redirects=False
        )
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")
    assert "<h1>Log ind er ikke muligt lige nu</h1>" in response.text
    assert _warnings(caplog) == [
        f"identity provider unreachable: exchanging the sign-in code at {down.oidc_issuer} "
        "failed (KeycloakConnectionError (ConnectError)); answering 503 for 1 s"
    ]
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "sign_in_failed", AuditEvent.route == "/auth/callback"
            )
        )
        reasons = [row.detail for row in rows]
    assert {"reason": "identity provider unreachable"} in reasons


async def test_a_pooled_connection_the_issuer_closed_is_tried_once_more_not_an_outage():
    calls = []

    async def flaky(cause: Exception):
        calls.append(type(cause).__name__)
        if len(calls) == 1:
            raise KeycloakConnectionError("Can't connect to server") from cause
        return "keys"

    assert await call_issuer(lambda: flaky(httpx.ReadError("closed"))) == "keys"
    assert calls == ["ReadError", "ReadError"]
    calls.clear()
    with pytest.raises(KeycloakConnectionError):  # refused: down, not a stale connection
        await call_issuer(lambda: flaky(httpx.ConnectError("refused")))
    assert calls == ["ConnectError"]


@SQLITE
def test_the_issuer_client_drops_idle_connections_before_the_servers_keep_alive(down):
    validator = TokenValidator(down)
    pool = validator.openid.connection.async_s._transport._pool
    assert pool._keepalive_expiry == KEEPALIVE_SECONDS < 5  # uvicorn closes idle ones at 5 s
