"""Issue 6 in a real browser, in Danish: a coordinator runs suggestions, proposes a mentor,
records both yeses and sees the forløb become active; 15 days later the pair is on the
attention list; the mentor, on a 390 px phone, logs a meeting from Mit forløb; the attention
list is empty again."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect

from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Meeting
from core.participants.models import Person
from tests.test_forloeb import TODAY, _active, _api, _count, _world
from tests.test_mine import account_of

PHONE = {"width": 390, "height": 844}
SAVED_NOTHING = "Nogle felter er ikke udfyldt korrekt; intet er gemt."
NOT_YET = (
    "Et møde, der ikke har fundet sted endnu, kan ikke registreres; registrér et afbud i stedet."
)

# Every visible control of a form, and those without an accessible label (a <label> for it,
# aria-label or aria-labelledby); returns descriptions of the unlabelled ones.
UNLABELLED = """form => [...form.querySelectorAll("input, select, textarea")]
    .filter(el => el.type !== "hidden")
    .filter(el => {
        const byLabel = [...el.labels].some(l => l.textContent.trim() !== "");
        const byAria = (el.getAttribute("aria-label") || "").trim() !== "";
        const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
        const byRef = ids.some(i => (document.getElementById(i)?.textContent || "").trim());
        return !(byLabel || byAria || byRef);
    })
    .map(el => `${el.tagName.toLowerCase()}[name=${el.name}][value=${el.value}]`)"""


@pytest.fixture
def clock(clock):
    """The app's clock (tests/conftest.py) set to ``TODAY``, moved with ``clock.set``."""
    clock.set(TODAY)
    return clock


async def _sign_in(page, url: str, username: str) -> None:
    """Open ``url`` signed out, pick ``username`` on the issuer's Danish login page."""
    await page.goto(url)
    assert await page.locator("h1").inner_text() == "Log ind"
    await page.click(f'button[data-user="{username}"]')
    await page.wait_for_url(url)


