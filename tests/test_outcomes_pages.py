"""Outcome questionnaire pages (issue 13), on SQLite and PostgreSQL: answering on a phone-first
form (a draft saved and filled in again, then sent), refused input (a missing item, an answer
off the scale posted by hand, a missing correction reason: Danish field errors, 400, nothing
stored), 409 and 403 as Danish pages, a coordinator entering answers from a conversation and
correcting them (a new version with its reason, shown on the forløb page), who sees what (never
the other party), Mit forløb's due list and trajectory, the attention list's due questionnaires,
the person page's trajectory, the results page and the instruments page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape

import httpx
import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.tenant_scope import tenant_scope
from core.outcomes.models import QuestionnaireResponse
from core.participants.models import Consent
from tests.live import browser_sign_in, csrf_token
from tests.test_forloeb import TODAY, _active, _api, _world
from tests.test_outcomes_api import ITEMS, QPR, WHO5, _link, _schedule

SAVED_NOTHING = "Nogle felter er ikke udfyldt korrekt; intet er gemt."
ANSWER_IT = "Besvar dette spørgsmål."
OFF_SCALE = "Vælg et af svarene (0-5)."
NO_REASON = "Skriv hvorfor svarene rettes."
BASELINE = "who5:mentee:baseline:1"


@pytest.fixture
def today(clock):
    clock.set(TODAY)
    return clock


def _form(**answers: int | str) -> dict[str, str]:
    return {f"q_{k}": str(v) for k, v in answers.items()}


def _all(value: int | str) -> dict[str, str]:
    return _form(**dict.fromkeys(ITEMS, value))


def _text(html: str) -> str:
    """The page's text, tags removed and white space collapsed (for phrases split by markup)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _row(html: str, key: str) -> str:
    """The text of the forløb page's table row of the occasion ``key``."""
    return _text(html.split(f'data-occasion="{key}"')[1].split("</tr>")[0].split(">", 1)[1])


def _checked(html: str, name: str) -> str | None:
    """The value of the checked radio ``name``, if any."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and " checked" in tag:
            return re.search(r'value="([^"]*)"', tag)[1]  # type: ignore[index]
    return None


@asynccontextmanager
async def _browser(
    live, tenant, username: str, roles=("coordinator",)
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client signed in as ``username`` (its session cookie, CSRF cookie)."""
    live.add_user(username, roles, (tenant.slug,))
    async with httpx.AsyncClient(base_url=live.url) as client:
        await browser_sign_in(client, live, username)
        yield client


