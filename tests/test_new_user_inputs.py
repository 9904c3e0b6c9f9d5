# ruff: noqa: F811 - pytest fixtures imported from tests.plugin_fixtures are parameters here
"""Found by testing as a new user would (issue 12): an unchanged save, long texts, invisible
names and implausible dates - each refused per field in Danish (API and pages), nothing stored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape
from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy import func, select

from core.activities.models import Activity
from core.courses.models import Course
from core.db.tenant_scope import tenant_scope
from core.forloeb.schemas import TransitionIn
from core.participants.models import Enrolment, EnrolmentRole, Intake, Person
from core.participants.validation import pause_end_fault
from tests.live import browser_sign_in, csrf_token
from tests.plugin_fixtures import api, shipped  # noqa: F401 - fixtures

TODAY = dt.date(2026, 11, 23)
TOO_LONG = "x" * 10_000
AHEAD = "Fremmøde kan registreres fra selve dagen, ikke før."


@pytest.fixture(autouse=True)
def _today(clock):
    clock.set(TODAY)


class _Form(HTMLParser):
    """The fields a browser would post from a page's first ``method=post`` form."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == self.action:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        if tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))

    def handle_data(self, data):
        if self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag):
        self._textarea = None if tag == "textarea" else self._textarea
        self.inside = self.inside and tag != "form"


def form_of(html: str, action: str) -> dict[str, list[str]]:
    parser = _Form(action)
    parser.feed(html)
    assert parser.fields, f"no form posting to {action}"
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


@asynccontextmanager
async def _coordinator(live, tenant, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """A coordinator's browser, signed in."""
    live.add_user(name, ("coordinator",), (tenant.slug,))
    async with httpx.AsyncClient(base_url=live.url) as http:
        await browser_sign_in(http, live, name)
        yield http


def _api(live, tenant, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenant.slug}",
        headers={"Authorization": f"Bearer {token}"},
    )


async def _count(sessionmaker, tenant, model) -> int:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return await session.scalar(select(func.count()).select_from(model)) or 0


async def _person(sessionmaker, tenant, person_id) -> dict:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            p = await session.get_one(Person, person_id)
            return {c.key: getattr(p, c.key) for c in Person.__table__.columns}


def _field_error(html: str, field: str) -> str:
    """The field's error message, and the field marked invalid and listed in the summary."""
    text = unescape(html)
    assert re.search(rf'id="f-{field}"[^>]*\s+aria-invalid="true"', text, re.S) or re.search(
        rf'id="f-{field}"[^>]*>', text
    ), field
    tag = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="f-{field}"[^>]*>', text, re.S)
    assert tag and 'aria-invalid="true"' in tag[0], f"{field} is not marked invalid"
    assert f"e-{field}" in tag[0], f"{field} is not described by its message"
    assert f'href="#f-{field}"' in text, f"{field} is not in the error summary"
    match = re.search(
        rf'<span class="form-error-message" id="e-{field}">'
        r'<span class="sr-only">Fejl: </span>([^<]*)</span>',
        text,
    )
    assert match, f"no message for {field}"
    return match[1]


# -- 1. an unchanged save ---------------------------------------------------------------------


async def test_an_unchanged_save_of_the_edit_page_changes_nothing(live, sessionmaker, tenants):
    from tests.test_courses_activities import _world

    ids = await _world(sessionmaker, tenants.a)  # every person has a consent
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            listed = await session.get_one(Person, ids[1])
            listed.languages, listed.interests = ["dansk", "engelsk"], ["fodbold"]
            listed.availability, listed.birth_year, listed.phone = ["mon_evening"], 1980, "20304050"
    async with _coordinator(live, tenants.a, f"i12-edit-{tenants.a.slug}") as http:
        for person_id in (ids[0], ids[1]):
            before = await _person(sessionmaker, tenants.a, person_id)
            path = f"/t/{tenants.a.slug}/deltagere/{person_id}/rediger"
            page = await http.get(path)
            assert page.status_code == 200
            fields = form_of(page.text, path)
            assert fields["languages"] != ["[]"] and fields["interests"] != ["[]"]
            saved = await http.post(path, data=fields)
            assert saved.status_code == 303, saved.text
            after = await _person(sessionmaker, tenants.a, person_id)
            assert {k: v for k, v in after.items() if k != "updated_at"} == {
                k: v for k, v in before.items() if k != "updated_at"
            }
        assert (before["languages"], before["interests"]) == (["dansk", "engelsk"], ["fodbold"])


async def _intake(sessionmaker, tenant, enrolment_id) -> dict:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            row = await session.scalar(select(Intake).where(Intake.enrolment_id == enrolment_id))
            assert row is not None
            return {c.key: getattr(row, c.key) for c in Intake.__table__.columns}


