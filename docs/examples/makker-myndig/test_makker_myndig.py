import datetime as dt

import makker_myndig

from core.plugin_api import localize
from core.testing import PluginHarness

TODAY = dt.date(2026, 11, 23)


def test_a_mentor_born_1990_is_of_age():
    harness = PluginHarness(makker_myndig, name="myndig")
    assert harness.verdict("mentor", today=TODAY, birth_year=1990).outcome == "pass"


def test_a_mentor_born_2010_is_not():
    harness = PluginHarness(makker_myndig, name="myndig")
    verdict = harness.verdict("mentor", today=TODAY, birth_year=2010)
    assert (verdict.outcome, localize(verdict.explanation, "da")) == ("fail", "Under 18 år.")


def test_the_year_a_mentor_turns_18_is_unknown_and_so_is_a_missing_year():
    harness = PluginHarness(makker_myndig, name="myndig")
    verdict = harness.verdict("mentor", today=TODAY, birth_year=2008)
    assert (verdict.outcome, localize(verdict.explanation, "en")) == (
        "unknown",
        "Turns 18 this year: check the birthday.",
    )
    assert harness.verdict("mentor", today=TODAY).outcome == "unknown"


def test_mentees_are_not_judged():
    harness = PluginHarness(makker_myndig, name="myndig")
    assert harness.verdicts("mentee", today=TODAY, birth_year=2010) == []