async def _post(client: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    page = await client.get(url)
    return await client.post(url, data={"_csrf_token": csrf_token(page.text), **data})


async def _responses(sessionmaker, tenant) -> list[tuple[str, int, str, dict, float | None]]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            rows = await session.scalars(
                select(QuestionnaireResponse).order_by(
                    QuestionnaireResponse.occasion, QuestionnaireResponse.version
                )
            )
            return [(r.occasion, r.version, r.status, dict(r.answers), r.total) for r in rows]


async def _setup(live, sessionmaker, tenant, *schedules):
    ids = await _world(sessionmaker, tenant)
    await _schedule(sessionmaker, tenant, *schedules)
    slug = tenant.slug
    await _link(live, sessionmaker, tenant, ids, Anna_Angst=f"pa-{slug}", Mette_Mentor=f"pm-{slug}")
    async with await _api(live, tenant, f"pk-{slug}") as api:
        fid = await _active(api, ids)
    return ids, fid


async def test_the_citizen_saves_a_draft_then_sends_and_only_she_and_coordinators_see_it(
    live, sessionmaker, tenants, today
):
    tenant = tenants.a
    slug = tenant.slug
    ids, fid = await _setup(live, sessionmaker, tenant, WHO5, QPR)
    mine = f"/t/{slug}/mit/"
    url = f"/t/{slug}/forloeb/{fid}/spoergeskema/{BASELINE}"
    async with _browser(live, tenant, f"pa-{slug}", ("mentee",)) as anna:
        page = await anna.get(mine)
        assert page.status_code == 200
        section = page.text.split('id="spoergeskemaer"')[1].split("</section>")[0]
        assert "Spørgeskemaer" in section
        assert _text(section).count("Sidste dag at svare: 06.12.2026") == 2
        assert f'href="{url}?tilbage=/t/{slug}/mit/"' in section
        assert "Spørgeskema om recovery-processen (QPR-15)" in section

        form = await anna.get(url, params={"tilbage": mine})
        assert form.status_code == 200
        text = _text(form.text)
        assert "<h1>WHO-5 Trivselsindeks</h1>" in form.text
        assert "Angiv for hvert af de 5 udsagn" in text
        assert '<legend class="form-label">1. I de sidste 2 uger har jeg været glad' in form.text
        assert text.count("Lidt mere end halvdelen af tiden") == 5
        assert form.text.count('type="radio"') == 30
        assert "Send svarene" in text and "Gem og fortsæt senere" in text
        assert "Om spørgeskemaet: kilde og brugsvilkår" in text
        assert "Psykiatrisk Center Nordsjælland" in text
        assert "indtaster" not in text  # no conversation note for the person herself

        draft = await _post(
            anna, url, {"tilbage": mine, "handling": "kladde", **_form(cheerful=4, calm=2)}
        )
        assert (draft.status_code, draft.headers["location"]) == (303, f"{mine}?spoergeskema=gemt")
        back = await anna.get(draft.headers["location"])
        assert "Svarene er gemt. Du kan fortsætte senere." in back.text
        assert "Du har gemt nogle svar. Fortsæt, hvor du slap." in back.text

        again = await anna.get(url)
        assert _checked(again.text, "q_cheerful") == "4"
        assert _checked(again.text, "q_calm") == "2"
        assert _checked(again.text, "q_active") is None
        assert "Dine gemte svar er udfyldt." in again.text

        # Sending with three items missing: field errors and the summary; nothing stored.
        missing = await _post(
            anna, url, {"tilbage": mine, "handling": "send", **_form(cheerful=5, calm=2)}
        )
        assert missing.status_code == 400
        assert SAVED_NOTHING in missing.text
        for key in ("active", "rested", "interested"):
            assert (
                f'<span class="form-error-message" id="e-q_{key}"><span class="sr-only">Fejl: '
                f"</span>{ANSWER_IT}</span>"
            ) in missing.text
        for n, key in ((3, "active"), (4, "rested"), (5, "interested")):
            link = f'<a class="function-link" href="#f-q_{key}">Spørgsmål {n}: {ANSWER_IT}</a>'
            assert link in missing.text
        assert 'id="e-q_cheerful"' not in missing.text
        assert _checked(missing.text, "q_cheerful") == "5"  # what she chose is still there
        # An answer off the scale, posted by hand (and one that is not a number).
        off = await _post(anna, url, {"handling": "send", **_all(3), "q_active": "9"})
        assert off.status_code == 400
        assert f'id="e-q_active"><span class="sr-only">Fejl: </span>{OFF_SCALE}' in off.text
        word = await _post(anna, url, {"handling": "kladde", "q_rested": "mange"})
        assert word.status_code == 400
        assert f'id="e-q_rested"><span class="sr-only">Fejl: </span>{OFF_SCALE}' in word.text
        assert await _responses(sessionmaker, tenant) == [
            (BASELINE, 1, "draft", {"cheerful": 4, "calm": 2}, None)
        ]

        sent = await _post(
            anna, url, {"tilbage": mine, "handling": "send", **_all(3), "q_cheerful": "5"}
        )
        assert (sent.status_code, sent.headers["location"]) == (303, f"{mine}?spoergeskema=sendt")
        back = await anna.get(sent.headers["location"])
        assert "Tak. Svarene er sendt." in back.text
        due = back.text.split('id="spoergeskemaer"')[1].split("</section>")[0]
        assert "WHO-5" not in due and "QPR-15" in due
        answers = back.text.split('id="mine-svar"')[1]
        assert "Dine svar over tid" in answers
        assert "<td>23.11.2026</td>" in answers and "<td>68</td>" in answers
        assert "<title id=" in answers and "Graf: WHO-5 Trivselsindeks" in answers

        # Sent: the page says so; sending again is a Danish 409 page, not an error body.
        done = await anna.get(url)
        assert (done.status_code, "Svarene blev sendt 23.11.2026." in done.text) == (200, True)
        assert "questionnaire-send" not in done.text
        twice = await _post(anna, url, {"handling": "send", **_all(1)})
        assert twice.status_code == 409
        assert "Spørgeskemaet er sendt. En rettelse kræver en begrundelse." in twice.text
        assert twice.headers["content-type"].startswith("text/html")
        assert await _responses(sessionmaker, tenant) == [
            (BASELINE, 1, "submitted", {**dict.fromkeys(ITEMS, 3), "cheerful": 5}, 68.0)
        ]

    # The mentor: not her occasion (the same 404 as an unknown one), not on her forløb page.
    async with _browser(live, tenant, f"pm-{slug}", ("mentor",)) as mette:
        assert (await mette.get(url)).status_code == 404
        assert (await mette.get(f"{url}/ret")).status_code == 404
        hers = await mette.get(f"/t/{slug}/forloeb/{fid}")
        assert hers.status_code == 200
        assert "who5" not in hers.text and "WHO-5" not in hers.text
        assert 'data-occasion="qpr15:mentor:baseline:1"' in hers.text
        assert 'data-occasion="qpr15:mentee:baseline:1"' not in hers.text
        person = await mette.get(f"/t/{slug}/deltagere/{ids['person:Anna Angst']}")
        assert person.status_code == 403

    # The coordinator sees every occasion with its status, the score and who gave it.
    async with _browser(live, tenant, f"pc-{slug}") as coordinator:
        page = await coordinator.get(f"/t/{slug}/forloeb/{fid}")
        section = page.text.split('id="spoergeskemaer"')[1].split("</section>")[0]
        cards = re.findall(r'<tr class="occasion occasion-(\w+)" data-occasion="([^"]+)"', section)
        assert cards == [
            ("due", "qpr15:mentee:baseline:1"),
            ("due", "qpr15:mentor:baseline:1"),
            ("answered", BASELINE),
            ("upcoming", "who5:mentee:interim:1"),
        ]
        assert _row(section, BASELINE) == (
            "WHO-5 Trivselsindeks Borger: Anna Angst Ved start 23.11.2026-06.12.2026 Besvaret "
            "68 (af 0-100) Besvaret af borgeren, sendt 23.11.2026 "
            "Ret svarene : WHO-5 Trivselsindeks, borger, ved start"
        )
        assert _row(section, "qpr15:mentor:baseline:1").endswith(
            "Åbent – Sidste dag at svare: 06.12.2026 Indtast svar fra samtale : "
            "Spørgeskema om recovery-processen (QPR-15), mentor, ved start"
        )
        assert "Kommende – Åbner 23.02.2027." in _row(section, "who5:mentee:interim:1")
        attention = await coordinator.get(f"/t/{slug}/forloeb/opmaerksomhed")
        due = attention.text.split('id="spoergeskemaer"')[1].split("</section>")[0]
        assert re.findall(r'data-occasion="([^"]+)"', due) == [
            "qpr15:mentee:baseline:1",
            "qpr15:mentor:baseline:1",
        ]
        assert "Sidste dag 06.12.2026" in _text(due)


async def test_the_coordinator_enters_answers_from_a_conversation_and_corrects_them(
    live, sessionmaker, tenants, today
):
    tenant = tenants.a
    slug = tenant.slug
    ids, fid = await _setup(live, sessionmaker, tenant, WHO5)
    forloeb = f"/t/{slug}/forloeb/{fid}"
    url = f"{forloeb}/spoergeskema/{BASELINE}"
    async with _browser(live, tenant, f"cc-{slug}") as coordinator:
        form = await coordinator.get(url)
        assert "Du indtaster de svar, Anna Angst gav i en samtale." in _text(form.text)
        # No `tilbage`: back to the forløb page.
        sent = await _post(coordinator, url, {"handling": "send", **_all(2)})
        assert (sent.status_code, sent.headers["location"]) == (
            303,
            f"{forloeb}?spoergeskema=sendt",
        )
        page = await coordinator.get(sent.headers["location"])
        assert "Tak. Svarene er sendt." in page.text
        assert "Indtastet af en koordinator fra en samtale" in page.text
        assert "40 (af 0-100)" in _row(page.text, BASELINE)

        fix = f"{url}/ret"
        correction = await coordinator.get(fix)
        assert correction.status_code == 200
        assert all(_checked(correction.text, f"q_{k}") == "2" for k in ITEMS)
        assert 'name="version" value="1"' in correction.text
        no_reason = await _post(
            coordinator, fix, {"version": "1", "reason": "  ", **_all(3), "q_calm": ""}
        )
        assert no_reason.status_code == 400
        assert f'id="e-reason"><span class="sr-only">Fejl: </span>{NO_REASON}' in no_reason.text
        assert f'id="e-q_calm"><span class="sr-only">Fejl: </span>{ANSWER_IT}' in no_reason.text
        assert _checked(no_reason.text, "q_active") == "3"
        stale = await _post(coordinator, fix, {"version": "7", "reason": "Læst forkert", **_all(3)})
        assert stale.status_code == 409
        assert "Svarene er blevet rettet i mellemtiden." in stale.text
        assert [r[:3] for r in await _responses(sessionmaker, tenant)] == [
            (BASELINE, 1, "submitted")
        ]
        done = await _post(
            coordinator,
            fix,
            {"version": "1", "reason": "Spørgsmålene blev læst forkert op.", **_all(3)},
        )
        assert (done.status_code, done.headers["location"]) == (
            303,
            f"{forloeb}?spoergeskema=rettet",
        )
        page = await coordinator.get(done.headers["location"])
        assert "Rettelsen er gemt." in page.text
        row = _row(page.text, BASELINE)
        assert "60 (af 0-100) Indtastet af en koordinator fra en samtale, sendt 23.11.2026" in row
        assert row.endswith(
            "rettet 23.11.2026: Spørgsmålene blev læst forkert op. Ret svarene : "
            "WHO-5 Trivselsindeks, borger, ved start"
        )
        assert [r[:3] + (r[4],) for r in await _responses(sessionmaker, tenant)] == [
            (BASELINE, 1, "submitted", 40.0),
            (BASELINE, 2, "submitted", 60.0),
        ]
        # The person page: the trajectory as a table and a chart beside it.
        person = await coordinator.get(f"/t/{slug}/deltagere/{ids['person:Anna Angst']}")
        answers = person.text.split('id="spoergeskemaer"')[1]
        assert "Spørgeskemaer over tid" in answers
        assert "<td>60</td>" in answers and "<td>40</td>" not in answers
        assert "(rettet)" in answers and "i en samtale" in answers
        assert '<svg class="trajectory-chart"' in answers and 'role="img"' in answers
    # The citizen may correct her own sent answers too; the mentor may not see them.
    async with _browser(live, tenant, f"pa-{slug}", ("mentee",)) as anna:
        own = await anna.get(f"{url}/ret")
        assert own.status_code == 200 and 'name="version" value="2"' in own.text
    async with _browser(live, tenant, f"pm-{slug}", ("mentor",)) as mette:
        assert (await mette.get(f"{url}/ret")).status_code == 404
    # Every success was audited with ids only; the refusals (400, 409, 404) wrote no such row.
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.object_id, AuditEvent.detail)
                .where(AuditEvent.tenant_slug == slug, AuditEvent.action.like("outcomes.%"))
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        ).all()
    anna = str(ids["person:Anna Angst"])
    form, page, correct = ("outcomes.read", fid), ("outcomes.read", fid), ("outcomes.read", fid)
    assert [(a, o) for a, o, _d in rows] == [
        form,
        form,  # read for its CSRF token, then sent
        ("outcomes.answer", fid),
        page,
        correct,
        correct,  # then refused: no reason (400)
        correct,  # then refused: a stale version (409)
        correct,
        ("outcomes.correct", fid),
        page,
        ("outcomes.trajectory", anna),  # the person page
        correct,  # the citizen's
    ]
    assert all(d == {} for _a, _o, d in rows)


