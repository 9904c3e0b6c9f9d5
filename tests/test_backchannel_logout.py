"""Back-channel logout (issue 20) and ending a sign-in's web sessions at once (issue 17).

End to end with real signed tokens: the development issuer ends a session (its logout, or an
administrator signing a user out) and POSTs a logout token to ``/auth/backchannel-logout``, as
Keycloak does; the Makker session is gone at the next request. Bad tokens are 400 and end
nothing."""

from __future__ import annotations

import logging
import time

import pytest
from jwcrypto import jwk, jwt
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db.base import utcnow
from core.identity.dev_issuer import BACKCHANNEL_LOGOUT_EVENT
from core.identity.models import WebSession
from core.identity.principal import Principal
from core.identity.sessions import create_session, end_web_sessions, load_session
from tests.live import browser_sign_in, client_for

PATH = "/auth/backchannel-logout"


@pytest.fixture
def coordinator(live, tenants):
    name = f"bcl-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    return name


async def _sessions(sessionmaker, user_id: str) -> list[WebSession]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(WebSession).where(WebSession.user_id == user_id)))


async def _signed_in(live, tenants, name):
    """A browser signed in as ``name``: its client and its one session row."""
    http = client_for(live)
    await browser_sign_in(http, live, name)
    assert (await http.get(f"/t/{tenants.a.slug}/")).status_code == 200
    return http


def _user_id(live, name: str) -> str:
    return f"{live.settings.oidc_issuer}#dev-{name}"


async def test_the_issuers_logout_ends_the_makker_session_through_the_back_channel(
    live, tenants, coordinator, sessionmaker, caplog
):
    http = await _signed_in(live, tenants, coordinator)
    (row,) = await _sessions(sessionmaker, _user_id(live, coordinator))
    assert row.sid in live.issuer.sessions
    deliveries = len(live.issuer.backchannel_deliveries)
    # The sign-in ends at the issuer (another tab, another application of the realm).
    with caplog.at_level(logging.INFO):
        async with client_for(live) as other_tab:
            ended = await other_tab.get(
                f"{live.settings.oidc_issuer}/protocol/openid-connect/logout",
                params={"id_token_hint": row.id_token},
            )
    assert ended.status_code == 200
    assert live.issuer.backchannel_deliveries[deliveries:] == [(live.settings.oidc_client_id, 200)]
    assert await _sessions(sessionmaker, _user_id(live, coordinator)) == []
    again = await http.get(f"/t/{tenants.a.slug}/")
    await http.aclose()
    assert (again.status_code, again.headers["location"]) == (
        303,
        f"/auth/login?next=%2Ft%2F{tenants.a.slug}%2F",
    )
    async with sessionmaker() as session:
        audit = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "sign_out.backchannel",
                    AuditEvent.object_id == f"dev-{coordinator}",
                )
            )
        ).one()
    assert (audit.object_type, audit.detail) == ("sign_in", {"sessions_ended": 1, "by": "sid"})
    # Nothing of the token or the sign-in in the log.
    assert row.id_token not in caplog.text
    assert f"dev-{coordinator}" not in caplog.text


async def test_the_issuers_logout_without_id_token_hint_ends_the_browsers_session(
    live, tenants, coordinator, sessionmaker
):
    """Keycloak ends the browser's SSO session (its cookie) on a logout without
    ``id_token_hint``; the development issuer does too, and says "signed out" only then."""
    http = await _signed_in(live, tenants, coordinator)
    (row,) = await _sessions(sessionmaker, _user_id(live, coordinator))
    logout = f"{live.settings.oidc_issuer}/protocol/openid-connect/logout"
    deliveries = len(live.issuer.backchannel_deliveries)
    ended = await http.get(logout)
    assert ended.status_code == 200
    assert "<h1>Du er logget ud</h1>" in ended.text
    assert live.issuer.backchannel_deliveries[deliveries:] == [(live.settings.oidc_client_id, 200)]
    assert row.sid not in live.issuer.sessions
    assert await _sessions(sessionmaker, _user_id(live, coordinator)) == []
    again = await http.get(f"/t/{tenants.a.slug}/")
    assert (again.status_code, again.headers["location"]) == (
        303,
        f"/auth/login?next=%2Ft%2F{tenants.a.slug}%2F",
    )
    # Nothing left to end: the page says so, and no client is told anything.
    nothing = await http.get(logout)
    await http.aclose()
    assert nothing.status_code == 200
    assert "<h1>Intet at logge ud af</h1>" in nothing.text
    assert "Browseren havde ingen session hos udviklings-login-tjenesten" in nothing.text
    assert len(live.issuer.backchannel_deliveries) == deliveries + 1
    async with client_for(live) as stranger:
        page = await stranger.get(logout)
    assert "<h1>Intet at logge ud af</h1>" in page.text


