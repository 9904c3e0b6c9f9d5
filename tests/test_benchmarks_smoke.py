"""The benchmark's floor app answers exactly Makker's rows (no timing here).

``tests/benchmarks/bench_api.py`` compares Makker's people list with a floor app that runs the same
queries without auth, tenant scoping or audit. The comparison is only fair if both answer the
same people in the same order for a tenant, and never another tenant's: checked here on SQLite
with the benchmark's own loader (two tenants).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from core.app import create_app
from core.settings import Settings
from tests.benchmarks.floor_app import create_floor_app
from tests.benchmarks.harness import load_sqlite, tenant_slugs
from tests.databases import create_sqlite_database


class _Coordinator:
    """Token validator stand-in: every token is a coordinator of ``slug``."""

    def __init__(self, issuer: str, slug: str) -> None:
        self.claims = {
            "iss": issuer,
            "sub": "bench-coordinator",
            "preferred_username": "bench-coordinator",
            "name": "Benchmark",
            "realm_access": {"roles": ["coordinator"]},
            "organization": [slug],
        }

    async def validate(self, token: str) -> dict[str, Any]:
        return self.claims


async def test_floor_app_answers_makkers_rows(tmp_path: Path) -> None:
    db = create_sqlite_database(tmp_path)
    db.upgrade()
    load_sqlite(db.owner_url, 2, 45)
    other, slug = tenant_slugs(2)
    settings = Settings(database_url=db.app_url, migration_database_url=db.owner_url)
    app = create_app(settings)
    app.state.token_validator = _Coordinator(settings.oidc_issuer, slug)
    headers = {"Authorization": "Bearer test"}

    pages = []
    async with AsyncTestClient(app=app) as client:
        for page in (1, 2, 3):
            response = await client.get(
                f"/api/v1/t/{slug}/people", params={"limit": 50, "page": page}, headers=headers
            )
            assert response.status_code == 200, response.text
            pages.append(response.json())
    size = len(pages[0]["items"])
    assert pages[0]["total"] == 45 and 0 < size <= 50

    async with AsyncTestClient(app=create_floor_app(db.app_url)) as floor:
        for number, page in enumerate(pages):
            response = await floor.get(
                f"/api/v1/t/{slug}/people", params={"limit": size, "offset": number * size}
            )
            assert response.status_code == 200, response.text
            assert response.json()["items"] == page["items"]
            assert response.json()["total"] == page["total"]
        other_ids = {
            p["id"]
            for p in (await floor.get(f"/api/v1/t/{other}/people", params={"limit": 100})).json()[
                "items"
            ]
        }
    mine = {p["id"] for page in pages for p in page["items"]}
    assert len(mine) == 45 and len(other_ids) == 45 and not mine & other_ids
    assert all(p["enrolments"] for page in pages for p in page["items"])


async def test_the_reports_benchmark_runs_and_counts_what_it_loaded(
    fresh_database, backend, request
):
    """``bench_reports`` at a tiny size, on both backends: the overview counts the meetings the
    loader wrote for the big municipality, and the partner sees every municipality."""
    import datetime as dt

    from sqlalchemy.engine import make_url

    from core.reports.period import default_period
    from tests.benchmarks import bench_reports

    fresh_database.upgrade()
    superuser = None
    if backend == "postgresql":
        provider = request.getfixturevalue("postgres")
        name = make_url(fresh_database.owner_url).database
        superuser = (
            provider.admin_url.set(database=name)
            .render_as_string(hide_password=False)
            .replace("postgresql+asyncpg", "postgresql", 1)
        )
    sizes = bench_reports.Sizes(
        forloeb=40, meetings=600, municipalities=3, small_forloeb=6, small_meetings=30, runs=1
    )
    world = bench_reports.build_world(sizes)
    if superuser:
        await bench_reports.load_postgres(superuser, world)
    else:
        await bench_reports.load_sqlite(fresh_database.owner_url, world)
    result = await bench_reports.measure(fresh_database, world, sizes.runs)
    big = next(t["id"] for t in world.rows["tenant"] if t["slug"] == "bench-001")
    period = default_period(bench_reports.TODAY)
    meetings = [
        m
        for m in world.rows["meeting"]
        if m["tenant_id"] == big and period.start <= m["day"] <= period.end
    ]
    assert isinstance(meetings[0]["day"], dt.date)
    assert (result.overview_total.meetings_held, result.overview_total.meetings_cancelled) == (
        sum(1 for m in meetings if not m["cancelled"]),
        sum(1 for m in meetings if m["cancelled"]),
    )
    assert result.partner_rows == 3
    assert (len(result.overview_seconds), len(result.partner_seconds)) == (1, 1)
