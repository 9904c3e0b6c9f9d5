# ruff: noqa: F811 - pytest fixtures imported from tests.plugin_fixtures are parameters here
"""The programme-rules API: intake fields, a person's answers and their eligibility."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from core import clock as app_clock
from tests.plugin_fixtures import add_person, api, attributes_of, shipped  # noqa: F401 - fixtures

TODAY = dt.date(2026, 11, 23)


def _base(tenant) -> str:
    return f"/api/v1/t/{tenant.slug}"


async def test_intake_fields_of_vejles_misbrug_programme_for_mentors(api, shipped):
    response = await api.get(
        f"{_base(shipped['vejle'])}/programmes/misbrug-mentor/intake-fields?role=mentor"
    )
    assert response.status_code == 200
    assert [(f["key"], f["type"]) for f in response.json()] == [
        ("misbrug.sober_since", "date"),
        ("mentor_course.completed_on", "date"),
        ("lived_experience.areas", "choices"),
        ("lived_experience.ready_to_hold_others", "boolean"),
    ]


async def test_intake_fields_of_an_unknown_programme_is_404(api, shipped):
    response = await api.get(f"{_base(shipped['vejle'])}/programmes/nope/intake-fields")
    assert response.status_code == 404


async def test_eligibility_lists_each_rule_with_its_explanation(
    api,
    shipped,
    sessionmaker,
    clock,
):
    clock.set(TODAY)
    vejle = shipped["vejle"]
    person_id = await add_person(
        sessionmaker,
        vejle,
        {
            "misbrug.sober_since": "2025-11-24",
            "mentor_course.completed_on": "2026-09-01",
            "lived_experience.areas": ["misbrug"],
            "lived_experience.ready_to_hold_others": True,
        },
    )
    response = await api.get(
        f"{_base(vejle)}/people/{person_id}/eligibility?programme=misbrug-mentor&role=mentor"
    )
    assert response.status_code == 200
    assert response.json() == {
        "person_id": str(person_id),
        "programme": "misbrug-mentor",
        "role": "mentor",
        "outcome": "fail",
        "verdicts": [
            {
                "rule": "misbrug",
                "outcome": "fail",
                "explanation": "Har været ude af misbrug siden 24.11.2025; kravet er mindst 1 år "
                "(opfyldt fra 24.11.2026).",
            },
            {
                "rule": "mentor_course",
                "outcome": "pass",
                "explanation": "Gennemførte mentorkurset 01.09.2026.",
            },
            {
                "rule": "lived_experience",
                "outcome": "pass",
                "explanation": "Har egen erfaring inden for programmets områder og er klar til "
                "at rumme andre.",
            },
        ],
    }


async def test_eligibility_of_a_mentee_in_peer_to_peer_uses_vejle_85_only(
    api,
    shipped,
    sessionmaker,
):
    person_id = await add_person(sessionmaker, shipped["vejle"], {"vejle_85.botilbud": True})
    response = await api.get(
        f"{_base(shipped['vejle'])}/people/{person_id}/eligibility"
        "?programme=peer-to-peer&role=mentee"
    )
    assert (response.status_code, response.json()["outcome"]) == (200, "pass")
    assert [v["rule"] for v in response.json()["verdicts"]] == ["vejle_85"]


async def test_setting_intake_values_stores_typed_json(api, shipped, sessionmaker):
    vejle = shipped["vejle"]
    person_id = await add_person(sessionmaker, vejle, {"other.kept": 1})
    response = await api.put(
        f"{_base(vejle)}/people/{person_id}/intake?programme=misbrug-mentor",
        json={
            "values": {"misbrug.sober_since": "2020-02-29", "lived_experience.areas": ["misbrug"]}
        },
    )
    assert response.status_code == 200
    assert response.json()["values"] == {
        "misbrug.sober_since": "2020-02-29",
        "lived_experience.areas": ["misbrug"],
    }
    assert await attributes_of(sessionmaker, vejle, person_id) == {
        "other.kept": 1,
        "misbrug.sober_since": "2020-02-29",
        "lived_experience.areas": ["misbrug"],
    }
    response = await api.put(
        f"{_base(vejle)}/people/{person_id}/intake?programme=misbrug-mentor",
        json={"values": {"misbrug.sober_since": None}},
    )
    assert response.json()["values"] == {"lived_experience.areas": ["misbrug"]}
    response = await api.get(f"{_base(vejle)}/people/{person_id}/intake?programme=misbrug-mentor")
    assert response.json()["values"] == {"lived_experience.areas": ["misbrug"]}


async def test_invalid_intake_values_give_400_per_field_and_store_nothing(
    api,
    shipped,
    sessionmaker,
):
    vejle = shipped["vejle"]
    person_id = await add_person(sessionmaker, vejle)
    tomorrow = (app_clock.today() + dt.timedelta(days=1)).isoformat()
    response = await api.put(
        f"{_base(vejle)}/people/{person_id}/intake?programme=misbrug-mentor",
        json={
            "values": {
                "misbrug.sober_since": tomorrow,
                "mentor_course.completed_on": "2026-01-01",
                "lived_experience.ready_to_hold_others": "ja",
                "vejle_85.botilbud": True,
            }
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "detail": "Nogle svar er ikke gyldige; intet blev gemt.",
        "errors": {
            "misbrug.sober_since": "Datoen må ikke ligge i fremtiden.",
            "lived_experience.ready_to_hold_others": "Forventede ja eller nej (true eller false).",
            "vejle_85.botilbud": "Programmet stiller ikke dette spørgsmål.",
        },
    }
    assert await attributes_of(sessionmaker, vejle, person_id) == {}


async def test_intake_errors_in_english_with_the_language_cookie(api, shipped, sessionmaker):
    vejle = shipped["vejle"]
    person_id = await add_person(sessionmaker, vejle)
    api.cookies.set("makker_lang", "en")
    response = await api.put(
        f"{_base(vejle)}/people/{person_id}/intake?programme=misbrug-mentor",
        json={"values": {"misbrug.sober_since": "23-11-2025"}},
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"misbrug.sober_since": "Expected a date (YYYY-MM-DD)."},
    )


async def test_kolding_url_cannot_see_a_vejle_person(api, shipped, sessionmaker):
    person_id = await add_person(sessionmaker, shipped["vejle"], {"vejle_85.botilbud": True})
    kolding = _base(shipped["kolding"])
    eligibility = await api.get(
        f"{kolding}/people/{person_id}/eligibility?programme=borger-til-borger&role=mentee"
    )
    intake = await api.get(f"{kolding}/people/{person_id}/intake?programme=borger-til-borger")
    put = await api.put(
        f"{kolding}/people/{person_id}/intake?programme=borger-til-borger",
        json={"values": {"lived_experience.ready_to_hold_others": True}},
    )
    missing = await api.get(
        f"{kolding}/people/{uuid.uuid4()}/eligibility?programme=borger-til-borger&role=mentee"
    )
    assert [r.status_code for r in (eligibility, intake, put, missing)] == [404, 404, 404, 404]
    assert eligibility.json() == missing.json()
    assert await attributes_of(sessionmaker, shipped["vejle"], person_id) == {
        "vejle_85.botilbud": True
    }


async def test_another_tenants_programme_is_404(api, shipped, sessionmaker):
    person_id = await add_person(sessionmaker, shipped["kolding"])
    response = await api.get(
        f"{_base(shipped['kolding'])}/people/{person_id}/eligibility"
        "?programme=misbrug-mentor&role=mentor"
    )
    assert response.status_code == 404


async def test_unknown_role_is_400(api, shipped, sessionmaker):
    person_id = await add_person(sessionmaker, shipped["kolding"])
    response = await api.get(
        f"{_base(shipped['kolding'])}/people/{person_id}/eligibility"
        "?programme=borger-til-borger&role=coordinator"
    )
    assert response.status_code == 400


FAILED_RULE = (
    "Reglen mentor_course fejlede og kunne ikke vurdere personen. Den tæller som ukendt, indtil "
    "pluginet er rettet; Makkers drift kan se fejlen i loggen."
)


async def test_a_raising_rule_is_unknown_naming_it_and_the_other_rules_still_judge(
    api, shipped, sessionmaker, caplog
):
    from core.plugin_api import hookimpl

    class Broken:
        @hookimpl
        def eligibility_verdicts(self):
            raise RuntimeError("født 02.03.1984")  # data in the message: never logged

    pm = api.app.state.plugin_manager
    pm.unregister(name="mentor_course")
    pm.register(Broken(), name="mentor_course")
    person_id = await add_person(sessionmaker, shipped["kolding"])
    with caplog.at_level(logging.INFO):
        response = await api.get(
            f"{_base(shipped['kolding'])}/people/{person_id}/eligibility"
            "?programme=borger-til-borger&role=mentor"
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "unknown"
    assert sorted((v["rule"], v["outcome"]) for v in body["verdicts"]) == [
        ("lived_experience", "unknown"),
        ("mentor_course", "unknown"),
    ]
    [failed] = [v for v in body["verdicts"] if v["rule"] == "mentor_course"]
    assert failed["explanation"] == FAILED_RULE
    lines = [r.getMessage() for r in caplog.records if r.name == "makker.plugins"]
    assert lines == ["plugin 'mentor_course' failed in hook eligibility_verdicts (RuntimeError)"]
    assert "1984" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records if r.name == "makker.plugins")


async def test_intake_answers_need_consent_and_nothing_is_stored_without(
    api, shipped, sessionmaker
):
    vejle = shipped["vejle"]
    person_id = await add_person(sessionmaker, vejle, {}, consent=False)
    url = f"{_base(vejle)}/people/{person_id}/intake?programme=misbrug-mentor"
    response = await api.put(url, json={"values": {"misbrug.sober_since": "2024-01-01"}})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "misbrug.sober_since": (
            "Kræver samtykke: uden samtykke må kun navn og kontaktoplysninger gemmes."
        )
    }
    assert await attributes_of(sessionmaker, vejle, person_id) == {}
    cleared = await api.put(url, json={"values": {"misbrug.sober_since": None}})
    assert cleared.status_code == 200  # clearing an answer needs no consent
