# ruff: noqa: F811 - pytest fixtures imported from other test modules are parameters here
"""A broken plugin leaves the programme usable (issue 19), through the API and the pages, on
SQLite and PostgreSQL: its verdict is "unknown" saying that the rule failed, the coordinator
sees which rule, the other rules still judge, a forløb can still be paused (with a warning),
nobody is matched on a rule that could not be checked, and the log names plugin and hook
without the exception's message. And what a forløb policy is given by the real commands: the
forløb, both enrolments, the pause, the reason, the plan and the person's basics."""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager

import httpx
import numpy as np
import pytest
from sqlalchemy import select, update

from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb
from core.matching.assignment import GuardedScorer
from core.participants.models import Enrolment
from core.plugin_api import (
    DurationMonths,
    MatchingStrategy,
    PairScore,
    PluginError,
    PolicyAction,
    PolicyDecision,
    ProgrammeType,
    Reason,
    ScoreMatrix,
    Verdict,
    hookimpl,
)
from core.tenancy.models import Programme
from core.testing import PluginHarness
from tests.live import browser_sign_in
from tests.test_forloeb import TODAY, _active, _api, _world, today  # noqa: F401 - fixture

SECRET = "født 02.03.1984"  # what a careless plugin puts in its exception: never logged
FAILED_VERDICT = (
    "Reglen broken_rule fejlede og kunne ikke vurdere personen. Den tæller som ukendt, indtil "
    "pluginet er rettet; Makkers drift kan se fejlen i loggen."
)
FAILED_MATCH = (
    "Reglen broken_rule fejlede og kunne ikke tjekke matchet; personen kan ikke matches, før "
    "pluginet er rettet."
)
FAILED_CHANGE = "Reglen broken_rule fejlede og kunne ikke tjekke ændringen; den stoppede den ikke."


class Broken:
    @hookimpl
    def eligibility_verdicts(self):
        raise RuntimeError(SECRET)

    @hookimpl
    def forloeb_policy(self):
        raise RuntimeError(SECRET)

    @hookimpl
    def forloeb_event(self):
        raise RuntimeError(SECRET)


class Fine:
    @hookimpl
    def eligibility_verdicts(self):
        return Verdict.passed("fine_rule", "I orden.")


class Recorder:
    """Records what the forløb commands give a policy; warns when a pause is long."""

    def __init__(self) -> None:
        self.seen: list = []

    @hookimpl
    def forloeb_policy(self, transition):
        if transition.kind == "forloeb":
            self.seen.append(transition)
            if transition.paused_days is not None and transition.paused_days > 60:
                return PolicyDecision(
                    rule="recorder", action=PolicyAction.WARN, message="Pausen var lang."
                )
        return None


@contextmanager
def registered(live, **plugins):
    pm = live.app.state.plugin_manager
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    try:
        yield
    finally:
        for name in plugins:
            pm.unregister(name=name)


async def _enable(sessionmaker, tenant, plugins: dict) -> None:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(Programme).where(Programme.slug == "btb").values(plugins=plugins)
            )


def _plugin_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "makker.plugins"]


