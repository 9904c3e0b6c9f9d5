"""The built-in rule plugins at their boundaries, through core.testing (as an author would)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from core.plugin_api import Outcome, PersonContext, PluginError, PolicyAction
from core.programmes.intake import IntakeValidationError
from core.programmes.service import evaluate_eligibility
from core.testing import PluginHarness
from plugins import lived_experience, mentor_course, misbrug, vejle_85

TODAY = dt.date(2026, 11, 23)


# -- misbrug --------------------------------------------------------------------------------
@pytest.fixture
def sober() -> PluginHarness:
    return PluginHarness(misbrug, areas=("misbrug",))


def test_mentor_sober_exactly_one_calendar_year_is_eligible(sober):
    verdict = sober.verdict("mentor", {"misbrug.sober_since": "2025-11-23"}, today=TODAY)
    assert verdict == misbrug.Verdict.passed(
        "misbrug", "Har været ude af misbrug i mindst 1 år (siden 23.11.2025)."
    )


def test_mentor_sober_a_day_less_than_a_year_is_ineligible(sober):
    verdict = sober.verdict("mentor", {"misbrug.sober_since": "2025-11-24"}, today=TODAY)
    assert verdict.outcome == Outcome.FAIL
    assert verdict.explanation == (
        "Har været ude af misbrug siden 24.11.2025; kravet er mindst 1 år (opfyldt fra 24.11.2026)."
    )


def test_a_year_is_the_anniversary_not_365_days(sober):
    # 2025-03-01 + 365 days would be 2026-03-01 as well; the day before must still fail.
    since = {"misbrug.sober_since": "2025-03-01"}
    assert sober.verdict("mentor", since, today=dt.date(2026, 2, 28)).outcome == Outcome.FAIL
    assert sober.verdict("mentor", since, today=dt.date(2026, 3, 1)).outcome == Outcome.PASS


def test_a_year_across_a_leap_day_is_the_anniversary_not_365_days(sober):
    # 2023-03-01 + 365 days = 2024-02-29: counting days would pass a day early.
    since = {"misbrug.sober_since": "2023-03-01"}
    assert sober.verdict("mentor", since, today=dt.date(2024, 2, 29)).outcome == Outcome.FAIL
    assert sober.verdict("mentor", since, today=dt.date(2024, 3, 1)).outcome == Outcome.PASS


def test_sober_since_29_february_counts_to_28_february(sober):
    since = {"misbrug.sober_since": "2024-02-29"}
    assert sober.verdict("mentor", since, today=dt.date(2025, 2, 27)).outcome == Outcome.FAIL
    assert sober.verdict("mentor", since, today=dt.date(2025, 2, 28)).outcome == Outcome.PASS


def test_missing_sober_date_is_unknown(sober):
    verdict = sober.verdict("mentor", {}, today=TODAY)
    assert (verdict.outcome, verdict.explanation) == (Outcome.UNKNOWN, "Ædruelighedsdato mangler.")


def test_sober_date_in_the_future_is_rejected_at_input(sober):
    with pytest.raises(IntakeValidationError) as caught:
        sober.person({"misbrug.sober_since": "2026-11-24"}, today=TODAY)
    assert caught.value.errors == {"misbrug.sober_since": "Datoen må ikke ligge i fremtiden."}


def test_sober_date_today_is_accepted_at_input(sober):
    person = sober.person({"misbrug.sober_since": "2026-11-23"}, today=TODAY)
    assert person.attributes == {"misbrug.sober_since": TODAY}


def test_sober_date_before_1920_is_rejected_at_input(sober):
    """1900-01-01 would pass every year's requirement: no such date is believed."""
    for day in ("1900-01-01", "1919-12-31"):
        with pytest.raises(IntakeValidationError) as caught:
            sober.person({"misbrug.sober_since": day}, today=TODAY)
        assert caught.value.errors == {
            "misbrug.sober_since": "Datoen skal være 01.01.1920 eller senere."
        }
    person = sober.person({"misbrug.sober_since": "1920-01-01"}, today=TODAY)
    assert person.attributes == {"misbrug.sober_since": dt.date(1920, 1, 1)}