async def test_an_administrators_sign_out_ends_every_session_of_the_user(
    live, tenants, coordinator, sessionmaker
):
    first = await _signed_in(live, tenants, coordinator)
    second = await _signed_in(live, tenants, coordinator)
    assert len(await _sessions(sessionmaker, _user_id(live, coordinator))) == 2
    ended = live.issuer.logout_user(f"dev-{coordinator}")
    await live.issuer.send_backchannel_logout(ended)
    assert await _sessions(sessionmaker, _user_id(live, coordinator)) == []
    for http in (first, second):
        assert (await http.get(f"/t/{tenants.a.slug}/")).status_code == 303
        await http.aclose()


async def test_a_logout_token_with_only_sub_ends_all_sessions_of_the_sign_in(
    live, tenants, coordinator, sessionmaker
):
    others = f"bcl-other-{tenants.a.slug}"
    live.add_user(others, ("coordinator",), (tenants.a.slug,))
    mine = await _signed_in(live, tenants, coordinator)
    theirs = await _signed_in(live, tenants, others)
    token = live.issuer.logout_token(live.settings.oidc_client_id, f"dev-{coordinator}", None)
    async with client_for(live) as keycloak:
        answer = await keycloak.post(PATH, data={"logout_token": token})
    assert (answer.status_code, answer.headers["cache-control"]) == (200, "no-store")
    assert (await mine.get(f"/t/{tenants.a.slug}/")).status_code == 303
    assert (await theirs.get(f"/t/{tenants.a.slug}/")).status_code == 200
    await mine.aclose()
    await theirs.aclose()


def answers_index(answers: dict[str, object], name: str) -> int:
    return list(answers).index(name)


def _bad_tokens(live, sub: str, sid: str) -> dict[str, str]:
    issuer, client = live.issuer, live.settings.oidc_client_id
    stranger = jwk.JWK.generate(kty="RSA", size=2048, kid=issuer.current_key.get("kid"))
    forged = issuer.sign(
        {
            "iss": issuer.issuer,
            "aud": client,
            "iat": 1,
            "exp": 4102444800,
            "jti": "x",
            "sub": sub,
            "sid": sid,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        },
        key=stranger,
    )
    # HS256 with a key an attacker knows, under the realm key's id: the algorithm is refused
    # before any key is tried.
    symmetric = jwt.JWT(
        header={"alg": "HS256", "typ": "JWT", "kid": issuer.current_key.get("kid")},
        claims={
            "iss": issuer.issuer,
            "aud": client,
            "iat": int(time.time()),
            "exp": int(time.time()) + 120,
            "jti": "y",
            "sub": sub,
            "sid": sid,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        },
    )
    symmetric.make_signed_token(jwk.JWK.generate(kty="oct", size=256))
    return {
        "wrong signature": forged,
        "HS256": str(symmetric.serialize()),
        "issued in the future": issuer.logout_token(
            client, sub, sid, iat=int(time.time()) + 3600, exp=int(time.time()) + 7200
        ),
        "wrong aud": issuer.logout_token("another-client", sub, sid),
        "missing events": issuer.logout_token(client, sub, sid, events=None),
        "other event": issuer.logout_token(client, sub, sid, events={"urn:x": {}}),
        "expired": issuer.logout_token(client, sub, sid, iat=1000, exp=2000),
        "wrong iss": issuer.logout_token(client, sub, sid, iss="https://other.example/realms/x"),
        "nonce": issuer.logout_token(client, sub, sid, nonce="n"),
        "neither sub nor sid": issuer.logout_token(client, None, None),
        "no jti": issuer.logout_token(client, sub, sid, jti=None),
        "garbage": "not.a.token",
        "empty": "",
    }


