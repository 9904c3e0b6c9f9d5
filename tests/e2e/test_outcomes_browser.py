"""Issue 13 in a real browser, in Danish: a citizen on a 390 px phone opens Mit forløb, answers
WHO-5 at the start of her forløb - first saving a draft and coming back to it, then sending -
and the coordinator sees the score on the forløb page while the due list no longer lists it."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from core.db.tenant_scope import tenant_scope
from core.outcomes.models import QuestionnaireResponse
from tests.e2e.test_forloeb_browser import PHONE, UNLABELLED, _no_horizontal_scroll, _sign_in
from tests.test_forloeb import TODAY, _active, _api, _count, _world
from tests.test_outcomes_api import WHO5, _link, _schedule

#: WHO-5's five statements, as the Danish form's legends (numbered).
LEGENDS = [
    "1. I de sidste 2 uger har jeg været glad og i godt humør",
    "2. I de sidste 2 uger har jeg følt mig rolig og afslappet",
    "3. I de sidste 2 uger har jeg følt mig aktiv og energisk",
    "4. I de sidste 2 uger er jeg vågnet frisk og udhvilet",
    "5. I de sidste 2 uger har min dagligdag været fyldt med ting der interesserer mig",
]
ANSWER_IT = "Besvar dette spørgsmål."


@pytest.fixture
def clock(clock):
    clock.set(TODAY)
    return clock


async def test_a_citizen_answers_who5_on_a_phone_and_the_coordinator_sees_the_score(
    browser, live, tenants, sessionmaker, clock, tmp_path
):
    tenant = tenants.a
    slug = tenant.slug
    ids = await _world(sessionmaker, tenant)
    await _schedule(sessionmaker, tenant, WHO5)
    citizen, coordinator = f"who5-anna-{slug}", f"who5-fk-{slug}"
    live.add_user(citizen, ("mentee",), (slug,))
    live.add_user(coordinator, ("coordinator",), (slug,))
    await _link(live, sessionmaker, tenant, ids, Anna_Angst=citizen)
    async with await _api(live, tenant, f"who5-api-{slug}") as api:
        fid = await _active(api, ids)
    base = f"{live.url}/t/{slug}"
    shots = os.environ.get("MAKKER_SCREENSHOTS")  # a directory to keep the screenshots in

    async def shot(page, name: str) -> None:
        path = tmp_path / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        if shots:
            shutil.copy(path, os.path.join(shots, path.name))

    # The coordinator's due list names Anna's WHO-5 at the start.
    desk = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = await desk.new_page()
    await _sign_in(page, f"{base}/forloeb/opmaerksomhed", coordinator)
    due = page.locator("#spoergeskemaer li.due-questionnaire")
    await expect(due).to_have_count(1)
    await expect(due.locator("h3")).to_have_text("Anna Angst")
    await expect(due.locator(".card-subheading")).to_have_text("WHO-5 Trivselsindeks")

    # Anna, on her phone, finds the questionnaire on Mit forløb.
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="da-DK"
    )
    mobile = await phone.new_page()
    await _sign_in(mobile, f"{base}/mit/", citizen)
    section = mobile.locator("section#spoergeskemaer")
    await expect(section.locator("h2")).to_have_text("Spørgeskemaer")
    card = section.locator("li.my-questionnaire")
    await expect(card).to_have_count(1)
    await expect(card.locator("h3")).to_have_text("WHO-5 Trivselsindeks")
    await expect(card.locator(".card-subheading")).to_have_text(
        "Ved start · Sidste dag at svare: 06.12.2026"
    )
    await _no_horizontal_scroll(mobile)
    await shot(mobile, "mit-forloeb-due")
    await card.get_by_role("link", name="Besvar spørgeskemaet").click()
    await mobile.wait_for_selector("h1:text-is('WHO-5 Trivselsindeks')")
    await _no_horizontal_scroll(mobile)

    # One form: a group per statement, its legend the statement, six labelled answers each.
    form = mobile.locator("main form.questionnaire")
    assert await form.evaluate(UNLABELLED) == []
    for legend in LEGENDS:
        group = form.get_by_role("group", name=legend, exact=True)
        await expect(group.get_by_role("radio")).to_have_count(6)
        await expect(group.get_by_role("radio", name="Det meste af tiden")).to_have_count(1)
    about = mobile.locator("details.questionnaire-about")
    await expect(about.locator("summary")).to_have_text("Om spørgeskemaet: kilde og brugsvilkår")
    await about.locator("summary").click()
    await expect(about).to_contain_text("Psykiatrisk Center Nordsjælland")
    await shot(mobile, "who5-form")

    # Two answers, then "Gem og fortsæt senere": back on Mit forløb, saved.
    first = form.get_by_role("group", name=LEGENDS[0], exact=True)
    second = form.get_by_role("group", name=LEGENDS[1], exact=True)
    await first.get_by_role("radio", name="Det meste af tiden").check()
    await second.get_by_role("radio", name="Lidt mere end halvdelen af tiden").check()
    await form.get_by_role("button", name="Gem og fortsæt senere").click()
    await mobile.wait_for_url(f"{base}/mit/?spoergeskema=gemt")
    await expect(mobile.get_by_role("status")).to_contain_text(
        "Svarene er gemt. Du kan fortsætte senere."
    )
    assert await _count(sessionmaker, tenant, QuestionnaireResponse) == 1
    card = mobile.locator("li.my-questionnaire")
    await expect(card).to_contain_text("Du har gemt nogle svar.")
    await card.get_by_role("link", name="Fortsæt").click()
    await mobile.wait_for_selector("h1:text-is('WHO-5 Trivselsindeks')")
    form = mobile.locator("main form.questionnaire")
    first = form.get_by_role("group", name=LEGENDS[0], exact=True)
    await expect(first.get_by_role("radio", name="Det meste af tiden")).to_be_checked()
    await expect(
        form.get_by_role("group", name=LEGENDS[1], exact=True).get_by_role(
            "radio", name="Lidt mere end halvdelen af tiden"
        )
    ).to_be_checked()

    # Sending with three statements unanswered: nothing is sent; each is named and tied.
    async with mobile.expect_navigation() as refused:
        await form.get_by_role("button", name="Send svarene").click()
    assert (await refused.value).status == 400
    summary = mobile.locator(".error-summary")
    await expect(summary.locator("li a")).to_have_text(
        [f"Spørgsmål {n}: {ANSWER_IT}" for n in (3, 4, 5)]
    )
    assert [await a.get_attribute("href") for a in await summary.locator("li a").all()] == [
        "#f-q_active",
        "#f-q_rested",
        "#f-q_interested",
    ]
    form = mobile.locator("main form.questionnaire")
    for legend in LEGENDS[2:]:
        group = form.get_by_role("group", name=legend, exact=True)
        await expect(group).to_have_accessible_description(f"Fejl: {ANSWER_IT}")
        await expect(group.get_by_role("radio").first).to_have_attribute("aria-invalid", "true")
    await expect(
        form.get_by_role("group", name=LEGENDS[0], exact=True).get_by_role(
            "radio", name="Det meste af tiden"
        )
    ).to_be_checked()
    await _no_horizontal_scroll(mobile)
    await shot(mobile, "who5-errors")
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            (draft,) = (await session.scalars(select(QuestionnaireResponse))).all()
    assert draft.status == "draft"

    # The rest answered: sent, and back on Mit forløb with her answers over time.
    for legend in LEGENDS[2:]:
        await (
            form.get_by_role("group", name=legend, exact=True)
            .get_by_role("radio", name="Lidt mere end halvdelen af tiden")
            .check()
        )
    await form.get_by_role("button", name="Send svarene").click()
    await mobile.wait_for_url(f"{base}/mit/?spoergeskema=sendt")
    await expect(mobile.get_by_role("status")).to_contain_text("Tak. Svarene er sendt.")
    await expect(mobile.locator("section#spoergeskemaer")).to_have_count(0)
    answers = mobile.locator("section#mine-svar")
    await expect(answers.locator("h2")).to_have_text("Dine svar over tid")
    # (4 + 3 + 3 + 3 + 3) x 4
    await expect(answers.locator("tbody tr td")).to_have_text(
        ["23.11.2026", "Ved start", "64", "selv"]
    )
    await expect(answers.get_by_role("img", name="Graf: WHO-5 Trivselsindeks")).to_have_count(1)
    await _no_horizontal_scroll(mobile)
    await shot(mobile, "mit-forloeb-sent")
    await phone.close()

    # The coordinator: the due list is empty, the forløb page shows the score.
    await page.reload()
    await expect(page.locator("#spoergeskemaer li")).to_have_text(
        ["Ingen spørgeskemaer venter på svar."]
    )
    await page.goto(f"{base}/forloeb/{fid}")
    occasion = page.locator("#spoergeskemaer tr.occasion[data-occasion='who5:mentee:baseline:1']")
    await expect(occasion.locator(".badge")).to_have_text("Besvaret")
    await expect(occasion.locator("td.occasion-score")).to_have_text("64 (af 0-100)")
    await expect(occasion).to_contain_text("Besvaret af borgeren")
    await shot(page, "forloeb-score")
    await desk.close()