def test_a_stored_sober_date_before_1920_or_the_birth_year_is_unknown_not_a_pass(sober):
    """A date stored before the bound (or before the person was born) makes the rule ask for a
    correction instead of passing."""
    old = PersonContext(id=uuid.uuid4(), attributes={"misbrug.sober_since": dt.date(1900, 1, 1)})
    [verdict] = evaluate_eligibility(sober.pm, sober.programme, old, "mentor", TODAY).verdicts
    assert (verdict.outcome, verdict.explanation) == (
        Outcome.UNKNOWN,
        "Ude af misbrug siden 01.01.1900 er ikke troværdigt (før 01.01.1920); ret datoen i "
        "før-samtalen.",
    )
    since = {"misbrug.sober_since": "1979-12-31"}
    verdict = sober.verdict("mentor", since, today=TODAY, birth_year=1980)
    assert (verdict.outcome, verdict.explanation) == (
        Outcome.UNKNOWN,
        "Ude af misbrug siden 31.12.1979 ligger før personens fødselsår (1980); ret datoen i "
        "før-samtalen.",
    )
    since = {"misbrug.sober_since": "1980-01-01"}
    assert sober.verdict("mentor", since, today=TODAY, birth_year=1980).outcome == Outcome.PASS
    assert sober.verdict("mentor", since, today=TODAY).outcome == Outcome.PASS


def test_misbrug_rule_does_not_judge_mentees(sober):
    assert sober.verdicts("mentee", {}, today=TODAY) == []


def test_min_sober_years_is_configurable():
    harness = PluginHarness(misbrug, config={"min_sober_years": 2})
    since = {"misbrug.sober_since": "2024-11-23"}
    assert harness.verdict("mentor", since, today=TODAY).outcome == Outcome.PASS
    since = {"misbrug.sober_since": "2024-11-24"}
    verdict = harness.verdict("mentor", since, today=TODAY)
    assert verdict.outcome == Outcome.FAIL
    assert verdict.explanation.endswith("kravet er mindst 2 år (opfyldt fra 24.11.2026).")


def test_invalid_min_sober_years_is_a_plugin_error_naming_the_plugin():
    with pytest.raises(PluginError, match=r"plugin 'misbrug': settings for .* invalid"):
        PluginHarness(misbrug, config={"min_sober_years": 0})


def test_the_old_min_sober_days_setting_is_refused_naming_its_replacement():
    with pytest.raises(PluginError, match=r"invalid: replaced by min_sober_years"):
        PluginHarness(misbrug, config={"min_sober_days": 365})


def test_misbrug_asks_one_date_field_of_mentors(sober):
    assert [(f.key, f.type, f.roles, f.not_in_future) for f in sober.fields()] == [
        ("misbrug.sober_since", "date", ("mentor",), True)
    ]


# -- vejle_85 -------------------------------------------------------------------------------
@pytest.fixture
def vejle() -> PluginHarness:
    return PluginHarness(vejle_85, areas=("psykiatri",))


@pytest.mark.parametrize("way_in", ["paragraf_85", "botilbud", "paa_vej_i_egen_bolig"])
def test_each_way_in_alone_makes_a_mentee_eligible(vejle, way_in):
    answers = {f"vejle_85.{n}": n == way_in for n, _ in vejle_85.WAYS_IN}
    verdict = vejle.verdict("mentee", answers, today=TODAY)
    assert verdict.outcome == Outcome.PASS


def test_mentee_with_none_of_the_three_is_ineligible_naming_them(vejle):
    answers = {f"vejle_85.{n}": False for n, _ in vejle_85.WAYS_IN}
    verdict = vejle.verdict("mentee", answers, today=TODAY)
    assert verdict.outcome == Outcome.FAIL
    assert verdict.explanation == (
        "Ikke i målgruppen for Peer-to-Peer: borgeren skal modtage støtte efter servicelovens "
        "§ 85, bo i botilbud eller være på vej til at flytte i egen bolig."
    )


def test_mentee_with_unanswered_questions_and_no_yes_is_unknown(vejle):
    verdict = vejle.verdict("mentee", {"vejle_85.botilbud": False}, today=TODAY)
    assert verdict.outcome == Outcome.UNKNOWN