async def test_an_unchanged_save_of_the_intake_changes_nothing(live, sessionmaker, tenants):
    """A før-samtale saved again as shown - its staff member left empty - keeps every column,
    ``updated_at`` too; the person's row is untouched."""
    from tests.test_courses_activities import _world

    ids = await _world(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            enrolment = await session.scalar(
                select(Enrolment).where(
                    Enrolment.person_id == ids[0], Enrolment.role == EnrolmentRole.MENTOR
                )
            )
            assert enrolment is not None
            enrolment_id = enrolment.id
            session.add(
                Intake(
                    enrolment_id=enrolment_id,
                    held_on=dt.date(2026, 11, 2),
                    staff=None,
                    motivation="Vil gerne\nhjælpe andre",
                    wish_age_min=30,
                    wish_age_max=60,
                    wish_age_required=True,
                    lived_experience=["psykiatri"],
                    capacity=2,
                    paused_until=dt.date(2026, 12, 24),
                )
            )
    before = await _intake(sessionmaker, tenants.a, enrolment_id)
    person = await _person(sessionmaker, tenants.a, ids[0])
    async with _coordinator(live, tenants.a, f"i12-intake-{tenants.a.slug}") as http:
        path = f"/t/{tenants.a.slug}/deltagere/tilmelding/{enrolment_id}"
        page = await http.get(path)
        assert page.status_code == 200
        fields = form_of(page.text, f"{path}/forsamtale")
        assert fields["staff"] == [""]
        saved = await http.post(f"{path}/forsamtale", data=fields)
        assert saved.status_code == 303, saved.text
    assert await _intake(sessionmaker, tenants.a, enrolment_id) == before
    assert await _person(sessionmaker, tenants.a, ids[0]) == person


# -- 2. holds and activities: long texts, no places, the error summary -------------------------


async def test_long_texts_and_a_hold_without_places_are_refused_in_danish(
    live, sessionmaker, tenants
):
    from tests.test_courses_activities import _sessions, _world

    await _world(sessionmaker, tenants.a)
    long_message = "Teksten er for lang (højst 200 tegn)."
    name = f"i12-hold-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    async with _coordinator(live, tenants.a, name) as http, _api(live, tenants.a, token) as api:
        session = {**_sessions(TODAY, 1)[0]}
        for body, field, message in [
            ({"capacity": 0}, "capacity", "Antallet af pladser skal være mellem 1 og 100."),
            ({"sessions": [{**session, "place": TOO_LONG}]}, "sessions", long_message),
            ({"sessions": [{**session, "topic": TOO_LONG}]}, "sessions", long_message),
        ]:
            response = await api.post(
                "/courses/", json={"programme": "btb", "capacity": 10, "sessions": [session]} | body
            )
            assert (response.status_code, response.json()["errors"]) == (400, {field: message})
        activity = {"kind": "cafe", "title": "Café", "first_on": "2026-12-01"}
        activity |= {"starts": "17:00:00", "ends": "19:00:00"}
        for field, limit in (("title", 200), ("place", 200), ("room", 100), ("description", 2000)):
            response = await api.post("/activities/", json={**activity, field: TOO_LONG})
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {field: f"Teksten er for lang (højst {limit} tegn)."},
            ), field

        index = await http.get(f"/t/{tenants.a.slug}/hold/")
        form = {
            "_csrf_token": csrf_token(index.text),
            "programme": "btb",
            "start": "2027-01-31",
            "count": "2",
            "starts": "10:00",
            "ends": "15:00",
            "capacity": "12",
            "place": "",
            "topics": "Recovery\r\nAt sige nej",
        }
        for change, field, message in [
            ({"capacity": "0"}, "capacity", "Antallet af pladser skal være mellem 1 og 100."),
            ({"place": TOO_LONG}, "place", long_message),
            ({"topics": f"Recovery\r\n{'y' * 201}"}, "topics", long_message),
            ({"ends": "09:00"}, "ends", "En undervisningsgang skal slutte, efter den begynder."),
        ]:
            bad = await http.post(f"/t/{tenants.a.slug}/hold/", data={**form, **change})
            assert bad.status_code == 400
            assert "Nogle felter er ikke udfyldt korrekt; intet er gemt." in bad.text
            assert _field_error(bad.text, field) == message
        index = await http.get(f"/t/{tenants.a.slug}/aktiviteter/")
        page_form = {
            "_csrf_token": csrf_token(index.text),
            "kind": "cafe",
            "title": "Café",
            "first_on": "2026-12-01",
            "starts": "17:00",
            "ends": "19:00",
            "recurrence": "none",
        }
        bad = await http.post(
            f"/t/{tenants.a.slug}/aktiviteter/", data={**page_form, "title": TOO_LONG}
        )
        assert bad.status_code == 400
        assert _field_error(bad.text, "title") == long_message
    assert await _count(sessionmaker, tenants.a, Course) == 0
    assert await _count(sessionmaker, tenants.a, Activity) == 0


# -- 3. control and invisible characters --------------------------------------------------------

INVISIBLE_NAMES = [
    "\u200b\u200c\u200d\u2060",
    "\ufeff",
    " \u200b ",
]
CONTROL_NAMES = [
    "\x1b[31mAnna\x1b[0m",
    "Anna\r\nDemosen",
    "Anna\x07",
    "Anna\u202eDemosen",
    "Anna\u2066Demosen\u2069",
    "Anna\uffff",
    "Anna\x85",
]


