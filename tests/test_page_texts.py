"""What the pages write (issue 12): one Danish date format (30.11.2026, 13:05), Danish plurals
("1 ledig plads"), no "6-6 måneder", who acted as a name or a role (never an internal id), a
matching strategy by its Danish description; and the før-samtale's one "Egen erfaring" group,
which the lived-experience rule reads. Pages on SQLite and PostgreSQL."""

# ruff: noqa: F811 - pytest fixtures imported from other test modules are parameters here

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx
from jinja2 import Environment
from sqlalchemy import select, update

from core.db.tenant_scope import tenant_scope
from core.identity.principal import Principal
from core.participants.models import Intake
from core.tenancy.models import Programme
from core.web.filters import FILTERS, SYSTEM_ACTORS, date, local_time, months_text, time
from tests.live import browser_sign_in, csrf_token
from tests.plugin_fixtures import shipped  # noqa: F401 - fixture
from tests.test_forloeb import TODAY, _world, today  # noqa: F401 - fixture

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# -- the filters ------------------------------------------------------------------------------
def test_one_danish_date_and_time_format():
    assert date(dt.date(2026, 11, 30)) == "30.11.2026"
    # A stored timestamp is UTC; the page shows the Danish date and time.
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert (date(late), time(late), local_time(late)) == ("01.12.2026", "00:30", "01.12.2026 00:30")
    assert time(dt.time(13, 5)) == "13:05"
    assert (date(None), time(None), local_time(None)) == ("", "", "")


def test_a_length_in_months_is_a_range_only_when_it_is_one():
    assert months_text(6, 6) == "6 måneder"
    assert months_text(1) == "1 måned"
    assert months_text(6, 9) == "6-9 måneder"


def _render(source: str, user: Principal | None, **values: object) -> str:
    env = Environment(autoescape=True)
    env.filters.update(FILTERS)
    request = SimpleNamespace(scope={"user": user}, app=SimpleNamespace(state={}))
    return env.from_string(source).render(request=request, **values)


def test_who_acted_is_a_name_or_a_role_never_an_id():
    me = Principal(
        issuer="i",
        subject="dev-vejle-koordinator",
        username="vejle-koordinator",
        name="Vibeke Koordinatorsen",
        roles=frozenset({"coordinator"}),
        tenants=frozenset({"vejle"}),
    )
    source = "{{ a|actor }}"
    assert _render(source, me, a="dev-vejle-koordinator") == "Vibeke Koordinatorsen"
    assert _render(source, me, a="dev-vejle-admin") == "koordinator"
    assert _render(source, None, a="dev-vejle-koordinator") == "koordinator"
    assert _render(source, me, a="makker-demo") == "Makker (demo)"
    assert _render(source, me, a=None) == ""


def test_the_demo_actor_has_a_label():
    from core.demo.data import DEMO_ACTOR

    assert SYSTEM_ACTORS[DEMO_ACTOR] == "Makker (demo)"


# -- pages ------------------------------------------------------------------------------------
@asynccontextmanager
async def _browser(live, user: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url) as http:
        await browser_sign_in(http, live, user)
        yield http


async def test_waiting_list_and_forloeb_pages_speak_danish(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    slug = tenants.a.slug
    user = f"tx-{slug}"
    live.add_user(user, ("coordinator",), (slug,))
    headers = {"Authorization": f"Bearer {await live.access_token(user)}"}
    api_url = f"{live.url}/api/v1/t/{slug}"
    async with (
        httpx.AsyncClient(base_url=api_url, headers=headers) as api,
        _browser(live, user) as http,
    ):
        waiting = _text((await http.get(f"/t/{slug}/matchning/btb")).text)
        assert "2 borgere venter" in waiting
        assert "1 ledig plads" in waiting and "2 ledige pladser" in waiting
        assert "1 ledige pladser" not in waiting
        created = await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [{"mentee": str(ids["Anna Angst"]), "mentor": str(ids["Mette Mentor"])}]
            },
        )
        assert created.status_code == 201, created.text
        forloeb = created.json()[0]
        page = await http.get(f"/t/{slug}/forloeb/{forloeb['id']}")
        assert page.status_code == 200
        text = _text(page.text)
        assert forloeb["strategy"] not in text  # the strategy's id
        assert "Koordinatoren foreslår parrene manuelt" in text or "Fælles erfaringer" in text
        assert f"{forloeb['planned_months']} måneder" in text
        assert not ISO_DATE.search(text), ISO_DATE.search(text)
        # A policy of exactly 6 months says so, not "6-6 måneder".
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session, session.begin():
                await session.execute(
                    update(Programme)
                    .where(Programme.slug == "btb")
                    .values(
                        policy={
                            "duration_months": {"min": 6, "max": 6},
                            "meeting_frequencies": ["weekly"],
                        }
                    )
                )
        plan = await api.put(
            f"/forloeb/{forloeb['id']}/plan", json={"frequency": "weekly", "planned_months": 7}
        )
        assert plan.status_code == 400
        assert plan.json()["errors"]["planned_months"] == (
            "Den planlagte længde skal være 6 måneder."
        )


