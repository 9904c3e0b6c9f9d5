"""Outcome questionnaires over the API (issue 13), on SQLite and PostgreSQL: instruments, the
occasions of a forløb, answering (draft, send), consent, corrections as new versions, who sees
what (never the other party or another tenant), the due lists, a trajectory and a programme's
paired change from baseline to end."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
import pytest
from scipy import stats
from sqlalchemy import select

from core.db.tenant_scope import tenant_scope
from core.outcomes.models import QuestionnaireResponse
from core.participants.models import Consent, Person
from core.tenancy.config import OutcomeSchedule
from core.tenancy.models import Programme
from tests.test_forloeb import TODAY, _active, _api, _count, _world
from tests.test_mine import account_of

#: WHO-5's items in order.
ITEMS = ("cheerful", "calm", "active", "rested", "interested")


@pytest.fixture
def today(clock):
    clock.set(TODAY)
    return clock


def _who5(value: int) -> dict[str, int]:
    return dict.fromkeys(ITEMS, value)


async def _schedule(sessionmaker, tenant, *schedules: OutcomeSchedule) -> None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme).where(Programme.slug == "btb"))
            programme.outcomes = [msgspec.to_builtins(s) for s in schedules]


async def _link(live, sessionmaker, tenant, ids, **users: str) -> None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            for name, user in users.items():
                person = await session.get(Person, ids[f"person:{name.replace('_', ' ')}"])
                person.account = account_of(live, user)


WHO5 = OutcomeSchedule(instrument="who5", respondents="mentee", every_months=3)
QPR = OutcomeSchedule(instrument="qpr15", respondents="both", at_end=False)


async def test_instruments_are_listed_with_their_source_and_terms(live, tenants):
    async with await _api(live, tenants.a, f"ik-{tenants.a.slug}") as api:
        listed = await api.get("/instruments")
        assert listed.status_code == 200
        ids = [i["id"] for i in listed.json()]
        assert {"who5", "swls", "mastery", "qpr15", "makker4"} <= set(ids)
        who5 = (await api.get("/instruments/who5")).json()
        assert (who5["score_min"], who5["score_max"], who5["meaningful_change"]) == (0, 100, 10)
        assert len(who5["items"]) == 5 and [o["value"] for o in who5["options"]] == list(range(6))
        assert who5["source"] and who5["terms_of_use"]
        assert (await api.get("/instruments/nope")).status_code == 404


async def test_the_citizen_drafts_then_sends_and_the_coordinator_sees_the_score(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5, QPR)
    slug = tenants.a.slug
    await _link(
        live, sessionmaker, tenants.a, ids, Anna_Angst=f"oa-{slug}", Mette_Mentor=f"om-{slug}"
    )
    async with await _api(live, tenants.a, f"ok-{slug}") as api:
        fid = await _active(api, ids)
        everything = (await api.get(f"/forloeb/{fid}/questionnaires")).json()
        assert [(o["key"], o["status"], o["opens_on"], o["closes_on"]) for o in everything] == [
            ("qpr15:mentee:baseline:1", "due", "2026-11-23", "2026-12-06"),
            ("qpr15:mentor:baseline:1", "due", "2026-11-23", "2026-12-06"),
            ("who5:mentee:baseline:1", "due", "2026-11-23", "2026-12-06"),
            ("who5:mentee:interim:1", "upcoming", "2027-02-23", "2027-03-08"),
        ]
    async with await _api(live, tenants.a, f"oa-{slug}", ("mentee",)) as anna:
        own = (await anna.get(f"/forloeb/{fid}/questionnaires")).json()
        assert [o["key"] for o in own] == [
            "qpr15:mentee:baseline:1",
            "who5:mentee:baseline:1",
            "who5:mentee:interim:1",
        ]
        url = f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1"
        draft = await anna.put(url, json={"answers": {"cheerful": 4, "calm": None}})
        assert draft.status_code == 200
        assert (draft.json()["status"], draft.json()["answers"], draft.json()["total"]) == (
            "draft",
            {"cheerful": 4},
            None,
        )
        incomplete = await anna.put(url, json={"answers": {"cheerful": 4}, "submit": True})
        assert incomplete.status_code == 400
        assert incomplete.json()["errors"] == dict.fromkeys(ITEMS[1:], "Besvar dette spørgsmål.")
        wrong = await anna.put(url, json={"answers": {**_who5(3), "active": 9, "qx": 1}})
        assert wrong.status_code == 400
        assert wrong.json()["errors"] == {
            "active": "Vælg et af svarene (0-5).",
            "qx": "Spørgeskemaet har ikke det spørgsmål.",
        }
        sent = await anna.put(url, json={"answers": {**_who5(3), "cheerful": 5}, "submit": True})
        assert sent.status_code == 200
        # (5 + 3 + 3 + 3 + 3) x 4
        assert (sent.json()["status"], sent.json()["total"], sent.json()["version"]) == (
            "submitted",
            68.0,
            1,
        )
        again = await anna.put(url, json={"answers": _who5(1), "submit": True})
        assert again.status_code == 409
        # The mentor's own occasion is not hers: the same 404 as an unknown one.
        theirs = await anna.put(
            f"/forloeb/{fid}/questionnaires/qpr15:mentor:baseline:1",
            json={"answers": {}},
        )
        assert theirs.status_code == 404
    async with await _api(live, tenants.a, f"om-{slug}", ("mentor",)) as mette:
        own = (await mette.get(f"/forloeb/{fid}/questionnaires")).json()
        assert [o["key"] for o in own] == ["qpr15:mentor:baseline:1"]
        assert (await mette.get(f"/people/{ids['person:Anna Angst']}/outcomes")).status_code == 404
    async with await _api(live, tenants.a, f"ok-{slug}") as api:
        who5 = [
            o
            for o in (await api.get(f"/forloeb/{fid}/questionnaires")).json()
            if o["key"] == "who5:mentee:baseline:1"
        ]
        assert who5[0]["status"] == "answered" and who5[0]["response"]["total"] == 68.0
        assert who5[0]["response"]["entered_as"] == "self"
        due = (await api.get("/questionnaires/due")).json()
        assert sorted((d["person_name"], d["occasion"]["key"]) for d in due) == [
            ("Anna Angst", "qpr15:mentee:baseline:1"),
            ("Mette Mentor", "qpr15:mentor:baseline:1"),
        ]
        trajectory = (await api.get(f"/people/{ids['person:Anna Angst']}/outcomes")).json()
        assert trajectory == [
            {
                "instrument": "who5",
                "role": "mentee",
                "points": [
                    {
                        "day": "2026-11-23",
                        "occasion": "who5:mentee:baseline:1",
                        "kind": "baseline",
                        "total": 68.0,
                        "answers": {**_who5(3), "cheerful": 5},
                        "entered_as": "self",
                        "version": 1,
                    }
                ],
            }
        ]


async def test_a_correction_is_a_new_version_with_a_reason(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    slug = tenants.a.slug
    async with await _api(live, tenants.a, f"ck-{slug}") as api:
        fid = await _active(api, ids)
        url = f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1"
        # Given in a conversation and entered by the coordinator.
        sent = (await api.put(url, json={"answers": _who5(2), "submit": True})).json()
        assert (sent["entered_as"], sent["total"]) == ("conversation", 40.0)
        rid = sent["id"]
        no_reason = await api.post(
            f"/questionnaire-responses/{rid}/corrections", json={"answers": _who5(3), "reason": " "}
        )
        assert no_reason.status_code == 400
        assert no_reason.json()["errors"] == {"reason": "Skriv hvorfor svarene rettes."}
        fixed = await api.post(
            f"/questionnaire-responses/{rid}/corrections",
            json={"answers": _who5(3), "reason": "Spørgsmål 1-5 blev læst op forkert."},
        )
        assert fixed.status_code == 201
        assert (fixed.json()["version"], fixed.json()["total"]) == (2, 60.0)
        stale = await api.post(
            f"/questionnaire-responses/{rid}/corrections",
            json={"answers": _who5(4), "reason": "igen"},
        )
        assert stale.status_code == 409
        (who5,) = [
            o
            for o in (await api.get(f"/forloeb/{fid}/questionnaires")).json()
            if o["key"].startswith("who5:mentee:baseline")
        ]
        assert [(v["version"], v["total"]) for v in who5["versions"]] == [(1, 40.0), (2, 60.0)]
        assert who5["response"]["version"] == 2
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            first = await session.get(QuestionnaireResponse, uuid.UUID(rid))
            assert (first.total, first.answers) == (40.0, _who5(2))


async def test_no_consent_no_answers_and_closed_occasions_are_refused(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    async with await _api(live, tenants.a, f"nk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        url = f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1"
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session, session.begin():
                consent = await session.scalar(
                    select(Consent).where(Consent.enrolment_id == ids["Anna Angst"])
                )
                consent.withdrawn_at = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
                consent.withdrawn_recorded_by = "t"
        refused = await api.put(url, json={"answers": _who5(3), "submit": True})
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "Personen har ikke givet samtykke, så der kan ikke registreres svar."
        )
        later = await api.put(
            f"/forloeb/{fid}/questionnaires/who5:mentee:interim:1", json={"answers": {}}
        )
        assert later.status_code == 409
        assert later.json()["detail"] == "Spørgeskemaet kan ikke besvares nu: det er ikke åbent."
        today.set(TODAY + dt.timedelta(days=14))
        missed = (await api.get(f"/forloeb/{fid}/questionnaires")).json()
        assert [(o["key"], o["status"]) for o in missed] == [
            ("who5:mentee:baseline:1", "missed"),
            ("who5:mentee:interim:1", "upcoming"),
        ]
    assert await _count(sessionmaker, tenants.a, QuestionnaireResponse) == 0


async def test_another_tenant_sees_nothing(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    async with await _api(live, tenants.a, f"xk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        sent = await api.put(
            f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1",
            json={"answers": _who5(3), "submit": True},
        )
        rid = sent.json()["id"]
    async with await _api(live, tenants.b, f"xk-{tenants.b.slug}") as other:
        assert (await other.get(f"/forloeb/{fid}/questionnaires")).status_code == 404
        put = await other.put(
            f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1",
            json={"answers": _who5(1), "submit": True},
        )
        assert put.status_code == 404
        corrected = await other.post(
            f"/questionnaire-responses/{rid}/corrections",
            json={"answers": _who5(1), "reason": "x"},
        )
        assert corrected.status_code == 404
        assert (await other.get(f"/people/{ids['person:Anna Angst']}/outcomes")).status_code == 404
        assert (await other.get("/programmes/btb/outcomes")).status_code == 404
        assert (await other.get("/questionnaires/due")).json() == []
    assert await _count(sessionmaker, tenants.a, QuestionnaireResponse) == 1


async def test_programme_result_is_the_paired_change_with_missing_counted(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    pairs = [("Anna Angst", "Mette Mentor"), ("Bent Bipolar", "Morten Mentor")]
    async with await _api(live, tenants.a, f"pk-{tenants.a.slug}") as api:
        fids = [await _active(api, ids, mentee, mentor) for mentee, mentor in pairs]
        # Baselines: 40 and 60; Bent's end is never answered.
        for fid, value in zip(fids, (2, 3), strict=True):
            await api.put(
                f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1",
                json={"answers": _who5(value), "submit": True},
            )
        today.set(dt.date(2027, 5, 1))
        for fid in fids:
            done = await api.post(f"/forloeb/{fid}/transitions", json={"to": "completed"})
            assert done.status_code == 200
        end = await api.put(
            f"/forloeb/{fids[0]}/questionnaires/who5:mentee:end:1",
            json={"answers": _who5(4), "submit": True},
        )
        assert end.json()["total"] == 80.0
        result = await api.get(
            "/programmes/btb/outcomes", params={"from": "2027-01-01", "to": "2027-12-31"}
        )
        assert result.status_code == 200
        (who5,) = result.json()["results"]
        # Bent's end questionnaire is still open: not missing yet.
        assert (who5["ended"], who5["missing_baseline"], who5["missing_end"]) == (2, 0, 0)
        today.set(dt.date(2027, 5, 15))  # its window has closed: missing, counted, not imputed
        result = await api.get(
            "/programmes/btb/outcomes", params={"from": "2027-01-01", "to": "2027-12-31"}
        )
        (who5,) = result.json()["results"]
        assert (who5["ended"], who5["missing_baseline"], who5["missing_end"]) == (2, 0, 1)
        assert who5["changes"] == [
            {
                "measure": "total",
                "n": 1,
                "mean_change": 40.0,
                "ci95_low": None,
                "ci95_high": None,
                "meaningful_improvement": 1,
                "mean_baseline": 40.0,
                "mean_end": 80.0,
            }
        ]
        bad = await api.get(
            "/programmes/btb/outcomes", params={"from": "2027-12-31", "to": "2027-01-01"}
        )
        assert bad.status_code == 400


def test_the_confidence_interval_is_students_t():
    from core.outcomes.instruments import registered_instruments
    from core.outcomes.results import _change
    from core.plugin_api import create_plugin_manager

    who5 = registered_instruments(create_plugin_manager())["who5"]
    change = _change("total", [(40.0, 60.0), (48.0, 56.0), (20.0, 52.0)], who5)
    expected = stats.ttest_1samp([20.0, 8.0, 32.0], 0).confidence_interval(0.95)
    assert (change.n, change.mean_change, change.improved) == (3, 20.0, 2)
    assert change.ci_low == pytest.approx(expected.low)
    assert change.ci_high == pytest.approx(expected.high)
    assert change.ci_low == pytest.approx(20.0 - 4.302652729911275 * 12.0 / 3**0.5)
    assert (change.mean_baseline, change.mean_end) == (36.0, 56.0)


async def test_without_consent_no_correction_and_nothing_due(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    async with await _api(live, tenants.a, f"wk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        sent = await api.put(
            f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1",
            json={"answers": _who5(2), "submit": True},
        )
        rid = sent.json()["id"]
        await _schedule(
            sessionmaker, tenants.a, msgspec.structs.replace(WHO5, baseline_within_days=30)
        )
        with tenant_scope(tenants.a.id):
            async with sessionmaker() as session, session.begin():
                consent = await session.scalar(
                    select(Consent).where(Consent.enrolment_id == ids["Anna Angst"])
                )
                consent.withdrawn_at = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
                consent.withdrawn_recorded_by = "t"
        corrected = await api.post(
            f"/questionnaire-responses/{rid}/corrections",
            json={"answers": _who5(4), "reason": "Rettet efter samtale"},
        )
        assert corrected.status_code == 403
        assert corrected.json()["detail"] == (
            "Personen har ikke givet samtykke, så der kan ikke registreres svar."
        )
        today.set(TODAY + dt.timedelta(days=92))  # the interim occasion is open now
        (interim,) = [
            o
            for o in (await api.get(f"/forloeb/{fid}/questionnaires")).json()
            if o["key"] == "who5:mentee:interim:1"
        ]
        assert interim["status"] == "due"
        # ... but nobody can answer it, so no due list names it.
        assert (await api.get("/questionnaires/due")).json() == []
    assert await _count(sessionmaker, tenants.a, QuestionnaireResponse) == 1


async def test_a_platform_admin_sees_no_answers(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    async with await _api(live, tenants.a, f"pk2-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        sent = await api.put(
            f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1",
            json={"answers": _who5(2), "submit": True},
        )
        rid = sent.json()["id"]
    async with await _api(live, tenants.a, f"pa-{tenants.a.slug}", ("platform_admin",)) as admin:
        assert (await admin.get(f"/forloeb/{fid}")).status_code == 200
        assert (await admin.get(f"/forloeb/{fid}/questionnaires")).json() == []
        assert (await admin.get("/questionnaires/due")).json() == []
        person = ids["person:Anna Angst"]
        assert (await admin.get(f"/people/{person}/outcomes")).json() == []
        put = await admin.put(
            f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1",
            json={"answers": _who5(1), "submit": True},
        )
        assert put.status_code == 404
        corrected = await admin.post(
            f"/questionnaire-responses/{rid}/corrections",
            json={"answers": _who5(1), "reason": "Platformen retter"},
        )
        assert corrected.status_code == 404
    assert await _count(sessionmaker, tenants.a, QuestionnaireResponse) == 1


async def test_a_wrong_type_names_the_answers_field(live, sessionmaker, tenants, today):
    """msgspec does not say which key of a mapping is wrong; the field is named cleanly."""
    ids = await _world(sessionmaker, tenants.a)
    await _schedule(sessionmaker, tenants.a, WHO5)
    async with await _api(live, tenants.a, f"tk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        wrong = await api.put(
            f"/forloeb/{fid}/questionnaires/who5:mentee:baseline:1",
            json={"answers": {"cheerful": 2.5}, "submit": False},
        )
        assert (wrong.status_code, wrong.json()["errors"]) == (
            400,
            {"answers": "Værdien er ikke gyldig."},
        )
    assert await _count(sessionmaker, tenants.a, QuestionnaireResponse) == 0
