"""Matching and forløb over the API (issue 6), on SQLite and PostgreSQL: the waiting list,
suggestions and global assignment from real enrolments and før-samtaler, proposals that both
parties accept, decline back to the pool, pauses, meetings from the pair, the attention list,
and what a mentee sees."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb, Meeting
from core.participants.models import (
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    Intake,
    Person,
)
from core.tenancy.models import Programme
from tests.test_mine import account_of

TODAY = dt.date(2026, 11, 23)
SAVED_NOTHING = "Nogle felter er ikke udfyldt korrekt; intet er gemt."


@pytest.fixture
def today(clock):
    """The app's clock set to ``TODAY``; tests move it forward with ``today.set(...)``."""
    clock.set(TODAY)
    return clock


PEOPLE = {
    # name: (role, gender, birth_year, postal code, interests, intake)
    "Anna Angst": (
        "mentee",
        "kvinde",
        1990,
        "6000",
        ["gåture"],
        {"lived_experience": ["psykiatri"], "challenges": "angst, ensomhed"},
    ),
    "Bent Bipolar": (
        "mentee",
        "mand",
        1970,
        "6000",
        ["fodbold"],
        {"lived_experience": ["psykiatri"], "challenges": "bipolar"},
    ),
    "Mette Mentor": (
        "mentor",
        "kvinde",
        1985,
        "6000",
        ["gåture"],
        {"lived_experience": ["psykiatri"], "challenges": "angst", "capacity": 1},
    ),
    "Morten Mentor": (
        "mentor",
        "mand",
        1968,
        "6000",
        ["fodbold"],
        {"lived_experience": ["psykiatri"], "challenges": "bipolar", "capacity": 2},
    ),
    "Pia Pause": (
        "mentor",
        "kvinde",
        1980,
        "6000",
        [],
        {"lived_experience": ["psykiatri"], "paused_until": dt.date(2027, 1, 1)},
    ),
}


async def _world(sessionmaker, tenant) -> dict[str, uuid.UUID]:
    """A programme (weekly, 6-9 months) with everyone above `ready`, consented and
    interviewed. Returns enrolment ids by name, and ``person:<name>`` person ids."""
    ids: dict[str, uuid.UUID] = {}
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="btb",
                name="Borger til Borger",
                type="peer_mentor",
                areas=["psykiatri"],
                policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
                plugins={},
            )
            session.add(programme)
            await session.flush()
            text = ConsentText(programme_id=programme.id, version=1, body="T", created_by="t")
            session.add(text)
            await session.flush()
            for name, (role, gender, born, postal, interests, intake) in PEOPLE.items():
                person = Person(
                    name=name,
                    gender=gender,
                    birth_year=born,
                    postal_code=postal,
                    interests=interests,
                    phone="12345678",
                )
                session.add(person)
                await session.flush()
                enrolment = Enrolment(
                    person_id=person.id,
                    programme_id=programme.id,
                    role=EnrolmentRole(role),
                    status="ready",
                )
                session.add(enrolment)
                await session.flush()
                session.add_all(
                    [
                        Consent(
                            enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t"
                        ),
                        Intake(enrolment_id=enrolment.id, held_on=TODAY, **intake),
                    ]
                )
                ids[name] = enrolment.id
                ids[f"person:{name}"] = person.id
    return ids


async def _api(live, tenant, username, roles=("coordinator",)) -> httpx.AsyncClient:
    live.add_user(username, roles, (tenant.slug,))
    return httpx.AsyncClient(
        base_url=f"{live.url}/api/v1/t/{tenant.slug}",
        headers={"Authorization": f"Bearer {await live.access_token(username)}"},
    )


async def _statuses(sessionmaker, tenant) -> dict[str, str]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            rows = await session.execute(
                select(Person.name, Enrolment.status).join(
                    Enrolment, Enrolment.person_id == Person.id
                )
            )
            return dict(rows.all())