async def _no_horizontal_scroll(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def test_coordinator_matches_and_the_mentor_logs_a_meeting_on_a_phone(
    browser, live, tenants, sessionmaker, clock, tmp_path
):
    tenant = tenants.a
    slug = tenant.slug
    ids = await _world(sessionmaker, tenant)
    coordinator, mentor = f"fk-browser-{slug}", f"mentor-browser-{slug}"
    live.add_user(coordinator, ("coordinator",), (slug,))
    live.add_user(mentor, ("mentor",), (slug,))
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            person = await session.get_one(Person, ids["person:Mette Mentor"])
            person.account = account_of(live, mentor)

    # The coordinator (a laptop-sized window) runs suggestions for Anna Angst.
    desk = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = await desk.new_page()
    base = f"{live.url}/t/{slug}"
    await _sign_in(page, f"{base}/matchning/", coordinator)
    assert await page.locator("h1").inner_text() == "Matchning"
    programme = page.locator("main li.card").filter(
        has=page.get_by_role("heading", name="Borger til Borger", exact=True)
    )
    assert await programme.locator("p").inner_text() == (
        "2 borgere venter · 2 mentorer med ledige pladser"
    )
    await programme.locator("a:text-is('Borger til Borger')").click()
    await page.wait_for_url(f"{base}/matchning/btb")
    assert await page.locator("h1").inner_text() == "Venteliste: Borger til Borger"
    anna = page.locator("main .card", has=page.locator("h3:text-is('Anna Angst')"))
    await anna.locator("a:text-is('Se foreslåede mentorer')").click()
    await page.wait_for_url(f"{base}/matchning/btb/borger/{ids['Anna Angst']}")
    assert await page.locator("h1").inner_text() == "Foreslåede mentorer til Anna Angst"
    suggestions = page.locator("li.suggestion")
    names = [
        (await suggestions.nth(i).locator("h2").inner_text()).split(" Point ")[0]
        for i in range(await suggestions.count())
    ]
    assert names == ["Mette Mentor", "Morten Mentor"]
    mette = suggestions.nth(0)
    reasons = [
        text.rsplit(" (+", 1)[0] for text in await mette.locator("ul.reasons li").all_inner_texts()
    ]
    assert reasons == [
        "begge har erfaring med psykisk sårbarhed",
        "begge har erfaring med angst",
        "fælles interesser: gåture",
        "bor 0 km fra hinanden",
    ]
    await mette.locator("button:text-is('Foreslå Mette Mentor')").click()

    # The proposal lands on the forløb list; both say yes; the forløb is active.
    await page.wait_for_url(f"{base}/forloeb/?state=proposed")
    assert await page.locator("h1").inner_text() == "Forløb"
    cards = page.locator("li.card.forloeb")
    assert await cards.count() == 1
    assert await cards.locator(".badge").inner_text() == "Foreslået"
    await cards.locator("a:text-is('Anna Angst + Mette Mentor')").click()
    await page.wait_for_selector("h1:text-is('Anna Angst + Mette Mentor')")
    assert await page.locator("#forloeb-state").inner_text() == "Foreslået"
    assert await page.locator("section[aria-labelledby=h-accept] li").all_inner_texts() == [
        "Borger: har ikke svaret",
        "Mentor: har ikke svaret",
    ]
    await page.click("button:text-is('Borgeren siger ja')")
    await page.wait_for_selector(
        "section[aria-labelledby=h-accept] li:text-is('Borger: har sagt ja')"
    )
    assert await page.locator("#forloeb-state").inner_text() == "Foreslået"
    await page.click("button:text-is('Mentoren siger ja')")
    await page.wait_for_selector("#forloeb-state:text-is('Aktivt')")
    assert await page.locator("section[aria-labelledby=h-accept]").count() == 0
    assert await page.locator("ul.meetings li").all_inner_texts() == [
        "Ingen møder registreret endnu."
    ]

    # Fifteen days without a meeting: the pair needs attention. (The coordinator's session,
    # hours long on the same clock, has run out by then: she signs in again.)
    clock.set(TODAY + dt.timedelta(days=15))
    attention_url = f"{base}/forloeb/opmaerksomhed"
    await _sign_in(page, attention_url, coordinator)
    assert await page.locator("h1").inner_text() == "Kræver opmærksomhed"
    items = page.locator("ul.attention > li")
    assert await items.count() == 1
    assert await items.locator("h2").inner_text() == "Anna Angst + Mette Mentor"
    assert await items.locator(".badge.state-active").inner_text() == "Aktivt"
    assert await items.locator("p:has(.badge)").inner_text() == "Aktivt Borger til Borger"
    assert await items.locator("ul li").all_inner_texts() == ["Intet møde i 15 dage."]

    # The mentor, on a phone, logs a meeting from Mit forløb.
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    mobile = await phone.new_page()
    await _sign_in(mobile, f"{base}/mit/", mentor)
    assert await mobile.locator("h1").inner_text() == "Mit forløb"
    mine = mobile.locator("section.my-forloeb")
    assert await mine.locator("h2").inner_text() == "Din borger: Anna Angst"
    assert await mine.locator("p.card-subheading").inner_text() == "Borger til Borger · Aktivt"
    await _no_horizontal_scroll(mobile)
    await mine.locator("a:text-is('Registrér et møde')").click()
    await mobile.wait_for_selector("h1:text-is('Registrér et møde')")
    await _no_horizontal_scroll(mobile)

    # Every control of the meeting form has an accessible name.
    form = mobile.locator("main form[action$='/moede']")
    assert await form.evaluate(UNLABELLED) == []
    assert await form.get_by_role("group", name="Hvad lavede I?").count() == 1
    radios = form.get_by_role("radio")
    assert await radios.count() == 6
    for label in ("Gåtur", "Café", "Sport", "Biograf", "Indkøb", "Andet"):
        assert await form.get_by_role("radio", name=label, exact=True).count() == 1
    day = form.get_by_label("Dato", exact=True)
    duration = form.get_by_label("Varighed i minutter", exact=True)
    note = form.get_by_label("Privat note", exact=True)
    cancelled = form.get_by_label("Mødet blev aflyst (afbud)", exact=True)
    for control, name in (
        (day, "day"),
        (duration, "duration_minutes"),
        (note, "note"),
        (cancelled, "cancelled"),
    ):
        assert await control.get_attribute("name") == name
    await expect(note).to_have_accessible_description("Kun I to og koordinatorerne kan se den.")
    assert await day.input_value() == "2026-12-08"  # the app's today
    assert await duration.input_value() == "60"

    await day.fill("2026-12-07")
    await form.get_by_role("radio", name="Gåtur", exact=True).check()
    await duration.fill("90")
    await note.fill("God gåtur ved åen, hun vil gerne mødes igen.")
    assert not await cancelled.is_checked()
    await mobile.screenshot(path=str(tmp_path / "meeting-phone.png"), full_page=True)
    await form.get_by_role("button", name="Gem mødet", exact=True).click()

    await mobile.wait_for_selector("[role=status] .alert-success:has-text('Mødet er gemt.')")
    assert await mobile.locator("h1").inner_text() == "Anna Angst + Mette Mentor"
    meetings = mobile.locator("ul.meetings li.meeting")
    assert await meetings.count() == 1
    assert await meetings.locator("p").all_inner_texts() == [
        "07.12.2026 · Gåtur · 90 minutter",
        "God gåtur ved åen, hun vil gerne mødes igen.",
    ]
    await mobile.screenshot(path=str(tmp_path / "forloeb-phone.png"), full_page=True)
    await _no_horizontal_scroll(mobile)
    await phone.close()

    # The coordinator reloads the attention list: nothing left.
    await page.reload()
    assert await page.locator("h1").inner_text() == "Kræver opmærksomhed"
    assert await page.locator("ul.attention > li").all_inner_texts() == [
        "Intet kræver opmærksomhed."
    ]
    await desk.close()


async def test_meeting_form_errors_are_tied_to_their_fields_on_a_phone(
    browser, live, tenants, sessionmaker, clock
):
    tenant = tenants.a
    slug = tenant.slug
    ids = await _world(sessionmaker, tenant)
    mentor = f"mentor-fejl-{slug}"
    live.add_user(mentor, ("mentor",), (slug,))
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            person = await session.get_one(Person, ids["person:Mette Mentor"])
            person.account = account_of(live, mentor)
    async with await _api(live, tenant, f"fk-fejl-{slug}") as api:
        fid = await _active(api, ids)
    clock.set(TODAY + dt.timedelta(days=15))
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    mobile = await phone.new_page()
    url = f"{live.url}/t/{slug}/forloeb/{fid}/moede"
    await _sign_in(mobile, url, mentor)
    assert await mobile.locator("h1").inner_text() == "Registrér et møde"
    form = mobile.locator("main form[action$='/moede']")
    radios = form.get_by_role("radio")
    day = form.get_by_label("Dato", exact=True)
    note = form.get_by_label("Privat note", exact=True)

    # A meeting tomorrow, with no activity: nothing is saved; each message is tied to its field.
    await day.fill("2026-12-09")
    async with mobile.expect_navigation() as sent:
        await form.get_by_role("button", name="Gem mødet", exact=True).click()
    assert (await sent.value).status == 400
    alert = mobile.get_by_role("alert")
    await expect(alert.locator("h2")).to_have_text(SAVED_NOTHING)
    assert await alert.locator("li a").all_inner_texts() == [NOT_YET, "Vælg hvad I lavede."]
    assert [await a.get_attribute("href") for a in await alert.locator("li a").all()] == [
        "#f-day",
        "#f-activity",
    ]
    assert await form.evaluate(UNLABELLED) == []
    await expect(day).to_have_attribute("aria-invalid", "true")
    await expect(day).to_have_accessible_description(f"Fejl: {NOT_YET}")
    group = form.get_by_role("group", name="Hvad lavede I?")
    await expect(group).to_have_accessible_description("Fejl: Vælg hvad I lavede.")
    for i in range(6):
        await expect(radios.nth(i)).to_have_attribute("aria-invalid", "true")
    await expect(note).not_to_have_attribute("aria-invalid", "true")
    await expect(note).to_have_accessible_description("Kun I to og koordinatorerne kan se den.")
    await _no_horizontal_scroll(mobile)
    assert await _count(sessionmaker, tenant, Meeting) == 0

    # Corrected, the same form saves.
    await day.fill("2026-12-08")
    await form.get_by_role("radio", name="Café", exact=True).check()
    await form.get_by_role("button", name="Gem mødet", exact=True).click()
    await mobile.wait_for_selector("[role=status] .alert-success:has-text('Mødet er gemt.')")
    assert await mobile.locator("ul.meetings li.meeting p").all_inner_texts() == [
        "08.12.2026 · Café · 60 minutter"
    ]
    assert await _count(sessionmaker, tenant, Meeting) == 1
    await phone.close()
