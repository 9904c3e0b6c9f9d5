"""Issue 16 in a real browser, in Danish, on a 390 px phone: the mentor plans the pair's next
meeting; when the clock reaches 17:00 the day before, the reminder is in the development
mailbox; the citizen opens the reminder's link and sends an afbud, and the mentor is told. A
citizen chooses English on her phone and her next reminder is written in English."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import expect

from core.clock import COPENHAGEN
from core.jobs.tick import tick_tenant
from tests.notification_world import make_pair, outbox, runtime_for
from tests.test_mine import account_of

PHONE = {"width": 390, "height": 844}
PLANNED_ON = dt.datetime(2026, 11, 30, 10, 0, tzinfo=COPENHAGEN)  # Monday


async def _sign_in(page, url: str, username: str) -> None:
    await page.goto(url)
    assert await page.locator("h1").inner_text() == "Log ind"
    await page.click(f'button[data-user="{username}"]')
    await page.wait_for_url(url)


async def _no_horizontal_scroll(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def test_a_pair_plans_a_meeting_on_a_phone_and_the_reminder_reaches_the_mailbox(
    browser, live, tenants, sessionmaker, clock
):
    clock.set(PLANNED_ON)
    slug = tenants.a.slug
    mentor, mentee, coordinator = f"nb-mentor-{slug}", f"nb-mentee-{slug}", f"nb-coord-{slug}"
    live.add_user(mentor, ("mentor",), (slug,))
    live.add_user(mentee, ("mentee",), (slug,))
    live.add_user(coordinator, ("coordinator",), (slug,))
    pair = await make_pair(
        sessionmaker,
        tenants.a,
        dt.date(2026, 11, 2),
        mentee_account=account_of(live, mentee),
        mentor_account=account_of(live, mentor),
    )
    base = f"{live.url}/t/{slug}"
    phone = await browser.new_context(viewport=PHONE, locale="da-DK", is_mobile=True)
    page = await phone.new_page()
    await _sign_in(page, f"{base}/forloeb/{pair.forloeb_id}", mentor)
    await page.get_by_role("link", name="Planlæg næste møde").click()
    assert await page.locator("h1").inner_text() == "Planlæg næste møde"
    await _no_horizontal_scroll(page)
    await page.get_by_label("Dato").fill("2026-12-03")
    await page.get_by_label("Klokkeslæt (TT:MM)").fill("14:00")
    await page.get_by_label("Sted").fill("Caféen ved åen")
    await page.get_by_role("button", name="Planlæg mødet").click()
    await page.wait_for_url(f"{base}/forloeb/{pair.forloeb_id}?planlagt=1")
    planned = page.locator("section", has=page.get_by_role("heading", name="Planlagte møder"))
    assert "03.12.2026 14:00" in await planned.inner_text()
    assert "Caféen ved åen" in await planned.inner_text()

    # The day before, 16:59: nothing yet; 17:00: the reminder goes out (the worker's tick).
    runtime = runtime_for(sessionmaker)
    clock.set(dt.datetime(2026, 12, 2, 16, 59, tzinfo=COPENHAGEN))
    await tick_tenant(runtime, tenants.a)
    assert [r.status for r in await outbox(sessionmaker, tenants.a)] == ["pending"] * 4
    clock.set(dt.datetime(2026, 12, 2, 17, 0, tzinfo=COPENHAGEN))
    await tick_tenant(runtime, tenants.a)

    # the header's "Beskeder" shows the mentor's unread reminder; the list has it (two days on,
    # her sign-in from Monday has ended: she signs in again)
    await _sign_in(page, f"{base}/forloeb/{pair.forloeb_id}", mentor)
    await expect(page.locator("a.makker-messages-link .makker-unread").first).to_have_text(
        "1 ulæste"
    )
    await page.goto(f"{base}/beskeder/")
    assert "Påmindelse: møde i morgen kl. 14.00" in await page.locator("main").inner_text()
    await page.get_by_role("button", name="Markér alle som læst").click()
    await expect(page.locator("a.makker-messages-link .makker-unread")).to_have_count(0)

    desk = await browser.new_context(viewport=PHONE, locale="da-DK", is_mobile=True)
    mailbox = await desk.new_page()
    await _sign_in(mailbox, f"{base}/udvikling/postkasse", coordinator)
    assert await mailbox.locator("h1").inner_text() == "Udviklingspostkasse"
    text = await mailbox.locator("main").inner_text()
    assert "E-mail til Anna Demosen: Påmindelse: møde i morgen kl. 14.00" in text
    assert "E-mail til Mette Mentorsen: Påmindelse: møde i morgen kl. 14.00" in text
    assert "onsdag" not in text and "torsdag den 3. december kl. 14.00" in text
    assert "Caféen" not in text  # the place is not in the message, only behind the link
    await _no_horizontal_scroll(mailbox)

    # The citizen follows the reminder's link and sends an afbud; the mentor is told.
    citizen = await (
        await browser.new_context(viewport=PHONE, locale="da-DK", is_mobile=True)
    ).new_page()
    reminder = next(
        r for r in await outbox(sessionmaker, tenants.a) if r.person_id == pair.mentee_id
    )
    await _sign_in(citizen, reminder.link, mentee)
    assert await citizen.locator("h1").inner_text() == "Planlagt møde"
    await citizen.get_by_role("button", name="Meld afbud").click()
    assert "Afbuddet er registreret" in await citizen.locator("main").inner_text()
    await _no_horizontal_scroll(citizen)
    await tick_tenant(runtime, tenants.a)
    await mailbox.reload()
    assert "E-mail til Mette Mentorsen: Afbud: mødet 3. december er aflyst" in (
        await mailbox.locator("main").inner_text()
    )
    for context in (phone, desk, citizen.context):
        await context.close()


async def test_a_citizen_chooses_english_on_a_phone_and_her_next_reminder_is_english(
    browser, live, tenants, sessionmaker, clock
):
    clock.set(PLANNED_ON)
    slug = tenants.a.slug
    mentee = f"nb-en-mentee-{slug}"
    live.add_user(mentee, ("mentee",), (slug,))
    pair = await make_pair(
        sessionmaker, tenants.a, dt.date(2026, 11, 2), mentee_account=account_of(live, mentee)
    )
    base = f"{live.url}/t/{slug}"
    phone = await browser.new_context(viewport=PHONE, locale="da-DK", is_mobile=True)
    page = await phone.new_page()
    await _sign_in(page, f"{base}/beskeder/valg", mentee)
    assert await page.locator("h1").inner_text() == "Sådan må vi kontakte dig"
    await _no_horizontal_scroll(page)
    await page.get_by_label("English").check()
    await page.get_by_label("Påmindelse dagen før et planlagt møde").select_option("sms")
    await page.get_by_role("button", name="Gem valg").click()
    await page.wait_for_url(f"{base}/beskeder/valg?gemt=1")
    assert "Dine valg er gemt." in await page.locator("main").inner_text()
    await expect(page.get_by_label("English")).to_be_checked()
    await _no_horizontal_scroll(page)
    await page.screenshot(path="/tmp/nb16-choices.png", full_page=True)
    await phone.close()

    # the mentor plans a meeting (API-free: the command), and the citizen's SMS is English
    from core.forloeb.planned import PlannedMeetingIn, plan_meeting
    from tests.notification_world import in_context, links

    data = PlannedMeetingIn(day="2026-12-03", time="14:00", place="Caféen")
    await in_context(
        sessionmaker,
        tenants.a,
        lambda ctx: plan_meeting(ctx, pair.forloeb_id, data, links(tenants.a)),
    )
    rows = [r for r in await outbox(sessionmaker, tenants.a) if r.person_id == pair.mentee_id]
    assert sorted((r.channel, r.title) for r in rows) == [
        ("page", "Reminder: meeting tomorrow at 14:00"),
        ("sms", "Reminder: meeting tomorrow at 14:00"),
    ]