async def _count(sessionmaker, tenant, model) -> int:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_global_assignment_and_suggestions_from_enrolments_and_intakes(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        plan = await api.get("/programmes/btb/matching/assignment")
        assert plan.status_code == 200
        body = plan.json()
        pairs = {(p["mentee_name"], p["mentor_name"]): p for p in body["pairs"]}
        assert body["strategy"] == "shared_experience"
        assert sorted(pairs) == [("Anna Angst", "Mette Mentor"), ("Bent Bipolar", "Morten Mentor")]
        anna = pairs[("Anna Angst", "Mette Mentor")]
        assert [r["text"] for r in anna["reasons"]] == [
            "begge har erfaring med psykisk sårbarhed",
            "begge har erfaring med angst",
            "fælles interesser: gåture",
            "bor 0 km fra hinanden",
        ]
        assert anna["score"] == pytest.approx(sum(r["points"] for r in anna["reasons"]))
        assert body["unmatched"] == []
        assert [(c["name"], c["excluded"]) for c in body["excluded"]] == [
            ("Pia Pause", ["Sat på pause til 01.01.2027."])
        ]
        suggested = await api.get(
            "/programmes/btb/matching/suggestions", params={"mentee": str(ids["Bent Bipolar"])}
        )
        assert [(s["mentor_name"], s["free_places"]) for s in suggested.json()] == [
            ("Morten Mentor", 2),
            ("Mette Mentor", 1),
        ]
        # A mentor is not a mentee on the waiting list: 404.
        wrong = await api.get(
            "/programmes/btb/matching/suggestions", params={"mentee": str(ids["Mette Mentor"])}
        )
        assert wrong.status_code == 404


async def test_proposal_accepted_by_both_becomes_active_and_moves_enrolments(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        created = await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [{"mentee": str(ids["Anna Angst"]), "mentor": str(ids["Mette Mentor"])}]
            },
        )
        assert created.status_code == 201
        proposal = created.json()[0]
        assert (proposal["state"], proposal["mentee"]["name"], proposal["mentor"]["name"]) == (
            "proposed",
            "Anna Angst",
            "Mette Mentor",
        )
        statuses = await _statuses(sessionmaker, tenants.a)
        assert (statuses["Anna Angst"], statuses["Mette Mentor"]) == ("matched", "matched")
        fid = proposal["id"]
        # Not active before both have said yes.
        early = await api.post(f"/forloeb/{fid}/transitions", json={"to": "active"})
        assert early.status_code == 400
        assert early.json()["errors"] == {
            "to": "Både borgeren og mentoren skal først sige ja til forslaget."
        }
        one = await api.post(f"/forloeb/{fid}/acceptances", json={"party": "mentee"})
        assert (one.status_code, one.json()["forloeb"]["state"]) == (200, "proposed")
        again = await api.post(f"/forloeb/{fid}/acceptances", json={"party": "mentee"})
        assert again.json()["errors"] == {"party": "Denne part har allerede sagt ja."}
        both = await api.post(f"/forloeb/{fid}/acceptances", json={"party": "mentor"})
        detail = both.json()
        assert (detail["forloeb"]["state"], detail["forloeb"]["started_on"]) == (
            "active",
            TODAY.isoformat(),
        )
        assert detail["planned_end"] == "2027-05-23"
        assert [(e["from_state"], e["to_state"]) for e in detail["events"]] == [
            (None, "proposed"),
            ("proposed", "active"),
        ]
        statuses = await _statuses(sessionmaker, tenants.a)
        assert (statuses["Anna Angst"], statuses["Mette Mentor"]) == ("active", "active")
        # Mette (capacity 1) is now full; Morten (capacity 2) still has two places.
        plan = (await api.get("/programmes/btb/matching/assignment")).json()
        assert [(p["mentee_name"], p["mentor_name"]) for p in plan["pairs"]] == [
            ("Bent Bipolar", "Morten Mentor")
        ]
        assert ("Mette Mentor", ["Ingen ledige pladser (tager 1 ad gangen)."]) in [
            (c["name"], c["excluded"]) for c in plan["excluded"]
        ]
        # A mentor at capacity is not suggested.
        suggested = await api.get(
            "/programmes/btb/matching/suggestions", params={"mentee": str(ids["Bent Bipolar"])}
        )
        assert [s["mentor_name"] for s in suggested.json()] == ["Morten Mentor"]