async def test_bad_logout_tokens_are_400_and_end_nothing(
    live, tenants, coordinator, sessionmaker, caplog
):
    http = await _signed_in(live, tenants, coordinator)
    (row,) = await _sessions(sessionmaker, _user_id(live, coordinator))
    answers = {}
    async with sessionmaker() as session:
        audited_before = len(list(await session.scalars(select(AuditEvent.id))))
    with caplog.at_level(logging.WARNING, logger="core.identity.web_auth"):
        async with client_for(live) as keycloak:
            for name, token in _bad_tokens(live, f"dev-{coordinator}", str(row.sid)).items():
                answer = await keycloak.post(PATH, data={"logout_token": token})
                answers[name] = (
                    answer.status_code,
                    answer.headers["cache-control"],
                    answer.json(),
                )
            missing = await keycloak.post(PATH, data={})
    refused = (
        400,
        "no-store",
        {
            "status_code": 400,
            "detail": "The logout token is not valid.",
            "error": "invalid_request",
        },
    )
    assert answers == dict.fromkeys(answers, refused)
    assert (missing.status_code, missing.headers["cache-control"], missing.json()) == refused
    # Refusals are logged with the reason only, and write no audit row (anybody can POST).
    reasons = [r.getMessage() for r in caplog.records if r.name == "core.identity.web_auth"]
    assert len(reasons) == len(answers) + 1
    assert reasons[answers_index(answers, "HS256")] == (
        "back-channel logout refused: algorithm not allowed: 'HS256'"
    )
    assert reasons[answers_index(answers, "issued in the future")] == (
        "back-channel logout refused: issued in the future (iat)"
    )
    assert reasons[-1] == "back-channel logout refused: no logout_token"
    assert not any(coordinator in reason or str(row.sid) in reason for reason in reasons)
    async with sessionmaker() as session:
        assert len(list(await session.scalars(select(AuditEvent.id)))) == audited_before
    assert (await http.get(f"/t/{tenants.a.slug}/")).status_code == 200
    await http.aclose()
    assert len(await _sessions(sessionmaker, _user_id(live, coordinator))) == 1


async def test_end_web_sessions_by_sign_in_or_sid_and_never_everyones(sessionmaker):
    iss = "https://issuer.example/realms/makker"
    ann = Principal(iss, "ann", "ann", "Ann", frozenset({"mentor"}), frozenset({"x"}))
    bo = Principal(iss, "bo", "bo", "Bo", frozenset({"mentor"}), frozenset({"x"}))
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        ann1 = await create_session(session, ann, None, 1, now, sid="s-ann-1")
        ann2 = await create_session(session, ann, None, 1, now, sid="s-ann-2")
        bo1 = await create_session(session, bo, None, 1, now, sid="s-bo-1")
    async with sessionmaker() as session, session.begin():
        assert await end_web_sessions(session, sid="s-ann-1") == 1
    async with sessionmaker() as session:
        assert await load_session(session, ann1, now) is None
        assert await load_session(session, ann2, now) == ann
    async with sessionmaker() as session, session.begin():
        assert await end_web_sessions(session, user_id=ann.user_id) == 1
        with pytest.raises(ValueError, match="needs a user_id or a sid"):
            await end_web_sessions(session)
    async with sessionmaker() as session:
        assert await load_session(session, ann2, now) is None
        assert await load_session(session, bo1, now) == bo


async def test_a_session_from_before_migration_0014_is_not_accepted(sessionmaker):
    """Made without a sign-in id, it could not be ended at once: its holder signs in again."""
    who = Principal("iss", "old", "old", "Old", frozenset({"mentor"}), frozenset({"x"}))
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        raw = await create_session(session, who, None, 1, now)
        row = (
            await session.scalars(select(WebSession).where(WebSession.user_id == who.user_id))
        ).one()
        assert await load_session(session, raw, now) == who
        row.user_id = None
    async with sessionmaker() as session:
        assert await load_session(session, raw, now) is None
