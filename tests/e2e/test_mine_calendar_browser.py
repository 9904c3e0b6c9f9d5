"""The personal calendar link on "Mit forløb" in a real browser, in Danish, on a phone (issue 12):
a mentor makes the link, copies it with "Kopiér link" (the clipboard holds it, "Kopieret" is
announced in a live region), the feed answers; she revokes it after the confirmation step and
the old link answers 404. Without JavaScript there is no copy button, and the field can still
be selected."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.test_mine import _link, _world

PHONE = {"width": 390, "height": 844}


async def _sign_in(page, url: str, username: str) -> None:
    """Open ``url`` signed out, pick ``username`` on the issuer's Danish login page."""
    await page.goto(url)
    await page.click(f'button[data-user="{username}"]')
    await page.wait_for_url(url)


async def _status(url: str) -> int:
    async with httpx.AsyncClient() as anonymous:
        return (await anonymous.get(url)).status_code


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_mentor_copies_her_calendar_link_and_revokes_it_on_a_phone(
    browser, live, tenants, sessionmaker, tmp_path
):
    ids = await _world(sessionmaker, tenants.a)
    mentor = f"kal-browser-{tenants.a.slug}"
    await _link(live, sessionmaker, tenants.a, ids, "mentor", mentor, ("mentor",))
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    await phone.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page = await phone.new_page()
    mine = f"{live.url}/t/{tenants.a.slug}/mit/"
    await _sign_in(page, mine, mentor)
    section = page.locator("section#kalender")
    await expect(section.get_by_role("heading", name="Din kalender")).to_be_visible()
    await expect(section).to_contain_text("så behold det for dig selv.")
    await expect(section.get_by_role("button", name="Kopiér link")).to_have_count(0)

    await section.get_by_role("button", name="Lav et kalenderlink").click()
    field = page.get_by_label("Kalenderlink", exact=True)
    await expect(field).to_be_visible()
    await expect(field).to_have_attribute("readonly", "")
    url = await field.input_value()
    assert url.startswith(f"{live.url}/kalender/") and url.endswith(".ics")
    await expect(
        page.get_by_role("status").filter(has_text="Dit kalenderlink er klar")
    ).to_have_count(1)
    subscribe = page.get_by_role("link", name="Abonnér i din kalender")
    await expect(subscribe).to_have_attribute("href", "webcal://" + url.split("://", 1)[1])
    assert await _status(url) == 200

    copy = page.get_by_role("button", name="Kopiér link")
    await copy.click()
    await expect(page.locator("#calendar-copy-status")).to_have_text("Kopieret")
    await expect(page.locator("#calendar-copy-status")).to_have_attribute("aria-live", "polite")
    assert await page.evaluate("navigator.clipboard.readText()") == url
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=str(tmp_path / "calendar-link-phone.png"), full_page=True)

    # Revoking: the confirmation step, then the old link answers 404.
    await page.get_by_role("link", name="Tilbagekald link").click()
    await expect(
        page.get_by_role("heading", name="Vil du tilbagekalde kalenderlinket?")
    ).to_be_visible()
    await expect(page.get_by_role("button", name="Lav et nyt link")).to_have_count(0)
    await page.get_by_role("button", name="Ja, tilbagekald linket").click()
    await expect(page.locator("#calendar-revoked")).to_contain_text(
        "Kalenderlinket er tilbagekaldt"
    )
    assert page.url == f"{mine}?kalender=tilbagekaldt#kalender"
    assert await _status(url) == 404
    await expect(page.get_by_role("link", name="Tilbagekald link")).to_have_count(0)

    # A new link can be made, and it works.
    await page.get_by_role("button", name="Lav et kalenderlink").click()
    fresh = await page.get_by_label("Kalenderlink", exact=True).input_value()
    assert fresh != url
    assert (await _status(fresh), await _status(url)) == (200, 404)
    await phone.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_without_javascript_the_link_field_is_there_to_select(
    browser, live, tenants, sessionmaker
):
    ids = await _world(sessionmaker, tenants.a)
    mentee = f"kal-nojs-{tenants.a.slug}"
    await _link(live, sessionmaker, tenants.a, ids, "mentee", mentee, ("mentee",))
    desk = await browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="da-DK", java_script_enabled=False
    )
    page = await desk.new_page()
    mine = f"{live.url}/t/{tenants.a.slug}/mit/"
    await _sign_in(page, mine, mentee)
    await page.get_by_role("button", name="Lav et kalenderlink").click()
    field = page.get_by_label("Kalenderlink", exact=True)
    await expect(field).to_be_visible()
    await expect(field).to_be_editable(editable=False)
    await expect(field).to_have_accessible_description(
        "Markér og kopiér linket, og tilføj det i din kalender som en kalender fra en "
        "webadresse (URL)."
    )
    await expect(page.locator("#calendar-copy")).to_be_hidden()
    url = await field.input_value()
    assert await _status(url) == 200
    # The field takes focus and its text can be selected and copied by hand.
    await field.focus()
    await page.keyboard.press("Control+A")
    await expect(field).to_be_focused()
    await desk.close()