async def test_declined_proposal_returns_both_to_the_pool_with_the_reason(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        created = await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [{"mentee": str(ids["Bent Bipolar"]), "mentor": str(ids["Mette Mentor"])}]
            },
        )
        fid = created.json()[0]["id"]
        bare = await api.post(f"/forloeb/{fid}/transitions", json={"to": "declined"})
        assert (bare.status_code, bare.json()["errors"]) == (
            400,
            {"reason": "Skriv en begrundelse."},
        )
        declined = await api.post(
            f"/forloeb/{fid}/transitions", json={"to": "declined", "reason": "Kemien passede ikke"}
        )
        assert declined.json()["forloeb"]["state"] == "declined"
        assert declined.json()["events"][-1]["reason"] == "Kemien passede ikke"
    statuses = await _statuses(sessionmaker, tenants.a)
    assert (statuses["Bent Bipolar"], statuses["Mette Mentor"]) == ("ready", "ready")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            reasons = list(
                await session.scalars(
                    select(EnrolmentEvent.reason).where(
                        EnrolmentEvent.enrolment_id == ids["Bent Bipolar"],
                        EnrolmentEvent.to_status == "ready",
                    )
                )
            )
    assert reasons == ["Kemien passede ikke"]


async def test_bad_proposals_are_refused_and_store_nothing(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    anna, bent = str(ids["Anna Angst"]), str(ids["Bent Bipolar"])
    mette, pia = str(ids["Mette Mentor"]), str(ids["Pia Pause"])
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        response = await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [
                    {"mentee": anna, "mentor": mette},
                    {"mentee": anna, "mentor": str(ids["Morten Mentor"])},
                    {"mentee": bent, "mentor": mette},
                    {"mentee": bent, "mentor": pia},
                    {"mentee": mette, "mentor": bent},
                    {"mentee": str(uuid.uuid4()), "mentor": mette},
                ]
            },
        )
        assert response.status_code == 400
        assert response.json() == {
            "status_code": 400,
            "detail": SAVED_NOTHING,
            "errors": {
                "pairs.1": "Borgeren står i mere end ét par.",
                "pairs.2": "Mentoren har ikke flere ledige pladser.",
                "pairs.3": "Sat på pause til 01.01.2027.",
                "pairs.4": "Borgeren står ikke på programmets venteliste.",
                "pairs.5": "Borgeren står ikke på programmets venteliste.",
            },
        }
        empty = await api.post("/programmes/btb/proposals", json={"pairs": []})
        assert empty.json()["errors"] == {"pairs": "Vælg mindst ét par."}
    assert await _count(sessionmaker, tenants.a, Forloeb) == 0
    assert set((await _statuses(sessionmaker, tenants.a)).values()) == {"ready"}


async def test_must_have_wish_is_a_hard_filter(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            intake = await session.scalar(
                select(Intake).where(Intake.enrolment_id == ids["Bent Bipolar"])
            )
            intake.wish_gender = "Kvinde"
            intake.wish_gender_required = True
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        suggested = await api.get(
            "/programmes/btb/matching/suggestions", params={"mentee": str(ids["Bent Bipolar"])}
        )
        assert [s["mentor_name"] for s in suggested.json()] == ["Mette Mentor"]
        refused = await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [{"mentee": str(ids["Bent Bipolar"]), "mentor": str(ids["Morten Mentor"])}]
            },
        )
        assert refused.json()["errors"] == {
            "pairs.0": "Ikke et muligt match: borgeren ønsker en kvinde som makker."
        }