async def test_names_of_control_or_invisible_characters_are_refused(live, sessionmaker, tenants):
    from tests.test_courses_activities import _world

    ids = await _world(sessionmaker, tenants.a)
    name = f"i12-names-{tenants.a.slug}"
    people = await _count(sessionmaker, tenants.a, Person)
    one_line = (
        "Teksten indeholder et kontroltegn, et linjeskift eller et tegn, der vender "
        "skriveretningen; skriv den på én linje med almindelige tegn."
    )
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    async with _coordinator(live, tenants.a, name) as http, _api(live, tenants.a, token) as api:
        for bad_name in INVISIBLE_NAMES + CONTROL_NAMES:
            expected = "Skriv personens navn." if bad_name in INVISIBLE_NAMES else one_line
            created = await api.post("/people", json={"name": bad_name})
            assert (created.status_code, created.json()["errors"]) == (
                400,
                {"name": expected},
            ), repr(bad_name)
            changed = await api.patch(f"/people/{ids[0]}", json={"name": bad_name})
            assert changed.json()["errors"] == {"name": expected}, repr(bad_name)
        for field in ("address", "gender", "external_ref"):
            response = await api.patch(f"/people/{ids[0]}", json={field: "a\x1bb"})
            assert response.json()["errors"] == {field: one_line}, field
        response = await api.patch(f"/people/{ids[0]}", json={"languages": ["dansk\u202e"]})
        assert response.json()["errors"] == {"languages": one_line}
        activity = {"kind": "cafe", "first_on": "2026-12-01", "starts": "17:00:00"}
        activity |= {"ends": "19:00:00"}
        for title, message in (
            ("\u200b\ufeff", "Aktiviteten skal have en titel."),
            ("a\nb", one_line),
        ):
            response = await api.post("/activities/", json={**activity, "title": title})
            assert response.json()["errors"] == {"title": message}
        # Line feeds are fine in multi-line text (a browser's CR LF is stored as LF), other
        # control characters are not.
        fine = await api.post(
            "/activities/", json={**activity, "title": "Café", "description": "En\r\nTo"}
        )
        assert fine.status_code == 201, fine.text
        response = await api.post(
            "/activities/", json={**activity, "title": "Café", "description": "En\x1b[2J"}
        )
        assert list(response.json()["errors"]) == ["description"]

        path = f"/t/{tenants.a.slug}/deltagere/{ids[0]}/rediger"
        edit = await http.get(path)
        fields = form_of(edit.text, path)
        for bad_name in ("\u200b", "Anna\x1b[0m"):
            bad = await http.post(path, data={**fields, "name": bad_name})
            assert bad.status_code == 400
            assert _field_error(bad.text, "name") in ("Skriv personens navn.", one_line)
        hold = await http.get(f"/t/{tenants.a.slug}/hold/")
        bad = await http.post(
            f"/t/{tenants.a.slug}/hold/",
            data={
                "_csrf_token": csrf_token(hold.text),
                "programme": "btb",
                "start": "2027-01-31",
                "count": "1",
                "starts": "10:00",
                "ends": "15:00",
                "capacity": "12",
                "place": "Sal\u202e1",
            },
        )
        assert bad.status_code == 400 and _field_error(bad.text, "place") == one_line
    assert await _count(sessionmaker, tenants.a, Person) == people
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            assert (await session.get_one(Person, ids[0])).name == "Mentor 0 Demosen"
            activities = list(await session.scalars(select(Activity)))
    assert [a.description for a in activities] == ["En\nTo"]


# -- 4. implausible dates -----------------------------------------------------------------------


async def test_implausible_dates_are_refused_with_danish_field_messages(api, shipped, sessionmaker):
    vejle = shipped["vejle"]
    base = f"/api/v1/t/{vejle.slug}"
    created = await api.post(
        f"{base}/people",
        json={"name": "Mona Demosen", "programme": "misbrug-mentor", "role": "mentor"},
    )
    assert created.status_code == 201, created.text
    url = f"{base}/enrolments/{created.json()['enrolments'][0]['id']}"
    assert (await api.post(f"{url}/consent")).status_code == 200
    bad = await api.put(
        f"{url}/intake",
        json={
            "held_on": "0001-01-01",
            "paused_until": "2099-01-01",
            "values": {"misbrug.sober_since": "0001-01-01"},
        },
    )
    assert (bad.status_code, bad.json()["errors"]) == (
        400,
        {
            "held_on": "Før-samtalen skal være dateret inden for de seneste 5 år (fra 23.11.2021).",
            "paused_until": "En pause kan højst vare et år (til 23.11.2027).",
            "misbrug.sober_since": "Datoen skal være 01.01.1920 eller senere.",
        },
    )
    for body, field, message in [
        ({"held_on": "2026-11-24"}, "held_on", "Datoen må ikke ligge i fremtiden."),
        ({"paused_until": "2026-11-22"}, "paused_until", "Pausen kan ikke slutte i fortiden."),
        (
            {"paused_until": "2027-11-24"},
            "paused_until",
            "En pause kan højst vare et år (til 23.11.2027).",
        ),
        (
            {"values": {"misbrug.sober_since": "1919-12-31"}},
            "misbrug.sober_since",
            "Datoen skal være 01.01.1920 eller senere.",
        ),
    ]:
        response = await api.put(f"{url}/intake", json=body)
        assert (response.status_code, response.json()["errors"]) == (400, {field: message})
    person_id = created.json()["id"]
    answers = await api.put(
        f"{base}/people/{person_id}/intake",
        params={"programme": "misbrug-mentor"},
        json={"values": {"misbrug.sober_since": "0001-01-01"}},
    )
    assert answers.status_code == 400
    assert answers.json()["errors"] == {
        "misbrug.sober_since": "Datoen skal være 01.01.1920 eller senere."
    }
    good = await api.put(
        f"{url}/intake",
        json={
            "held_on": "2021-11-23",
            "paused_until": "2027-11-23",
            "values": {"misbrug.sober_since": "1920-01-01"},
        },
    )
    assert good.status_code == 200, good.text
    intake = (await api.get(url)).json()["intake"]
    assert (intake["held_on"], intake["paused_until"]) == ("2021-11-23", "2027-11-23")


