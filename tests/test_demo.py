"""``makker demo`` tells a true story (issue 12) and starts a real server; a second run
duplicates nothing. Against the running demo, a Vejle coordinator matches the misbrug waiting
list in one action, confirms the proposals with both parties, and the mentor logs the first
meeting (issue 6's "done when"); ``--reset`` brings the waiting list back.

One first seeding (the ``demo_db`` fixture) is read by the tests of the story: the demo users
carry the names of the people they are linked to, Kolding's mentors in forløb passed the
mentor-course rule on their hold's attendance, every person has fictional contact details,
forløb are active, paused, completed or ended early, and every history reads in order.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock as app_clock
from core.settings import Settings
from core.tenancy.models import Programme, Tenant
from tests.live import csrf_token

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
TABLES = (
    "tenant",
    "programme",
    "person",
    "enrolment",
    "programme_partnership",
    "course",
    "course_session",
    "course_participant",
    "course_attendance",
    "activity",
    "activity_member",
    "consent",
    "enrolment_event",
    "intake",
    "forloeb",
    "forloeb_event",
    "forloeb_pause",
    "meeting",
)
#: Vejle's information meeting for mentors of the misbrug programme, from its announcement.
VEJLE_MEETING = dt.date(2026, 12, 14)
#: The global assignment of Vejle's misbrug waiting list: (citizen, mentor). Hans Testrup takes
#: two citizens; Bo Prøvesen is paused.
MISBRUG_PAIRS = [
    ("Frederik Demosen", "Rasmus Prøvesen"),
    ("Jens Fiktivsen", "Hans Testrup"),
    ("Karen Udkastrup", "Mette Skitsesen"),
    ("Sofie Attrapsen", "Gitte Pladsholm"),
    ("Torben Øvelsesen", "Hans Testrup"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_demo_and_fetch(
    workdir: Path,
    env: dict[str, str],
    check_personas: bool = False,
    while_running: Callable[[int], None] | None = None,
) -> tuple[str, int, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "demo", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"demo did not start: {proc.stdout.read()}")
                time.sleep(0.2)
        assert ready.json() == {"status": "ready", "database": "ok"}
        front = asyncio.run(_sign_in_and_get(port, "kolding-koordinator", "/t/kolding/"))
        if check_personas:
            asyncio.run(_personas_see_only_what_they_may(port))
        if while_running is not None:
            while_running(port)
        return front.text, front.status_code, ready.text
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
        assert f"Makker demo: http://127.0.0.1:{port}/t/kolding/" in output


async def _sign_in(http: httpx.AsyncClient, username: str, path: str) -> None:
    """Sign in through the demo's own development issuer, like a browser."""
    start = await http.get("/auth/login", params={"next": path})
    auth_url = start.headers["location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(auth_url).query).items()}
    done = await http.post(
        auth_url.split("?")[0], data={**params, "username": username, "password": "demo"}
    )
    landing = await http.get(done.headers["location"])
    assert (landing.status_code, landing.headers["location"]) == (303, path)


async def _sign_in_and_get(port: int, username: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        await _sign_in(http, username, path)
        return await http.get(path)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _signed_in_as(html: str) -> str:
    """The name the page's header shows for the signed-in user."""
    match = re.search(r'<p class="user">([^<]*)</p>', html)
    assert match, "no signed-in user in the header"
    return match[1].strip()


async def _personas_see_only_what_they_may(port: int) -> None:
    """The issue's "done when": three demo users, each sees only what they may."""
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as kolding:
        await _sign_in(kolding, "kolding-koordinator", "/t/kolding/")
        assert (await kolding.get("/t/vejle/")).status_code == 404
        # Issue 7: nine finished hold, 10 and 11 running; the weekly group and the supervision.
        courses = _text((await kolding.get("/t/kolding/hold/")).text)
        assert "Borger til Borger 9 hold afsluttet, hold 10 og 11 i gang" in courses
        # No hold without its mentors: 69 on hold 1-9 (7 or 8 each), 8 on hold 10 and 11.
        taken = re.findall(
            r"Hold (\d+) (afsluttet|i gang) 6 undervisningsgange · (\d+) af 15 pladser", courses
        )
        assert [(int(n), int(k)) for n, _state, k in taken] == [
            *((n, 8 if n <= 6 else 7) for n in range(1, 10)),
            (10, 8),
            (11, 8),
        ]
        assert [s for _n, s, _k in taken] == ["afsluttet"] * 9 + ["i gang"] * 2
        # A forløb page says why the pair was proposed: the strategy's score and reasons.
        listing = (await kolding.get("/t/kolding/forloeb/")).text
        first = re.search(r'href="(/t/kolding/forloeb/[0-9a-f-]{36})"', listing)
        assert first is not None
        why = _text((await kolding.get(first[1])).text)
        assert "Hvorfor dette par Point " in why and "begge har erfaring med " in why
        assert "Der blev ikke fundet noget fælles" not in why and "Point 0,0" not in why
        activities = (await kolding.get("/t/kolding/aktiviteter/")).text
        cards = re.findall(
            r'<li class="card activity"><div class="card-content">\s*<h3 class="card-heading h4">'
            r'<a href="/t/kolding/aktiviteter/[0-9a-f-]{36}">([^<]+)</a></h3>\s*'
            r'<p class="muted">([^<]+)</p>',
            activities,
        )
        assert sorted(cards) == [
            ("Gruppesparring for mentorer", "Gruppesparring · hver måned"),
            ("Kreativt værksted", "Interessefællesskab · hver uge"),
        ]
    async with httpx.AsyncClient(base_url=base, timeout=10) as anonymous:
        # The development login page names each demo user's roles in Danish, not by id.
        start = await anonymous.get("/auth/login", params={"next": "/t/kolding/"})
        login = (await anonymous.get(start.headers["location"])).text
        users = re.findall(
            r'data-user="([^"]+)">([^<]+)</button>\s*<span class="muted">([^<]+)</span>', login
        )
        assert len(users) == 9
        assert (
            "kolding-admin",
            "Anders Adminsen (demo)",
            "kolding-admin · Administrator, Koordinator · kolding",
        ) in users
        shown = {username: line.split(" · ")[1] for username, _name, line in users}
        assert shown["vejle-borger"] == "Borger" and shown["kolding-mentor"] == "Mentor"
        assert shown["psykiatrifonden-medarbejder"] == "Partnermedarbejder"
        assert shown["platform-admin"] == "Platformadministrator"
        public = await anonymous.get("/offentlig/vejle/informationsmoeder")
        assert public.status_code == 200
        assert "Informationsmøde: Bliv frivillig mentor" in public.text
        assert "Vejle Rådhus" in public.text and "Mødelokale 3" in public.text
        feed = await anonymous.get("/offentlig/vejle/informationsmoeder.ics")
        assert (feed.status_code, feed.headers["content-type"]) == (
            200,
            "text/calendar; charset=utf-8",
        )
        events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
        # Vejle's misbrug meeting of 14 December 2026 (issue 17) is listed until it is over.
        coming = app_clock.today() <= VEJLE_MEETING
        real = {"Informationsmøde for interesserede mentorer"} if coming else set()
        assert events and {str(e["summary"]) for e in events} == {
            "Informationsmøde: Bliv frivillig mentor",
            *real,
        }
        monthly = [e for e in events if str(e["summary"]).endswith("frivillig mentor")]
        first = min(e.decoded("dtstart") for e in monthly)
        assert (first.day, first.hour, first.minute) == (7, 17, 0)
        assert first.date() >= app_clock.today()
        assert {str(e["location"]) for e in monthly} == {"Vejle Rådhus, Mødelokale 3"}
        # The misbrug programme's public page (issue 17): offers, the meeting, the form.
        page = await anonymous.get("/offentlig/vejle/tilbud/misbrug-mentor")
        assert page.status_code == 200
        assert "Mentorordning på misbrugsområdet" in page.text
        assert "Bliv mentor" in page.text and "Få en mentor" in page.text
        assert ("Foreningernes Hus Vejle, Vissingsgade 31" in page.text) is coming
        assert ("1. sal, lokale 4" in page.text and "15:00-17:00" in page.text) is coming
        listing = await anonymous.get("/offentlig/vejle")
        assert 'href="/offentlig/vejle/tilbud/peer-to-peer"' in listing.text
    async with httpx.AsyncClient(base_url=base, timeout=10) as mentor:
        await _sign_in(mentor, "vejle-mentor", "/t/vejle/")
        front = await mentor.get("/t/vejle/")
        page = _text(front.text)
        assert "Peer-to-Peer" in page and "Borger til Borger" not in page
        assert (await mentor.get("/t/vejle/partnerskaber/")).status_code == 403
        assert (await mentor.get("/t/kolding/")).status_code == 404
        # "Mit forløb": the demo sign-ins are linked to demo persons, whose names they carry.
        mine = (await mentor.get("/t/vejle/mit/")).text
        own = _text(mine)
        assert _signed_in_as(front.text) == _signed_in_as(mine) == "Mette Skitsesen"
        assert "Mit forløb" in own and "Din bruger er ikke knyttet" not in own
        # vejle-mentor waits on the misbrug waiting list: no forløb until the coordinator matches.
        assert "Mette Skitsesen · Mentor" in own and "Din borger" not in own
    async with httpx.AsyncClient(base_url=base, timeout=10) as kolding_mentor:
        await _sign_in(kolding_mentor, "kolding-mentor", "/t/kolding/")
        mine = (await kolding_mentor.get("/t/kolding/mit/")).text
        own = _text(mine)
        assert _signed_in_as(mine) == "Jens Demosen" and "Jens Demosen · Mentor" in own
        # Completed hold 7; one citizen now, and an earlier forløb that was completed.
        assert "Mentorkursus: Borger til Borger, Hold 7 afsluttet" in own
        assert "Din borger: Hans Eksempelsen Borger til Borger · Aktiv" in own
        assert "Din borger: Lars Attrapsen Borger til Borger · Gennemført" in own
        assert own.count("Din borger: ") == 2 and own.count("Registrér et møde") == 1
        assert "Gruppesparring for mentorer" in own
    async with httpx.AsyncClient(base_url=base, timeout=10) as citizen:
        await _sign_in(citizen, "vejle-borger", "/t/vejle/")
        mine = (await citizen.get("/t/vejle/mit/")).text
        own = _text(mine)
        assert _signed_in_as(mine) == "Anna Demosen" and "Anna Demosen · Borger" in own
        assert "Mit forløb" in own and "Gruppesparring" not in own
        assert "Din bruger er ikke knyttet" not in own
        # The demo pairs in forløb are real: the citizen sees their mentor.
        assert own.count("Din mentor: ") == 1 and "Peer-to-Peer · Aktiv" in own
    async with httpx.AsyncClient(base_url=base, timeout=10) as staff:
        await _sign_in(staff, "psykiatrifonden-medarbejder", "/t/psykiatrifonden/")
        # Co-running Vejle's misbrug programme (issue 21): Vejle's space, that programme only.
        vejle = _text((await staff.get("/t/vejle/")).text)
        assert "Du arbejder i Vejle Kommunes tilbud som partner (Psykiatrifonden)." in vejle
        assert "Mentorordning på misbrugsområdet" in vejle and "Peer-to-Peer" not in vejle
        waiting = _text((await staff.get("/t/vejle/matchning/misbrug-mentor")).text)
        assert "Venteliste: Mentorordning på misbrugsområdet" in waiting
        assert "Match hele ventelisten" in waiting
        matching = await staff.get("/t/vejle/matchning/misbrug-mentor/ventelisten")
        assert matching.status_code == 200
        assert (await staff.get("/t/vejle/matchning/peer-to-peer")).status_code == 404
        assert (await staff.get("/t/vejle/partnerskaber/aktivitet")).status_code == 403
        listing = await staff.get("/t/psykiatrifonden/partnerskaber/")
        links = re.findall(
            r'href="(/t/psykiatrifonden/partnerskaber/[0-9a-f-]{36})">([^<]+)<', listing.text
        )
        grants = {name: href for href, name in links}
        assert sorted(grants) == ["Mentorordning på misbrugsområdet", "Peer-to-Peer"]
        misbrug = _text((await staff.get(grants["Mentorordning på misbrugsområdet"])).text)
        # 12 citizens in forløb, 6 waiting, 3 whose forløb is over; 6 mentors in forløb, 4 waiting.
        assert "Koordinerer tilbuddet sammen med kommunen" in misbrug
        assert "Borgere 21 Mentorer 10" in misbrug
        assert misbrug.count(" Mentor ") == 10  # the participant table: ten mentor rows
        assert misbrug.count(" I forløb") == 18 and " active" not in misbrug  # Danish status
        assert misbrug.count(" Klar ") == 10  # the waiting list (issue 6)
        peer = _text((await staff.get(grants["Peer-to-Peer"])).text)
        assert "Kun tal" in peer and "Borgere 24 Mentorer 12" in peer
        assert "Navn Rolle Status" not in peer  # no participant table for numbers only


async def _token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    """An API bearer header for a demo user (the development issuer's password grant)."""
    issued = await http.post(
        "/realms/makker/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": Settings.oidc_client_id,
            "client_secret": Settings.oidc_client_secret,
            "username": username,
            "password": "demo",
        },
    )
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}