async def test_a_raising_rule_leaves_the_programme_usable(
    live, sessionmaker, tenants, today, caplog
):
    ids = await _world(sessionmaker, tenants.a)
    slug = tenants.a.slug
    user = f"rb-{slug}"
    with registered(live, broken_rule=Broken(), fine_rule=Fine()):
        async with await _api(live, tenants.a, user) as api:
            forloeb_id = await _active(api, ids)  # matched before the plugin is enabled
            await _enable(sessionmaker, tenants.a, {"broken_rule": {}, "fine_rule": {}})
            with caplog.at_level(logging.INFO):
                eligibility = await api.get(
                    f"/people/{ids['person:Bent Bipolar']}/eligibility",
                    params={"programme": "btb", "role": "mentee"},
                )
                paused = await api.post(
                    f"/forloeb/{forloeb_id}/transitions", json={"to": "paused", "reason": "Ferie"}
                )
            assert eligibility.status_code == 200, eligibility.text
            assert eligibility.json()["outcome"] == "unknown"
            assert sorted(
                (v["rule"], v["outcome"], v["explanation"]) for v in eligibility.json()["verdicts"]
            ) == [
                ("broken_rule", "unknown", FAILED_VERDICT),
                ("fine_rule", "pass", "I orden."),
            ]
            assert paused.status_code == 200, paused.text
            assert (paused.json()["forloeb"]["state"], paused.json()["warnings"]) == (
                "paused",
                [FAILED_CHANGE],
            )
        async with httpx.AsyncClient(base_url=live.url) as http:
            await browser_sign_in(http, live, user)
            with caplog.at_level(logging.INFO):
                page = await http.get(f"/t/{slug}/deltagere/tilmelding/{ids['Bent Bipolar']}")
                waiting = await http.get(f"/t/{slug}/matchning/btb")
            assert page.status_code == 200
            assert FAILED_VERDICT in page.text and "I orden." in page.text
            assert waiting.status_code == 200
            assert FAILED_MATCH in waiting.text
    # One line per plugin and hook per request: the pause asks the policy and tells the event
    # hook for both parties, the waiting list asks the policy for each of its four candidates.
    verdicts = "plugin 'broken_rule' failed in hook eligibility_verdicts (RuntimeError)"
    policy = "plugin 'broken_rule' failed in hook forloeb_policy (RuntimeError)"
    event = "plugin 'broken_rule' failed in hook forloeb_event (RuntimeError)"
    assert _plugin_lines(caplog) == [verdicts, policy, event, verdicts, policy]
    assert waiting.text.count(FAILED_MATCH) == 4
    assert "1984" not in caplog.text
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            bent = await session.get(Enrolment, ids["Bent Bipolar"])
            assert bent.status == "ready"  # nobody was matched on the failed rule