def test_a_pause_ends_from_today_to_a_calendar_year_ahead():
    leap = dt.date(2028, 2, 29)
    assert pause_end_fault(leap, leap) is None
    assert pause_end_fault(dt.date(2029, 2, 28), leap) is None  # relativedelta: clamped
    assert pause_end_fault(dt.date(2029, 3, 1), leap) is not None
    assert pause_end_fault(dt.date(2028, 2, 28), leap) is not None
    assert TransitionIn(to="paused", resume_on=dt.date(2099, 1, 1)).resume_on  # checked by _move


# -- 5. the end of the calendar ------------------------------------------------------------------


async def test_a_series_reaching_the_end_of_the_calendar_is_no_server_error(
    live, sessionmaker, tenants
):
    """A weekly or monthly activity without a last date runs to 9999-12-31, where Python's dates
    end: its occurrences stop there (an empty list past it), never a 500."""
    from tests.test_courses_activities import _world

    await _world(sessionmaker, tenants.a)
    name = f"i12-end-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    base = {"kind": "cafe", "title": "Café", "starts": "17:00:00", "ends": "19:00:00"}
    async with _coordinator(live, tenants.a, name) as http, _api(live, tenants.a, token) as api:
        ids = {}
        for key, first_on, recurrence in (
            ("friday", "2026-11-27", "weekly"),
            ("wednesday", "2026-11-25", "weekly"),
            ("monthly", "2026-12-31", "monthly"),
        ):
            created = await api.post(
                "/activities/", json={**base, "first_on": first_on, "recurrence": recurrence}
            )
            assert created.status_code == 201, created.text
            ids[key] = created.json()["id"]

        async def days(key: str, start: str, n: int) -> list[str]:
            response = await api.get(f"/activities/{ids[key]}", params={"start": start, "days": n})
            assert response.status_code == 200, response.text
            return [o["day"] for o in response.json()["occurrences"]]

        fridays = ["9999-12-03", "9999-12-10", "9999-12-17", "9999-12-24", "9999-12-31"]
        assert await days("friday", "9999-12-01", 400) == fridays
        assert await days("friday", "9999-12-31", 1) == ["9999-12-31"]
        assert await days("wednesday", "9999-12-30", 400) == []
        assert await days("monthly", "9999-11-01", 400) == ["9999-11-30", "9999-12-31"]
        cancel = await api.post(f"/activities/{ids['wednesday']}/occurrences/9999-12-29/cancel")
        assert cancel.status_code == 200, cancel.text
        assert (await days("wednesday", "9999-12-29", 1)) == ["9999-12-29"]
        attendance = await api.put(
            f"/activities/{ids['friday']}/occurrences/9999-12-31/attendance", json={"present": []}
        )
        assert (attendance.status_code, attendance.json()["errors"]) == (400, {"day": AHEAD})
        page = await http.get(f"/t/{tenants.a.slug}/aktiviteter/{ids['wednesday']}/9999-12-29")
        assert page.status_code == 200
        assert "29.12.9999" in page.text
        missing = await http.get(f"/t/{tenants.a.slug}/aktiviteter/{ids['wednesday']}/9999-12-31")
        assert missing.status_code == 404


# -- 6. every fault at once, in the form's order -------------------------------------------------


def _summary(html: str) -> list[tuple[str, str]]:
    """The error summary's (field, message) pairs, in the order it lists them."""
    text = unescape(html)
    start = text.index('data-module="error-summary"')
    block = text[start : text.index("</ul>", start)]
    return re.findall(r'href="#f-([\w.:-]+)">([^<]*)</a>', block)