async def test_one_lived_experience_group_that_the_rule_reads(live, sessionmaker, shipped, today):
    vejle = shipped["vejle"]
    me, other = f"le-{vejle.slug}", f"le2-{vejle.slug}"
    live.add_user(me, ("coordinator",), (vejle.slug,))
    live.add_user(other, ("coordinator",), (vejle.slug,))
    headers = {"Authorization": f"Bearer {await live.access_token(other)}"}
    base = f"{live.url}/api/v1/t/{vejle.slug}"
    async with httpx.AsyncClient(base_url=base, headers=headers) as api:
        made = await api.post(
            "/people",
            json={"name": "Lise Levet", "programme": "misbrug-mentor", "role": "mentor"},
        )
        assert made.status_code == 201, made.text
        person_id, enrolment_id = made.json()["id"], made.json()["enrolments"][0]["id"]
        consent = await api.post(f"/enrolments/{enrolment_id}/consent")
        assert consent.status_code in (200, 201), consent.text
    url = f"/t/{vejle.slug}/deltagere/tilmelding/{enrolment_id}"
    async with _browser(live, me) as http:
        page = await http.get(url)
        assert page.status_code == 200
        html = page.text
        # One group: the programme's question (the rule's), not the før-samtale's own as well.
        assert 'name="lived_experience"' not in html
        assert html.count('name="plugin:lived_experience.areas"') == 3  # one box per area
        # The areas by their Danish names, not the codes the tenant file uses.
        labels = re.findall(r'for="f-lived_experience\.areas[^"]*">([^<]+)</label>', html)
        assert labels == ["Psykiatri", "Handicap", "Misbrug"]
        form = {
            "_csrf_token": csrf_token(html),
            "held_on": TODAY.isoformat(),
            "plugin:lived_experience.areas:present": "1",
            "plugin:lived_experience.areas": ["misbrug"],
            "plugin:lived_experience.ready_to_hold_others": "ja",
        }
        saved = await http.post(f"{url}/forsamtale", data=form)
        assert saved.status_code in (200, 303), saved.text
        eligibility = await http.get(
            f"/api/v1/t/{vejle.slug}/people/{person_id}/eligibility",
            params={"programme": "misbrug-mentor", "role": "mentor"},
            headers=headers,
        )
        verdicts = {v["rule"]: v["outcome"] for v in eligibility.json()["verdicts"]}
        assert verdicts["lived_experience"] == "pass"
        with tenant_scope(vejle.id):
            async with sessionmaker() as session:
                intake = await session.scalar(
                    select(Intake).where(Intake.enrolment_id == uuid.UUID(enrolment_id))
                )
                assert intake is not None
                # Matching reads the same answer; the staff member is a name, not an id.
                assert (intake.lived_experience, intake.staff) == (["misbrug"], f"Test {me}")
        text = _text((await http.get(url)).text)
        # Verdicts in Danish without the rules' internal names.
        assert "(lived_experience)" not in text and "(misbrug)" not in text
        # Consent recorded by another coordinator: a role, not their id; dates as 23.11.2026.
        assert "registreret af koordinator" in text, text
        assert "dev-" not in text and not ISO_DATE.search(text)
        assert TODAY.strftime("%d.%m.%Y") in text


def test_scores_are_written_with_the_languages_decimal_sign():
    from core.web import i18n
    from core.web.filters import decimal

    assert (decimal(12.0), decimal(3.25, 2), decimal(1234.5), decimal(None)) == (
        "12,0",
        "3,25",
        "1.234,5",
        "–",
    )
    i18n.set_locale("en")
    try:
        assert decimal(12.0) == "12.0"
    finally:
        i18n.set_locale("da")