async def test_a_mentee_cannot_be_in_two_open_forloeb_in_one_programme(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        pair = {"mentee": str(ids["Anna Angst"]), "mentor": str(ids["Mette Mentor"])}
        assert (
            await api.post("/programmes/btb/proposals", json={"pairs": [pair]})
        ).status_code == 201
        pair["mentor"] = str(ids["Morten Mentor"])
        second = await api.post("/programmes/btb/proposals", json={"pairs": [pair]})
        assert second.json()["errors"] == {
            "pairs.0": "Borgeren står ikke på programmets venteliste."
        }
    # The database refuses it too (a partial unique index on the open states).
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            first = await session.scalar(select(Forloeb))
            session.add(
                Forloeb(
                    programme_id=first.programme_id,
                    mentee_enrolment_id=ids["Anna Angst"],
                    mentor_enrolment_id=ids["Morten Mentor"],
                    state="active",
                    strategy="manual",
                    proposed_on=TODAY,
                    proposed_by="t",
                    frequency="weekly",
                    planned_months=6,
                )
            )
            with pytest.raises(IntegrityError):
                await session.commit()


async def _active(api, ids, mentee="Anna Angst", mentor="Mette Mentor") -> str:
    created = await api.post(
        "/programmes/btb/proposals",
        json={"pairs": [{"mentee": str(ids[mentee]), "mentor": str(ids[mentor])}]},
    )
    fid = created.json()[0]["id"]
    for party in ("mentee", "mentor"):
        await api.post(f"/forloeb/{fid}/acceptances", json={"party": party})
    return str(fid)


async def test_pause_moves_the_planned_end_and_completion_finishes_the_mentee(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        today.set(TODAY + dt.timedelta(days=30))
        no_reason = await api.post(f"/forloeb/{fid}/transitions", json={"to": "paused"})
        assert no_reason.json()["errors"] == {"reason": "Skriv en begrundelse."}
        paused = await api.post(
            f"/forloeb/{fid}/transitions",
            json={"to": "paused", "reason": "Indlæggelse", "resume_on": "2027-01-05"},
        )
        assert paused.json()["pauses"] == [
            {"starts_on": "2026-12-23", "ends_on": None, "planned_resume": "2027-01-05"}
        ]
        today.set(TODAY + dt.timedelta(days=40))
        resumed = await api.post(f"/forloeb/{fid}/transitions", json={"to": "active"})
        assert resumed.json()["planned_end"] == "2027-06-02"  # 2027-05-23 + 10 days paused
        forbidden = await api.post(
            f"/forloeb/{fid}/transitions", json={"to": "declined", "reason": "x"}
        )
        assert forbidden.json()["errors"] == {
            "to": "Forløbet kan ikke skifte fra Aktivt til Afvist."
        }
        done = await api.post(f"/forloeb/{fid}/transitions", json={"to": "completed"})
        assert (done.json()["forloeb"]["state"], done.json()["forloeb"]["ended_on"]) == (
            "completed",
            "2027-01-02",
        )
    statuses = await _statuses(sessionmaker, tenants.a)
    # The mentee's enrolment is finished; the mentor stays active and back in the pool.
    assert (statuses["Anna Angst"], statuses["Mette Mentor"]) == ("finished", "active")
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        suggested = await api.get(
            "/programmes/btb/matching/suggestions", params={"mentee": str(ids["Bent Bipolar"])}
        )
        # Mette is back with her one place; Pia's pause ended on 1 January.
        found = [(s["mentor_name"], s["free_places"]) for s in suggested.json()]
        assert (found[0], sorted(found[1:])) == (
            ("Morten Mentor", 2),
            [("Mette Mentor", 1), ("Pia Pause", 1)],
        )


async def test_the_pair_logs_meetings_and_only_they_and_coordinators_see_them(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    slug = tenants.a.slug
    mentor_user, mentee_user, stranger = f"mm-{slug}", f"mb-{slug}", f"ms-{slug}"
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            for name, user in (
                ("Mette Mentor", mentor_user),
                ("Anna Angst", mentee_user),
                ("Bent Bipolar", stranger),
            ):
                person = await session.get(Person, ids[f"person:{name}"])
                person.account = account_of(live, user)
    async with await _api(live, tenants.a, f"fk-{slug}") as api:
        proposed = await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [{"mentee": str(ids["Anna Angst"]), "mentor": str(ids["Mette Mentor"])}]
            },
        )
        fid = proposed.json()[0]["id"]
    async with await _api(live, tenants.a, mentor_user, ("mentor",)) as mentor:
        early = await mentor.post(
            f"/forloeb/{fid}/meetings",
            json={"day": "2026-11-23", "activity": "cafe", "duration_minutes": 60},
        )
        assert early.json()["errors"] == {
            "day": "Der kan kun registreres møder, mens forløbet er aktivt."
        }
        # The mentor accepts for themself (a party cannot answer for the other).
        mine = await mentor.post(f"/forloeb/{fid}/acceptances", json={"party": "mentee"})
        assert mine.json()["forloeb"]["mentor"]["accepted_at"] is not None
        assert mine.json()["forloeb"]["mentee"]["accepted_at"] is None
        assert mine.json()["forloeb"]["reasons"] is None  # the explanation is for coordinators
    async with await _api(live, tenants.a, mentee_user, ("mentee",)) as mentee:
        both = await mentee.post(f"/forloeb/{fid}/acceptances", json={})
        assert both.json()["forloeb"]["state"] == "active"
    today.set(TODAY + dt.timedelta(days=3))
    async with await _api(live, tenants.a, mentor_user, ("mentor",)) as mentor:
        bad = await mentor.post(
            f"/forloeb/{fid}/meetings",
            json={"day": "2026-12-01", "activity": "bowling", "duration_minutes": 1},
        )
        assert bad.json()["errors"] == {
            "day": "Et møde, der ikke har fundet sted endnu, kan ikke registreres; "
            "registrér et afbud i stedet.",
            "activity": "Vælg hvad I lavede.",
            "duration_minutes": "Skriv varigheden i minutter (5-720).",
        }
        held = await mentor.post(
            f"/forloeb/{fid}/meetings",
            json={
                "day": "2026-11-25",
                "activity": "gaatur",
                "duration_minutes": 90,
                "note": "God tur",
            },
        )
        assert (held.status_code, held.json()["logged_as"]) == (201, "mentor")
        afbud = await mentor.post(
            f"/forloeb/{fid}/meetings",
            json={"day": "2026-12-02", "activity": "cafe", "cancelled": True},
        )
        assert (afbud.json()["cancelled"], afbud.json()["duration_minutes"]) == (True, None)
    async with await _api(live, tenants.a, mentee_user, ("mentee",)) as mentee:
        seen = (await mentee.get(f"/forloeb/{fid}")).json()
        assert [(m["day"], m["note"], m["cancelled"]) for m in seen["meetings"]] == [
            ("2026-12-02", None, True),
            ("2026-11-25", "God tur", False),
        ]
        assert seen["viewer"] == "mentee"
        me = (await mentee.get("/me")).json()
        assert [(f["id"], f["role"], f["other_name"], f["state"]) for f in me["forloeb"]] == [
            (fid, "mentee", "Mette Mentor", "active")
        ]
    async with await _api(live, tenants.a, stranger, ("mentee",)) as other:
        assert (await other.get(f"/forloeb/{fid}")).status_code == 404
        assert (
            await other.post(
                f"/forloeb/{fid}/meetings", json={"day": "2026-11-25", "activity": "cafe"}
            )
        ).status_code == 404
        assert (await other.get("/me")).json()["forloeb"] == []
    assert await _count(sessionmaker, tenants.a, Meeting) == 2


async def test_attention_list_names_quiet_forloeb_and_old_proposals(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [{"mentee": str(ids["Bent Bipolar"]), "mentor": str(ids["Morten Mentor"])}]
            },
        )
        assert (await api.get("/forloeb/attention")).json() == []
        today.set(TODAY + dt.timedelta(days=15))
        items = (await api.get("/forloeb/attention")).json()
        assert [(i["forloeb"]["mentee"]["name"], i["codes"], i["texts"]) for i in items] == [
            ("Anna Angst", ["no_recent_meeting"], ["Intet møde i 15 dage."]),
            ("Bent Bipolar", ["proposal_waiting"], ["Forslaget har ventet i 15 dage."]),
        ]
        await api.post(
            f"/forloeb/{fid}/meetings",
            json={
                "day": (TODAY + dt.timedelta(days=14)).isoformat(),
                "activity": "sport",
                "duration_minutes": 60,
            },
        )
        items = (await api.get("/forloeb/attention")).json()
        assert [i["forloeb"]["mentee"]["name"] for i in items] == ["Bent Bipolar"]