async def test_the_activity_and_hold_forms_name_every_fault_at_once(live, sessionmaker, tenants):
    from tests.test_courses_activities import _world

    await _world(sessionmaker, tenants.a)
    long_message = "Teksten er for lang (højst 200 tegn)."
    name = f"i12-all-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    async with _coordinator(live, tenants.a, name) as http, _api(live, tenants.a, token) as api:
        index = await http.get(f"/t/{tenants.a.slug}/aktiviteter/")
        bad = await http.post(
            f"/t/{tenants.a.slug}/aktiviteter/",
            data={
                "_csrf_token": csrf_token(index.text),
                "kind": "cafe",
                "title": TOO_LONG,
                "first_on": "",
                "starts": "17:00",
                "ends": "16:00",
                "recurrence": "none",
                "place": "p" * 500,
            },
        )
        assert bad.status_code == 400
        assert _summary(bad.text) == [
            ("title", long_message),
            ("first_on", "Angiv datoen for første gang."),
            ("ends", "Aktiviteten skal slutte, efter den begynder."),
            ("place", long_message),
        ]
        for field in ("title", "first_on", "ends", "place"):
            assert _field_error(bad.text, field)
        response = await api.post(
            "/activities/",
            json={
                "kind": "party",
                "title": TOO_LONG,
                "first_on": "2026-12-01",
                "starts": "17:00:00",
                "ends": "16:00:00",
                "recurrence": "daily",
                "until": "2026-11-30",
                "programme": "nope",
                "place": "p" * 500,
            },
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == [
            "kind",
            "title",
            "programme",
            "ends",
            "recurrence",
            "until",
            "place",
        ]

        index = await http.get(f"/t/{tenants.a.slug}/hold/")
        form = {
            "_csrf_token": csrf_token(index.text),
            "programme": "btb",
            "start": "2027-01-31",
            "count": "2",
            "starts": "10:00",
            "ends": "15:00",
            "capacity": "12",
            "place": "",
            "topics": "",
        }
        bad = await http.post(
            f"/t/{tenants.a.slug}/hold/",
            data={**form, "capacity": "0", "place": TOO_LONG},
        )
        assert bad.status_code == 400
        assert _summary(bad.text) == [
            ("capacity", "Antallet af pladser skal være mellem 1 og 100."),
            ("place", long_message),
        ]
        bad = await http.post(
            f"/t/{tenants.a.slug}/hold/",
            data={
                **form,
                "programme": "",
                "start": "",
                "count": "0",
                "ends": "09:00",
                "capacity": "0",
                "place": TOO_LONG,
                "topics": "y" * 201,
            },
        )
        assert bad.status_code == 400
        assert _summary(bad.text) == [
            ("programme", "Vælg et tilbud."),
            ("start", "Angiv datoen for første undervisningsgang."),
            ("count", "Angiv et antal undervisningsgange mellem 1 og 24."),
            ("ends", "En undervisningsgang skal slutte, efter den begynder."),
            ("capacity", "Antallet af pladser skal være mellem 1 og 100."),
            ("place", long_message),
            ("topics", long_message),
        ]
        response = await api.post(
            "/courses/", json={"programme": "nope", "capacity": 0, "sessions": [], "number": 0}
        )
        assert response.json() == {
            "status_code": 400,
            "detail": "Nogle felter er ikke udfyldt korrekt; intet er gemt.",
            "errors": {
                "programme": "Tilbuddet findes ikke i denne organisation.",
                "capacity": "Antallet af pladser skal være mellem 1 og 100.",
                "sessions": "Et hold har mellem 1 og 24 undervisningsgange.",
                "number": "Holdnummeret skal være mellem 1 og 999.",
            },
        }
    assert await _count(sessionmaker, tenants.a, Course) == 0
    assert await _count(sessionmaker, tenants.a, Activity) == 0


async def test_implausible_first_dates_and_attendance_ahead_are_refused(
    live, sessionmaker, tenants
):
    """A hold or an activity starts within 5 years back and 2 years ahead (never year 1 or
    9999); attendance is registered from the day on, like a meeting."""
    from core.activities.models import ActivityAttendance
    from core.courses.models import CourseAttendance
    from tests.test_courses_activities import _sessions, _world

    ids = await _world(sessionmaker, tenants.a)
    earliest = "Datoen skal være 23.11.2021 eller senere."
    latest = "Datoen skal være 23.11.2028 eller tidligere."
    name = f"i12-dates-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    async with _coordinator(live, tenants.a, name) as http, _api(live, tenants.a, token) as api:
        hold = {"programme": "btb", "capacity": 10}
        for sessions, message in (
            (_sessions(dt.date(1, 1, 1), 1), earliest),
            (_sessions(dt.date(9999, 12, 31), 1), latest),
            (_sessions(dt.date(2021, 11, 22), 2), earliest),
            (
                _sessions(dt.date(2026, 12, 1), 1) + _sessions(dt.date(2028, 12, 2), 1),
                "Et holds undervisningsgange skal ligge inden for to år fra den første.",
            ),
        ):
            response = await api.post("/courses/", json={**hold, "sessions": sessions})
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {"sessions": message},
            ), sessions
        activity = {"kind": "cafe", "title": "Café", "starts": "17:00:00", "ends": "19:00:00"}
        for first_on, message in (("0001-01-01", earliest), ("9999-12-31", latest)):
            response = await api.post("/activities/", json={**activity, "first_on": first_on})
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {"first_on": message},
            )
        index = await http.get(f"/t/{tenants.a.slug}/hold/")
        bad = await http.post(
            f"/t/{tenants.a.slug}/hold/",
            data={
                "_csrf_token": csrf_token(index.text),
                "programme": "btb",
                "start": "0001-01-01",
                "count": "2",
                "starts": "10:00",
                "ends": "15:00",
                "capacity": "12",
            },
        )
        assert bad.status_code == 400
        assert _field_error(bad.text, "start") == earliest
        assert "01.01.1" not in unescape(bad.text)
        index = await http.get(f"/t/{tenants.a.slug}/aktiviteter/")
        bad = await http.post(
            f"/t/{tenants.a.slug}/aktiviteter/",
            data={
                "_csrf_token": csrf_token(index.text),
                "kind": "cafe",
                "title": "Café",
                "first_on": "9999-12-31",
                "starts": "17:00",
                "ends": "19:00",
                "recurrence": "none",
            },
        )
        assert bad.status_code == 400
        assert _field_error(bad.text, "first_on") == latest
        assert await _count(sessionmaker, tenants.a, Course) == 0
        assert await _count(sessionmaker, tenants.a, Activity) == 0

        # Attendance: today's session and occurrence yes, a coming one no.
        week = dt.timedelta(days=7)
        created = await api.post(
            "/courses/",
            json={**hold, "sessions": _sessions(TODAY, 1) + _sessions(TODAY + week, 1)},
        )
        assert created.status_code == 201, created.text
        course = created.json()
        today_session, next_session = (s["id"] for s in course["sessions"])
        added = await api.post(
            f"/courses/{course['id']}/participants", json={"person_id": str(ids[0])}
        )
        assert added.status_code == 201
        present = {"present": [str(ids[0])]}
        url = f"/courses/{course['id']}/sessions"
        ahead = await api.put(f"{url}/{next_session}/attendance", json=present)
        assert (ahead.status_code, ahead.json()["errors"]) == (400, {"present": AHEAD})
        page = f"/t/{tenants.a.slug}/hold/{course['id']}/gange/{next_session}"
        form = await http.get(page)
        bad = await http.post(
            page, data={"_csrf_token": csrf_token(form.text), "present": str(ids[0])}
        )
        assert bad.status_code == 400 and AHEAD in unescape(bad.text)
        assert await _count(sessionmaker, tenants.a, CourseAttendance) == 0
        ok = await api.put(f"{url}/{today_session}/attendance", json=present)
        assert ok.status_code == 200, ok.text

        weekly = await api.post(
            "/activities/",
            json={**activity, "first_on": (TODAY - week).isoformat(), "recurrence": "weekly"},
        )
        assert weekly.status_code == 201, weekly.text
        aid = weekly.json()["id"]
        coming = (TODAY + week).isoformat()
        ahead = await api.put(
            f"/activities/{aid}/occurrences/{coming}/attendance", json={"present": []}
        )
        assert (ahead.status_code, ahead.json()["errors"]) == (400, {"day": AHEAD})
        page = f"/t/{tenants.a.slug}/aktiviteter/{aid}/{coming}"
        form = await http.get(page)
        bad = await http.post(
            page, data={"_csrf_token": csrf_token(form.text), "present": str(ids[0])}
        )
        assert bad.status_code == 400 and AHEAD in unescape(bad.text)
        assert await _count(sessionmaker, tenants.a, ActivityAttendance) == 0
        ok = await api.put(
            f"/activities/{aid}/occurrences/{TODAY.isoformat()}/attendance", json=present
        )
        assert ok.status_code == 200, ok.text
    assert await _count(sessionmaker, tenants.a, CourseAttendance) == 1
    assert await _count(sessionmaker, tenants.a, ActivityAttendance) == 1


