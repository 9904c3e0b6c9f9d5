"""Issue 14 in a real browser, in Danish, on a 390 px phone: the coordinator's front page shows
the overview's headline figures, and the report page its charts beside their tables, the
savings estimate with its assumptions, and a period filter that refuses a bad date."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.async_api import expect

from tests.e2e.test_forloeb_browser import PHONE, _no_horizontal_scroll, _sign_in
from tests.report_world import END, START, TODAY, build
from tests.test_reports import _assumptions


@pytest.fixture
def clock(clock):
    clock.set(TODAY)
    return clock


async def test_the_coordinator_sees_the_overview_on_a_phone(
    browser, live, tenants, sessionmaker, clock, tmp_path
):
    tenant = tenants.a
    slug = tenant.slug
    ids = await build(sessionmaker, tenant)
    await _assumptions(sessionmaker, tenant, ids["btb"])
    coordinator = f"report-fk-{slug}"
    live.add_user(coordinator, ("coordinator",), (slug,))
    shots = os.environ.get("MAKKER_SCREENSHOTS")

    async def shot(page, name: str) -> None:
        path = tmp_path / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        if shots:
            shutil.copy(path, os.path.join(shots, path.name))

    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    page = await phone.new_page()
    base = f"{live.url}/t/{slug}"
    await _sign_in(page, f"{base}/", coordinator)
    # The year up to 15 July 2026: F6 has started (8 people: C2, C4, C5, C6 and M1-M4).
    front = page.locator("section#oversigt")
    await expect(front.locator("h2")).to_have_text("Oversigt")
    await expect(front.locator("#front-people")).to_have_text("8")
    await expect(front.locator("#front-citizens")).to_have_text("4")
    await expect(front.locator("#front-mentors")).to_have_text("4")
    await expect(front.locator("svg[role=img] title")).to_have_text("Graf: Forløb i perioden")
    await expect(front.locator("table.report-chart-table tbody tr")).to_have_count(4)
    await _no_horizontal_scroll(page)
    await shot(page, "reports-front-phone")

    await front.get_by_role("link", name="Se hele rapporten").click()
    await page.wait_for_url(f"{base}/rapporter/")
    await page.fill("#f-fra", START.isoformat())
    await page.fill("#f-til", END.isoformat())
    await page.get_by_role("button", name="Vis").click()
    await expect(page.locator("#people-in-forloeb")).to_have_text("6")
    await expect(page.locator("#savings-btb-net")).to_have_text("17.285 kr.")
    estimate = page.locator("#savings-btb")
    await expect(estimate.locator(".badge", has_text="Skøn")).to_have_count(1)
    await expect(estimate.locator("dl.report-assumptions dd").first).to_have_text("3,0")
    row = page.locator('#table-overview tr[data-key="forloeb_ended_early"]')
    await expect(row.locator("td")).to_have_text(["1", "0", "1"])
    await _no_horizontal_scroll(page)
    await shot(page, "reports-page-phone")

    # A date typed the Danish way (a browser without a date picker sends it as typed).
    await page.goto(f"{base}/rapporter/?til=30-06-2026")
    await expect(page.locator(".alert-error")).to_contain_text("Skriv en dato (ÅÅÅÅ-MM-DD).")
    await expect(page.locator("#f-til")).to_have_attribute("aria-invalid", "true")
    await phone.close()