async def test_a_forloeb_policy_is_given_the_forloeb_enrolments_pause_reason_and_plan(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    recorder = Recorder()
    with registered(live, recorder=recorder):
        async with await _api(live, tenants.a, f"rc-{tenants.a.slug}") as api:
            forloeb_id = await _active(api, ids)
            await _enable(sessionmaker, tenants.a, {"recorder": {}})
            paused = await api.post(
                f"/forloeb/{forloeb_id}/transitions",
                json={"to": "paused", "reason": "Indlagt", "resume_on": "2027-01-15"},
            )
            assert (paused.status_code, paused.json()["warnings"]) == (200, [])
            today.set(TODAY + dt.timedelta(days=61))
            resumed = await api.post(f"/forloeb/{forloeb_id}/transitions", json={"to": "active"})
            assert (resumed.status_code, resumed.json()["warnings"]) == (200, ["Pausen var lang."])
    pause_mentee, pause_mentor, resume_mentee, _resume_mentor = recorder.seen
    assert (pause_mentee.role, pause_mentor.role) == ("mentee", "mentor")
    assert (pause_mentee.from_status, pause_mentee.to_status, pause_mentee.reason) == (
        "active",
        "paused",
        "Indlagt",
    )
    assert (pause_mentee.pause_start, pause_mentee.planned_resume) == (
        TODAY,
        dt.date(2027, 1, 15),
    )
    assert (resume_mentee.pause_start, resume_mentee.planned_resume, resume_mentee.paused_days) == (
        TODAY,
        dt.date(2027, 1, 15),
        61,
    )
    assert str(pause_mentee.forloeb.id) == forloeb_id
    assert (
        pause_mentee.forloeb.state,
        pause_mentee.forloeb.started_on,
        pause_mentee.forloeb.frequency,
        pause_mentee.forloeb.planned_months,
    ) == ("active", TODAY, "weekly", 6)
    assert (pause_mentee.mentee_enrolment.id, pause_mentee.mentor_enrolment.id) == (
        ids["Anna Angst"],
        ids["Mette Mentor"],
    )
    assert (pause_mentee.mentee_enrolment.status, pause_mentee.mentee_enrolment.programme) == (
        "active",
        "btb",
    )
    anna, mette = pause_mentee.person, pause_mentor.person
    assert (anna.id, anna.birth_year, anna.gender, anna.postal_code, anna.areas) == (
        ids["person:Anna Angst"],
        1990,
        "kvinde",
        "6000",
        frozenset({"psykiatri"}),
    )
    assert (mette.birth_year, mette.gender) == (1985, "kvinde")
    assert anna.roles_held_before == ()


async def test_a_rule_sees_roles_the_person_held_before(live, sessionmaker, tenants, today):
    ids = await _world(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            anna = await session.get(Enrolment, ids["Anna Angst"])
            session.add(
                Enrolment(
                    person_id=anna.person_id,
                    programme_id=anna.programme_id,
                    role=anna.role,
                    status="finished",
                )
            )
    seen = []

    class Held:
        @hookimpl
        def eligibility_verdicts(self, person):
            seen.append(person)
            return Verdict.passed("held", "Ok.")

    with registered(live, held=Held()):
        await _enable(sessionmaker, tenants.a, {"held": {}})
        async with await _api(live, tenants.a, f"rh-{tenants.a.slug}") as api:
            answer = await api.get(
                f"/people/{ids['person:Anna Angst']}/eligibility",
                params={"programme": "btb", "role": "mentor"},
            )
            assert answer.status_code == 200, answer.text
    [person] = seen
    assert [(r.programme, r.role) for r in person.roles_held_before] == [("btb", "mentee")]
    assert person.areas == frozenset()  # no mentor før-samtale in this programme
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            programme = await session.scalar(select(Programme).where(Programme.slug == "btb"))
            assert programme.plugins == {"held": {}}


# -- a raising matching strategy, default strategy or course threshold ------------------------
SCORER_SECRET = "born 14.03.1987 SECRETSCORE"
STRATEGY_FAILED = (
    "Matchningsstrategien broken_strategy fejlede, så Makker kan ikke foreslå eller tjekke par i "
    "programmet lige nu. Makkers drift kan se fejlen i loggen; resten af programmet virker som "
    "normalt."
)


class RaisingScorer:
    def matrix(self, mentees, mentors, config, today):
        raise ValueError(SCORER_SECRET)

    def explain(self, mentee, mentor, config, today):
        raise ValueError(SCORER_SECRET)


class BrokenStrategy:
    @hookimpl
    def register_matching_strategies(self):
        return MatchingStrategy(
            name="broken_strategy", description="Går i stykker.", scorer=RaisingScorer()
        )


async def test_a_raising_strategy_leaves_matching_pages_and_api_usable(
    live, sessionmaker, tenants, today, caplog
):
    ids = await _world(sessionmaker, tenants.a)
    slug, user = tenants.a.slug, f"rs-{tenants.a.slug}"
    bent = ids["Bent Bipolar"]
    with registered(live, broken_strategy=BrokenStrategy()):
        await _enable(sessionmaker, tenants.a, {"broken_strategy": {}})
        async with await _api(live, tenants.a, user) as api:
            with caplog.at_level(logging.INFO):
                suggested = await api.get(
                    "/programmes/btb/matching/suggestions", params={"mentee": str(bent)}
                )
                plan = await api.get("/programmes/btb/matching/assignment")
                proposed = await api.post(
                    "/programmes/btb/proposals",
                    json={"pairs": [{"mentee": str(bent), "mentor": str(ids["Morten Mentor"])}]},
                )
        assert (suggested.status_code, suggested.json()) == (
            409,
            {"status_code": 409, "detail": STRATEGY_FAILED},
        )
        assert (plan.status_code, plan.json()) == (
            409,
            {"status_code": 409, "detail": STRATEGY_FAILED},
        )
        assert proposed.status_code == 400, proposed.text
        assert proposed.json()["errors"] == {"pairs.0": STRATEGY_FAILED}
        async with httpx.AsyncClient(base_url=live.url) as http:
            await browser_sign_in(http, live, user)
            with caplog.at_level(logging.INFO):
                page = await http.get(f"/t/{slug}/matchning/btb/borger/{bent}")
                whole = await http.get(f"/t/{slug}/matchning/btb/ventelisten")
                waiting = await http.get(f"/t/{slug}/matchning/btb")
        assert (page.status_code, whole.status_code, waiting.status_code) == (200, 200, 200)
        assert STRATEGY_FAILED in page.text and "Foreslå Morten Mentor" not in page.text
        assert STRATEGY_FAILED in whole.text
        assert "Bent Bipolar" in waiting.text and STRATEGY_FAILED not in waiting.text
    matrix = "plugin 'broken_strategy' failed in hook scorer.matrix (ValueError)"
    explain = "plugin 'broken_strategy' failed in hook scorer.explain (ValueError)"
    assert _plugin_lines(caplog) == [matrix, matrix, explain, matrix, matrix]
    assert "SECRETSCORE" not in caplog.text and "1987" not in caplog.text
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            assert (await session.get(Enrolment, bent)).status == "ready"  # nothing proposed


class BrokenDefault:
    @hookimpl
    def default_matching_strategy(self):
        raise RuntimeError(SECRET)


async def test_a_raising_default_strategy_falls_back_to_the_built_in_with_a_notice(
    live, sessionmaker, tenants, today, caplog
):
    ids = await _world(sessionmaker, tenants.a)
    slug, user = tenants.a.slug, f"rd-{tenants.a.slug}"
    notice = (
        "Pluginet broken_default fejlede, da det skulle vælge programmets standardstrategi for "
        "matchning; Makker bruger shared_experience, indtil det er rettet."
    )
    with registered(live, broken_default=BrokenDefault()):
        async with await _api(live, tenants.a, user) as api:
            with caplog.at_level(logging.INFO):
                suggested = await api.get(
                    "/programmes/btb/matching/suggestions",
                    params={"mentee": str(ids["Bent Bipolar"])},
                )
        assert suggested.status_code == 200, suggested.text
        assert [s["mentor_name"] for s in suggested.json()] == ["Morten Mentor", "Mette Mentor"]
        async with httpx.AsyncClient(base_url=live.url) as http:
            await browser_sign_in(http, live, user)
            with caplog.at_level(logging.INFO):
                waiting = await http.get(f"/t/{slug}/matchning/btb")
                page = await http.get(f"/t/{slug}/matchning/btb/borger/{ids['Bent Bipolar']}")
        assert (waiting.status_code, page.status_code) == (200, 200)
        assert notice in waiting.text and notice in page.text
        assert "Foreslå Morten Mentor" in page.text
    line = "plugin 'broken_default' failed in hook default_matching_strategy (RuntimeError)"
    assert _plugin_lines(caplog) == [line, line, line]
    assert "1984" not in caplog.text


class BrokenThreshold:
    @hookimpl
    def course_completion_threshold(self):
        raise RuntimeError(SECRET)


async def test_a_raising_course_threshold_falls_back_to_the_next_answer_with_a_notice(
    live, sessionmaker, tenants, today, caplog
):
    await _world(sessionmaker, tenants.a)
    slug, user = tenants.a.slug, f"rt-{tenants.a.slug}"
    plugins = {"mentor_course": {"min_sessions_attended": 4}, "broken_threshold": {}}
    with registered(live, broken_threshold=BrokenThreshold()):
        await _enable(sessionmaker, tenants.a, plugins)
        async with await _api(live, tenants.a, user) as api:
            created = await api.post(
                "/courses/",
                json={
                    "programme": "btb",
                    "capacity": 2,
                    "sessions": [
                        {
                            "day": "2026-12-02",
                            "starts": "10:00:00",
                            "ends": "12:00:00",
                            "topic": "Start",
                        },
                    ],
                },
            )
            assert created.status_code == 201, created.text
            course = created.json()["id"]
            with caplog.at_level(logging.INFO):
                read = await api.get(f"/courses/{course}")
        assert (read.status_code, read.json()["min_sessions_attended"]) == (200, 4)
        async with httpx.AsyncClient(base_url=live.url) as http:
            await browser_sign_in(http, live, user)
            with caplog.at_level(logging.INFO):
                page = await http.get(f"/t/{slug}/hold/{course}")
        assert page.status_code == 200
        assert (
            "Pluginet broken_threshold fejlede, da det skulle give kursets regel for "
            "gennemførelse; Makker bruger den næste regel (4 gange), indtil det er rettet."
        ) in page.text
    line = "plugin 'broken_threshold' failed in hook course_completion_threshold (RuntimeError)"
    assert _plugin_lines(caplog) == [line, line]
    assert "1984" not in caplog.text


def test_the_harness_and_the_core_turn_a_failing_scorer_into_a_plugin_error():
    profile = PluginHarness.profile
    harness = PluginHarness(BrokenStrategy(), name="broken_strategy")
    with pytest.raises(PluginError) as caught:
        harness.match("broken_strategy", [profile("a")], [profile("b")], today=TODAY)
    assert (str(caught.value), caught.value.summary) == (
        f"plugin 'broken_strategy' failed in hook scorer.matrix: ValueError: {SCORER_SECRET}",
        "plugin 'broken_strategy' failed in hook scorer.matrix (ValueError)",
    )
    with pytest.raises(PluginError) as caught:
        harness.explain("broken_strategy", profile("a"), profile("b"), today=TODAY)
    assert caught.value.summary == (
        "plugin 'broken_strategy' failed in hook scorer.explain (ValueError)"
    )

    class Wrong:
        def matrix(self, mentees, mentors, config, today):
            return ScoreMatrix(np.zeros((1, 2)), np.ones((1, 2), dtype=bool))

        def explain(self, mentee, mentor, config, today):
            return 2.0

    guarded = GuardedScorer(
        MatchingStrategy(name="wrong", description="x", plugin="wr", scorer=Wrong())
    )
    with pytest.raises(PluginError) as caught:
        guarded.matrix([profile("a")], [profile("b")], None, TODAY)
    assert (str(caught.value), caught.value.summary, caught.value.hook) == (
        "plugin 'wr': scorer.matrix of strategy 'wrong' returned a matrix of (1, 2) (allowed "
        "(1, 2)); expected (1, 1), mentees x mentors",
        "plugin 'wr': hook scorer.matrix returned a wrong result",
        "scorer.matrix",
    )
    with pytest.raises(PluginError) as caught:
        guarded.explain(profile("a"), profile("b"), None, TODAY)
    assert caught.value.summary == "plugin 'wr': hook scorer.explain returned a wrong result"


async def test_moving_to_eligible_while_a_rule_failed_names_the_rule(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    bent = ids["Bent Bipolar"]
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(Enrolment).where(Enrolment.id == bent).values(status="intake")
            )
    with registered(live, broken_rule=Broken(), fine_rule=Fine()):
        await _enable(sessionmaker, tenants.a, {"broken_rule": {}, "fine_rule": {}})
        async with await _api(live, tenants.a, f"re-{tenants.a.slug}") as api:
            moved = await api.post(f"/enrolments/{bent}/transitions", json={"to": "eligible"})
    assert moved.status_code == 400, moved.text
    assert moved.json()["errors"] == {
        "to": "Reglen broken_rule fejlede og kunne ikke vurdere personen; tilmeldingen kan ikke "
        "blive egnet, før pluginet er rettet."
    }
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            assert (await session.get(Enrolment, bent)).status == "intake"


# -- what is logged of a wrong result; texts in two languages --------------------------------
def test_a_wrong_results_summary_quotes_nothing_the_plugin_chose():
    class Leaky:
        @hookimpl
        def eligibility_verdicts(self):
            return Verdict(rule="born_1984 x", outcome="pass", explanation="x")  # type: ignore[arg-type]

        @hookimpl
        def default_matching_strategy(self):
            return ""

    harness = PluginHarness(Leaky(), name="leaky")
    with pytest.raises(PluginError) as caught:
        harness.verdicts("mentee", today=TODAY)
    assert "'born_1984 x'" in str(caught.value)  # for the author, in the harness
    assert (
        caught.value.summary == "plugin 'leaky': hook eligibility_verdicts returned a wrong result"
    )
    with pytest.raises(PluginError) as caught:
        harness.default_strategy()
    assert str(caught.value) == (
        "plugin 'leaky': hook default_matching_strategy returned ''; expected a strategy's name"
    )
    assert caught.value.summary == (
        "plugin 'leaky': hook default_matching_strategy returned a wrong result"
    )


def test_a_programme_types_description_is_a_text_in_one_or_two_languages():
    def plugin(description):
        class Typed:
            @hookimpl
            def register_programme_types(self):
                return ProgrammeType(
                    name="naboer",
                    description=description,
                    default_duration_months=DurationMonths(3, 6),
                    default_meeting_frequencies=("weekly",),
                )

        return PluginHarness(Typed(), name="typed")

    both = {"da": "Naboer mødes.", "en": "Neighbours meet."}
    assert plugin(both).programme_types()["naboer"].description == both
    assert plugin("Naboer mødes.").programme_types()["naboer"].description == "Naboer mødes."
    with pytest.raises(PluginError) as caught:
        plugin({"en": "Neighbours meet."}).programme_types()
    assert str(caught.value) == (
        "plugin 'typed': hook register_programme_types returned a ProgrammeType with a wrong "
        "description: a text needs its Danish ('da')"
    )


class BilingualScorer:
    """One point for everybody, with a reason in Danish and English."""

    REASON = Reason("same", {"da": "begge er med", "en": "both take part"}, 1.0)

    def matrix(self, mentees, mentors, config, today):
        shape = (len(mentees), len(mentors))
        return ScoreMatrix(np.ones(shape), np.ones(shape, dtype=bool))

    def explain(self, mentee, mentor, config, today):
        return PairScore(1.0, (self.REASON,))


class Bilingual:
    @hookimpl
    def register_matching_strategies(self):
        return MatchingStrategy(name="bilingual", description="To sprog.", scorer=BilingualScorer())


async def test_a_strategys_reasons_are_stored_in_both_languages_and_shown_in_the_users(
    live, sessionmaker, tenants, today
):
    ids = await _world(sessionmaker, tenants.a)
    bent, morten = ids["Bent Bipolar"], ids["Morten Mentor"]
    with registered(live, bilingual=Bilingual()):
        await _enable(sessionmaker, tenants.a, {"bilingual": {}})
        async with await _api(live, tenants.a, f"rl-{tenants.a.slug}") as api:
            danish = await api.get(
                "/programmes/btb/matching/suggestions", params={"mentee": str(bent)}
            )
            api.cookies.set("makker_lang", "en")
            english = await api.get(
                "/programmes/btb/matching/suggestions", params={"mentee": str(bent)}
            )
            proposed = await api.post(
                "/programmes/btb/proposals",
                json={"pairs": [{"mentee": str(bent), "mentor": str(morten)}]},
            )
    assert [s["reasons"] for s in danish.json()][0] == [
        {"code": "same", "text": "begge er med", "points": 1.0}
    ]
    assert [s["reasons"] for s in english.json()][0] == [
        {"code": "same", "text": "both take part", "points": 1.0}
    ]
    assert proposed.status_code == 201, proposed.text
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            stored = await session.scalar(
                select(Forloeb).where(Forloeb.mentee_enrolment_id == bent)
            )
    assert stored.reasons == [
        {"code": "same", "text": {"da": "begge er med", "en": "both take part"}, "points": 1.0}
    ]