# -- 7. types as the document says them ----------------------------------------------------------


def test_every_api_route_checks_its_input_strictly():
    """Litestar converts a handler's input laxly (``"5"`` for an integer): every ``/api/``
    route checks it first (core.strict_input)."""
    from core.app import create_app
    from core.settings import Settings
    from core.strict_input import strict_input

    url = "sqlite+aiosqlite:///unused.sqlite3"
    app = create_app(Settings(database_url=url, migration_database_url=url))
    handlers = [
        (route.path, handler)
        for route in app.routes
        if route.path.startswith("/api/")
        for handler in getattr(route, "route_handlers", ())
    ]
    assert handlers
    lax = [path for path, h in handlers if h.resolve_before_request() is not strict_input]
    assert lax == []


async def test_wrong_json_and_query_types_are_refused_per_field(live, sessionmaker, tenants):
    from tests.test_courses_activities import _sessions, _world

    ids = await _world(sessionmaker, tenants.a)
    name = f"i12-types-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    invalid = "Værdien er ikke gyldig."
    async with _api(live, tenants.a, token) as api, _coordinator(live, tenants.a, name) as http:
        hold = {"programme": "btb", "capacity": 5, "sessions": _sessions(TODAY, 1)}
        for body, field in (
            ({**hold, "capacity": "5"}, "capacity"),
            ({**hold, "capacity": 5.0}, "capacity"),
            ({**hold, "capacity": True}, "capacity"),
            ({**hold, "number": "2"}, "number"),
            ({**hold, "sessions": [{**_sessions(TODAY, 1)[0], "starts": 10}]}, "sessions"),
        ):
            response = await api.post("/courses/", json=body)
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {field: invalid},
            ), body
            assert (
                response.json()["detail"] == "Nogle felter er ikke udfyldt korrekt; intet er gemt."
            )
        activity = {"kind": "cafe", "title": "Café", "first_on": "2026-12-01"}
        activity |= {"starts": "17:00:00", "ends": "19:00:00"}
        response = await api.post("/activities/", json={**activity, "published": "false"})
        assert response.json()["errors"] == {"published": invalid}
        response = await api.post(
            f"/activities/{ids[0]}/members", json={"person_id": 5}
        )  # no such activity: the type is refused first
        assert response.json()["errors"] == {"person_id": invalid}
        for path, params, field in (
            ("/courses/", {"offset": "1e3"}, "offset"),
            ("/courses/", {"limit": "5.0"}, "limit"),
            ("/activities/", {"offset": "1e3"}, "offset"),
            ("/people", {"page": "2.0"}, "page"),
            ("/people", {"offset": "1e3"}, "offset"),
            ("/forloeb", {"limit": "1e2"}, "limit"),
        ):
            response = await api.get(path, params=params)
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {field: invalid},
            ), (path, params)
        # Well-typed values still work, a negative number gets the check's own message.
        assert (await api.get("/courses/", params={"offset": "0", "limit": "5"})).status_code == 200
        negative = await api.get("/courses/", params={"offset": "-1"})
        assert negative.json()["errors"] == {"offset": "Forskydningen skal være 0 eller mere."}
        created = await api.post("/courses/", json=hold)
        assert created.status_code == 201, created.text
        # A page's form is text, converted as before.
        page = await http.get(f"/t/{tenants.a.slug}/deltagere/", params={"page": "1e3"})
        assert page.status_code == 400
    assert await _count(sessionmaker, tenants.a, Course) == 1


# -- 8. free text: control characters and a clear length ----------------------------------------

MULTI_LINE = (
    "Teksten indeholder et kontroltegn eller et tegn, der vender skriveretningen; kun "
    "almindelige tegn og linjeskift er tilladt."
)