async def test_forloeb_list_filters_by_state(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        await _active(api, ids)
        await api.post(
            "/programmes/btb/proposals",
            json={
                "pairs": [{"mentee": str(ids["Bent Bipolar"]), "mentor": str(ids["Morten Mentor"])}]
            },
        )
        active = (await api.get("/forloeb", params={"state": "active"})).json()
        proposed = (await api.get("/forloeb", params={"state": "proposed"})).json()
        everything = (await api.get("/forloeb")).json()
        by_name = (await api.get("/forloeb", params={"sort": "name"})).json()
        second = await api.get("/forloeb", params={"sort": "name", "limit": 1, "offset": 1})
        oldest = (await api.get("/forloeb", params={"sort": "oldest"})).json()
        refused = await api.get("/forloeb", params={"sort": "random", "limit": 0, "offset": -1})
    assert [f["mentee"]["name"] for f in active] == ["Anna Angst"]
    assert [f["mentee"]["name"] for f in proposed] == ["Bent Bipolar"]
    assert len(everything) == 2
    assert [f["mentee"]["name"] for f in by_name] == ["Anna Angst", "Bent Bipolar"]
    assert [f["mentee"]["name"] for f in second.json()] == ["Bent Bipolar"]
    assert [f["id"] for f in oldest] == [f["id"] for f in reversed(everything)]
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {
            "sort": "Sortér efter nyeste, ældste eller navn.",
            "limit": "Vælg fra 1 til 500 rækker.",
            "offset": "Forskydningen skal være 0 eller mere.",
        },
    )


