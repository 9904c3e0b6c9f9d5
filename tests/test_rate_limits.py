"""Rate limits (issue 18): per signed-in user, per client address (X-Forwarded-For believed only
from a trusted proxy), stricter on sign-in; 429 with Retry-After and a Danish message; a refusal
writes no audit row and one log line per key and window. SQLite (memory) and PostgreSQL (the
shared counter table)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text

from core import clock as app_clock
from core.app import create_app
from core.audit.models import AuditEvent
from core.identity.tokens import InvalidToken
from core.settings import DEV_SECRET_KEY, Settings, SettingsError, load_settings
from core.web.ratelimit import Limiter, MemoryStore, PostgresStore, hashed
from tests.conftest import settings_for
from tests.plugin_fixtures import shipped  # noqa: F401

#: 30 seconds into a minute: every window below has 30 seconds left (the clock is stopped).
AT = dt.datetime(2026, 12, 1, 10, 0, 30, tzinfo=app_clock.COPENHAGEN)
#: The app's secret key the counters' keys are made with (MAKKER_SECRET_KEY).
SECRET = "k" * 40
DANISH_30 = "Der er kommet for mange forespørgsler på kort tid. Vent 30 sekunder, og prøv igen."


class _Tokens:
    """Every bearer token ``user-...`` is a coordinator of ``tenants`` with that subject;
    ``bad...`` is refused as the real validator refuses a bogus token."""

    def __init__(self, issuer: str, tenants: list[str]) -> None:
        self.issuer, self.tenants = issuer, tenants

    async def validate(self, token: str) -> dict[str, Any]:
        if token.startswith("bad"):
            raise InvalidToken("malformed")
        return {
            "iss": self.issuer,
            "sub": token,
            "realm_access": {"roles": ["coordinator"]},
            "organization": self.tenants,
        }

    async def ensure_reachable(self) -> None:
        return None


class _Peer:
    """The TCP peer's address from the test-only header ``x-test-peer`` (a test client has
    none); outside the edge, so the edge reads it as uvicorn's ``client``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for key, value in scope.get("headers", []):
                if key == b"x-test-peer":
                    scope["client"] = (value.decode(), 40000)
        await self.app(scope, receive, send)


def _peer(prefix: str) -> str:
    """An address of this test alone: the PostgreSQL counters outlive a test (same window)."""
    n = uuid.uuid4().int
    return f"{prefix}.{n % 250 + 1}.{n // 250 % 250 + 1}"


def _app(database, shipped, **limits: Any):  # noqa: F811
    settings = settings_for(database, **limits)
    app = create_app(settings)
    app.state.token_validator = _Tokens(settings.oidc_issuer, [shipped["kolding"].slug])
    app.asgi_handler = _Peer(app.asgi_handler)
    return app


@pytest.fixture
def stopped_clock():
    with app_clock.frozen(AT) as stopped:
        yield stopped


async def _audit(sessionmaker, slug: str) -> list[tuple[str, dict]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.tenant_slug == slug)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return [(a, d) for a, d in rows.all()]


async def test_a_signed_in_user_is_limited_per_minute_with_a_danish_429(
    database,
    shipped,  # noqa: F811
    sessionmaker,
    stopped_clock,
    caplog,
):
    kolding = shipped["kolding"]
    app = _app(database, shipped, rate_limit_user=3)
    anna, bo = f"user-anna-{uuid.uuid4().hex}", f"user-bo-{uuid.uuid4().hex}"
    url = f"/api/v1/t/{kolding.slug}/people"
    # building the app configured logging, which removed the handler caplog adds for the test
    logging.getLogger().addHandler(caplog.handler)
    async with AsyncTestClient(app=app) as client:
        answers = [
            await client.get(url, headers={"Authorization": f"Bearer {anna}"}) for _ in range(5)
        ]
        other = await client.get(url, headers={"Authorization": f"Bearer {bo}"})
        with app_clock.frozen(AT + dt.timedelta(seconds=30)):  # the next minute
            again = await client.get(url, headers={"Authorization": f"Bearer {anna}"})
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].headers["retry-after"] == "30"
    assert answers[3].json() == {"status_code": 429, "detail": DANISH_30}
    assert (other.status_code, again.status_code) == (200, 200)
    # one log line for the key and window, without the user
    lines = [r.getMessage() for r in caplog.records if r.name == "makker.ratelimit"]
    digest = hashed("user", anna, DEV_SECRET_KEY)[:12]
    assert lines == [f"rate limit reached: user key={digest} limit=3/60s; refusing for 30 s"]
    # the refusals wrote no audit row: three of Anna's, one of Bo's, Anna's in the new minute
    assert [a for a, _ in await _audit(sessionmaker, kolding.slug)] == ["person.search"] * 5