async def test_notes_and_reasons_refuse_control_characters_with_a_clear_length_message(
    live, sessionmaker, tenants
):
    """A meeting's note, a forløb's reason, a correction's reason, a consent text and an
    override's reason are checked like names (several lines allowed); a too-long note says how
    long it may be, and the page's textarea says it too (maxlength)."""
    from core.forloeb.models import Meeting
    from tests.test_forloeb import _active
    from tests.test_forloeb import _world as forloeb_world
    from tests.test_outcomes_api import WHO5, _schedule, _who5

    ids = await forloeb_world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    name = f"i12-notes-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    too_long = "Teksten er for lang (højst 2000 tegn)."
    async with _api(live, tenants.a, token) as api, _coordinator(live, tenants.a, name) as http:
        fid = await _active(api, ids)
        meeting = {"day": TODAY.isoformat(), "activity": "cafe", "duration_minutes": 30}
        for note, message in (
            ("a\u202eb \u001b[31m", MULTI_LINE),
            ("\u2066skjult\u2069", MULTI_LINE),
            ("x" * 3000, too_long),
        ):
            response = await api.post(f"/forloeb/{fid}/meetings", json={**meeting, "note": note})
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {"note": message},
            ), repr(note[:20])
        fine = await api.post(f"/forloeb/{fid}/meetings", json={**meeting, "note": "Godt\r\nmøde"})
        assert (fine.status_code, fine.json()["note"]) == (201, "Godt\nmøde")
        path = f"/t/{tenants.a.slug}/forloeb/{fid}/moede"
        form = await http.get(path)
        assert re.search(r'<textarea[^>]*name="note"[^>]*maxlength="2000"', form.text)
        fields = {k: v[0] for k, v in form_of(form.text, path).items()}
        for note, message in (("x" * 3000, too_long), ("a\x1b[2Jb", MULTI_LINE)):
            bad = await http.post(path, data={**fields, "activity": "cafe", "note": note})
            assert bad.status_code == 400
            assert _field_error(bad.text, "note") == message
        assert await _count(sessionmaker, tenants.a, Meeting) == 1

        for reason, message in (("Syg\u202e", MULTI_LINE), ("x" * 2001, too_long)):
            response = await api.post(
                f"/forloeb/{fid}/transitions", json={"to": "paused", "reason": reason}
            )
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {"reason": message},
            )
        blank = await api.post(
            f"/forloeb/{fid}/transitions", json={"to": "paused", "reason": "\u200b\u200b"}
        )
        assert blank.json()["errors"] == {"reason": "Skriv en begrundelse."}

        url = f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1"
        sent = await api.put(url, json={"answers": _who5(2), "submit": True})
        assert sent.status_code == 200, sent.text
        corrections = f"/questionnaire-responses/{sent.json()['id']}/corrections"
        for reason, message in (
            ("Læst\x1b[2J forkert", MULTI_LINE),
            ("\u200b\ufeff", "Skriv hvorfor svarene rettes."),
        ):
            response = await api.post(corrections, json={"answers": _who5(3), "reason": reason})
            assert (response.status_code, response.json()["errors"]) == (
                400,
                {"reason": message},
            )

        admin = f"i12-admin-{tenants.a.slug}"
        live.add_user(admin, ("tenant_admin",), (tenants.a.slug,))
        async with _api(live, tenants.a, await live.access_token(admin)) as admin_api:
            consent = await admin_api.post(
                "/programmes/btb/consent-text",
                json={"body": "Jeg giver samtykke til, at oplysningerne\u202e gemmes."},
            )
        assert (consent.status_code, consent.json()["errors"]) == (400, {"body": MULTI_LINE})
        override = await api.post(
            f"/enrolments/{ids['Anna Angst']}/override", json={"reason": "\u200b" * 12}
        )
        assert override.json()["errors"] == {"reason": "Skriv en begrundelse på mindst 10 tegn."}


def test_a_plugins_text_answer_refuses_control_characters():
    from core.plugin_api import IntakeField
    from core.programmes.intake import IntakeValidationError, validate_intake_values

    field = IntakeField(name="note", type="text", label="Note", plugin="eksempel")
    one_line = (
        "Teksten indeholder et kontroltegn, et linjeskift eller et tegn, der vender "
        "skriveretningen; skriv den på én linje med almindelige tegn."
    )
    for value in ("a\u202eb", "a\nb", "\x1b[31m"):
        with pytest.raises(IntakeValidationError) as caught:
            validate_intake_values([field], {"eksempel.note": value}, TODAY)
        assert caught.value.errors == {"eksempel.note": one_line}
    assert validate_intake_values([field], {"eksempel.note": "Fint"}, TODAY) == {
        "eksempel.note": "Fint"
    }


# -- 9. the error summary in the form's order ----------------------------------------------------


