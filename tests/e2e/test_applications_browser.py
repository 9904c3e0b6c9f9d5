"""Issue 17 in a real browser on a 390 px phone, in Danish: a citizen finds the programme's public
page with its coming information meeting, applies (a missing phone number or e-mail first gets a
field error, checked with axe-core), and gets the receipt; the coordinator sees the application on
the front page, opens it and starts the før-samtale."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from core import clock as app_clock
from core.activities.models import Activity, ActivityKind, Recurrence
from core.db.tenant_scope import tenant_scope
from core.tenancy.models import Programme
from tests.e2e.test_accessibility import AXE, WCAG21_AA
from tests.test_applications import PUBLIC, _programme

PHONE = {"width": 390, "height": 844}


async def _axe(page) -> list:
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG21_AA
    )
    return [v["id"] for v in result["violations"]]


async def _meeting(sessionmaker, tenant, day: dt.date) -> None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            session.add(
                Activity(
                    programme_id=programme.id,
                    kind=ActivityKind.INFO_MEETING,
                    title="Informationsmøde for interesserede mentorer",
                    description="Det kræver ingen tilmelding - mød bare op.",
                    place="Foreningernes Hus Vejle, Vissingsgade 31",
                    room="1. sal, lokale 4",
                    first_on=day,
                    starts=dt.time(15),
                    ends=dt.time(17),
                    recurrence=Recurrence.NONE,
                    published=True,
                )
            )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_citizen_applies_on_a_phone_and_the_coordinator_starts_the_forsamtale(
    browser, live, tenants, sessionmaker, tmp_path
):
    await _programme(sessionmaker, tenants.a)
    await _meeting(sessionmaker, tenants.a, app_clock.today() + dt.timedelta(days=14))
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    page = await phone.new_page()
    public = f"{live.url}/offentlig/{tenants.a.slug}/tilbud/misbrug-mentor"
    await page.goto(f"{live.url}/offentlig/{tenants.a.slug}")
    await page.get_by_role("link", name="Mentorordning på misbrugsområdet").click()
    await page.wait_for_url(public)
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mentorordning på misbrugsområdet"
    )
    await expect(page.get_by_text(PUBLIC["intro"])).to_be_visible()
    meeting = page.locator("li.info-meeting")
    await expect(meeting).to_contain_text("Informationsmøde for interesserede mentorer")
    await expect(meeting).to_contain_text("Vissingsgade 31")
    await expect(meeting).to_contain_text("15:00-17:00")

    # First without a way to reach her: the error summary takes focus and names the field.
    await page.get_by_label("Få en mentor").check()
    await page.get_by_label("Dit navn").fill("Anne Ansøger")
    await page.get_by_label("Hvad håber du på? (valgfrit)").fill("En at gå ture med.")
    await page.get_by_label("Ja, I må kontakte mig").check()
    await page.get_by_role("button", name="Send").click()
    summary = page.locator(".error-summary")
    await expect(summary.locator("li a")).to_have_text(
        ["Telefon: Skriv et telefonnummer eller en e-mailadresse, så vi kan kontakte dig."]
    )
    await expect(summary).to_be_focused()
    await expect(page.get_by_label("Dit navn")).to_have_value("Anne Ansøger")
    await expect(page.get_by_label("Ja, I må kontakte mig")).to_be_checked()
    assert await _axe(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=str(tmp_path / "application-refused-phone.png"), full_page=True)

    await page.get_by_label("Telefon").fill("20 30 40 50")
    await page.get_by_role("button", name="Send").click()
    # The form's address ends in #ansoeg: the browser keeps the fragment across the redirect.
    await page.wait_for_url(re.compile(re.escape(f"{public}/tak") + r"(#ansoeg)?$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Tak for din ansøgning")
    await phone.close()

    # The coordinator, on her phone: the front page, the list, the enrolment, the før-samtale.
    coordinator = f"app-coord-{tenants.a.slug}"
    live.add_user(coordinator, ("coordinator",), (tenants.a.slug,))
    staff = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    page = await staff.new_page()
    front = f"{live.url}/t/{tenants.a.slug}/"
    await page.goto(front)
    await page.click(f'button[data-user="{coordinator}"]')
    await page.wait_for_url(front)
    await page.get_by_role("link", name="Nye ansøgninger, der venter på et opkald: 1").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nye ansøgninger")
    card = page.locator("li.application")
    await expect(card).to_contain_text("Anne Ansøger")
    await expect(card).to_contain_text("20 30 40 50")
    await expect(card).to_contain_text("En at gå ture med.")
    start = card.get_by_role("link", name=re.compile(r"^Start før-samtalen"))
    await expect(start.locator(".sr-only")).to_have_text(": Anne Ansøger")
    await start.click()
    await expect(page.locator(".status-applied")).to_have_text("Ansøgt")
    await page.get_by_role("button", name="Personen har givet samtykke").click()
    intake = page.locator("section[aria-labelledby=h-intake]")
    await intake.get_by_label("Dato", exact=True).fill(app_clock.today().isoformat())
    await intake.get_by_label("Motivation").fill("Vil gerne ud af huset.")
    await intake.get_by_role("button", name="Gem før-samtalen").click()
    await expect(page.get_by_label("Motivation")).to_have_value("Vil gerne ud af huset.")
    # The før-samtale is held: the enrolment is no longer an application waiting for a call.
    await expect(page.locator(".status-intake")).to_have_text("Før-samtale")
    await page.goto(front)
    await expect(page.locator("section.front-applications")).to_contain_text(
        "Ingen ansøgninger venter."
    )
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=str(tmp_path / "application-forsamtale-phone.png"), full_page=True)
    await staff.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_refused_availability_form_gives_the_error_summary_focus(
    browser, live, tenants, sessionmaker, clock
):
    """Mit forløb's availability form: its address ends in #tilgaengelighed, and the refused
    page's error summary still takes focus and names the field."""
    from tests.test_mine_availability import TODAY, _world

    clock.set(TODAY)
    user = f"avail-e2e-{tenants.a.slug}"
    live.add_user(user, ("mentor",), (tenants.a.slug,))
    await _world(sessionmaker, tenants.a, live, user)
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    page = await phone.new_page()
    mine = f"{live.url}/t/{tenants.a.slug}/mit/"
    await page.goto(mine)
    await page.click(f'button[data-user="{user}"]')
    await page.wait_for_url(mine)
    form = page.locator("#tilgaengelighed")
    await form.get_by_label("Hvor mange borgere kan du have ad gangen?").fill("0")
    await form.get_by_role("button", name="Gem").click()
    summary = page.locator(".error-summary")
    await expect(summary.locator("li a")).to_have_text(
        ["Hvor mange borgere kan du have ad gangen?: Skriv et antal borgere mellem 1 og 10."]
    )
    await expect(summary).to_be_focused()
    assert await _axe(page) == []
    await phone.close()