async def test_without_consent_the_page_says_so_and_stores_nothing(
    live, sessionmaker, tenants, today
):
    tenant = tenants.a
    slug = tenant.slug
    ids, fid = await _setup(live, sessionmaker, tenant, WHO5)
    url = f"/t/{slug}/forloeb/{fid}/spoergeskema/{BASELINE}"
    async with _browser(live, tenant, f"nc-{slug}") as coordinator:
        token = csrf_token((await coordinator.get(url)).text)
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                consent = await session.scalar(
                    select(Consent).where(Consent.enrolment_id == ids["Anna Angst"])
                )
                consent.withdrawn_at = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
                consent.withdrawn_recorded_by = "t"
        page = await coordinator.get(url)
        assert page.status_code == 200
        assert "Personen har ikke givet samtykke" in page.text
        assert "questionnaire-send" not in page.text
        refused = await coordinator.post(
            url, data={"_csrf_token": token, "handling": "send", **_all(3)}
        )
        assert refused.status_code == 403
        assert "Personen har ikke givet samtykke, så der kan ikke registreres svar." in (
            refused.text
        )
        # A closed occasion (not open yet) is a Danish 409 page.
        later = await coordinator.post(
            f"/t/{slug}/forloeb/{fid}/spoergeskema/who5:mentee:interim:1",
            data={"_csrf_token": token, "handling": "kladde"},
        )
        assert later.status_code == 409
        assert "Spørgeskemaet kan ikke besvares nu: det er ikke åbent." in later.text
        upcoming = await coordinator.get(
            f"/t/{slug}/forloeb/{fid}/spoergeskema/who5:mentee:interim:1"
        )
        assert "Spørgeskemaet åbner 23.02.2027." in upcoming.text
        assert (
            await coordinator.get(f"/t/{slug}/forloeb/{fid}/spoergeskema/nope")
        ).status_code == (404)
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            count = await session.scalar(select(func.count()).select_from(QuestionnaireResponse))
    assert count == 0


