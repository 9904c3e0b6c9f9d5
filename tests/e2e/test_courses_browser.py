"""A coordinator, on a phone, creates a hold with six monthly sessions, puts a mentor on it,
registers attendance session by session and sees the mentor become ready (issue 7)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core import clock as app_clock
from core.activities.recurrence import add_months, monthly_days
from core.db.tenant_scope import tenant_scope
from core.participants.consent import record_consent
from core.participants.models import Enrolment, EnrolmentEvent, EnrolmentRole, Person
from core.tenancy.models import Programme


async def _eligible_mentor(sessionmaker, tenant) -> tuple[str, str]:
    """Programme btb (hold completed at 5 attended sessions) and an eligible mentor with
    consent; returns the person's and the enrolment's ids."""
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            programme = Programme(
                slug="btb",
                name="Borger til Borger",
                type="peer_mentor",
                areas=["psykiatri"],
                policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
                plugins={"mentor_course": {"min_sessions_attended": 5}},
            )
            person = Person(name="Mona Mentorsen")
            session.add_all([programme, person])
            await session.flush()
            enrolment = Enrolment(
                person_id=person.id,
                programme_id=programme.id,
                role=EnrolmentRole.MENTOR,
                status="eligible",
            )
            session.add(enrolment)
            await session.commit()
            await record_consent(session, tenant, enrolment, "test-opsætning")
            await session.commit()  # commands do not commit; their caller does
            return str(person.id), str(enrolment.id)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_coordinator_registers_attendance_and_a_mentor_becomes_ready(
    browser, live, tenants, sessionmaker, tmp_path
):
    tenant = tenants.a
    person_id, enrolment_id = await _eligible_mentor(sessionmaker, tenant)
    name = f"holdkoord-{tenant.slug}"
    live.add_user(name, ("coordinator",), (tenant.slug,))
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = await context.new_page()
    base = f"{live.url}/t/{tenant.slug}/hold"
    await page.goto(f"{base}/")
    await page.click(f'button[data-user="{name}"]')
    await page.wait_for_url(f"{base}/")
    assert await page.locator("h1").inner_text() == "Mentorkurser"

    # A hold with six monthly sessions, the first half a year ago.
    first = add_months(app_clock.today(), -6)
    await page.select_option("select[name=programme]", "btb")
    await page.fill("input[name=start]", first.isoformat())
    await page.fill("input[name=count]", "6")
    await page.fill("input[name=capacity]", "12")
    await page.fill("textarea[name=topics]", "Velkommen\nRecovery\nGrænser\nSamtalen\nNetværk")
    await page.click("button:has-text('Opret hold')")
    await page.wait_for_selector("h1:has-text('Borger til Borger: Hold 1')")
    sessions = page.locator("ol.sessions li a")
    assert await sessions.count() == 6
    days = [d.strftime("%d.%m.%Y") for d in monthly_days(first, 6)]
    texts = await sessions.all_inner_texts()
    assert [t.split(" ")[0] for t in texts] == days
    assert texts[0].endswith("10:00-15:00: Velkommen")
    assert texts[5].endswith("Undervisningsgang 6")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    # The mentor joins the hold.
    await page.select_option("select[name=person_id]", person_id)
    await page.click("button:has-text('Tilføj til holdet')")
    card = page.locator(".card.participant")
    await card.locator("h3:text-is('Mona Mentorsen')").wait_for()
    assert "Mødt 0 af 6 gange" in await card.inner_text()

    # Attendance, one session at a time: present at sessions 1-5.
    for position in range(1, 6):
        await sessions.nth(position - 1).click()
        assert (await page.locator("h1").inner_text()).startswith(f"Fremmøde: {position}.")
        await page.check(f"input[name=present][value='{person_id}']")
        await page.click("button:has-text('Gem fremmøde')")
        await page.wait_for_selector("h1:has-text('Hold 1')")
        text = await card.inner_text()
        assert f"Mødt {position} af 6 gange" in text
        if position < 5:
            assert await card.locator(".status-ready").count() == 0
    assert await card.locator(".badge").all_inner_texts() == ["Kursus gennemført", "Klar til match"]
    await page.screenshot(path=str(tmp_path / "hold-phone.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    # The enrolment's own page shows the status and the history event of the change.
    await page.goto(f"{live.url}/t/{tenant.slug}/deltagere/tilmelding/{enrolment_id}")
    await page.wait_for_selector(".badge:text-is('Klar')")
    await context.close()

    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            enrolment = await session.get_one(Enrolment, uuid.UUID(enrolment_id))
            events = list(
                await session.scalars(
                    select(EnrolmentEvent).where(EnrolmentEvent.enrolment_id == enrolment.id)
                )
            )
    assert enrolment.status == "ready"
    assert [(e.from_status, e.to_status, e.actor, e.reason) for e in events] == [
        ("eligible", "ready", f"dev-{name}", "mentorkursus gennemført (hold 1)")
    ]