def test_the_pagination_links_the_pages_around_the_current_one():
    from core.app import create_app
    from core.settings import Settings

    app = create_app(Settings())
    env = app.template_engine.engine  # type: ignore[union-attr]
    template = env.from_string(
        '{% from "_pagination.html" import pagination %}'
        "{% macro href(n) %}?side={{ n }}{% endmacro %}{{ pagination(4, 9, href) }}"
    )
    html = template.render()
    pages = re.findall(r'<a href="\?side=(\d+)" class="button ([\w -]+?)"', html)
    assert pages == [
        ("3", "button-arrow button-previous"),
        ("2", "button-secondary"),
        ("3", "button-secondary"),
        ("4", "current-page"),
        ("5", "button-secondary"),
        ("6", "button-secondary"),
        ("5", "button-arrow button-next"),
    ]
    assert "Side 4 af 9" in html
    # On a phone DKFDS hides the words "Forrige"/"Næste": the chevron shows and the link keeps
    # its name (axe: link-name).
    previous = re.search(r"<a [^>]*button-previous[^>]*>.*?</a>", html, re.S)
    following = re.search(r"<a [^>]*button-next[^>]*>.*?</a>", html, re.S)
    assert previous and 'aria-label="Forrige side"' in previous[0]
    assert "#chevron-left" in previous[0]
    assert following and 'aria-label="Næste side"' in following[0]
    assert "#chevron-right" in following[0]
    links = re.findall(r"<a [^>]*>", html)
    assert len(links) == 7 and all("aria-label=" in link for link in links)
    assert (
        env.from_string(
            '{% from "_pagination.html" import pagination %}'
            "{% macro href(n) %}?side={{ n }}{% endmacro %}{{ pagination(1, 1, href) }}"
        )
        .render()
        .strip()
        == ""
    )


