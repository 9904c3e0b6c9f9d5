"""The personal calendar link on "Mit forløb" (issue 12): a mentor makes it, copies it, the feed
works, she revokes it (after a confirmation step) and the old link answers 404; a new one can be
made. The same commands answer ``/api/v1/t/{t}/me/calendar-link``. Another tenant's user and a
sign-in without a person can do neither. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape

import httpx
from icalendar import Calendar
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.calendar.models import CalendarLink
from tests.live import browser_sign_in, csrf_token
from tests.test_mine import _client, _link, _world

SECTION = "Din kalender"
CREATE = "Lav et kalenderlink"
REVOKE = "Tilbagekald link"
CONFIRM = "Vil du tilbagekalde kalenderlinket?"
REVOKED = "Kalenderlinket er tilbagekaldt og virker ikke længere."


def _shown_link(html: str) -> str:
    """The link in the read-only field of the page (shown once, after making it)."""
    match = re.search(r'id="calendar-url" type="text" readonly value="([^"]+)"', html)
    assert match, "no calendar link on the page"
    return unescape(match[1])


@asynccontextmanager
async def _signed_in(live, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in like a browser (session and CSRF cookies) as ``username``."""
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, username)
        yield browser


async def _links(sessionmaker, *tenants) -> int:
    """How many calendar links (working or revoked) the tenants' people have."""
    async with sessionmaker() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(CalendarLink)
            .where(CalendarLink.owner_tenant_id.in_([t.id for t in tenants]))
        )
    return int(found or 0)


async def test_mentor_makes_copies_and_revokes_her_calendar_link_on_the_page(
    live, sessionmaker, tenants
):
    ids = await _world(sessionmaker, tenants.a)
    slug, mentor = tenants.a.slug, f"cal-m-{tenants.a.slug}"
    await _link(live, sessionmaker, tenants.a, ids, "mentor", mentor, ("mentor",))
    mine = f"/t/{slug}/mit"
    async with _signed_in(live, mentor) as browser:
        # No link yet: the section explains it and offers to make one.
        page = await browser.get(f"{mine}/")
        assert page.status_code == 200
        assert SECTION in page.text
        assert "Alle, der har linket, kan se dem, så behold det for dig selv." in page.text
        assert f'action="{mine}/kalender"' in page.text and CREATE in page.text
        assert REVOKE not in page.text and 'id="calendar-url"' not in page.text
        token = csrf_token(page.text)

        # Making it answers the page with the link, once, and a webcal:// subscription.
        made = await browser.post(f"{mine}/kalender", data={"_csrf_token": token})
        assert made.status_code == 200
        assert made.headers["cache-control"] == "no-store"
        url = _shown_link(made.text)
        assert url.startswith(f"{live.url}/kalender/") and url.endswith(".ics")
        webcal = "webcal://" + url.split("://", 1)[1]
        assert f'href="{webcal}"' in made.text
        assert "Kopiér link" in made.text and 'data-copied="Kopieret"' in made.text
        assert 'aria-live="polite"' in made.text
        assert "Dit kalenderlink er klar" in made.text

        async with httpx.AsyncClient() as anonymous:
            feed = await anonymous.get(url)
        assert (feed.status_code, feed.headers["content-type"]) == (
            200,
            "text/calendar; charset=utf-8",
        )
        summaries = {str(e["summary"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
        assert {"Mentorkursus, hold 3: Samtalen", "Aktivitet interest_group"} <= summaries
        assert "Mona Mentorsen" not in feed.text

        # Later the page says a link works, but never shows it again.
        again = await browser.get(f"{mine}/")
        assert "og det virker stadig." in again.text
        assert url.rsplit("/", 1)[1] not in again.text
        assert 'id="calendar-url"' not in again.text
        assert f'href="{mine}/?kalender=tilbagekald#kalender"' in again.text

        # Revoking has a confirmation step; then the old link answers 404.
        confirm = await browser.get(f"{mine}/", params={"kalender": "tilbagekald"})
        assert CONFIRM in confirm.text
        assert f'action="{mine}/kalender/tilbagekald"' in confirm.text
        assert 'id="calendar-create"' not in confirm.text
        revoked = await browser.post(f"{mine}/kalender/tilbagekald", data={"_csrf_token": token})
        assert (revoked.status_code, revoked.headers["location"]) == (
            303,
            f"{mine}/?kalender=tilbagekaldt#kalender",
        )
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(url)).status_code == 404
        after = await browser.get(revoked.headers["location"])
        assert REVOKED in after.text and CREATE in after.text and REVOKE not in after.text
        # Without a working link the confirmation step is not offered.
        nothing = await browser.get(f"{mine}/", params={"kalender": "tilbagekald"})
        assert CONFIRM not in nothing.text and CREATE in nothing.text

        # A new link can be made; making another replaces it.
        second = _shown_link(
            (await browser.post(f"{mine}/kalender", data={"_csrf_token": token})).text
        )
        third_page = await browser.post(f"{mine}/kalender", data={"_csrf_token": token})
        third = _shown_link(third_page.text)
        assert len({url, second, third}) == 3
        async with httpx.AsyncClient() as anonymous:
            assert [(await anonymous.get(u)).status_code for u in (url, second, third)] == [
                404,
                404,
                200,
            ]
        # Without the CSRF token nothing happens.
        refused = await browser.post(f"{mine}/kalender/tilbagekald")
        assert refused.status_code == 403
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(third)).status_code == 200

    async with sessionmaker() as session:
        rows = list(
            await session.execute(
                select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
                .where(
                    AuditEvent.tenant_slug == slug,
                    AuditEvent.action.like("calendar_link_%"),
                )
                .order_by(AuditEvent.at)
            )
        )
    person = str(ids["mentor"])
    assert [tuple(r) for r in rows] == [
        ("calendar_link_created", "person", person),
        ("calendar_link_revoked", "person", person),
        ("calendar_link_created", "person", person),
        ("calendar_link_created", "person", person),
    ]


async def test_me_api_makes_and_revokes_the_callers_own_link(live, sessionmaker, tenants):
    ids = await _world(sessionmaker, tenants.a)
    mentee = f"cal-b-{tenants.a.slug}"
    await _link(live, sessionmaker, tenants.a, ids, "mentee", mentee, ("mentee",))
    async with await _client(live, tenants.a, mentee, ("mentee",)) as api:
        made = await api.post("/me/calendar-link")
        assert made.status_code == 201
        url = made.json()["url"]
        assert url.startswith(f"{live.url}/kalender/") and url.endswith(".ics")
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(url)).status_code == 200
        assert (await api.delete("/me/calendar-link")).status_code == 204
        assert (await api.delete("/me/calendar-link")).status_code == 204
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(url)).status_code == 404
    async with await _client(live, tenants.a, f"cal-u-{tenants.a.slug}", ("mentor",)) as api:
        for method in ("POST", "DELETE"):
            response = await api.request(method, "/me/calendar-link")
            assert (response.status_code, response.json()) == (
                404,
                {"status_code": 404, "detail": "Findes ikke."},
            )


