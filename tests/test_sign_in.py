"""Web sign-in (code + PKCE), the session cookie, CSRF on sign-out, audit and clean logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.identity.dev_issuer import OAuthError
from tests.live import browser_sign_in, csrf_token


@pytest.fixture
def coordinator(live, tenants):
    name = f"koord-{tenants.a.slug}"
    user = live.add_user(name, ("coordinator",), (tenants.a.slug,))
    return name, user


async def _audit(sessionmaker, actor):
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.actor == actor).order_by(AuditEvent.at)
        )
        return [(r.action, r.tenant_slug, r.route, r.detail) for r in rows]


async def test_sign_in_lands_on_the_tenant_front_page(live, tenants, coordinator):
    async with httpx.AsyncClient(base_url=live.url) as http:
        landing = await browser_sign_in(http, live, coordinator[0])
        assert (landing.status_code, landing.headers["location"]) == (303, f"/t/{tenants.a.slug}/")
        cookie = next(
            h for h in landing.headers.get_list("set-cookie") if h.startswith("makker_session=")
        )
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "path", "samesite", "max-age"} <= attributes
        assert "samesite=lax" in cookie.lower()
        page = await http.get(landing.headers["location"])
        assert page.status_code == 200 and "Kommune A" in page.text


async def test_anonymous_page_request_redirects_to_sign_in(live, tenants):
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.get(f"/t/{tenants.a.slug}/")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/auth/login?next=%2Ft%2F{tenants.a.slug}%2F",
    )


async def test_member_of_one_tenant_gets_404_for_another_and_it_is_audited(
    live, tenants, coordinator, sessionmaker
):
    async with httpx.AsyncClient(base_url=live.url) as http:
        await browser_sign_in(http, live, coordinator[0])
        other = await http.get(f"/t/{tenants.b.slug}/")
        missing = await http.get("/t/findes-slet-ikke/")
    assert other.status_code == missing.status_code == 404
    assert other.text.replace(tenants.b.slug, "X") == missing.text.replace("findes-slet-ikke", "X")
    rows = await _audit(sessionmaker, coordinator[1].subject)
    denied = [r for r in rows if r[0] == "access_denied"]
    assert denied == [
        (
            "access_denied",
            tenants.b.slug,
            "/t/{tenant_slug}",
            {"reason": "not a member", "status": 404},
        ),
        (
            "access_denied",
            "findes-slet-ikke",
            "/t/{tenant_slug}",
            {"reason": "no such tenant", "status": 404},
        ),
    ]


async def test_sign_out_needs_csrf_and_ends_the_session_everywhere(
    live, tenants, coordinator, sessionmaker
):
    async with httpx.AsyncClient(base_url=live.url) as http:
        landing = await browser_sign_in(http, live, coordinator[0])
        page = await http.get(landing.headers["location"])
        no_token = await http.post("/auth/logout")
        assert no_token.status_code == 403
        still_in = await http.get(f"/t/{tenants.a.slug}/")
        assert still_in.status_code == 200
        out = await http.post("/auth/logout", data={"_csrf_token": csrf_token(page.text)})
        assert out.status_code == 303
        issuer_logout = out.headers["location"]
        assert issuer_logout.startswith(f"{live.url}/realms/makker/protocol/openid-connect/logout?")
        assert "id_token_hint=" in issuer_logout
        back = await http.get(issuer_logout)
        assert (back.status_code, back.headers["location"]) == (303, f"{live.url}/")
        after = await http.get(f"/t/{tenants.a.slug}/")
        assert after.status_code == 303  # signed out: back to sign-in
    actions = [r[0] for r in await _audit(sessionmaker, coordinator[1].subject)]
    assert actions == ["sign_in", "sign_out"]


async def test_callback_with_wrong_state_starts_no_session(live, coordinator):
    async with httpx.AsyncClient(base_url=live.url) as http:
        await http.get("/auth/login")
        response = await http.get("/auth/callback", params={"code": "x", "state": "forged"})
        assert response.status_code == 400
        assert "Login mislykkedes" in response.text
        assert "makker_session" not in response.cookies


def test_pkce_verifier_must_match(live, coordinator):
    issuer = live.issuer
    client = live.settings.oidc_client_id
    params = {
        "client_id": client,
        "redirect_uri": f"{live.url}/auth/callback",
        "response_type": "code",
        "code_challenge_method": "S256",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "state": "s",
    }
    location = issuer.authorize(params, coordinator[0], "pw")
    code = location.split("code=")[1].split("&")[0]
    with pytest.raises(OAuthError) as excinfo:
        issuer.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": params["redirect_uri"],
                "code_verifier": "wrong",
            },
            (client, live.settings.oidc_client_secret),
        )
    assert excinfo.value.description == "PKCE verification failed"


def test_authorization_request_without_pkce_is_refused(live):
    with pytest.raises(OAuthError) as excinfo:
        live.issuer.check_auth_request(
            {
                "client_id": live.settings.oidc_client_id,
                "redirect_uri": f"{live.url}/auth/callback",
                "response_type": "code",
            }
        )
    assert excinfo.value.description == "Missing parameter: code_challenge_method (S256)"


async def test_no_token_or_cookie_reaches_the_logs(
    live, tenants, coordinator, caplog, sessionmaker
):
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(base_url=live.url) as http:
        landing = await browser_sign_in(http, live, coordinator[0])
        session_cookie = http.cookies["makker_session"]
        await http.get(landing.headers["location"])
        await http.get(f"/t/{tenants.b.slug}/")
        tokens = await live.tokens(coordinator[0])
        await http.get(
            f"/api/v1/t/{tenants.a.slug}/programmes",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        await http.get(
            f"/api/v1/t/{tenants.a.slug}/programmes",
            headers={"Authorization": f"Bearer {tokens['access_token']}x"},
        )
    secrets = [
        session_cookie,
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["access_token"].split(".")[2],
    ]
    assert all(s not in caplog.text for s in secrets)
    async with sessionmaker() as session:
        rows = list(await session.scalars(select(AuditEvent)))
    dump = repr([(r.actor, r.route, r.detail, r.object_id) for r in rows])
    assert all(s not in dump for s in secrets)


async def test_signing_in_removes_expired_sessions(sessionmaker):
    import datetime as dt

    from core.db.base import utcnow
    from core.identity.models import WebSession
    from core.identity.principal import Principal
    from core.identity.sessions import create_session, load_session

    async with sessionmaker() as session, session.begin():
        session.add(
            WebSession(
                token_hash="e" * 64,
                principal={},
                id_token=None,
                expires_at=utcnow() - dt.timedelta(minutes=1),
            )
        )
    who = Principal("iss", "sub", "u", "U", frozenset({"mentor"}), frozenset({"x"}))
    async with sessionmaker() as session, session.begin():
        raw = await create_session(session, who, None, hours=1, now=utcnow())
    async with sessionmaker() as session:
        assert await session.get(WebSession, "e" * 64) is None
        assert await load_session(session, raw, utcnow()) == who