async def test_person_and_intake_errors_are_listed_in_the_forms_order(live, sessionmaker, tenants):
    from tests.test_courses_activities import _world

    ids = await _world(sessionmaker, tenants.a)
    people = await _count(sessionmaker, tenants.a, Person)
    name = f"i12-order-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    bad_person = {
        "name": "\u200b",
        "phone": "abc",
        "email": "ikke-en-adresse",
        "address": "Vej\x1b 1",
        "postal_code": "12",
    }
    order = ["name", "phone", "email", "address", "postal_code"]
    async with _coordinator(live, tenants.a, name) as http, _api(live, tenants.a, token) as api:
        new = await http.get(f"/t/{tenants.a.slug}/deltagere/ny")
        bad = await http.post(
            f"/t/{tenants.a.slug}/deltagere/ny",
            data={"_csrf_token": csrf_token(new.text), **bad_person},
        )
        assert bad.status_code == 400
        assert [field for field, _message in _summary(bad.text)] == order
        response = await api.post("/people", json=bad_person)
        assert list(response.json()["errors"]) == order
        path = f"/t/{tenants.a.slug}/deltagere/{ids[0]}/rediger"
        edit = await http.get(path)
        fields = form_of(edit.text, path)
        bad = await http.post(path, data={**fields, **bad_person, "birth_year": "2999"})
        assert bad.status_code == 400
        assert [field for field, _message in _summary(bad.text)] == [*order, "birth_year"]

        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session:
                enrolment = await session.scalar(
                    select(Enrolment).where(
                        Enrolment.person_id == ids[0], Enrolment.role == EnrolmentRole.MENTOR
                    )
                )
                assert enrolment is not None
        page = f"/t/{tenants.a.slug}/deltagere/tilmelding/{enrolment.id}"
        shown = await http.get(page)
        fields = form_of(shown.text, f"{page}/forsamtale")
        bad = await http.post(
            f"{page}/forsamtale",
            data={
                **fields,
                "held_on": "2099-01-01",
                "motivation": "Gerne\x07",
                "wish_gender": "k" * 61,
                "wish_age_min": "30",
                "wish_age_max": "20",
                "paused_until": "2020-01-01",
            },
        )
        assert bad.status_code == 400
        assert [field for field, _message in _summary(bad.text)] == [
            "held_on",
            "motivation",
            "wish_gender",
            "wish_age_max",
            "paused_until",
        ]
    assert await _count(sessionmaker, tenants.a, Person) == people
    assert await _count(sessionmaker, tenants.a, Intake) == 0


# -- 10. the document is consistent ---------------------------------------------------------------


def _document() -> dict:
    from core.app import create_app
    from core.settings import Settings

    url = "sqlite+aiosqlite:///unused.sqlite3"
    app = create_app(Settings(database_url=url, migration_database_url=url))
    return app.openapi_schema.to_schema()


def test_a_meetings_day_is_a_date_and_no_default_is_outside_its_enum():
    from core.forloeb.models import ACTIVITIES

    schemas = _document()["components"]["schemas"]
    meeting = schemas["MeetingIn"]["properties"]
    assert meeting["day"]["format"] == "date" and "default" not in meeting["day"]
    assert meeting["activity"]["enum"] == list(ACTIVITIES)
    assert "default" not in meeting["activity"]
    assert meeting["note"]["maxLength"] == 2000
    outside = [
        f"{name}.{key}"
        for name, schema in schemas.items()
        for key, prop in (schema.get("properties") or {}).items()
        if "enum" in prop and "default" in prop and prop["default"] not in prop["enum"]
    ]
    assert outside == []


async def test_a_meeting_without_day_or_activity_gets_the_commands_messages(
    live, sessionmaker, tenants
):
    from core.forloeb.models import Meeting
    from tests.test_forloeb import _active
    from tests.test_forloeb import _world as forloeb_world

    ids = await forloeb_world(sessionmaker, tenants.a)
    name = f"i12-meeting-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    day, activity = "Skriv datoen for mødet.", "Vælg hvad I lavede."
    async with _api(live, tenants.a, token) as api, _coordinator(live, tenants.a, name) as http:
        fid = await _active(api, ids)
        for body, errors in (
            ({"duration_minutes": 30}, {"day": day, "activity": activity}),
            ({"day": "2026-13-45", "activity": "cafe", "duration_minutes": 30}, {"day": day}),
            (
                {"day": "", "activity": "", "duration_minutes": 30},
                {"day": day, "activity": activity},
            ),
        ):
            response = await api.post(f"/forloeb/{fid}/meetings", json=body)
            assert (response.status_code, response.json()["errors"]) == (400, errors), body
        path = f"/t/{tenants.a.slug}/forloeb/{fid}/moede"
        form = await http.get(path)
        fields = {k: v[0] for k, v in form_of(form.text, path).items()}
        bad = await http.post(path, data={**fields, "day": ""})  # and no activity chosen
        assert bad.status_code == 400
        assert [f for f, _m in _summary(bad.text)] == ["day", "activity"]
        assert _field_error(bad.text, "day") == day
        assert activity in unescape(bad.text)
    assert await _count(sessionmaker, tenants.a, Meeting) == 0


# -- 11. search text as typed -----------------------------------------------------------------


async def test_a_search_for_percent_or_underscore_finds_those_characters_only(
    live, sessionmaker, tenants
):
    from tests.test_courses_activities import _world

    await _world(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            session.add_all(
                [
                    Person(name="Hans 100% Hansen"),
                    Person(name="Grete Sagsen", external_ref="sag_12"),
                    Person(name="Back\\slash Berg"),
                ]
            )
    name = f"i12-search-{tenants.a.slug}"
    live.add_user(name, ("coordinator",), (tenants.a.slug,))
    token = await live.access_token(name)
    async with _api(live, tenants.a, token) as api, _coordinator(live, tenants.a, name) as http:

        async def found(q: str) -> list[str]:
            response = await api.get("/people", params={"q": q, "limit": 100})
            assert response.status_code == 200, response.text
            return [p["name"] for p in response.json()["items"]]

        assert await found("%") == ["Hans 100% Hansen"]
        assert await found("_") == ["Grete Sagsen"]
        assert await found("\\") == ["Back\\slash Berg"]
        assert await found("0%") == ["Hans 100% Hansen"]
        assert await found("a%n") == []
        assert await found("sag_1") == ["Grete Sagsen"]
        assert await found("sag%1") == []
        assert len(await found("sen")) == 7  # the five of the world, Hans and Grete
        page = await http.get(f"/t/{tenants.a.slug}/deltagere/", params={"q": "%"})
        assert page.status_code == 200
        text = unescape(page.text)
        assert "Hans 100% Hansen" in text and "Mentor 0 Demosen" not in text