async def test_bogus_tokens_are_refused_per_address_and_audited_only_until_the_limit(
    database,
    shipped,  # noqa: F811
    sessionmaker,
    stopped_clock,
):
    kolding = shipped["kolding"]
    app = _app(database, shipped, rate_limit_address=4)
    peer = _peer("100.64")
    url = f"/api/v1/t/{kolding.slug}/people"
    headers = {"Authorization": "Bearer bad-token", "x-test-peer": peer}
    async with AsyncTestClient(app=app) as client:
        statuses = [(await client.get(url, headers=headers)).status_code for _ in range(7)]
        no_token = await client.get(url, headers={"x-test-peer": peer})
    assert statuses == [401] * 4 + [429] * 3
    assert (no_token.status_code, no_token.headers["retry-after"]) == (429, "30")
    assert no_token.json() == {"status_code": 429, "detail": DANISH_30}
    refusal = ("access_denied", {"reason": "malformed", "status": 401})
    assert await _audit(sessionmaker, kolding.slug) == [refusal] * 4


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(
    database,
    shipped,  # noqa: F811
    stopped_clock,
):
    proxy = "10.9.8.7"
    app = _app(
        database,
        shipped,
        rate_limit_address=2,
        trusted_proxies=(ipaddress.ip_network(f"{proxy}/32"),),
    )
    n = uuid.uuid4().int % 250 + 1
    stranger = f"192.0.2.{n}"
    async with AsyncTestClient(app=app) as client:
        # An untrusted peer that names a new address in X-Forwarded-For on every request.
        spoofed = [
            (
                await client.get(
                    "/", headers={"x-test-peer": stranger, "X-Forwarded-For": f"203.0.113.{i}"}
                )
            ).status_code
            for i in range(4)
        ]
        # Through the trusted proxy each forwarded client is counted apart.
        proxied = [
            (
                await client.get(
                    "/", headers={"x-test-peer": proxy, "X-Forwarded-For": f"198.18.{n}.{i % 2}"}
                )
            ).status_code
            for i in range(6)
        ]
        page = await client.get("/", headers={"x-test-peer": stranger})
    assert spoofed == [200, 200, 429, 429]
    assert proxied == [200, 200, 200, 200, 429, 429]
    assert (page.status_code, page.headers["retry-after"]) == (429, "30")
    assert "Vent 30 sekunder, og prøv igen." in page.text
    assert page.headers["content-type"].startswith("text/html")


async def test_sign_in_is_limited_per_address_more_strictly(
    database,
    shipped,  # noqa: F811
    stopped_clock,
):
    app = _app(database, shipped, rate_limit_sign_in=2)
    peer = _peer("100.65")
    async with AsyncTestClient(app=app) as client:
        logins = [
            (
                await client.get(
                    "/auth/login", headers={"x-test-peer": peer}, follow_redirects=False
                )
            ).status_code
            for _ in range(3)
        ]
        form = await client.post(
            "/realms/makker/protocol/openid-connect/auth",
            data={"username": "x", "password": "wrong"},
            headers={"x-test-peer": peer},
        )
        callback = await client.get("/auth/callback", headers={"x-test-peer": peer})
        # other pages of the same address are not the sign-in's
        front = await client.get("/", headers={"x-test-peer": peer})
    assert logins == [303, 303, 429]
    assert (form.status_code, callback.status_code, front.status_code) == (429, 429, 200)
    assert form.headers["retry-after"] == "30"


async def test_probes_and_static_files_are_not_limited(
    database,
    shipped,  # noqa: F811
    stopped_clock,
):
    app = _app(database, shipped, rate_limit_address=1)
    peer = _peer("100.66")
    async with AsyncTestClient(app=app) as client:
        live = [
            (await client.get("/health/live", headers={"x-test-peer": peer})).status_code
            for _ in range(3)
        ]
        ready = (await client.get("/health/ready", headers={"x-test-peer": peer})).status_code
    assert (live, ready) == ([200, 200, 200], 200)


async def test_the_window_and_the_one_log_line_per_key_and_window(caplog):
    now = [1_000_040.0]  # 20 s into its minute
    limiter = Limiter(MemoryStore(), secret=SECRET, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="makker.ratelimit"):
        first = [await limiter.hit("user", "u1", 2, 60) for _ in range(4)]
        other = await limiter.hit("user", "u2", 2, 60)
        now[0] += 60
        later = await limiter.hit("user", "u1", 2, 60)
        off = await limiter.hit("user", "u1", 0, 60)
    assert [(v.allowed, v.count, v.retry_after) for v in first] == [
        (True, 1, 40),
        (True, 2, 40),
        (False, 3, 40),
        (False, 4, 40),
    ]
    assert (other.allowed, later.allowed, later.count, off.allowed) == (True, True, 1, True)
    assert [r.getMessage() for r in caplog.records] == [
        f"rate limit reached: user key={hashed('user', 'u1', SECRET)[:12]} limit=2/60s; "
        "refusing for 40 s"
    ]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_postgresql_counter_is_atomic_and_shared_and_prunes_old_windows(database, engine):
    """Two limiters (two workers) counting the same key at once: every count is given once."""
    settings = settings_for(database)
    one = Limiter(
        PostgresStore(_limiter_engine(settings)), secret=SECRET, clock=lambda: 2_000_010.0
    )
    two = Limiter(
        PostgresStore(_limiter_engine(settings)), secret=SECRET, clock=lambda: 2_000_010.0
    )
    key = uuid.uuid4().hex
    try:
        verdicts = await asyncio.gather(
            *(limiter.hit("user", key, 30, 60) for limiter in [one, two] * 20)
        )
        async with engine.connect() as conn:
            await conn.execute(
                text(
                    "INSERT INTO rate_limit_counter (key, window_start, window_end, n) "
                    "VALUES ('old', 0, 60, 5)"
                )
            )
            await conn.commit()
        pruning = Limiter(
            PostgresStore(_limiter_engine(settings)), secret=SECRET, clock=lambda: 2_000_100.0
        )
        await pruning.hit("user", key, 30, 60)
        await pruning.close()
        async with engine.connect() as conn:
            old = await conn.scalar(
                select(func.count())
                .select_from(text("rate_limit_counter"))
                .where(text("key = 'old'"))
            )
            persistence = await conn.scalar(
                text(
                    "SELECT relpersistence::text FROM pg_class WHERE relname = 'rate_limit_counter'"
                )
            )
    finally:
        await one.close()
        await two.close()
    assert sorted(v.count for v in verdicts) == list(range(1, 41))
    assert [v.allowed for v in sorted(verdicts, key=lambda v: v.count)] == [True] * 30 + [
        False
    ] * 10
    assert (old, persistence) == (0, "u")  # pruned; UNLOGGED