def test_vejle_85_has_three_boolean_fields_for_mentees(vejle):
    assert [(f.key, f.type, f.roles) for f in vejle.fields()] == [
        ("vejle_85.paragraf_85", "boolean", ("mentee",)),
        ("vejle_85.botilbud", "boolean", ("mentee",)),
        ("vejle_85.paa_vej_i_egen_bolig", "boolean", ("mentee",)),
    ]


def test_vejle_85_rejects_a_non_boolean_answer(vejle):
    with pytest.raises(IntakeValidationError) as caught:
        vejle.person({"vejle_85.botilbud": "ja"}, today=TODAY)
    assert caught.value.errors == {
        "vejle_85.botilbud": "Forventede ja eller nej (true eller false)."
    }


def test_vejle_85_does_not_judge_mentors(vejle):
    assert vejle.verdicts("mentor", {}, today=TODAY) == []


# -- lived_experience -----------------------------------------------------------------------
@pytest.fixture
def lived() -> PluginHarness:
    return PluginHarness(lived_experience, areas=("psykiatri", "handicap"))


def test_mentor_with_experience_in_one_programme_area_and_ready_passes(lived):
    answers = {
        "lived_experience.areas": ["handicap"],
        "lived_experience.ready_to_hold_others": True,
    }
    assert lived.verdict("mentor", answers, today=TODAY).outcome == Outcome.PASS


def test_mentor_with_experience_only_outside_the_programme_areas_fails(lived):
    answers = {"lived_experience.areas": ["misbrug"], "lived_experience.ready_to_hold_others": True}
    verdict = lived.verdict("mentor", answers, today=TODAY)
    assert (verdict.outcome, verdict.explanation) == (
        Outcome.FAIL,
        "Har egen erfaring med misbrug, men programmet kræver erfaring med psykiatri, handicap.",
    )


def test_mentor_not_ready_to_hold_others_fails(lived):
    answers = {
        "lived_experience.areas": ["psykiatri"],
        "lived_experience.ready_to_hold_others": False,
    }
    assert lived.verdict("mentor", answers, today=TODAY).outcome == Outcome.FAIL


def test_mentor_without_stated_experience_is_unknown(lived):
    assert lived.verdict("mentor", {}, today=TODAY).outcome == Outcome.UNKNOWN


def test_mentor_readiness_not_judged_is_unknown(lived):
    answers = {"lived_experience.areas": ["psykiatri"]}
    assert lived.verdict("mentor", answers, today=TODAY).outcome == Outcome.UNKNOWN


def test_lived_experience_rejects_an_unknown_area(lived):
    with pytest.raises(IntakeValidationError) as caught:
        lived.person({"lived_experience.areas": ["gambling"]}, today=TODAY)
    assert list(caught.value.errors) == ["lived_experience.areas"]


# -- mentor_course --------------------------------------------------------------------------
@pytest.fixture
def course() -> PluginHarness:
    return PluginHarness(mentor_course)


def test_mentor_who_completed_the_course_passes(course):
    verdict = course.verdict("mentor", {"mentor_course.completed_on": "2026-10-01"}, today=TODAY)
    assert verdict == mentor_course.Verdict.passed(
        "mentor_course", "Gennemførte mentorkurset 01.10.2026."
    )


def test_mentor_without_course_fails(course):
    verdict = course.verdict("mentor", {}, today=TODAY)
    assert (verdict.outcome, verdict.explanation) == (
        Outcome.FAIL,
        "Mentoren har endnu ikke gennemført mentorkurset.",
    )


def test_course_completed_today_counts(course):
    answers = {"mentor_course.completed_on": TODAY}
    assert course.verdict("mentor", answers, today=TODAY).outcome == Outcome.PASS


def test_matching_a_mentor_without_course_is_vetoed(course):
    decisions = course.policy(course.transition("mentor", "matched", {}, today=TODAY))
    assert [(d.rule, d.action) for d in decisions] == [("mentor_course", PolicyAction.VETO)]


def test_matching_a_mentor_with_course_is_not_vetoed(course):
    answers = {"mentor_course.completed_on": "2026-01-05"}
    assert course.policy(course.transition("mentor", "matched", answers, today=TODAY)) == []


def test_mentor_course_does_not_judge_mentees(course):
    assert course.verdicts("mentee", {}, today=TODAY) == []