async def test_the_results_page_shows_the_paired_change_and_refuses_bad_periods(
    live, sessionmaker, tenants, today
):
    tenant = tenants.a
    slug = tenant.slug
    ids = await _world(sessionmaker, tenant)
    await _schedule(sessionmaker, tenant, WHO5)
    pairs = [("Anna Angst", "Mette Mentor"), ("Bent Bipolar", "Morten Mentor")]
    async with await _api(live, tenant, f"rk-{slug}") as api:
        fids = [await _active(api, ids, mentee, mentor) for mentee, mentor in pairs]
        for fid, value in zip(fids, (2, 3), strict=True):
            await api.put(
                f"/forloeb/{fid}/questionnaires/{BASELINE}",
                json={"answers": dict.fromkeys(ITEMS, value), "submit": True},
            )
        today.set(dt.date(2027, 5, 1))
        for fid in fids:
            await api.post(f"/forloeb/{fid}/transitions", json={"to": "completed"})
        await api.put(
            f"/forloeb/{fids[0]}/questionnaires/who5:mentee:end:1",
            json={"answers": dict.fromkeys(ITEMS, 4), "submit": True},
        )
    # Two weeks on, the second end questionnaire's window has closed: it is missing.
    today.set(dt.date(2027, 5, 15))
    async with _browser(live, tenant, f"rc-{slug}") as coordinator:
        front = await coordinator.get(f"/t/{slug}/")
        assert f'href="/t/{slug}/resultater"' in front.text and "Resultater" in front.text
        page = await coordinator.get(
            f"/t/{slug}/resultater",
            params={"programme": "btb", "fra": "2027-01-01", "til": "2027-12-31"},
        )
        assert page.status_code == 200
        text = _text(page.text)
        assert "Borger til Borger: forløb afsluttet 01.01.2027-31.12.2027" in text
        assert "WHO-5 Trivselsindeks · Borger" in text
        assert "Afsluttede forløb: 2" in text
        assert "Manglende svar ved start: 0" in text and "Manglende svar ved afslutning: 1" in text
        row = _text(
            page.text.split('<table class="table table--compact result-table">')[1].split("</tr>")[
                1
            ]
        )
        assert row == "Samlet score 1 under 5 40,0 80,0 +40,0 – 1 af 1 (100 %)"
        assert "aldrig udfyldt eller skønnet" in text
        assert "Tal under 5 skal læses med forsigtighed" in text
        # The default: the first programme with questionnaires, the year up to today.
        default = await coordinator.get(f"/t/{slug}/resultater")
        assert default.status_code == 200 and 'value="2026-05-15"' in default.text
        bad = await coordinator.get(f"/t/{slug}/resultater", params={"fra": "2027-13-01"})
        assert bad.status_code == 400
        assert 'id="e-fra"><span class="sr-only">Fejl: </span>Skriv en dato (ÅÅÅÅ-MM-DD).' in (
            bad.text
        )
        backwards = await coordinator.get(
            f"/t/{slug}/resultater", params={"fra": "2027-12-31", "til": "2027-01-01"}
        )
        assert backwards.status_code == 400
        assert "Periodens start skal ligge før dens slutning." in backwards.text
        unknown = await coordinator.get(f"/t/{slug}/resultater", params={"programme": "nope"})
        assert (unknown.status_code, "Vælg et af tilbuddene." in unknown.text) == (400, True)

        instruments = await coordinator.get(f"/t/{slug}/spoergeskemaer")
        assert instruments.status_code == 200
        text = _text(instruments.text)
        for title in (
            "WHO-5 Trivselsindeks",
            "Tilfredshed med livet (SWLS)",
            "Kontrol over eget liv (Pearlins mestringsskala)",
            "Spørgeskema om recovery-processen (QPR-15)",
            "Makkers fire spørgsmål (ikke en valideret skala)",
        ):
            assert title in text
        assert instruments.text.count(">Ikke en valideret skala<") == 1  # the badge
        assert "0 = På intet tidspunkt" in text and "Betydningsfuld ændring 10 point" in text
        assert "vendes ved scoring" in text  # the mastery scale's reversed items
    async with _browser(live, tenant, f"ra-{slug}", ("mentee",)) as citizen:
        assert (await citizen.get(f"/t/{slug}/resultater")).status_code == 403
        assert (await citizen.get(f"/t/{slug}/spoergeskemaer")).status_code == 200
        front = await citizen.get(f"/t/{slug}/")
        assert "/resultater" not in front.text


async def test_another_tenant_reaches_no_questionnaire_page(live, sessionmaker, tenants, today):
    ids, fid = await _setup(live, sessionmaker, tenants.a, WHO5)
    async with _browser(live, tenants.b, f"xo-{tenants.b.slug}") as other:
        base = f"/t/{tenants.b.slug}/forloeb/{fid}/spoergeskema/{BASELINE}"
        token = csrf_token((await other.get(f"/t/{tenants.b.slug}/")).text)
        assert (await other.get(base)).status_code == 404
        assert (await other.get(f"{base}/ret")).status_code == 404
        posted = await other.post(base, data={"_csrf_token": token, "handling": "send", **_all(3)})
        assert posted.status_code == 404
        page = await other.get(f"/t/{tenants.b.slug}/forloeb/opmaerksomhed")
        assert "Anna Angst" not in page.text
    assert await _responses(sessionmaker, tenants.a) == []