async def test_the_persons_calendar_feed_holds_the_forloeb_meetings_without_names_or_notes(
    live, sessionmaker, tenants, today
):
    from icalendar import Calendar

    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        for day, cancelled in (("2026-11-23", False), ("2026-11-30", True)):
            logged = await api.post(
                f"/forloeb/{fid}/meetings",
                json={
                    "day": day,
                    "activity": "biograf",
                    "duration_minutes": None if cancelled else 120,
                    "cancelled": cancelled,
                    "note": "Privat",
                },
            )
            assert logged.status_code == 201, logged.text
        link = await api.post(f"/people/{ids['person:Anna Angst']}/calendar-link")
    async with httpx.AsyncClient() as anonymous:
        feed = await anonymous.get(link.json()["url"])
    events = [
        (str(e["summary"]), e.decoded("dtstart"), str(e["status"]))
        for e in Calendar.from_ical(feed.content).walk("VEVENT")
    ]
    assert events == [
        ("Møde i forløbet: Biograf", dt.date(2026, 11, 23), "CONFIRMED"),
        ("Møde i forløbet: Biograf", dt.date(2026, 11, 30), "CANCELLED"),
    ]
    assert ("Mette" not in feed.text, "Privat" not in feed.text) == (True, True)


async def test_withdrawn_consent_ends_the_forloeb_and_the_citizen_waits_again(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        withdrawn = await api.post(f"/enrolments/{ids['Mette Mentor']}/consent/withdraw")
        assert withdrawn.status_code == 200, withdrawn.text
        detail = (await api.get(f"/forloeb/{fid}")).json()
        assert (detail["forloeb"]["state"], detail["forloeb"]["ended_on"]) == (
            "ended_early",
            TODAY.isoformat(),
        )
        assert detail["events"][-1]["reason"] == "samtykke trukket tilbage"
        plan = (await api.get("/programmes/btb/matching/assignment")).json()
        assert sorted(p["mentee_name"] for p in plan["pairs"]) == ["Anna Angst", "Bent Bipolar"]
    statuses = await _statuses(sessionmaker, tenants.a)
    assert (statuses["Anna Angst"], statuses["Mette Mentor"]) == ("ready", "withdrawn")


async def test_the_plan_stays_within_the_programmes_policy(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        fid = await _active(api, ids)
        bad = await api.put(
            f"/forloeb/{fid}/plan", json={"frequency": "fortnightly", "planned_months": 10}
        )
        assert (bad.status_code, bad.json()["errors"]) == (
            400,
            {
                "frequency": "Vælg en af programmets mødehyppigheder.",
                "planned_months": "Den planlagte længde skal være 6-9 måneder.",
            },
        )
        good = await api.put(
            f"/forloeb/{fid}/plan", json={"frequency": "weekly", "planned_months": 9}
        )
        assert (good.json()["forloeb"]["planned_months"], good.json()["planned_end"]) == (
            9,
            "2027-08-23",
        )


async def test_page_forms_refuse_with_danish_errors_and_store_nothing(
    live, sessionmaker, tenants, today
):
    from tests.live import browser_sign_in, csrf_token

    ids = await _world(sessionmaker, tenants.a)
    slug = tenants.a.slug
    async with await _api(live, tenants.a, f"fk-{slug}") as api:
        fid = await _active(api, ids)
    live.add_user(f"fp-{slug}", ("coordinator",), (slug,))
    async with httpx.AsyncClient(base_url=live.url) as browser:
        await browser_sign_in(browser, live, f"fp-{slug}")
        page = await browser.get(f"/t/{slug}/forloeb/{fid}")
        token = csrf_token(page.text)
        no_reason = await browser.post(
            f"/t/{slug}/forloeb/{fid}/status", data={"_csrf_token": token, "to": "paused"}
        )
        bad_plan = await browser.post(
            f"/t/{slug}/forloeb/{fid}/plan",
            data={"_csrf_token": token, "frequency": "weekly", "planned_months": "12"},
        )
        no_pairs = await browser.post(
            f"/t/{slug}/matchning/btb/forslag", data={"_csrf_token": token, "pair": "x:y"}
        )
    assert no_reason.status_code == 400
    assert (
        '<span class="form-error-message" id="e-reason"><span class="sr-only">Fejl: </span>'
        "Skriv en begrundelse.</span>"
    ) in no_reason.text
    assert bad_plan.status_code == 400
    assert "Den planlagte længde skal være 6-9 måneder." in bad_plan.text
    assert (no_pairs.status_code, "Vælg mindst ét par." in no_pairs.text) == (400, True)
    async with await _api(live, tenants.a, f"fk-{slug}") as api:
        detail = (await api.get(f"/forloeb/{fid}")).json()
    assert (detail["forloeb"]["state"], detail["forloeb"]["planned_months"]) == ("active", 6)


async def test_review_findings_stay_fixed(live, sessionmaker, tenants, today):
    """Manual enrolment moves cannot bypass an open forløb; concurrent proposals of the same
    citizen give one forløb and a Danish 400; the pair never sees reasons in the history; bad
    types and NUL bytes are Danish 400s."""
    import asyncio

    ids = await _world(sessionmaker, tenants.a)
    anna, mette, morten = (str(ids[n]) for n in ("Anna Angst", "Mette Mentor", "Morten Mentor"))
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        first, second = await asyncio.gather(
            api.post(
                "/programmes/btb/proposals", json={"pairs": [{"mentee": anna, "mentor": mette}]}
            ),
            api.post(
                "/programmes/btb/proposals", json={"pairs": [{"mentee": anna, "mentor": morten}]}
            ),
        )
        codes = sorted([first.status_code, second.status_code])
        assert codes == [201, 400]
        refused = first if first.status_code == 400 else second
        # The second waited for the first (a lock), then found Anna matched.
        assert refused.json()["errors"] == {
            "pairs.0": "Borgeren står ikke på programmets venteliste."
        }
        manual = await api.post(f"/enrolments/{anna}/transitions", json={"to": "ready"})
        assert manual.json()["errors"] == {
            "to": "Tilmeldingen indgår i et forløb: skift forløbets tilstand i stedet."
        }
        proposed = (first if first.status_code == 201 else second).json()[0]["id"]
        typed = await api.post(
            f"/forloeb/{proposed}/transitions",
            json={"to": "declined", "reason": "x", "resume_on": "2026-02-30"},
        )
        assert (typed.status_code, typed.json()["detail"], typed.json()["errors"]) == (
            400,
            SAVED_NOTHING,
            {"resume_on": "Værdien er ikke gyldig."},
        )
        fid = await _active(api, ids, "Bent Bipolar", "Morten Mentor")
        nul = await api.post(
            f"/forloeb/{fid}/meetings",
            json={
                "day": TODAY.isoformat(),
                "activity": "cafe",
                "duration_minutes": 30,
                "note": "a\x00b",
            },
        )
        assert nul.json()["errors"] == {"note": "Teksten indeholder et tegn, der ikke er tilladt."}
        await api.post(f"/forloeb/{fid}/transitions", json={"to": "paused", "reason": "Indlagt"})
    assert await _count(sessionmaker, tenants.a, Forloeb) == 2
    mentor_user = f"rv-{tenants.a.slug}"
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            person = await session.get(Person, ids["person:Morten Mentor"])
            person.account = account_of(live, mentor_user)
    async with await _api(live, tenants.a, mentor_user, ("mentor",)) as mentor:
        seen = (await mentor.get(f"/forloeb/{fid}")).json()
    assert [(e["to_state"], e["reason"], e["actor"]) for e in seen["events"]] == [
        ("proposed", None, ""),
        ("active", None, ""),
        ("paused", None, ""),
    ]
    assert seen["forloeb"]["mentee"]["phone"] == "12345678"
    async with await _api(live, tenants.a, f"fk-{tenants.a.slug}") as api:
        await api.post(f"/forloeb/{fid}/transitions", json={"to": "completed"})
    async with await _api(live, tenants.a, mentor_user, ("mentor",)) as mentor:
        ended = (await mentor.get(f"/forloeb/{fid}")).json()
    # After the end the pair no longer get each other's phone number.
    assert (ended["forloeb"]["state"], ended["forloeb"]["mentee"]["phone"]) == ("completed", None)