async def test_another_tenants_user_can_neither_make_nor_revoke(live, sessionmaker, tenants):
    ids = await _world(sessionmaker, tenants.a)
    await _world(sessionmaker, tenants.b)
    a, b = tenants.a.slug, tenants.b.slug
    owner = f"cal-o-{a}"
    await _link(live, sessionmaker, tenants.a, ids, "mentor", owner, ("mentor",))
    async with await _client(live, tenants.a, owner, ("mentor",)) as api:
        url = (await api.post("/me/calendar-link")).json()["url"]
    # A member of B only, whose sign-in is even linked to the same person in A.
    other = f"cal-x-{b}"
    await _link(live, sessionmaker, tenants.a, ids, "mentor", other, ("mentor",))
    live.add_user(other, ("mentor",), (b,))
    before = await _links(sessionmaker, tenants.a, tenants.b)
    async with _signed_in(live, other) as browser:
        token = csrf_token((await browser.get(f"/t/{b}/mit/")).text)
        for slug in (a, b):  # A: not a member; B: no person linked to the sign-in
            for path in ("kalender", "kalender/tilbagekald"):
                response = await browser.post(f"/t/{slug}/mit/{path}", data={"_csrf_token": token})
                assert response.status_code == 404, (slug, path)
                assert "Mona Mentorsen" not in response.text
    async with httpx.AsyncClient(
        base_url=live.url,
        headers={"Authorization": f"Bearer {await live.access_token(other)}"},
    ) as api:
        for slug in (a, b):
            for method in ("POST", "DELETE"):
                response = await api.request(method, f"/api/v1/t/{slug}/me/calendar-link")
                assert response.status_code == 404, (slug, method)
    assert await _links(sessionmaker, tenants.a, tenants.b) == before
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(url)).status_code == 200


async def test_a_sign_in_without_a_person_sees_no_calendar_section(live, sessionmaker, tenants):
    await _world(sessionmaker, tenants.a)
    name = f"cal-n-{tenants.a.slug}"
    live.add_user(name, ("mentor",), (tenants.a.slug,))
    async with _signed_in(live, name) as browser:
        page = await browser.get(f"/t/{tenants.a.slug}/mit/")
        assert page.status_code == 200
        assert "Din bruger er ikke knyttet til en deltager endnu." in page.text
        assert SECTION not in page.text and 'id="kalender"' not in page.text
        made = await browser.post(
            f"/t/{tenants.a.slug}/mit/kalender", data={"_csrf_token": csrf_token(page.text)}
        )
        assert made.status_code == 404
    assert await _links(sessionmaker, tenants.a) == 0
