"""``makker demo`` starts a real server; a second run duplicates nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import icalendar
import pytest

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
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_demo_and_fetch(
    workdir: Path, env: dict[str, str], check_personas: bool = False
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
            r'<li class="card"><a href="/t/kolding/aktiviteter/[0-9a-f-]{36}">([^<]+)</a>\s*'
            r'<span class="muted">([^<]+)</span>',
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
        assert first.date() >= dt.date.today()
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
        assert "Deltagere og tal" in misbrug and "Borgere 12 Mentorer 6" in misbrug
        assert misbrug.count(" Mentor ") == 6  # the participant table: six mentor rows
        assert misbrug.count(" I forløb") == 18 and " active" not in misbrug  # Danish status
        peer = _text((await staff.get(grants["Peer-to-Peer"])).text)
        assert "Kun tal" in peer and "Borgere 18 Mentorer 12" in peer
        assert "Navn Rolle Status" not in peer  # no participant table for numbers only


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
        "person": 171 + 48,
        "enrolment": 171 + 48,
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
    }
    _run_demo_and_fetch(tmp_path, env)
    assert _counts(db) == first


def test_demo_people_are_fictional_and_stable():
    from core.demo import FICTIONAL_SURNAMES, demo_names

    names = demo_names(171, "kolding")  # Kolding: 102 citizens + 69 mentors
    assert names == demo_names(171, "kolding")
    assert len({n for n, _ in names}) == 171
    assert all(n.split()[-1] in FICTIONAL_SURNAMES for n, _ in names)
