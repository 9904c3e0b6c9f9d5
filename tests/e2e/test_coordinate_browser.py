"""Issue 21 in a real browser, in Danish, on a 390 px phone: the partner's project leader, granted
`coordinate` on the municipality's programme, finds it from the partner's own page, works in the
municipality's space under the partner banner - registers a citizen, records consent and holds
the før-samtale, proposes a mentor from the waiting list - sees nothing of another programme,
and after the municipality revokes the grant the very next request is refused."""

from __future__ import annotations

import uuid

import pytest

from core.db.tenant_scope import tenant_scope
from core.participants.models import ConsentText, Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from tests.e2e.test_accessibility import _axe, _report
from tests.test_forloeb import TODAY, _world

PHONE = {"width": 390, "height": 844}
BANNER = "Du arbejder i Kommune As tilbud som partner (Partner)."


@pytest.fixture
def clock(clock):
    """The app's clock (tests/conftest.py) on the forløb world's day."""
    clock.set(TODAY)
    return clock


async def _closed_programme(sessionmaker, tenant) -> uuid.UUID:
    """A second programme of the municipality, not shared, with one person in it."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="lukket",
                name="Lukket Tilbud",
                type="peer_mentor",
                areas=["misbrug"],
                policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
                plugins={},
            )
            session.add(programme)
            await session.flush()
            session.add(ConsentText(programme_id=programme.id, version=1, body="T", created_by="t"))
            person = Person(name="Skjult Borgersen")
            session.add(person)
            await session.flush()
            session.add(
                Enrolment(person_id=person.id, programme_id=programme.id, role=EnrolmentRole.MENTEE)
            )
            return person.id


async def _no_horizontal_scroll(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_partner_holds_a_forsamtale_and_proposes_on_a_phone_until_revoked(
    browser, live, tenants, sessionmaker, clock, tmp_path
):
    owner, partner = tenants.a, tenants.partner
    ids = await _world(sessionmaker, owner)
    hidden = await _closed_programme(sessionmaker, owner)
    leader, admin = f"projektleder-{partner.slug}", f"admin-{owner.slug}"
    live.add_user(leader, ("partner_staff",), (partner.slug,))
    live.add_user(admin, ("tenant_admin",), (owner.slug,))

    # The municipality's tenant admin shares Borger til Borger to co-run (a laptop window).
    desk = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    admin_page = await desk.new_page()
    partnerships = f"{live.url}/t/{owner.slug}/partnerskaber/"
    await admin_page.goto(partnerships)
    await admin_page.click(f'button[data-user="{admin}"]')
    await admin_page.wait_for_url(partnerships)
    await admin_page.select_option("#f-programme", "btb")
    await admin_page.select_option("#f-partner", partner.slug)
    await admin_page.check("#f-scope-3")  # "Drive tilbuddet sammen"
    await admin_page.click("button:has-text('Giv adgang')")
    await admin_page.wait_for_url(partnerships)
    row = admin_page.locator("tbody tr")
    assert await row.locator("td").all_inner_texts() == [
        "Borger til Borger",
        "Partner",
        "Koordinerer tilbuddet sammen med kommunen",
        "Tilbagekald",
    ]

    # The partner's project leader, on a phone, from the partner's own page.
    context = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    page = await context.new_page()
    own = f"{live.url}/t/{partner.slug}/partnerskaber/"
    await page.goto(own)
    await page.click(f'button[data-user="{leader}"]')
    await page.wait_for_url(own)
    await page.click("a:text-is('Borger til Borger')")
    assert "Koordinerer tilbuddet sammen med kommunen" in await page.locator("main").inner_text()
    await page.click("a:text-is('Åbn ventelisten')")
    base = f"{live.url}/t/{owner.slug}"
    await page.wait_for_url(f"{base}/matchning/btb")
    assert await page.locator("h1").inner_text() == "Venteliste: Borger til Borger"
    assert await page.get_by_test_id("partner-banner").inner_text() == BANNER
    await _no_horizontal_scroll(page)
    violations = await _axe(page)
    assert violations == [], _report(violations)

    # A new citizen in the programme: consent, then the før-samtale.
    await page.goto(f"{base}/deltagere/ny")
    await page.fill("#f-name", "Pia Partnerfund")
    await page.fill("#f-phone", "12345678")
    await page.select_option("#f-programme", "btb")
    await page.select_option("#f-role", "mentee")
    await page.click("button[type=submit]:has-text('Opret')")
    await page.wait_for_selector("h1:has-text('Pia Partnerfund')")
    assert await page.get_by_test_id("partner-banner").inner_text() == BANNER
    await page.click("a:has-text('Borger til Borger')")
    await page.click("button:has-text('Personen har givet samtykke')")
    await page.wait_for_selector("text=Samtykke givet")
    await page.fill("#f-motivation", "Vil gerne have en at gå ture med")
    async with page.expect_navigation() as saved:
        await page.click("button:has-text('Gem før-samtalen')")
    assert (await saved.value).status == 200
    assert await page.locator("#f-motivation").input_value() == "Vil gerne have en at gå ture med"
    await _no_horizontal_scroll(page)
    await page.screenshot(path=str(tmp_path / "partner-forsamtale-phone.png"), full_page=True)

    # A proposal from the waiting list: Anna Angst and Mette Mentor.
    await page.goto(f"{base}/matchning/btb/borger/{ids['Anna Angst']}")
    assert await page.locator("h1").inner_text() == "Foreslåede mentorer til Anna Angst"
    await (
        page.locator("li.suggestion")
        .nth(0)
        .locator("button:text-is('Foreslå Mette Mentor')")
        .click()
    )
    await page.wait_for_url(f"{base}/forloeb/?state=proposed")
    cards = page.locator("li.card.forloeb")
    assert await cards.count() == 1
    assert await cards.locator("a").first.inner_text() == "Anna Angst + Mette Mentor"
    await _no_horizontal_scroll(page)

    # Nothing of the other programme: not on the list, and its person is the plain 404.
    people = await page.goto(f"{base}/deltagere/")
    assert people.status == 200
    assert "Skjult Borgersen" not in await page.locator("main").inner_text()
    assert "Pia Partnerfund" in await page.locator("main").inner_text()
    gone = await page.goto(f"{base}/deltagere/{hidden}")
    assert gone.status == 404
    assert "Siden findes ikke, eller du har ikke adgang til den." in await page.content()

    # The municipality revokes; the partner's very next request is refused.
    await admin_page.goto(partnerships)
    await admin_page.click("button:text-is('Tilbagekald')")
    await admin_page.wait_for_url(partnerships)
    assert "Ingen partnerskaber." in await admin_page.locator("main").inner_text()
    refused = await page.goto(f"{base}/matchning/btb")
    assert refused.status == 404
    assert await page.get_by_test_id("partner-banner").count() == 0

    # The owner's log keeps what the partner did.
    await admin_page.goto(f"{partnerships}aktivitet")
    log = await admin_page.locator("tbody").inner_text()
    for action in (
        "person.create",
        "consent.give",
        "intake.update",
        "forloeb.propose",
        "access_denied",
    ):
        assert action in log, action
    await context.close()
    await desk.close()