def _run_the_readme_api_recipe(port: int) -> None:
    """The README's "The API with a demo user", run as written (the demo's port for 8000): a
    token from the development issuer's password grant, then Kolding's grants listed and
    Psykiatrifonden granted Borger til Borger's numbers; a coordinator's token may not."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("**The API with a demo user.**", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert script.startswith("BASE=http://127.0.0.1:8000\n")
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(":8000", f":{port}", 1)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    decoder = json.JSONDecoder()
    listed, end = decoder.raw_decode(run.stdout)
    granted, _end = decoder.raw_decode(run.stdout[end:])
    assert listed == {"granted": [], "received": []}
    assert f"`{run.stdout[:end]}`" in section  # the README shows the answer as it is
    assert {k: granted[k] for k in ("owner", "programme", "partner", "scope")} == {
        "owner": "kolding",
        "programme": "borger-til-borger",
        "partner": "psykiatrifonden",
        "scope": "aggregate",
    }

    async def refused() -> int:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            coordinator = await _token(http, "kolding-koordinator")
            wanted = {k: granted[k] for k in ("programme", "partner", "scope")}
            answer = await http.post(
                "/api/v1/t/kolding/partnerships", json=wanted, headers=coordinator
            )
            return answer.status_code

    assert asyncio.run(refused()) == 403


async def _match_confirm_and_meet(port: int) -> None:
    """Issue 6's "done when": a Vejle coordinator matches the misbrug waiting list in one
    action, reviews the proposals with their reasons, confirms them, and a mentor logs the
    first meeting."""
    today = app_clock.today()
    api = "/api/v1/t/vejle"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        coordinator = await _token(http, "vejle-koordinator")
        plan = await http.get(
            f"{api}/programmes/misbrug-mentor/matching/assignment", headers=coordinator
        )
        assert plan.status_code == 200, plan.text
        body = plan.json()
        pairs = {(p["mentee_name"], p["mentor_name"]): p for p in body["pairs"]}
        assert (len(body["pairs"]), sorted(pairs)) == (5, MISBRUG_PAIRS)
        for pair in body["pairs"]:
            texts = [r["text"] for r in pair["reasons"]]
            assert texts[0] == "begge har erfaring med misbrug"
            assert all(t.strip() for t in texts) and pair["score"] > 0
        assert [r["text"] for r in pairs[("Karen Udkastrup", "Mette Skitsesen")]["reasons"]] == [
            "begge har erfaring med misbrug",
            "begge har erfaring med alkohol",
            "begge har erfaring med ensomhed",
            "fælles interesser: gåture, strik",
            "mentor er kvinde, som ønsket",
            "bor 0 km fra hinanden",
        ]
        assert body["unmatched"] == []
        excluded = {c["name"]: c["excluded"] for c in body["excluded"]}
        paused = excluded.pop("Bo Prøvesen")
        assert len(paused) == 1 and paused[0].startswith("Sat på pause til ")
        # The six mentors already in forløb each have their two citizens.
        assert sorted(set(map(tuple, excluded.values()))) == [
            ("Ingen ledige pladser (tager 2 ad gangen).",)
        ]
        assert len(excluded) == 6
        # The coordinator's page shows the same plan with the reasons.
        await _sign_in(http, "vejle-koordinator", "/t/vejle/")
        page = _text((await http.get("/t/vejle/matchning/misbrug-mentor/ventelisten")).text)
        assert page.count("begge har erfaring med misbrug") == 5
        # One action: every proposed pair at once.
        created = await http.post(
            f"{api}/programmes/misbrug-mentor/proposals",
            headers=coordinator,
            json={
                "pairs": [
                    {
                        "mentee": str(p["mentee_enrolment_id"]),
                        "mentor": str(p["mentor_enrolment_id"]),
                    }
                    for p in body["pairs"]
                ]
            },
        )
        assert created.status_code == 201, created.text
        proposals = created.json()
        assert [f["state"] for f in proposals] == ["proposed"] * 5
        assert all(f["reasons"] for f in proposals)
        for f in proposals:  # both parties say yes (recorded by the coordinator)
            for party in ("mentee", "mentor"):
                accepted = await http.post(
                    f"{api}/forloeb/{f['id']}/acceptances",
                    headers=coordinator,
                    json={"party": party},
                )
                assert accepted.status_code == 200, accepted.text
            assert accepted.json()["forloeb"]["state"] == "active"
            assert accepted.json()["forloeb"]["started_on"] == today.isoformat()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as mentor:
        await _sign_in(mentor, "vejle-mentor", "/t/vejle/mit/")
        own = (await mentor.get("/t/vejle/mit/")).text
        assert "Din borger: Karen Udkastrup" in _text(own)
        forms = re.findall(r'href="(/t/vejle/forloeb/[0-9a-f-]{36}/moede)"', own)
        assert len(forms) == 1
        form = await mentor.get(forms[0])
        saved = await mentor.post(
            forms[0],
            data={
                "_csrf_token": csrf_token(form.text),
                "day": today.isoformat(),
                "activity": "gaatur",
                "duration_minutes": "60",
                "note": "Første gåtur, ved fjorden.",
            },
        )
        assert saved.status_code == 303, saved.text
        detail = _text((await mentor.get(saved.headers["location"])).text)
        assert "Mødet er gemt." in detail and "Gåtur" in detail
        me = (await mentor.get(f"{api}/me", headers=await _token(mentor, "vejle-mentor"))).json()
        assert [
            (f["programme"], f["state"], f["role"], f["other_name"]) for f in me["forloeb"]
        ] == [("misbrug-mentor", "active", "mentor", "Karen Udkastrup")]
        mine = await mentor.get(
            f"{api}/forloeb/{me['forloeb'][0]['id']}",
            headers=await _token(mentor, "vejle-mentor"),
        )
        assert [
            (m["day"], m["activity"], m["duration_minutes"], m["logged_as"])
            for m in mine.json()["meetings"]
        ] == [(today.isoformat(), "gaatur", 60, "mentor")]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as kolding:
        attention = await kolding.get(
            "/api/v1/t/kolding/forloeb/attention",
            headers=await _token(kolding, "kolding-koordinator"),
        )
        assert attention.status_code == 200
        codes = sorted(code for item in attention.json() for code in item["codes"])
        assert codes == ["ending_soon"] * 2 + ["no_recent_meeting"] * 3 + ["pause_overdue"]
        # Nobody waits in Kolding (everyone is in a forløb), mentors have free places: the plan
        # for the whole list is empty, not an error.
        plan = await kolding.get(
            "/api/v1/t/kolding/programmes/borger-til-borger/matching/assignment",
            headers=await _token(kolding, "kolding-koordinator"),
        )
        assert (plan.status_code, plan.json()["pairs"], plan.json()["unmatched"]) == (200, [], [])


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql, args))


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}


def _in_tenant(db: Path, slug: str, work: Callable[[AsyncSession, Tenant], Awaitable[T]]) -> T:
    """Run ``work`` in a session of the demo database scoped to tenant ``slug``."""
    from core.db.session import create_engine, create_sessionmaker
    from core.db.tenant_scope import tenant_scope

    async def run() -> T:
        engine = create_engine(f"sqlite+aiosqlite:///{db}")
        try:
            sessionmaker = create_sessionmaker(engine)
            async with sessionmaker() as session:
                tenant = (await session.scalars(select(Tenant).where(Tenant.slug == slug))).one()
            with tenant_scope(tenant.id):
                async with sessionmaker() as session:
                    return await work(session, tenant)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _misbrug_waiting_list(db: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Vejle's misbrug waiting list as the app computes it: the citizens who can be matched
    now, and the pairs of the plan for the whole list (citizen, mentor)."""
    from core.context import context_for
    from core.matching.waiting_list import assign, waiting_list
    from core.plugin_api import create_plugin_manager

    async def work(
        session: AsyncSession, tenant: Tenant
    ) -> tuple[list[str], list[tuple[str, str]]]:
        programme = (
            await session.scalars(select(Programme).where(Programme.slug == "misbrug-mentor"))
        ).one()
        ctx = context_for(session, tenant, create_plugin_manager(), "test")
        waiting = await waiting_list(ctx, programme)
        names = {c.profile.key: c.person.name for c in waiting.mentees + waiting.mentors}
        pairs = sorted((names[p.mentee], names[p.mentor]) for p in assign(waiting, ctx.today()))
        return sorted(c.person.name for c in waiting.open_mentees), pairs

    return _in_tenant(db, "vejle", work)


