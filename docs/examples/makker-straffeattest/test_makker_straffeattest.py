import datetime as dt

import makker_straffeattest

from core.testing import PluginHarness

TODAY = dt.date(2026, 11, 23)


def test_recent_certificate_passes():
    harness = PluginHarness(makker_straffeattest, name="straffeattest")
    verdict = harness.verdict("mentor", {"straffeattest.received_on": "2026-01-10"}, today=TODAY)
    assert verdict.outcome == "pass"


def test_certificate_older_than_the_tenants_limit_fails():
    harness = PluginHarness(makker_straffeattest, name="straffeattest", config={"max_age_days": 90})
    verdict = harness.verdict("mentor", {"straffeattest.received_on": "2026-01-10"}, today=TODAY)
    assert (verdict.outcome, verdict.explanation) == (
        "fail",
        "Straffeattesten er ældre end 90 dage.",
    )


def test_missing_certificate_is_unknown():
    harness = PluginHarness(makker_straffeattest, name="straffeattest")
    assert harness.verdict("mentor", {}, today=TODAY).outcome == "unknown"
