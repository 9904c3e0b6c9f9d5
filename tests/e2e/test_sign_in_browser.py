"""A person signs in through the development issuer's login page, sees the front page, signs out."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_sign_in_front_page_and_sign_out_on_a_phone(browser, live, tenants, tmp_path):
    name = f"browser-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = await context.new_page()
    await page.goto(f"{live.url}/t/{tenants.a.slug}/")
    # Not signed in: the issuer's Danish login page.
    assert await page.locator("h1").inner_text() == "Log ind"
    await page.click(f'button[data-user="{name}"]')
    await page.wait_for_url(f"{live.url}/t/{tenants.a.slug}/")
    assert await page.locator("h1").inner_text() == "Kommune A"
    assert await page.locator(".solution-heading").inner_text() == "Kommune A"
    await page.screenshot(path=str(tmp_path / "front-phone.png"), full_page=True)
    # No horizontal scrolling on a 390 px wide phone; the header takes at most a fifth of it.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    assert await page.evaluate("document.querySelector('header').offsetHeight") <= 844 / 5
    # On a phone the user and "Log ud" are in the menu drawer.
    await page.get_by_role("button", name="Menu").click()
    drawer = page.locator(".mobile-drawer")
    assert await drawer.locator(".user").inner_text() == f"Test {name}"
    await drawer.get_by_role("button", name="Log ud").click()
    await page.wait_for_url(f"{live.url}/")
    assert await page.get_by_role("banner").get_by_role("link", name="Log ind").is_visible()
    await page.goto(f"{live.url}/t/{tenants.a.slug}/")
    assert await page.locator("h1").inner_text() == "Log ind"  # the session is gone
    await context.close()