def _running_attendance(today: dt.date) -> int:
    """Attendance rows of the running hold 10 and 11 (8 new mentors each, all but one present)
    seeded on ``today``: one per session held by then, which depends on the day of the month."""
    from core.demo.data import demo_course_starts
    from core.demo.plan import held_sessions

    starts = demo_course_starts(today)
    return sum(7 * held_sessions(starts[n], today) for n in (10, 11))


#: What the first seeding creates.
FIRST_COUNTS = {
    "tenant": 3,
    "programme": 3,
    # Kolding: 171 in forløb (102 citizens, 69 mentors), 30 citizens whose forløb is over, 15 new
    # mentors on hold 10 and 11 (the 16th is one of those 30); Vejle: 48 in forløb, 10 on the
    # misbrug waiting list, 9 citizens whose forløb is over.
    # Two applications from Kolding's public page (issue 17).
    "person": 171 + 30 + 15 + 48 + 10 + 9 + 2,
    "enrolment": 171 + 30 + 16 + 48 + 10 + 9 + 2,
    "programme_partnership": 2,
    # Kolding: hold 1-11 with six sessions each; the 69 mentors in forløb on hold 1-9 (8 on
    # hold 1-6, 7 on hold 7-9), each session with one absent; 8 new mentors on hold 10 and 11
    # each, present (all but one) at every session held by the day of the seeding.
    "course": 11,
    "course_session": 66,
    "course_participant": 69 + 16,
    "course_attendance": 6 * (69 - 9) + _running_attendance(app_clock.today()),
    # Kolding's interest group (2 mentors, 5 citizens) and supervision, Vejle's two info
    # meetings (the monthly one and the misbrug programme's of 14 December 2026).
    "activity": 4,
    "activity_member": 7,
    # Everyone had a før-samtale (the rules need one before `eligible`); all but the 16 new
    # mentors went on to ready, every citizen of a forløb and each mentor's first forløb made
    # them matched and active, 39 citizens' forløb are over (finished).
    "consent": 284,
    "intake": 284,
    "enrolment_event": 284 * 2 + (284 - 16) * 2 + (171 + 69 + 18) * 2 + 39 + 2,
    # Kolding 102 in forløb (4 paused) and 30 over (24 completed, 6 ended early); Vejle 30 in
    # forløb (2 paused) and 9 over (6 completed, 3 ended early).
    "forloeb": 132 + 39,
    "forloeb_event": 2 * 171 + 6 + 39,
    "forloeb_pause": 6,
    "meeting": 736,
}


