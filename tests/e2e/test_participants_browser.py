"""A coordinator, on a phone, creates a person, records consent and a før-samtale with a plugin
field, sees the verdicts, and enrols the person through to `ready`."""

from __future__ import annotations

import pytest

from core.db.tenant_scope import tenant_scope
from core.tenancy.models import Programme


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_coordinator_takes_a_mentor_to_ready_on_a_phone(
    browser, live, tenants, sessionmaker, tmp_path
):
    tenant = tenants.a
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            session.add(
                Programme(
                    slug="btb",
                    name="Borger til Borger",
                    type="peer_mentor",
                    areas=["psykiatri"],
                    policy={
                        "duration_months": {"min": 6, "max": 9},
                        "meeting_frequencies": ["weekly"],
                    },
                    plugins={"lived_experience": {}},
                )
            )
    name = f"koord-{tenant.slug}"
    live.add_user(name, ("coordinator",), (tenant.slug,))
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = await context.new_page()
    base = f"{live.url}/t/{tenant.slug}/deltagere"
    await page.goto(f"{base}/")
    await page.click(f'button[data-user="{name}"]')
    await page.wait_for_url(f"{base}/")
    assert await page.locator("h1").inner_text() == "Deltagere"

    # Create: a bad e-mail first (field-level message, nothing stored), then right.
    await page.click("text=Ny person")
    await page.fill("#f-name", "Bo Browsersen")
    await page.fill("#f-email", "bo@")
    await page.select_option("#f-programme", "btb")
    await page.select_option("#f-role", "mentor")
    await page.click("button[type=submit]:has-text('Opret')")
    # DKFDS's field error: "Fejl:" is read out before the message, not shown.
    assert await page.locator("#e-email").text_content() == (
        "Fejl: Skriv en gyldig e-mailadresse, fx navn@example.dk."
    )
    assert await page.locator("#e-email .sr-only").text_content() == "Fejl: "
    await page.fill("#f-email", "bo@example.dk")
    await page.click("button[type=submit]:has-text('Opret')")
    await page.wait_for_selector("h1:has-text('Bo Browsersen')")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    # The enrolment: consent, then the før-samtale with the plugin's questions.
    await page.click("a:has-text('Borger til Borger')")
    await page.click("button:has-text('Personen har givet samtykke')")
    await page.wait_for_selector("text=Samtykke givet")
    await page.fill("#f-motivation", "Vil give noget tilbage")
    await page.check("input[name='plugin:lived_experience.areas'][value='psykiatri']")
    await page.select_option("#f-lived_experience\\.ready_to_hold_others", "ja")
    await page.click("button:has-text('Gem før-samtalen')")
    await page.wait_for_selector(".verdict-pass")
    assert "Opfyldt" in await page.locator("#h-verdicts").inner_text()
    assert "Har egen erfaring inden for programmets områder" in (
        await page.locator(".verdicts").inner_text()
    )
    await page.screenshot(path=str(tmp_path / "enrolment-phone.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    # Status changes, each with a confirmation step.
    for label in ("Før-samtale", "Egnet", "Klar"):
        await page.click(f".actions a:text-is('{label}')")
        assert await page.locator("h1").inner_text() == "Bekræft"
        await page.click("button:has-text('Ja, skift til')")
        await page.wait_for_selector(f".badge:text-is('{label}')")
    assert await page.locator(".history li").count() == 4
    await context.close()
