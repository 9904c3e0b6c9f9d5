"""``makker demo`` starts a real server; a second run duplicates nothing. Against the running
demo, a Vejle coordinator matches the misbrug waiting list in one action, confirms the proposals
with both parties, and the mentor logs the first meeting (issue 6's "done when")."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import icalendar
import pytest

from core import clock as app_clock
from core.settings import Settings
from tests.live import csrf_token

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


async def _personas_see_only_what_they_may(port: int) -> None:
    """The issue's "done when": three demo users, each sees only what they may."""
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as kolding:
        await _sign_in(kolding, "kolding-koordinator", "/t/kolding/")
        assert (await kolding.get("/t/vejle/")).status_code == 404
        # Issue 7: nine finished hold, 10 and 11 running; the weekly group and the supervision.
        courses = _text((await kolding.get("/t/kolding/hold/")).text)
        assert "Borger til Borger 9 hold afsluttet, hold 10 og 11 i gang" in courses
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
        assert events and {str(e["summary"]) for e in events} == {
            "Informationsmøde: Bliv frivillig mentor"
        }
        first = min(e.decoded("dtstart") for e in events)
        assert (first.day, first.hour, first.minute) == (7, 17, 0)
        assert first.date() >= app_clock.today()
        assert {str(e["location"]) for e in events} == {"Vejle Rådhus, Mødelokale 3"}
    async with httpx.AsyncClient(base_url=base, timeout=10) as mentor:
        await _sign_in(mentor, "vejle-mentor", "/t/vejle/")
        page = _text((await mentor.get("/t/vejle/")).text)
        assert "Peer-to-Peer" in page and "Borger til Borger" not in page
        assert (await mentor.get("/t/vejle/partnerskaber/")).status_code == 403
        assert (await mentor.get("/t/kolding/")).status_code == 404
        # "Mit forløb": the demo sign-ins are linked to demo persons.
        own = _text((await mentor.get("/t/vejle/mit/")).text)
        assert "Mit forløb" in own and "Din bruger er ikke knyttet" not in own
        # vejle-mentor waits on the misbrug waiting list: no forløb until the coordinator matches.
        assert "Mette Skitsesen" in own and "Din borger" not in own
    async with httpx.AsyncClient(base_url=base, timeout=10) as kolding_mentor:
        await _sign_in(kolding_mentor, "kolding-mentor", "/t/kolding/")
        own = _text((await kolding_mentor.get("/t/kolding/mit/")).text)
        assert "Mentorkursus: Borger til Borger, Hold 10" in own
        assert "Gruppesparring for mentorer" in own
    async with httpx.AsyncClient(base_url=base, timeout=10) as citizen:
        await _sign_in(citizen, "vejle-borger", "/t/vejle/")
        own = _text((await citizen.get("/t/vejle/mit/")).text)
        assert "Mit forløb" in own and "Borger" in own and "Gruppesparring" not in own
        assert "Din bruger er ikke knyttet" not in own
        # The demo pairs in forløb are real: the citizen sees their mentor.
        assert own.count("Din mentor: ") == 1 and "Peer-to-Peer · Aktiv" in own
    async with httpx.AsyncClient(base_url=base, timeout=10) as staff:
        await _sign_in(staff, "psykiatrifonden-medarbejder", "/t/psykiatrifonden/")
        assert (await staff.get("/t/vejle/")).status_code == 404
        listing = await staff.get("/t/psykiatrifonden/partnerskaber/")
        links = re.findall(
            r'href="(/t/psykiatrifonden/partnerskaber/[0-9a-f-]{36})">([^<]+)<', listing.text
        )
        grants = {name: href for href, name in links}
        assert sorted(grants) == ["Mentorordning på misbrugsområdet", "Peer-to-Peer"]
        misbrug = _text((await staff.get(grants["Mentorordning på misbrugsområdet"])).text)
        assert "Deltagere og tal" in misbrug and "Borgere 18 Mentorer 10" in misbrug
        assert misbrug.count(" Mentor ") == 10  # the participant table: ten mentor rows
        assert misbrug.count(" I forløb") == 18 and " active" not in misbrug  # Danish status
        assert misbrug.count(" Klar ") == 10  # the waiting list (issue 6)
        peer = _text((await staff.get(grants["Peer-to-Peer"])).text)
        assert "Kun tal" in peer and "Borgere 18 Mentorer 12" in peer
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
        assert codes == ["ending_soon"] * 2 + ["no_recent_meeting"] * 3
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


@pytest.mark.slow
def test_demo_serves_and_second_run_changes_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    html, status, _ = _run_demo_and_fetch(tmp_path, env, check_personas=True)
    assert status == 200
    assert "<h1>Kolding Kommune</h1>" in html and "Borger til Borger" in html
    db = tmp_path / "makker.sqlite3"  # the embedded default, in the working directory
    first = _counts(db)
    assert first == {
        "tenant": 3,
        "programme": 3,
        "person": 171 + 58,
        "enrolment": 171 + 58,
        "programme_partnership": 2,
        # Kolding: hold 1-11 with six sessions each; 8 mentors on hold 10 and 11 each, present
        # (all but one) at the 3 and 1 sessions already held.
        "course": 11,
        "course_session": 66,
        "course_participant": 16,
        "course_attendance": 3 * 7 + 1 * 7,
        # Kolding's interest group (2 mentors, 5 citizens) and supervision, Vejle's info meeting.
        "activity": 3,
        "activity_member": 7,
        # Issue 6: ten on Vejle's misbrug waiting list (up to `ready`), the others active in a
        # forløb (with its proposal and start); everyone had a før-samtale (the rules need one
        # before `eligible`).
        "consent": 171 + 58,
        "enrolment_event": (171 + 48) * 6 + 10 * 4,
        "intake": 171 + 58,
        "forloeb": 102 + 18 + 12,
        "forloeb_event": 2 * (102 + 18 + 12),
        "forloeb_pause": 0,
        "meeting": 551,
    }

    def second_run(port: int) -> None:
        assert _counts(db) == first  # the second seeding added nothing
        # Kolding's 102 forløb, 20 a page: the last page holds two.
        last = asyncio.run(
            _sign_in_and_get(port, "kolding-koordinator", "/t/kolding/forloeb/?side=6")
        )
        assert "Side 6 af 6" in last.text and "102 forløb" in last.text
        assert last.text.count('<li class="card forloeb">') == 2
        asyncio.run(_match_confirm_and_meet(port))

    _run_demo_and_fetch(tmp_path, env, while_running=second_run)
    after = _counts(db)
    changed = {t: after[t] - first[t] for t in TABLES if after[t] != first[t]}
    # Five proposals, each accepted (proposed, active); the nine people in them (Hans Testrup
    # takes two citizens) go ready -> matched -> active; the mentor's first meeting.
    assert changed == {"forloeb": 5, "forloeb_event": 10, "enrolment_event": 18, "meeting": 1}

    # `makker demo --reset` starts over: the walkthrough can be repeated (the waiting list is
    # back, the five forløb gone).
    reset = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--reset", "--no-serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert reset.returncode == 0, reset.stderr[-2000:]
    assert reset.stdout.splitlines()[0] == "demo database reset"
    assert _counts(db) == first


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