@pytest.fixture(scope="module")
def demo_db(seeded_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database of one first ``makker demo --no-serve``: the module's own copy of the run's
    seeding (``seeded_demo`` in tests/conftest.py; the tests only read it)."""
    copy = tmp_path_factory.mktemp("demo") / "makker.sqlite3"
    shutil.copy(seeded_demo, copy)
    return copy


def test_first_seeding_creates_the_demo(demo_db):
    assert _counts(demo_db) == FIRST_COUNTS


@pytest.mark.slow
def test_demo_serves_and_second_run_changes_nothing_and_reset_starts_over(demo_db, tmp_path):
    db = tmp_path / "makker.sqlite3"  # the embedded default, in the working directory
    shutil.copy(demo_db, db)
    # The walkthrough signs in every persona and then some from one address within a minute -
    # more than the 20 sign-ins a minute an address gets (core/web/ratelimit.py, tested in
    # tests/test_rate_limits.py); whether it fits depended on where the minute turned.
    env = {**_env(), "MAKKER_RATE_LIMIT_SIGN_IN": "0"}
    # The misbrug waiting list before the walkthrough: five citizens and the plan's five pairs
    # (Bo Prøvesen is paused).
    waiting = _misbrug_waiting_list(db)
    assert waiting == (sorted({c for c, _m in MISBRUG_PAIRS}), MISBRUG_PAIRS)

    responses = _responses(db)

    def while_running(port: int) -> None:
        assert _counts(db) == FIRST_COUNTS  # the second seeding added nothing
        assert _responses(db) == responses
        # Kolding's 132 forløb (102 in forløb, 30 over), 20 a page: the last page holds twelve.
        last = asyncio.run(
            _sign_in_and_get(port, "kolding-koordinator", "/t/kolding/forloeb/?side=7")
        )
        assert "Side 7 af 7" in last.text and "132 forløb" in last.text
        assert last.text.count('<li class="card forloeb">') == 12
        asyncio.run(_match_confirm_and_meet(port))
        _run_the_readme_api_recipe(port)

    html, status, _ = _run_demo_and_fetch(
        tmp_path, env, check_personas=True, while_running=while_running
    )
    assert status == 200
    assert "<h1>Kolding Kommune</h1>" in html and "Borger til Borger" in html
    after = _counts(db)
    changed = {t: after[t] - FIRST_COUNTS[t] for t in TABLES if after[t] != FIRST_COUNTS[t]}
    # Five proposals, each accepted (proposed, active); the nine people in them (Hans Testrup
    # takes two citizens) go ready -> matched -> active; the mentor's first meeting; the
    # README's partnership grant.
    assert changed == {
        "forloeb": 5,
        "forloeb_event": 10,
        "enrolment_event": 18,
        "meeting": 1,
        "programme_partnership": 1,
    }
    assert _misbrug_waiting_list(db) == ([], [])  # matched: nobody left to match

    # `makker demo --reset` starts over: the walkthrough can be repeated (the waiting list is
    # back, the five forløb gone).
    reset = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--reset", "--no-serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert reset.returncode == 0, reset.stderr[-2000:]
    assert reset.stdout.splitlines()[0] == "demo database reset"
    assert _counts(db) == FIRST_COUNTS and _responses(db) == responses
    assert _misbrug_waiting_list(db) == waiting


def test_demo_users_carry_the_names_of_the_people_they_are_linked_to(demo_db):
    """Item 1: a demo user linked to a person is that person (the header shows the user's
    name, "Mit forløb" the person's - see the personas above for the pages)."""
    from core.demo import DEMO_ACCOUNTS
    from core.identity.dev_users import DEMO_USERS

    users = {u.username: u for u in DEMO_USERS}
    linked = {
        (tenant, account.rsplit("#", 1)[1]): (name, programme, role)
        for tenant, name, account, programme, role in _rows(
            demo_db,
            "SELECT t.slug, p.name, p.account, g.slug, e.role FROM person p"
            " JOIN tenant t ON t.id = p.tenant_id JOIN enrolment e ON e.person_id = p.id"
            " JOIN programme g ON g.id = e.programme_id WHERE p.account IS NOT NULL",
        )
    }
    expected = {}
    for tenant, username, programme, role, name in DEMO_ACCOUNTS:
        assert users[username].name == name, username
        expected[(tenant, users[username].subject)] = (name, programme, role.value)
    assert linked == expected
    # Staff users are linked to nobody and say they are demo users.
    staff = [u for u in DEMO_USERS if u.username not in {a[1] for a in DEMO_ACCOUNTS}]
    assert staff and all(u.name.endswith(" (demo)") for u in staff)


def test_the_demo_users_are_members_of_their_tenants_before_they_sign_in(demo_db):
    """The members page lists the demo's sign-ins from the start (docs/access.md): one member
    row per demo user and organisation, roles from the issuer, none given in Makker."""
    from core.access.membership import TENANT_ROLES
    from core.identity.dev_users import DEMO_USERS

    rows = _rows(
        demo_db,
        "SELECT t.slug, m.user_id, m.name, m.role, m.keycloak_roles, m.removed_at "
        "FROM tenant_member m JOIN tenant t ON t.id = m.tenant_id",
    )
    members = {
        (slug, user_id.rsplit("#", 1)[1]): (name, role, json.loads(roles), removed)
        for slug, user_id, name, role, roles, removed in rows
    }
    expected = {
        (org, user.subject): (
            user.name,
            None,
            sorted(r for r in user.roles if r in TENANT_ROLES),
            None,
        )
        for user in DEMO_USERS
        for org in user.organizations
    }
    assert members == expected
    assert len(rows) == len(expected)


def test_kolding_mentors_in_forloeb_pass_the_mentor_course_rule_by_attendance(demo_db):
    """Item 2: Kolding's tenant file enables ``mentor_course``; the real rule, asked for every
    mentor in an active or paused forløb, passes on a finished hold's attendance (at least the
    ``course_completion_threshold`` hook's number of sessions), not on a date typed in. The
    mentors on the running hold do not pass yet."""
    from core.courses.queries import min_sessions_attended
    from core.courses.records import course_records
    from core.demo.data import COURSE_COMPLETED
    from core.forloeb.models import Forloeb
    from core.participants.models import Enrolment, EnrolmentRole, Person
    from core.plugin_api import Outcome, create_plugin_manager
    from core.programmes.service import eligibility_for

    async def work(session: AsyncSession, tenant: Tenant) -> dict[str, Any]:
        plugins = create_plugin_manager()
        programme = (
            await session.scalars(select(Programme).where(Programme.slug == "borger-til-borger"))
        ).one()
        threshold = min_sessions_attended(plugins, tenant, programme)
        in_forloeb = set(
            await session.scalars(
                select(Person)
                .join(Enrolment, Enrolment.person_id == Person.id)
                .join(Forloeb, Forloeb.mentor_enrolment_id == Enrolment.id)
                .where(Forloeb.state.in_(["active", "paused"]))
            )
        )
        on_course = set(
            await session.scalars(
                select(Person)
                .join(Enrolment, Enrolment.person_id == Person.id)
                .where(Enrolment.role == EnrolmentRole.MENTOR, Enrolment.status == "intake")
            )
        )
        today = app_clock.today()
        found: dict[str, Any] = {"threshold": threshold, "in_forloeb": [], "on_course": []}
        for key, people in (("in_forloeb", in_forloeb), ("on_course", on_course)):
            for person in sorted(people, key=lambda p: p.name):
                report = await eligibility_for(
                    session, plugins, tenant, programme, person, "mentor", today
                )
                (verdict,) = [v for v in report.verdicts if v.rule == "mentor_course"]
                holds = [
                    (r.number, r.attended, r.sessions)
                    for r in await course_records(session, person.id)
                ]
                typed = COURSE_COMPLETED in (person.attributes or {})
                found[key].append((report.outcome, verdict, holds, typed))
        return found

    found = _in_tenant(demo_db, "kolding", work)
    threshold = found["threshold"]
    assert threshold == 5  # mentor_course's min_sessions_attended default, answered by the hook
    assert len(found["in_forloeb"]) == 69
    holds = Counter()
    for outcome, verdict, records, typed in found["in_forloeb"]:
        assert outcome == Outcome.PASS and verdict.outcome == Outcome.PASS
        ((number, attended, sessions),) = records
        holds[number] += 1
        assert 1 <= number <= 9 and threshold <= attended <= sessions == 6
        assert verdict.explanation == (
            f"Gennemførte mentorkurset på hold {number} ({attended} af 6 undervisningsgange)."
        )
        assert not typed  # no course date typed in: the attendance decides
    # Every finished hold has its mentors ("ni hold har afsluttet mentorkurset").
    assert holds == {1: 8, 2: 8, 3: 8, 4: 8, 5: 8, 6: 8, 7: 7, 8: 7, 9: 7}
    assert len(found["on_course"]) == 16
    for outcome, verdict, records, _typed in found["on_course"]:
        ((number, attended, _sessions),) = records
        assert number in (10, 11) and attended < threshold
        assert outcome == Outcome.FAIL and verdict.outcome == Outcome.FAIL


def test_every_session_held_has_its_attendance_whatever_the_day(demo_db):
    """Issue 12 review: a running hold's attendance follows the sessions held by the day of the
    seeding - hold 10 three or four, hold 11 one or two, by the day of the month - so no session
    held shows "0 mødt" and no new mentor misses a session only because it was never
    registered. Checked for every day over two years (the plan), and in the seeded database,
    where every hold, finished or running, has its mentors."""
    from core.demo.data import DEMO_COURSE_TOPICS, DEMO_TRAINEES, demo_course_starts
    from core.demo.plan import attendance, held_sessions, hold_days

    sessions, threshold = len(DEMO_COURSE_TOPICS), 5  # mentor_course's default, as Kolding's
    seen: dict[int, set[int]] = defaultdict(set)
    for k in range(2 * 365):
        today = dt.date(2026, 1, 1) + dt.timedelta(days=k)
        for number, first in demo_course_starts(today).items():
            held = held_sessions(first, today)
            assert held == len([d for d in hold_days(first) if d <= today])
            seen[number].add(held)
            present = attendance(DEMO_TRAINEES, held, sessions, threshold)
            assert len(present) == held and all(len(p) == DEMO_TRAINEES - 1 for p in present)
            missed = Counter(i for p in present for i in range(DEMO_TRAINEES) if i not in p)
            assert max(missed.values(), default=0) <= sessions - threshold
    assert dict(seen) == {n: {6} for n in range(1, 10)} | {10: {3, 4}, 11: {1, 2}}

    # The seeded database: someone present at every session held, nobody at one to come.
    today = app_clock.today()
    rows = _rows(
        demo_db,
        "SELECT c.number, s.day, count(a.id), (SELECT count(*) FROM course_participant p"
        " WHERE p.course_id = c.id) FROM course c JOIN course_session s ON s.course_id = c.id"
        " LEFT JOIN course_attendance a ON a.session_id = s.id GROUP BY s.id",
    )
    assert len(rows) == 66
    starts = demo_course_starts(today)
    for number, day, present, participants in rows:
        assert participants > 0, number  # no hold without mentors (issue 12 review)
        if dt.date.fromisoformat(day) <= today:
            assert present == participants - 1, (number, day)
        else:
            assert present == 0, (number, day)
    held = Counter(n for n, day, present, _p in rows if present and n in (10, 11))
    assert held == {n: held_sessions(starts[n], today) for n in (10, 11)}


def test_demo_people_have_fictional_contact_details(demo_db):
    """Item 3: every person has a phone number beginning with 0 (no Danish subscriber number
    does: 01-09 are reserved) and an e-mail address on the reserved example.org (RFC 2606)."""
    from core.demo import DEMO_WAITING_PEOPLE

    rows = _rows(
        demo_db,
        "SELECT t.slug, p.name, p.phone, p.email FROM person p JOIN tenant t ON t.id = p.tenant_id",
    )
    assert len(rows) == FIRST_COUNTS["person"]
    for _tenant, name, phone, email in rows:
        assert re.fullmatch(r"0[1-9]( [0-9]{2}){3}", phone or ""), (name, phone)
        assert re.fullmatch(r"[a-z]+\.[a-z]+@example\.org", email or ""), (name, email)
    # A name is one person within a tenant; the waiting list's names are nowhere else.
    assert len({(t, n) for t, n, _p, _e in rows}) == len(rows)
    waiting = {w.name for w in DEMO_WAITING_PEOPLE}
    assert {(t, n) for t, n, _p, _e in rows if n in waiting} == {("vejle", n) for n in waiting}
    by_tenant = Counter(tenant for tenant, *_ in rows)
    assert len({(t, phone) for t, _n, phone, _e in rows}) == sum(by_tenant.values())
    assert ("vejle", "Mette Skitsesen", "02 00 01 51", "mette.skitsesen@example.org") in rows


def test_demo_forloeb_are_active_paused_completed_or_ended_early(demo_db):
    """Item 4: not every forløb is active. Kolding's figures count the people in forløb (active
    or paused): 102 citizens and 69 mentors, 171 people; the forløb that are over come on top."""
    states = Counter(
        (tenant, state)
        for tenant, state in _rows(
            demo_db,
            "SELECT t.slug, f.state FROM forloeb f JOIN tenant t ON t.id = f.tenant_id",
        )
    )
    assert states == {
        ("kolding", "active"): 98,
        ("kolding", "paused"): 4,
        ("kolding", "completed"): 24,
        ("kolding", "ended_early"): 6,
        ("vejle", "active"): 28,
        ("vejle", "paused"): 2,
        ("vejle", "completed"): 6,
        ("vejle", "ended_early"): 3,
    }
    people = _rows(
        demo_db,
        "SELECT count(DISTINCT mentee.person_id), count(DISTINCT mentor.person_id)"
        " FROM forloeb f JOIN tenant t ON t.id = f.tenant_id"
        " JOIN enrolment mentee ON mentee.id = f.mentee_enrolment_id"
        " JOIN enrolment mentor ON mentor.id = f.mentor_enrolment_id"
        " WHERE t.slug = 'kolding' AND f.state IN ('active', 'paused')",
    )
    assert people == [(102, 69)]
    # A pause has its reason and planned resume (Kolding's first is overdue); an early end its
    # reason; the citizen of a forløb that is over is finished, the mentor goes on.
    events = _rows(
        demo_db,
        "SELECT f.state, e.to_state, e.reason, p.planned_resume, mentee.status, mentor.status"
        " FROM forloeb f JOIN forloeb_event e ON e.forloeb_id = f.id"
        " JOIN enrolment mentee ON mentee.id = f.mentee_enrolment_id"
        " JOIN enrolment mentor ON mentor.id = f.mentor_enrolment_id"
        " LEFT JOIN forloeb_pause p ON p.forloeb_id = f.id"
        " WHERE e.to_state IN ('paused', 'completed', 'ended_early')",
    )
    today = app_clock.today()
    assert len(events) == 6 + 30 + 9
    for state, to_state, reason, planned_resume, mentee, mentor in events:
        assert (state, mentor) == (to_state, "active")
        assert mentee == ("active" if state == "paused" else "finished")
        assert (reason is not None) == (state != "completed")
        assert (planned_resume is not None) == (state == "paused")
    resumes = [dt.date.fromisoformat(row[3]) for row in events if row[3] is not None]
    assert len([r for r in resumes if r < today]) == 1


def test_demo_forloeb_carry_the_strategys_score_and_reasons(demo_db):
    """Issue 12 review: every demo forløb was proposed through the coordinator's command
    (``proposals.propose``), so it carries the score and the Danish reasons the programme's
    matching strategy gives the pair - no 0.0 and no "Der blev ikke fundet noget fælles". Each
    is computed again here by the real strategy from what the people told at the før-samtale,
    on the day of the proposal."""
    from core.forloeb.models import Forloeb
    from core.matching.waiting_list import profile_of, strategy_for
    from core.participants.models import Enrolment, Intake, Person
    from core.plugin_api import PairScore, create_plugin_manager
    from core.programmes.registry import programme_context

    async def work(
        session: AsyncSession, tenant: Tenant
    ) -> list[tuple[str, Forloeb, str, PairScore]]:
        plugins = create_plugin_manager()
        programmes = {p.id: p for p in await session.scalars(select(Programme))}
        found = []
        for forloeb in await session.scalars(select(Forloeb)):
            programme = programmes[forloeb.programme_id]
            strategy, config = strategy_for(plugins, programme_context(plugins, tenant, programme))
            sides = []
            for enrolment_id in (forloeb.mentee_enrolment_id, forloeb.mentor_enrolment_id):
                enrolment = await session.get_one(Enrolment, enrolment_id)
                person = await session.get_one(Person, enrolment.person_id)
                intake = await session.scalar(
                    select(Intake).where(Intake.enrolment_id == enrolment.id)
                )
                sides.append(profile_of(enrolment, person, intake, 1))
            score = strategy.scorer.explain(sides[0], sides[1], config, forloeb.proposed_on)
            found.append((programme.slug, forloeb, strategy.name, score))
        return found

    found = _in_tenant(demo_db, "kolding", work) + _in_tenant(demo_db, "vejle", work)
    assert Counter(slug for slug, *_ in found) == {
        "borger-til-borger": 132,
        "peer-to-peer": 24,
        "misbrug-mentor": 15,
    }
    codes: Counter[str] = Counter()
    for _slug, forloeb, strategy, score in found:
        assert score.allowed and score.points > 0 and score.reasons
        assert forloeb.strategy == strategy == "shared_experience"
        assert forloeb.score == round(score.points, 4) > 0
        assert forloeb.reasons == [
            {"code": r.code, "text": r.text, "points": round(r.points, 4)} for r in score.reasons
        ]
        assert all(r["text"].strip() and r["points"] > 0 for r in forloeb.reasons)
        codes.update({r.code for r in score.reasons})
    # Each pair shares an area and an interest; some a challenge, a wish met, a short distance.
    assert codes["area"] == codes["interests"] == len(found)
    assert 0 < codes["gender_wish"] < codes["challenge"] < len(found)
    assert 0 < codes["distance"] <= len(found)


def test_demo_histories_read_in_order(demo_db):
    """Every forløb was proposed, accepted and (if so) paused or ended on days in that order,
    both people were ready before the proposal (Kolding's mentors a week after their hold's
    last teaching day), meetings fall while the forløb ran, and a mentor never had more
    citizens at once than the før-samtale's capacity."""
    today = app_clock.today()
    zone = ZoneInfo("Europe/Copenhagen")

    def day(at: str) -> dt.date:
        moment = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
        return moment.astimezone(zone).date()

    ready: dict[str, dt.date] = {}
    for enrolment, at in _rows(
        demo_db, "SELECT enrolment_id, at FROM enrolment_event WHERE to_status = 'ready'"
    ):
        ready[enrolment] = max(ready.get(enrolment, dt.date.min), day(at))
    hold_end = dict(
        _rows(
            demo_db,
            "SELECT e.id, max(s.day) FROM enrolment e"
            " JOIN course_participant cp ON cp.person_id = e.person_id"
            " JOIN course_session s ON s.course_id = cp.course_id"
            " WHERE e.role = 'mentor' GROUP BY e.id",
        )
    )
    history: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for forloeb_id, to_state, at in _rows(
        demo_db, "SELECT forloeb_id, to_state, at FROM forloeb_event"
    ):
        history[forloeb_id].append((at, to_state))
    pauses = dict(_rows(demo_db, "SELECT forloeb_id, starts_on FROM forloeb_pause"))
    meetings: dict[str, list[dt.date]] = defaultdict(list)
    for forloeb_id, on in _rows(demo_db, "SELECT forloeb_id, day FROM meeting"):
        meetings[forloeb_id].append(dt.date.fromisoformat(on))
    capacity = dict(_rows(demo_db, "SELECT enrolment_id, capacity FROM intake"))
    spans: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    forloeb = _rows(
        demo_db,
        "SELECT id, mentee_enrolment_id, mentor_enrolment_id, state, proposed_on, started_on,"
        " ended_on FROM forloeb",
    )
    assert len(forloeb) == FIRST_COUNTS["forloeb"]
    for fid, mentee, mentor, state, proposed, started, ended in forloeb:
        proposed_on, started_on = dt.date.fromisoformat(proposed), dt.date.fromisoformat(started)
        ended_on = dt.date.fromisoformat(ended) if ended else None
        assert proposed_on < started_on <= (ended_on or today) <= today
        steps = sorted(history[fid])  # by time
        expected = ["proposed", "active"] + ([state] if state != "active" else [])
        assert [s for _at, s in steps] == expected
        days = [day(at) for at, _s in steps]
        assert days[:2] == [proposed_on, started_on]
        if state == "paused":
            assert days[-1] == dt.date.fromisoformat(pauses[fid])
        elif ended_on is not None:
            assert days[-1] == ended_on
        assert ready[mentee] <= proposed_on and ready[mentor] <= proposed_on
        if mentor in hold_end:
            assert dt.date.fromisoformat(hold_end[mentor]) < ready[mentor]
        until = dt.date.fromisoformat(pauses[fid]) if state == "paused" else ended_on or today
        assert meetings[fid] and all(started_on <= m <= until for m in meetings[fid])
        spans[mentor].append((proposed_on, ended_on or dt.date.max))
    for mentor, taken in spans.items():
        for start, _end in taken:
            at_once = sum(1 for s, e in taken if s <= start < e)
            assert at_once <= capacity[mentor], mentor


def _responses(db: Path) -> int:
    """Questionnaire answers: how many depends on the day of the first seeding (whether an
    occasion near a window's edge has opened), so they are not in :data:`FIRST_COUNTS`."""
    return int(_rows(db, "SELECT count(*) FROM questionnaire_response")[0][0])


def test_demo_programmes_store_their_outcome_schedules(demo_db):
    """Issue 13: the shipped schedules reach the programmes (``makker tenants sync``)."""
    stored = {
        slug: [(s["instrument"], s["respondents"]) for s in json.loads(outcomes)]
        for slug, outcomes in _rows(demo_db, "SELECT slug, outcomes FROM programme")
    }
    assert stored == {
        "borger-til-borger": [("who5", "mentee"), ("makker4", "both")],
        "peer-to-peer": [
            ("makker4", "both"),
            ("mastery", "mentee"),
            ("swls", "mentee"),
            ("qpr15", "mentor"),
        ],
        "misbrug-mentor": [("who5", "mentee")],
    }


def test_demo_answers_show_a_believable_change_with_missing_ends_counted(demo_db):
    """Issue 13: Borger til Borger's 30 forløb that are over show WHO-5's paired change from
    start to end - n, a positive mean change around +10 to +15 with its 95 % interval, how
    many improved by the meaningful 10 points - and the forløb whose end questionnaire was
    never answered are counted, not filled in; Peer-to-Peer's have paired changes too."""
    from core.context import context_for
    from core.outcomes.results import programme_result
    from core.plugin_api import create_plugin_manager

    def result(slug: str) -> Callable[[AsyncSession, Tenant], Awaitable[Any]]:
        async def work(session: AsyncSession, tenant: Tenant) -> Any:
            ctx = context_for(session, tenant, create_plugin_manager(), "test")
            return await programme_result(ctx, slug, None, None)

        return work

    btb = _in_tenant(demo_db, "kolding", result("borger-til-borger"))
    who5 = next(r for r in btb.results if r.instrument.id == "who5")
    ((change,),) = [who5.changes]
    assert (who5.role, who5.ended, change.measure) == ("mentee", 30, "total")
    assert (change.n, who5.missing_baseline, who5.missing_end) == (26, 0, 4)
    assert change.n + who5.missing_baseline + who5.missing_end == who5.ended
    assert change.mean_change is not None and 10 <= change.mean_change <= 16
    assert change.ci_low is not None and change.ci_high is not None
    assert 0 < change.ci_low < change.mean_change < change.ci_high
    assert change.improved is not None and 0 < change.improved < change.n
    assert change.mean_baseline is not None and change.mean_baseline < 50  # a low start
    peer = _in_tenant(demo_db, "vejle", result("peer-to-peer"))
    assert {(r.instrument.id, r.role) for r in peer.results} == {
        ("makker4", "mentee"),
        ("makker4", "mentor"),
        ("mastery", "mentee"),
        ("swls", "mentee"),
        ("qpr15", "mentor"),
    }
    assert all(r.ended == 6 and min(c.n for c in r.changes) >= 3 for r in peer.results)
    # Answers are the person's own, but for the end questionnaires of three citizens, given
    # in the ending conversation with the coordinator (BtB: who5, makker4; P2P: three).
    entered = Counter(
        _rows(
            demo_db,
            "SELECT g.slug, q.role, q.occasion_kind, q.entered_as FROM questionnaire_response q"
            " JOIN forloeb f ON f.id = q.forloeb_id JOIN programme g ON g.id = f.programme_id"
            " WHERE q.entered_as = 'conversation'",
        )
    )
    assert entered == {
        ("borger-til-borger", "mentee", "end", "conversation"): 4,
        ("peer-to-peer", "mentee", "end", "conversation"): 3,
    }
    # Every answer was sent, once, by the demo, inside the forløb's time and before today.
    today = app_clock.today()
    rows = _rows(
        demo_db,
        "SELECT q.status, q.version, q.entered_by, q.occasion_date, q.submitted_at,"
        " f.started_on FROM questionnaire_response q JOIN forloeb f ON f.id = q.forloeb_id",
    )
    assert len(rows) == _responses(demo_db) > 500
    for status, version, entered_by, opened, submitted, started in rows:
        assert (status, version, entered_by) == ("submitted", 1, "makker-demo")
        sent = dt.datetime.fromisoformat(submitted).date()
        assert started <= opened <= sent.isoformat() and sent < today


def test_the_demo_citizen_has_her_start_questionnaires_due_now(demo_db):
    """Issue 13: ``vejle-borger`` (Anna Demosen, in Peer-to-Peer since 30 days ago) has her
    three start questionnaires due now - the rest of the demo answered theirs - so the
    walkthrough can answer one; the other demo sign-ins have none."""
    from core.context import context_for
    from core.outcomes.results import due_for_person
    from core.participants.models import Person
    from core.plugin_api import create_plugin_manager

    def due(name: str) -> Callable[[AsyncSession, Tenant], Awaitable[list[tuple[str, int]]]]:
        async def work(session: AsyncSession, tenant: Tenant) -> list[tuple[str, int]]:
            ctx = context_for(session, tenant, create_plugin_manager(), "test")
            person = (await session.scalars(select(Person).where(Person.name == name))).one()
            lines = await due_for_person(ctx, person)
            return [
                (d.view.occasion.key, (d.view.occasion.closes_on - ctx.today()).days) for d in lines
            ]

        return work

    anna = _in_tenant(demo_db, "vejle", due("Anna Demosen"))
    assert sorted(key for key, _left in anna) == [
        "makker4:mentee:baseline:1",
        "mastery:mentee:baseline:1",
        "swls:mentee:baseline:1",
    ]
    assert {left for _key, left in anna} == {11}  # open six weeks from the start: 11 days left
    assert _in_tenant(demo_db, "kolding", due("Jens Demosen")) == []
    assert _in_tenant(demo_db, "vejle", due("Mette Skitsesen")) == []


def test_demo_plan_is_the_same_whatever_the_day(demo_db):
    """The story does not depend on the day of the first seeding: who had which forløb, and
    who is on the running hold, are the same on any day over three years; the plan's
    chronology holds on each of them."""
    from core.demo import programme_plan

    programmes = _in_tenant(demo_db, "kolding", _programmes)
    programmes |= _in_tenant(demo_db, "vejle", _programmes)
    tenants = {"borger-til-borger": "kolding", "peer-to-peer": "vejle", "misbrug-mentor": "vejle"}
    seen = set()
    for k in range(0, 3 * 365, 11):
        today = dt.date(2026, 1, 1) + dt.timedelta(days=k)
        story = []
        for slug, programme in sorted(programmes.items()):
            plan = programme_plan(tenants[slug], programme, today)
            assert plan is not None
            first = {
                m.name: min(p.proposed_on for p in plan.pairs if p.mentor == m.name)
                for m in plan.mentors
            }
            ready = {m.name: m.ready_on for m in plan.mentors}
            for done in plan.done:
                assert done.ended_on is not None and done.ended_on < first[done.mentor]
                assert ready[done.mentor] <= done.proposed_on - dt.timedelta(days=7)
            for pair in plan.pairs:
                assert ready[pair.mentor] <= pair.proposed_on
                if pair.pause is not None:
                    assert pair.started_on < pair.pause.starts_on < pair.pause.resume_on
            done = sorted(plan.done, key=lambda p: p.index)
            story.append(tuple((p.mentee, p.mentor, p.outcome) for p in done))
            story.append(tuple((t.name, t.hold) for t in plan.trainees))
        seen.add(tuple(story))
    assert len(seen) == 1


async def _programmes(session: AsyncSession, _tenant: Tenant) -> dict[str, Programme]:
    return {p.slug: p for p in await session.scalars(select(Programme))}


def test_the_development_login_names_every_role():
    """Issue 12 review: the development login page lists each demo user's roles by their
    Danish names (English with the English catalog), never a raw id like ``partner_staff``."""
    from core.identity.dev_users import DEMO_USERS, role_label
    from core.identity.principal import ROLES
    from core.web.i18n import set_locale

    assert {r: role_label(r) for r in ROLES} == {
        "platform_admin": "Platformadministrator",
        "tenant_admin": "Administrator",
        "coordinator": "Koordinator",
        "mentor": "Mentor",
        "mentee": "Borger",
        "partner_staff": "Partnermedarbejder",
    }
    assert {r for u in DEMO_USERS for r in u.roles} == set(ROLES)
    set_locale("en")
    try:
        assert [u.role_labels for u in DEMO_USERS if u.username == "kolding-admin"] == [
            ["Administrator", "Coordinator"]
        ]
    finally:
        set_locale("da")


def test_demo_people_are_fictional_and_stable():
    from core.demo import DEMO_WAITING_PEOPLE, FICTIONAL_SURNAMES, FIRST_NAMES, demo_names

    names = demo_names(171, "kolding")  # Kolding: 102 citizens + 69 mentors
    assert names == demo_names(171, "kolding")
    assert len({n for n, _ in names}) == 171
    assert all(n.split()[-1] in FICTIONAL_SURNAMES for n, _ in names)
    # The misbrug waiting list: the same scheme, none of Vejle's people in forløb.
    waiting = [w.name for w in DEMO_WAITING_PEOPLE]
    assert len(set(waiting)) == 10
    assert all(n.split()[0] in FIRST_NAMES and n.split()[1] in FICTIONAL_SURNAMES for n in waiting)
    assert not set(waiting) & {n for n, _ in demo_names(18 + 12 + 12 + 6, "vejle")}
    # The first names of the longer scheme are the same people (Kolding's others follow them).
    assert demo_names(240, "kolding")[:171] == names


def test_demo_forloeb_plan_meets_within_the_frequency_except_quiet_pairs():
    from core.demo import demo_forloeb_plan

    for index in range(102):
        for frequency_days in (7, 14):
            started, meetings = demo_forloeb_plan(index, frequency_days)
            quiet = index in (7, 41, 75)
            assert 30 <= started <= 170 and meetings == sorted(meetings)
            assert meetings and all(d < started for d in meetings)
            assert (meetings[0] > frequency_days + 7) is quiet
            assert (started == 170) is (index in (20, 71))
