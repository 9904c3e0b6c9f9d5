# ruff: noqa: F811 - pytest fixtures imported from tests.plugin_fixtures are parameters here
"""One clock (issue 11): "today" is the date in Copenhagen, the database holds UTC, and pages
show Danish time. Between midnight Danish time and midnight UTC the two dates differ; the app
must judge on the Danish one."""

from __future__ import annotations

import datetime as dt

import httpx

from core import clock as app_clock
from core.web.filters import local_time
from tests.live import browser_sign_in
from tests.plugin_fixtures import add_person, api, shipped  # noqa: F401 - fixtures
from tests.test_forloeb import _active, _api, _world

# 00:30 on 1 December in Copenhagen (CET, UTC+1), while UTC is still on 30 November.
AFTER_DANISH_MIDNIGHT = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)


def test_today_is_the_danish_date_while_utc_is_still_the_day_before():
    with app_clock.frozen(AFTER_DANISH_MIDNIGHT):
        assert app_clock.now() == AFTER_DANISH_MIDNIGHT
        assert app_clock.now().date() == dt.date(2026, 11, 30)
        assert app_clock.today() == dt.date(2026, 12, 1)
    # Summer time (CEST, UTC+2): 22:30 UTC on 30 June is already 1 July in Denmark.
    with app_clock.frozen(dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)):
        assert app_clock.today() == dt.date(2026, 7, 1)


def test_the_clock_fixture_sets_the_process_clock_and_runs_on(clock):
    clock.set(AFTER_DANISH_MIDNIGHT)
    first = app_clock.now()
    assert AFTER_DANISH_MIDNIGHT <= first < AFTER_DANISH_MIDNIGHT + dt.timedelta(minutes=1)
    assert app_clock.now() > first  # rows written one after another keep their order
    assert clock.today() == app_clock.today() == dt.date(2026, 12, 1)
    clock.set(dt.date(2026, 11, 23))
    assert app_clock.today() == dt.date(2026, 11, 23)


def test_local_time_shows_a_stored_utc_timestamp_in_danish_time():
    assert local_time(AFTER_DANISH_MIDNIGHT) == "01.12.2026 00:30"
    assert local_time(AFTER_DANISH_MIDNIGHT, "%d-%m-%Y") == "01-12-2026"
    # SQLite may hand back a naive value: it is UTC.
    assert local_time(dt.datetime(2026, 6, 30, 22, 30)) == "01.07.2026 00:30"
    assert local_time(None) == ""


async def test_sober_since_is_judged_on_the_danish_date_after_midnight(
    api, shipped, sessionmaker, clock
):
    """At 00:30 on 1 December in Denmark, someone sober since 1 December 2025 has been sober
    for a year (on the UTC date, 30 November, it would be a day short, and a fail), and "today"
    (1 December) is an allowed answer, not a date in the future."""
    clock.set(AFTER_DANISH_MIDNIGHT)
    vejle = shipped["vejle"]
    base = f"/api/v1/t/{vejle.slug}"
    person_id = await add_person(
        sessionmaker,
        vejle,
        {
            "misbrug.sober_since": "2025-12-01",
            "mentor_course.completed_on": "2026-09-01",
            "lived_experience.areas": ["misbrug"],
            "lived_experience.ready_to_hold_others": True,
        },
    )
    response = await api.get(
        f"{base}/people/{person_id}/eligibility?programme=misbrug-mentor&role=mentor"
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "pass"
    assert response.json()["verdicts"][0]["rule"] == "misbrug"
    assert "mindst 1 år" in response.json()["verdicts"][0]["explanation"]

    intake = f"{base}/people/{person_id}/intake?programme=misbrug-mentor"
    today = await api.put(intake, json={"values": {"misbrug.sober_since": "2026-12-01"}})
    assert today.status_code == 200, today.text
    tomorrow = await api.put(intake, json={"values": {"misbrug.sober_since": "2026-12-02"}})
    assert tomorrow.status_code == 400


async def test_the_forloeb_history_shows_danish_time(live, sessionmaker, tenants, clock):
    clock.set(AFTER_DANISH_MIDNIGHT)
    ids = await _world(sessionmaker, tenants.a)
    slug = tenants.a.slug
    async with await _api(live, tenants.a, f"fk-clock-{slug}") as api:
        fid = await _active(api, ids)
    live.add_user(f"fp-clock-{slug}", ("coordinator",), (slug,))
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, f"fp-clock-{slug}")
        page = await browser.get(f"/t/{slug}/forloeb/{fid}")
    assert page.status_code == 200
    assert "<li>01.12.2026 00:3" in page.text  # stored 30 November 23:3x UTC
    assert "30.11.2026 23:" not in page.text
