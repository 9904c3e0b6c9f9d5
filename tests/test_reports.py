"""Reports (issue 14), on SQLite and PostgreSQL: the coordinator's overview and the savings
estimate, exact against the hand-built tenant of :mod:`tests.report_world` (pauses, early ends,
afbud, holds, a citizen who became a mentor); the same figures in the API, the page, the CSV
and the XLSX; the period and programme filters with Danish field errors; the savings
assumptions from the tenant file, edited by a tenant admin with history."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import msgspec
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from core.db.tenant_scope import tenant_scope
from core.plugin_api import create_plugin_manager
from core.reports.exports import overview_rows
from core.reports.models import SavingsAssumptionVersion
from core.reports.overview import overview
from core.reports.period import Period
from core.reports.savings import estimates, record_file_version
from core.reports.schemas import estimate_out, figures_out
from core.tenancy.config import TenantFileError, parse_tenant_text
from core.tenancy.models import Programme
from tests.live import browser_sign_in, csrf_token
from tests.report_world import ASSUMPTIONS, BTB, END, ESTIMATE, START, TODAY, TOTAL, VP, build
from tests.test_demo import demo_db  # noqa: F401 - the seeded demo (a module fixture)

PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


@pytest.fixture
def today(clock):
    clock.set(TODAY)
    return clock


async def _assumptions(sessionmaker, tenant, programme_id) -> None:
    from core.reports.assumptions import SavingsAssumptions

    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            await record_file_version(session, programme_id, SavingsAssumptions(**ASSUMPTIONS))


def _api(live, tenant, username, roles=("coordinator",)) -> httpx.AsyncClient:
    live.add_user(username, roles, (tenant.slug,))
    return httpx.AsyncClient(base_url=f"{live.url}/api/v1/t/{tenant.slug}")


async def _token(live, api: httpx.AsyncClient, username: str) -> httpx.AsyncClient:
    api.headers["Authorization"] = f"Bearer {await live.access_token(username)}"
    return api


@asynccontextmanager
async def _browser(
    live, tenant, username, roles=("coordinator",)
) -> AsyncIterator[httpx.AsyncClient]:
    live.add_user(username, roles, (tenant.slug,))
    async with httpx.AsyncClient(base_url=live.url) as client:
        await browser_sign_in(client, live, username)
        yield client


async def test_the_overview_counts_exactly_what_the_hand_built_tenant_holds(
    sessionmaker, tenants, today
):
    ids = await build(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            found = await overview(
                session,
                tenants.a,
                None,
                Period(START, END),
                plugins=create_plugin_manager(),
                today=TODAY,
            )
            only_btb = await overview(
                session,
                tenants.a,
                ids["btb"],
                Period(START, END),
                plugins=create_plugin_manager(),
                today=TODAY,
            )
    figures = {p.slug: msgspec.to_builtins(figures_out(p.figures)) for p in found.programmes}
    assert figures == {"btb": BTB, "vp": VP}
    assert msgspec.to_builtins(figures_out(found.total)) == TOTAL
    assert [p.slug for p in only_btb.programmes] == ["btb"]
    assert msgspec.to_builtins(figures_out(only_btb.total)) == BTB
    # Another tenant sees none of it.
    with tenant_scope(tenants.b.id):
        async with sessionmaker() as session:
            other = await overview(
                session,
                tenants.b,
                None,
                Period(START, END),
                plugins=create_plugin_manager(),
                today=TODAY,
            )
    assert (other.programmes, other.total.people_in_forloeb, other.total.meetings_held) == (
        [],
        0,
        0,
    )


async def test_the_period_moves_every_figure_that_depends_on_it(sessionmaker, tenants, today):
    """A period ending 31 March: F1 ends that day (its citizen is no longer in forløb), F5 and
    F9 have not started, hold 2 is still running and C1 has not yet enrolled as a mentor."""
    await build(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            found = await overview(
                session,
                tenants.a,
                None,
                Period(START, START.replace(month=3, day=31)),
                plugins=create_plugin_manager(),
                today=TODAY,
            )
    btb = found.by_slug("btb")
    assert (btb.people_in_forloeb, btb.citizens_in_forloeb, btb.mentors_in_forloeb) == (5, 3, 2)
    assert (btb.forloeb_running, btb.forloeb_paused_at_end) == (3, 0)  # F2, F3, F4
    assert (btb.forloeb_started, btb.forloeb_completed, btb.forloeb_ended_early) == (2, 1, 0)
    assert (btb.courses_finished, btb.courses_running, btb.running_course_numbers) == (1, 1, [2])
    assert (btb.mentors_trained, btb.citizens_became_mentors) == (1, 0)
    assert (btb.meetings_held, btb.meetings_cancelled, btb.matches) == (4, 1, 3)
    assert (btb.waiting_citizens, btb.waiting_mentors) == (1, 1)  # today's, whatever the period


async def test_the_savings_estimate_follows_the_formula_exactly(sessionmaker, tenants, today):
    ids = await build(sessionmaker, tenants.a)
    await _assumptions(sessionmaker, tenants.a, ids["btb"])
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            programmes = list(await session.scalars(select(Programme).order_by(Programme.name)))
            found = await estimates(session, programmes, Period(START, END))
    by_slug = {e.slug: msgspec.to_builtins(estimate_out(e)) for e in found}
    btb = by_slug["btb"]
    assert {k: btb[k] for k in ESTIMATE} == ESTIMATE
    assert {k: btb["assumptions"][k] for k in ASSUMPTIONS} == ASSUMPTIONS
    assert (btb["assumptions"]["version"], btb["assumptions"]["source"], btb["estimate"]) == (
        1,
        "file",
        True,
    )
    # Without assumptions there is no estimate, only the days counted.
    vp = by_slug["vp"]
    assert (vp["assumptions"], vp["net_result_dkk"], vp["forloeb_days"]) == (None, None, 122)


def _number(text: str) -> float | int | None:
    if text == "":
        return None
    value = float(text.replace(",", "."))
    return int(value) if value == int(value) and "," not in text else value


async def test_api_page_csv_and_xlsx_show_the_same_figures(live, sessionmaker, tenants, today):
    tenant = tenants.a
    ids = await build(sessionmaker, tenant)
    await _assumptions(sessionmaker, tenant, ids["btb"])
    name = f"rs-{tenant.slug}"
    async with _api(live, tenant, name) as api:
        await _token(live, api, name)
        body = (await api.get("/reports/overview", params=PERIOD)).json()
        assert body["period"] == PERIOD and body["today"] == TODAY.isoformat()
        assert body["programme"] is None
        by_slug = {p["slug"]: p["figures"] for p in body["programmes"]}
        assert (by_slug, body["total"]) == ({"btb": BTB, "vp": VP}, TOTAL)
        savings = (await api.get("/reports/savings", params=PERIOD)).json()
        btb_estimate = next(e for e in savings["estimates"] if e["programme"] == "btb")
        assert {k: btb_estimate[k] for k in ESTIMATE} == ESTIMATE
        exported = await api.get(
            "/reports/export", params={**PERIOD, "format": "csv", "table": "overview"}
        )
        assert exported.status_code == 200
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        assert exported.headers["content-disposition"] == (
            f'attachment; filename="makker-{tenant.slug}-overview-2026-01-01-2026-06-30.csv"'
        )
        lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
        assert lines[0] == ["Oversigt, alle tilbud, 01.01.2026-30.06.2026"]
        assert lines[1] == ["Tal", "Borger til Borger", "Peer-to-Peer", "I alt"]
        keys = [key for key, _label, _value in overview_rows()]
        csv_values = {
            k: [_number(v) for v in row[1:]] for k, row in zip(keys, lines[2:], strict=True)
        }
        xlsx = await api.get("/reports/export", params={**PERIOD, "format": "xlsx"})
        assert xlsx.headers["content-type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames == ["Oversigt", "Besparelse", "Spørgeskemaer"]
        rows = list(book["Oversigt"].iter_rows(values_only=True))
        xlsx_values = {k: list(row[1:]) for k, row in zip(keys, rows[2:], strict=True)}
        savings_rows = list(book["Besparelse"].iter_rows(values_only=True))
        saved = dict(
            zip(
                savings_rows[1],
                next(r for r in savings_rows[2:] if r[0] == "Borger til Borger"),
                strict=True,
            )
        )
    for key in keys:
        if key == "running_course_numbers":  # a text: "3" (none running in vp)
            assert (csv_values[key], xlsx_values[key]) == ([3, None, 3], ["3", None, "3"])
            continue
        api_values = [BTB[key], VP[key], TOTAL[key]]
        assert csv_values[key] == api_values, key
        assert xlsx_values[key] == api_values, key
    assert (saved["Budgetøkonomisk nettoresultat, skøn (kr.)"], saved["Dage i forløb"]) == (
        ESTIMATE["net_result_dkk"],
        ESTIMATE["forloeb_days"],
    )
    async with _browser(live, tenant, f"rsb-{tenant.slug}") as browser:
        page = await browser.get(
            f"/t/{tenant.slug}/rapporter/", params={"fra": PERIOD["from"], "til": PERIOD["to"]}
        )
        assert page.status_code == 200
        html = page.text
        assert '<span class="report-number" id="people-in-forloeb">6</span>' in html
        assert (
            '<tr data-key="meetings_cancelled"><th scope="row">Aflyste møder (afbud)</th>'
            '<td class="numeric">2</td><td class="numeric">0</td><td class="numeric">2</td></tr>'
        ) in html
        assert (
            '<tr data-key="cancellation_percent"><th scope="row">Andel afbud (%)</th>'
            '<td class="numeric">33,3</td><td class="numeric">0,0</td>'
            '<td class="numeric">28,6</td></tr>'
        ) in html
        assert '<span class="report-number" id="savings-btb-net">17.285 kr.</span>' in html
        assert "Skøn" in html and "Socialøkonomiske Investeringsmodel (SØM)" in html
        # Every assumption beside the figure.
        for text in (
            "<dd>3,0</dd>",
            "<dd>500 kr.</dd>",
            "<dd>80 %</dd>",
            "<dd>2,0</dd>",
            "<dd>400 kr.</dd>",
        ):
            assert text in html
        assert 'role="img" aria-labelledby="chart-forloeb-title chart-forloeb-desc"' in html
        page_export = await browser.get(
            f"/t/{tenant.slug}/rapporter/eksport",
            params={
                "format": "csv",
                "table": "savings",
                "fra": PERIOD["from"],
                "til": PERIOD["to"],
                "programme": "btb",
            },
        )
        assert page_export.status_code == 200
        saved_lines = list(
            csv.reader(io.StringIO(page_export.content.decode("utf-8-sig")), delimiter=";")
        )
        assert saved_lines[0] == ["Skøn over besparelsen, Borger til Borger, 01.01.2026-30.06.2026"]
        # A bad format from the page is the page again with the error, never the API's JSON.
        bad_export = await browser.get(
            f"/t/{tenant.slug}/rapporter/eksport", params={"format": "pdf", "table": "savings"}
        )
        assert bad_export.status_code == 400
        assert bad_export.headers["content-type"].startswith("text/html")
        assert "Vælg formatet csv eller xlsx." in bad_export.text
        assert saved_lines[2] == [
            "Borger til Borger",
            "1",
            "3",
            "500",
            "80",
            "2",
            "400",
            "443",
            "5",
            "31,6",
            "76",
            "37971",
            "20686",
            "17285",
        ]


async def test_bad_filters_are_refused_in_danish_naming_the_field(
    live, sessionmaker, tenants, today
):
    tenant = tenants.a
    await build(sessionmaker, tenant)
    name = f"rf-{tenant.slug}"
    async with _api(live, tenant, name) as api:
        await _token(live, api, name)
        bad = await api.get(
            "/reports/overview",
            params={"from": "2026-02-30", "to": "30.06.2026", "programme": "nej"},
        )
        assert bad.status_code == 400
        assert bad.json()["errors"] == {
            "programme": "Vælg et af tilbuddene.",
            "from": "Skriv en dato (ÅÅÅÅ-MM-DD).",
            "to": "Skriv en dato (ÅÅÅÅ-MM-DD).",
        }
        reversed_ = await api.get(
            "/reports/savings", params={"from": "2026-06-30", "to": "2026-01-01"}
        )
        assert (reversed_.status_code, reversed_.json()["errors"]) == (
            400,
            {"from": "Periodens start skal ligge før dens slutning."},
        )
        # Only YYYY-MM-DD (Python's fromisoformat would take these two as well).
        compact = await api.get(
            "/reports/overview", params={"from": "20260101", "to": "2026-W01-1"}
        )
        assert (compact.status_code, compact.json()["errors"]) == (
            400,
            {"from": "Skriv en dato (ÅÅÅÅ-MM-DD).", "to": "Skriv en dato (ÅÅÅÅ-MM-DD)."},
        )
        far = await api.get("/reports/overview", params={"from": "0202-01-01"})
        assert far.json()["errors"] == {"from": "Datoen skal ligge fra 01.01.2000 til 15.07.2031."}
        wrong_format = await api.get("/reports/export", params={"format": "pdf", "table": "x"})
        assert (wrong_format.status_code, wrong_format.json()["errors"]) == (
            400,
            {
                "format": "Vælg formatet csv eller xlsx.",
                "table": "Vælg tabellen overview, savings eller outcomes.",
            },
        )
    async with _browser(live, tenant, f"rfb-{tenant.slug}") as browser:
        page = await browser.get(
            f"/t/{tenant.slug}/rapporter/", params={"fra": "i går", "til": "2026-06-30"}
        )
        assert page.status_code == 400
        assert 'href="#f-fra"' in page.text and "Skriv en dato (ÅÅÅÅ-MM-DD)." in page.text
        assert 'value="i går"' in page.text


async def test_an_assumptions_edit_names_every_bad_field_and_an_unchanged_one_stores_nothing(
    live, sessionmaker, tenants, today
):
    """Every field at fault at once, in the page's Danish (a text, a missing field, one out of
    bounds - the decoder used to stop at the first with "Værdien er ikke gyldig."); the same
    values as the version in force add no version; a repeated query parameter is refused."""
    tenant = tenants.a
    ids = await build(sessionmaker, tenant)
    await _assumptions(sessionmaker, tenant, ids["btb"])
    admin = f"rv-{tenant.slug}"
    async with _api(live, tenant, admin, ("tenant_admin",)) as api:
        await _token(live, api, admin)
        bad = {**ASSUMPTIONS, "hourly_cost": "mange", "share_otherwise_supported_percent": 120}
        del bad["coordinator_hours_per_week"]
        refused = await api.put("/programmes/btb/savings-assumptions", json=bad)
        assert (refused.status_code, refused.json()["errors"]) == (
            400,
            {
                "hourly_cost": "Skriv et tal.",
                "share_otherwise_supported_percent": "Skriv et tal fra 0 til 100.",
                "coordinator_hours_per_week": "Skriv et tal.",
            },
        )
        unchanged = await api.put("/programmes/btb/savings-assumptions", json=ASSUMPTIONS)
        assert (unchanged.status_code, unchanged.json()["version"]) == (200, 1)
        assert unchanged.json()["source"] == "file"
        history = (await api.get("/programmes/btb/savings-assumptions")).json()["history"]
        assert [v["version"] for v in history] == [1]
        twice = await api.get(
            "/reports/overview", params=[("from", "2026-01-01"), ("from", "2026-02-01")]
        )
        assert twice.status_code == 400, (twice.status_code, twice.text)
        assert (twice.status_code, twice.json()["errors"]) == (
            400,
            {"from": "Angiv kun denne værdi én gang i adressen."},
        )
    url = f"/t/{tenant.slug}/rapporter/"
    async with _browser(live, tenant, f"rvb-{tenant.slug}") as browser:
        page = await browser.get(url, params=[("fra", "2026-01-01"), ("fra", "2026-02-01")])
        assert page.status_code == 400
        assert "Angiv kun denne værdi én gang i adressen." in page.text
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            count = await session.scalar(select(func.count()).select_from(SavingsAssumptionVersion))
    assert count == 1


async def test_a_tenant_admin_edits_the_assumptions_with_history(
    live, sessionmaker, tenants, today
):
    tenant = tenants.a
    ids = await build(sessionmaker, tenant)
    await _assumptions(sessionmaker, tenant, ids["btb"])
    admin, coordinator = f"ra-{tenant.slug}", f"rc-{tenant.slug}"
    edit = {**ASSUMPTIONS, "hourly_cost": 600, "note": "Ny timepris fra økonomi"}
    async with _api(live, tenant, coordinator) as api:
        await _token(live, api, coordinator)
        refused = await api.put("/programmes/btb/savings-assumptions", json=edit)
        assert refused.status_code == 403
    async with _api(live, tenant, admin, ("tenant_admin",)) as api:
        await _token(live, api, admin)
        out_of_bounds = await api.put(
            "/programmes/btb/savings-assumptions",
            json={
                **edit,
                "share_otherwise_supported_percent": 120,
                "support_hours_per_fortnight": -1,
            },
        )
        assert (out_of_bounds.status_code, out_of_bounds.json()["errors"]) == (
            400,
            {
                "support_hours_per_fortnight": "Skriv et tal fra 0 til 100.",
                "share_otherwise_supported_percent": "Skriv et tal fra 0 til 100.",
            },
        )
        saved = await api.put("/programmes/btb/savings-assumptions", json=edit)
        assert saved.status_code == 200
        assert (saved.json()["version"], saved.json()["source"], saved.json()["changed_by"]) == (
            2,
            "edit",
            f"Test {admin}",
        )
        history = (await api.get("/programmes/btb/savings-assumptions")).json()
        assert [(v["version"], v["source"], v["hourly_cost"]) for v in history["history"]] == [
            (2, "edit", 600),
            (1, "file", 500),
        ]
        estimate = (await api.get("/reports/savings", params={**PERIOD, "programme": "btb"})).json()
        assert estimate["estimates"][0]["economic_consequences_dkk"] == 45566  # 75.943 h x 600
        assert (await api.get("/programmes/nope/savings-assumptions")).status_code == 404
    url = f"/t/{tenant.slug}/rapporter/besparelse/btb"
    async with _browser(live, tenant, f"rab-{tenant.slug}", ("tenant_admin",)) as browser:
        form = await browser.get(url)
        token = csrf_token(form.text)
        refused_page = await browser.post(
            url,
            data={
                "_csrf_token": token,
                **{k: str(v) for k, v in ASSUMPTIONS.items()},
                "hourly_cost": "mange",
            },
        )
        assert refused_page.status_code == 400
        assert "Skriv et tal." in refused_page.text and 'href="#f-hourly_cost"' in refused_page.text
        posted = await browser.post(
            url,
            data={
                "_csrf_token": token,
                "support_hours_per_fortnight": "2,5",
                "hourly_cost": "1.000",
                "share_otherwise_supported_percent": "75",
                "coordinator_hours_per_week": "4",
                "coordinator_hourly_cost": "450",
                "note": "Fra siden",
            },
        )
        assert (posted.status_code, posted.headers["location"]) == (303, f"{url}?gemt=1")
        page = await browser.get(posted.headers["location"])
        assert "Antagelserne er gemt som en ny version." in page.text
        assert page.text.count('class="assumption-version"') == 3
        assert f"konfigurationsfilen (tenants/{tenant.slug}.toml)" in page.text
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            versions = list(
                await session.execute(
                    select(
                        SavingsAssumptionVersion.version,
                        SavingsAssumptionVersion.support_hours_per_fortnight,
                        SavingsAssumptionVersion.hourly_cost,
                        SavingsAssumptionVersion.source,
                    ).order_by(SavingsAssumptionVersion.version)
                )
            )
    assert [tuple(v) for v in versions] == [
        (1, 3.0, 500, "file"),
        (2, 3.0, 600, "edit"),
        (3, 2.5, 1000, "edit"),
    ]
    async with _browser(live, tenant, f"rcb-{tenant.slug}") as browser:
        page = await browser.get(url)
        assert (
            page.status_code == 200 and "Kun en administrator kan ændre antagelserne." in page.text
        )


async def test_the_tenant_file_gives_the_first_version_and_a_new_one_when_it_changes(
    sessionmaker, tenants, today
):
    from core.reports.assumptions import SavingsAssumptions

    ids = await build(sessionmaker, tenants.a)
    first = SavingsAssumptions(**ASSUMPTIONS)
    changed = SavingsAssumptions(**{**ASSUMPTIONS, "hourly_cost": 550})
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            added = [
                await record_file_version(session, ids["btb"], first),
                await record_file_version(session, ids["btb"], first),  # unchanged: nothing
                await record_file_version(session, ids["btb"], None),  # none in the file
                await record_file_version(session, ids["btb"], changed),
            ]
            count = await session.scalar(select(func.count()).select_from(SavingsAssumptionVersion))
    assert (added, count) == ([True, False, False, True], 2)


def test_the_tenant_file_checks_the_assumptions_naming_file_and_line():
    text = (Path(__file__).parent.parent / "tenants" / "kolding.toml").read_text(encoding="utf-8")
    assert "share_otherwise_supported_percent = 90" in text
    broken = text.replace(
        "share_otherwise_supported_percent = 90", "share_otherwise_supported_percent = 190"
    )
    line = broken.splitlines().index("share_otherwise_supported_percent = 190") + 1
    with pytest.raises(TenantFileError) as error:
        parse_tenant_text(Path("tenants/kolding.toml"), broken)
    assert str(error.value) == (
        f"tenants/kolding.toml:{line}: programmes[0].savings.share_otherwise_supported_percent: "
        "Expected `int` <= 100"
    )
    unknown = text.replace("hourly_cost = 560", "hourly_cost = 560\nhourly_price = 1")
    with pytest.raises(TenantFileError) as error:
        parse_tenant_text(Path("tenants/kolding.toml"), unknown)
    assert "programmes[0].savings.hourly_price: unknown key" in str(error.value)


async def test_another_tenants_programme_is_not_found_through_the_own_url(
    live, sessionmaker, tenants, today
):
    await build(sessionmaker, tenants.a)
    name = f"rx-{tenants.b.slug}"
    async with _api(live, tenants.b, name, ("tenant_admin",)) as api:
        await _token(live, api, name)
        overview_of_a = await api.get("/reports/overview", params={"programme": "btb"})
        assert (overview_of_a.status_code, overview_of_a.json()["errors"]) == (
            400,
            {"programme": "Vælg et af tilbuddene."},
        )
        for response in (
            await api.get("/programmes/btb/savings-assumptions"),
            await api.put("/programmes/btb/savings-assumptions", json=ASSUMPTIONS),
        ):
            assert (response.status_code, response.json()) == (
                404,
                {"status_code": 404, "detail": "Findes ikke."},
            )
        own = (await api.get("/reports/overview")).json()
        assert (own["programmes"], own["total"]["people_in_forloeb"]) == ([], 0)


def test_the_kolding_demo_shows_the_figures_kolding_reported(demo_db):  # noqa: F811
    """171 people in forløb, 102 citizens and 69 mentors; nine holds finished, hold 10 and 11
    running; one citizen became a mentor; the demo's assumptions give about 2 million kr. for
    the year (what Kolding expected to save)."""
    from core.clock import today as app_today
    from core.context import context_for
    from core.outcomes.results import programme_result
    from core.reports.exports import outcomes_table
    from core.reports.overview import outcome_changes
    from core.reports.period import default_period
    from tests.test_demo import _in_tenant

    async def work(session, tenant):
        period = default_period(app_today())
        pm = create_plugin_manager()
        found = await overview(session, tenant, None, period, plugins=pm, today=app_today())
        ctx = context_for(session, tenant, pm, "test")
        table = outcomes_table(await outcome_changes(ctx, found.programmes, period))
        result = await programme_result(ctx, "borger-til-borger", period.start, period.end)
        return found, await estimates(session, found.programmes, period), table, result

    found, (estimate,), table, result = _in_tenant(demo_db, "kolding", work)
    f = found.by_slug("borger-til-borger")
    assert (f.people_in_forloeb, f.citizens_in_forloeb, f.mentors_in_forloeb) == (171, 102, 69)
    assert (f.forloeb_running, f.forloeb_paused_at_end) == (102, 4)
    assert (f.courses_finished, f.running_course_numbers, f.mentors_trained) == (9, [10, 11], 69)
    assert f.citizens_became_mentors == 1
    assert estimate.assumptions is not None and estimate.assumptions.source == "file"
    assert 1_800_000 <= estimate.net_kr <= 2_200_000, estimate.net_kr
    # The questionnaire change is the Resultater page's: WHO-5 for the citizens, the total.
    who5 = next(r for r in result.results if r.instrument.id == "who5" and r.role == "mentee")
    row = table.rows[table.row_keys.index("borger-til-borger:who5:mentee:total")]
    change = who5.changes[0]
    assert row[4:9] == [
        who5.ended,
        change.n,
        round(change.mean_baseline, 1),
        round(change.mean_end, 1),
        round(change.mean_change, 1),
    ]
    assert change.n >= 20


def test_the_front_page_names_the_running_holds_as_danish_says_them():
    """ "hold 10 og 11 i gang" on the coordinator's front page (it said "hold 10, 11"), and the
    same list joining in the export's row of running holds."""
    import re
    from types import SimpleNamespace

    from core.app import create_app
    from core.reports.exports import running_numbers
    from core.reports.overview import Figures
    from core.reports.pages import charts
    from core.reports.period import Period
    from core.settings import Settings
    from core.web.filters import and_list

    env = create_app(Settings()).template_engine.engine  # type: ignore[union-attr]
    template = env.get_template("reports/_front.html")

    def front(numbers: list[int]) -> str:
        f = Figures(courses_finished=9, running_course_numbers=numbers)
        html = template.render(
            report_front={
                "overview": SimpleNamespace(period=Period(START, END)),
                "figures": f,
                "charts": charts(f),
            },
            tenant=SimpleNamespace(slug="kolding"),
        )
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
        found = re.search(r"9 mentorkursushold afsluttet[^.]*?(?= Forløb| Hele| Se |$)", text)
        assert found, text
        return found[0].strip()

    assert front([10, 11]) == "9 mentorkursushold afsluttet, hold 10 og 11 i gang"
    assert front([3]) == "9 mentorkursushold afsluttet, hold 3 i gang"
    assert front([9, 10, 11]) == "9 mentorkursushold afsluttet, hold 9, 10 og 11 i gang"
    assert front([]) == "9 mentorkursushold afsluttet"
    assert [and_list(n) for n in ([], [1], [1, 2], [1, 2, 3])] == ["", "1", "1 og 2", "1, 2 og 3"]
    assert running_numbers(Figures(running_course_numbers=[10, 11])) == "10 og 11"
