"""Rate limits: fixed-window counters per signed-in user and per client address.

What is limited (``MAKKER_RATE_LIMIT_*``, docs/operations.md "Rate limits"; ``0`` switches a
limit off):

* ``user``: every request of a signed-in user (API token or page session), keyed by the user's
  subject - :data:`Settings.rate_limit_user` a minute (300).
* ``address``: every request without a signed-in user (anonymous pages, the public pages, a
  missing or bogus token), keyed by the client address the edge found (``core/web/edge.py``:
  ``X-Forwarded-For`` is believed only from ``MAKKER_TRUSTED_PROXIES``) - a minute.
* ``sign_in``: the sign-in routes (:data:`SIGN_IN_ROUTES`: ``/auth/login``, ``/auth/callback``
  and the development issuer's password form), keyed by client address - a minute, stricter.
* ``applications``: accepted applications on a tenant's public form, keyed by client address
  and tenant - an hour (``core/applications/pages.py`` counts them through :func:`hit`).

Health probes, static files and the metrics endpoint are not limited.

A refused request is answered 429 with ``Retry-After`` (the seconds left of the window) and a
Danish message in the one error contract (:class:`RateLimited`, :mod:`core.errors`). It writes no
audit row; the first refusal of a key in a window writes one log line (the bucket and the first
12 hex digits of the key's hash - never an address or a user). The hash is an HMAC-SHA-256 with
``MAKKER_SECRET_KEY`` (:func:`hashed`), so neither the stored counter key nor the logged one can
be turned back into an address by hashing every IPv4 address.

Where the counters live: on PostgreSQL in the UNLOGGED table ``rate_limit_counter``, shared by
every worker and every machine; each request is one atomic ``INSERT ... ON CONFLICT DO UPDATE SET
n = n + 1 RETURNING n`` on a small pool of its own (so a request never holds two connections of
the app's pool), expired windows deleted once a minute. On SQLite (one process) in memory.
The counter store failing (the database is down) lets the request through: the request itself
then gets the database's answer (503).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import asyncpg
from sqlalchemy import BigInteger, Column, Integer, String, Table, text
from sqlalchemy.exc import SQLAlchemyError

from core.db.base import Base

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from core.settings import Settings

logger = logging.getLogger("makker.ratelimit")

#: Counters of the current windows (PostgreSQL; unlogged: lost in a crash, which only resets
#: the limits). ``key`` is a SHA-256 of bucket and key (no address or user in the database).
rate_limit_counter = Table(
    "rate_limit_counter",
    Base.metadata,
    Column("key", String(64), primary_key=True),
    Column("window_start", BigInteger, primary_key=True, autoincrement=False),
    Column("window_end", BigInteger, nullable=False, index=True),
    Column("n", Integer, nullable=False),
)

#: Handler names of the sign-in routes (the ``sign_in`` bucket).
SIGN_IN_ROUTES = frozenset({"auth_login", "auth_callback", "dev_auth_submit"})
#: Paths never limited: probes, static files, metrics.
EXEMPT_PREFIXES = ("/health/", "/static/", "/metrics")
MINUTE = 60
HOUR = 3600
#: How often a process deletes expired windows (seconds).
PRUNE_EVERY = 60.0


class RateLimited(Exception):
    """A limit is reached: answered 429 with ``Retry-After: seconds`` (:mod:`core.errors`)."""

    status_code = 429

    def __init__(self, seconds: int, bucket: str) -> None:
        super().__init__(bucket)
        self.seconds = seconds
        self.bucket = bucket


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: Requests counted in this window so far (this one included).
    count: int
    #: Seconds until the window ends (the answer's ``Retry-After``).
    retry_after: int


def hashed(bucket: str, key: str, secret: str) -> str:
    """The counter's key: an HMAC of the bucket and the key (an address, a user's subject) with
    the app's secret - a plain hash of an address is undone by trying the 2^32 IPv4 ones."""
    message = f"rate-limit|{bucket}|{key}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _window(now: float, seconds: int) -> tuple[int, int]:
    start = int(now // seconds) * seconds
    return start, start + seconds


class Store(Protocol):
    async def increment(self, key: str, start: int, end: int) -> int: ...

    async def close(self) -> None: ...


class MemoryStore:
    """Counters in this process's memory (SQLite: one process)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], tuple[int, int]] = {}
        self._pruned = 0.0

    async def increment(self, key: str, start: int, end: int) -> int:
        if time.monotonic() - self._pruned > PRUNE_EVERY:
            self._pruned = time.monotonic()
            self._counts = {k: v for k, v in self._counts.items() if v[1] > start}
        n = self._counts.get((key, start), (0, end))[0] + 1
        self._counts[(key, start)] = (n, end)
        return n

    async def close(self) -> None:
        self._counts.clear()


_INCREMENT = text(
    "INSERT INTO rate_limit_counter (key, window_start, window_end, n) "
    "VALUES (:key, :start, :end, 1) "
    "ON CONFLICT (key, window_start) DO UPDATE SET n = rate_limit_counter.n + 1 "
    "RETURNING n"
)
_PRUNE = text("DELETE FROM rate_limit_counter WHERE window_end <= :now")


class PostgresStore:
    """Counters in ``rate_limit_counter``, shared by every worker: one atomic upsert each."""

    def __init__(self, engine: AsyncEngine) -> None:
        # autocommit: the upsert is its own transaction, one round trip (no BEGIN, no COMMIT)
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._disposable = engine
        self._pruned = 0.0

    async def increment(self, key: str, start: int, end: int) -> int:
        prune = time.monotonic() - self._pruned > PRUNE_EVERY
        if prune:
            self._pruned = time.monotonic()
        async with self.engine.connect() as connection:
            values = {"key": key, "start": start, "end": end}
            n = (await connection.execute(_INCREMENT, values)).scalar_one()
            if prune:
                await connection.execute(_PRUNE, {"now": start})
        return int(n)

    async def close(self) -> None:
        await self._disposable.dispose()


class Limiter:
    """Counts requests per bucket and key in fixed windows of the app's clock."""

    def __init__(
        self, store: Store, *, secret: str, clock: Callable[[], float] | None = None
    ) -> None:
        self.store = store
        self._secret = secret
        self._clock = clock
        self._store_failed = False

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock()
        from core.clock import now

        return now().timestamp()

    async def hit(self, bucket: str, key: str, limit: int, window: int) -> Verdict:
        """Count one request of ``key`` in ``bucket``; refused past ``limit`` in ``window``
        seconds. A ``limit`` of 0 is no limit (nothing is counted)."""
        if limit <= 0:
            return Verdict(True, 0, 0)
        now = self._now()
        start, end = _window(now, window)
        digest = hashed(bucket, key, self._secret)
        try:
            n = await asyncio.wait_for(self.store.increment(digest, start, end), timeout=2.0)
        except (
            SQLAlchemyError,
            OSError,
            TimeoutError,
            asyncpg.exceptions.PostgresError,
            asyncpg.exceptions.InterfaceError,
        ) as error:
            # The counters' database does not answer: let the request through (it gets the
            # database's own answer); one line until the store answers again.
            if not self._store_failed:
                name = type(error).__name__
                logger.warning("rate limit store unavailable (%s): not limiting", name)
            self._store_failed = True
            return Verdict(True, 0, 0)
        self._store_failed = False
        retry = max(1, math.ceil(end - now))
        if n > limit:
            if n == limit + 1:
                # Once per key and window: the bucket and a hash, never the address or user.
                logger.warning(
                    "rate limit reached: %s key=%s limit=%d/%ds; refusing for %d s",
                    bucket,
                    digest[:12],
                    limit,
                    window,
                    retry,
                )
            return Verdict(False, n, retry)
        return Verdict(True, n, retry)

    async def check(self, bucket: str, key: str, limit: int, window: int) -> None:
        """:meth:`hit`, raising :class:`RateLimited` when refused."""
        verdict = await self.hit(bucket, key, limit, window)
        if not verdict.allowed:
            raise RateLimited(verdict.retry_after, bucket)

    async def close(self) -> None:
        await self.store.close()


def create_limiter(settings: Settings) -> Limiter:
    """PostgreSQL: counters in the database, on a pool of their own (two connections per
    worker, a short wait); SQLite: in memory."""
    if settings.database_url.startswith("postgresql"):
        from core.db.session import create_engine

        engine = create_engine(
            settings.database_url, pool_size=2, max_overflow=2, pool_timeout=1.0, pool_recycle=1800
        )
        return Limiter(PostgresStore(engine), secret=settings.secret_key)
    return Limiter(MemoryStore(), secret=settings.secret_key)


def client_key(scope: Any) -> str:
    """The client address the edge found, or ``unknown`` (a test client's scope)."""
    return str((scope.get("state") or {}).get("client_address") or "unknown")


def exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES)
