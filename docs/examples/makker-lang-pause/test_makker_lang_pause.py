import datetime as dt

import makker_lang_pause

from core.plugin_api import localize
from core.testing import PluginHarness

TODAY = dt.date(2026, 11, 23)


def harness():
    return PluginHarness(makker_lang_pause, name="lang_pause")


def test_a_pause_planned_for_61_days_warns_and_60_does_not():
    h = harness()
    for days, expected in ((61, ["Pausen er planlagt til 61 dage - mere end 60."]), (60, [])):
        pause = h.transition(
            "mentee",
            "paused",
            from_status="active",
            kind="forloeb",
            today=TODAY,
            planned_resume=TODAY + dt.timedelta(days=days),
            reason="Indlagt",
        )
        assert [localize(d.message, "da") for d in h.policy(pause)] == expected


def test_resuming_or_ending_after_a_pause_over_60_days_warns():
    h = harness()
    for target in ("active", "completed", "ended_early"):
        after = h.transition(
            "mentee",
            target,
            from_status="paused",
            kind="forloeb",
            today=TODAY,
            pause_start=TODAY - dt.timedelta(days=61),
        )
        [decision] = h.policy(after)
        assert (decision.action, localize(decision.message, "en")) == (
            "warn",
            "The pause has lasted 61 days - more than 60. Talk to the pair.",
        )


def test_the_mentors_transition_and_enrolment_moves_get_no_opinion():
    h = harness()
    mentor = h.transition(
        "mentor",
        "active",
        from_status="paused",
        kind="forloeb",
        today=TODAY,
        pause_start=TODAY - dt.timedelta(days=90),
    )
    matched = h.transition("mentee", "matched", from_status="ready", today=TODAY)
    assert (h.policy(mentor), h.policy(matched)) == ([], [])


def test_a_forloeb_ended_early_is_counted():
    h = harness()
    before = makker_lang_pause.ENDED_EARLY[h.programme.slug]
    h.notify(
        h.transition("mentee", "ended_early", from_status="active", kind="forloeb", today=TODAY)
    )
    h.notify(
        h.transition("mentor", "ended_early", from_status="active", kind="forloeb", today=TODAY)
    )
    assert makker_lang_pause.ENDED_EARLY[h.programme.slug] == before + 1
