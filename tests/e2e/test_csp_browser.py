"""The Content-Security-Policy (no 'unsafe-inline', core/web/edge.py) in a real browser: signing
in, the phone menu of Det Fælles Designsystem, htmx's live search and signing out all work,
and Chromium reports not one violation."""

from __future__ import annotations

import pytest

from core.db.tenant_scope import tenant_scope
from core.participants.models import Person

#: Collects the browser's CSP violation reports (installed before any page script runs).
REPORTER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_pages_work_under_the_csp_without_a_violation(
    browser, live, tenants, sessionmaker
):
    tenant = tenants.a
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            session.add_all([Person(name="Ada Cspsen"), Person(name="Bo Politiksen")])
    name = f"csp-{tenant.slug}"
    live.add_user(name, ("coordinator",), (tenant.slug,))
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    await context.add_init_script(REPORTER)
    console: list[str] = []
    page = await context.new_page()
    page.on("console", lambda m: console.append(m.text))
    violations: list[str] = []

    async def collect() -> None:
        violations.extend(await page.evaluate("window.__csp"))

    base = f"{live.url}/t/{tenant.slug}/deltagere/"
    await page.goto(base)
    await collect()  # the development issuer's login page
    await page.click(f'button[data-user="{name}"]')
    await page.wait_for_url(base)

    # htmx: typing in the search field replaces the results without a page load.
    async with page.expect_response(lambda r: "q=Ada" in r.url):
        await page.fill("#f-q", "Ada")
    await page.wait_for_function("!document.querySelector('#results').textContent.includes('Bo')")
    assert "Ada Cspsen" in await page.locator("#results").inner_text()
    assert "q=Ada" in page.url  # hx-push-url

    # DKFDS: the phone menu opens; signing out from it leaves for the front page.
    await page.get_by_role("button", name="Menu").click()
    drawer = page.locator(".mobile-drawer")
    assert await drawer.is_visible()
    await collect()
    await drawer.get_by_role("button", name="Log ud").click()
    await page.wait_for_url(f"{live.url}/")
    await collect()
    assert violations == []
    assert [m for m in console if "Content Security Policy" in m] == []

    # The control: an inline style is refused and reported, so the silence above means
    # something.
    await page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>p{}</style>')")
    await page.wait_for_function("window.__csp.length > 0")
    assert await page.evaluate("window.__csp") == ["style-src-elem inline"]
    await context.close()