def _limiter_engine(settings: Settings):
    from core.db.session import create_engine

    return create_engine(settings.database_url, pool_size=2, max_overflow=2, pool_timeout=1.0)


async def test_an_unreachable_counter_store_lets_requests_through(caplog):
    from core.db.session import create_engine

    engine = create_engine("postgresql+asyncpg://makker:x@127.0.0.1:9/makker", pool_timeout=1.0)
    limiter = Limiter(PostgresStore(engine), secret=SECRET, clock=lambda: 60.0)
    with caplog.at_level(logging.WARNING, logger="makker.ratelimit"):
        verdicts = [await limiter.hit("user", "u", 1, 60) for _ in range(3)]
    await limiter.close()
    assert [v.allowed for v in verdicts] == [True, True, True]
    assert [r.getMessage() for r in caplog.records] == [
        "rate limit store unavailable (ConnectionRefusedError): not limiting"
    ]


def test_the_limits_are_settings_with_production_defaults(tmp_path):
    base = {"MAKKER_ENV": "development", "MAKKER_TENANTS_DIR": str(tmp_path)}
    defaults = load_settings(base)
    assert (
        defaults.rate_limit_user,
        defaults.rate_limit_address,
        defaults.rate_limit_sign_in,
        defaults.rate_limit_applications,
        defaults.graceful_shutdown_seconds,
        defaults.metrics_token,
    ) == (300, 300, 20, 10, 20, None)
    changed = load_settings(
        {**base, "MAKKER_RATE_LIMIT_USER": "600", "MAKKER_RATE_LIMIT_SIGN_IN": "0"}
    )
    assert (changed.rate_limit_user, changed.rate_limit_sign_in) == (600, 0)
    with pytest.raises(SettingsError) as refused:
        load_settings({**base, "MAKKER_RATE_LIMIT_ADDRESS": "mange"})
    assert str(refused.value) == (
        "MAKKER_RATE_LIMIT_ADDRESS must be a whole number from 0 to 1000000"
    )


def test_the_counter_key_is_an_hmac_with_the_secret_not_a_hash_of_the_address():
    """A plain SHA-256 of ``bucket|address`` is reversed by hashing every IPv4 address; the
    stored and logged key is an HMAC with the app's secret key instead."""
    import hashlib
    import hmac

    address = "192.0.2.17"
    key = hashed("sign_in", address, SECRET)
    assert (
        key
        == hmac.new(
            SECRET.encode(), f"rate-limit|sign_in|{address}".encode(), hashlib.sha256
        ).hexdigest()
    )
    for guessable in (f"sign_in|{address}", f"rate-limit|sign_in|{address}"):
        assert key != hashlib.sha256(guessable.encode()).hexdigest()
    assert hashed("sign_in", address, "j" * 40) != key  # another secret, another key
    assert hashed("sign_in", "192.0.2.18", SECRET) != key
    assert hashed("address", address, SECRET) != key


async def test_the_limiter_keys_its_counters_with_the_settings_secret(database):
    """What reaches the counter store (the PostgreSQL table's key, or memory) is the HMAC with
    ``MAKKER_SECRET_KEY``; two secrets count one address under different keys."""
    import hashlib

    from core.web.ratelimit import create_limiter

    seen: list[str] = []

    class Recording(MemoryStore):
        async def increment(self, key: str, start: int, end: int) -> int:
            seen.append(key)
            return await super().increment(key, start, end)

    for secret in (SECRET, "j" * 40):
        limiter = create_limiter(settings_for(database, secret_key=secret))
        await limiter.close()
        limiter.store = Recording()
        await limiter.hit("address", "192.0.2.17", 10, 60)
    assert seen == [hashed("address", "192.0.2.17", s) for s in (SECRET, "j" * 40)]
    assert hashlib.sha256(b"address|192.0.2.17").hexdigest() not in seen
