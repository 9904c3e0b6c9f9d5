"""What plugins are given and how their answers are checked (issue 19), below HTTP: the
person's basics, forløb transitions of every kind, the harness for every hook kind, verdict
names validated, a broken plugin isolated per rule, texts in two languages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid

import numpy as np
import pytest

from core.forloeb.lifecycle import ALLOWED
from core.plugin_api import (
    EnrolmentContext,
    ForloebContext,
    IntakeField,
    MatchingStrategy,
    Outcome,
    PairScore,
    PersonContext,
    PluginError,
    PolicyAction,
    PolicyDecision,
    RoleHeld,
    ScoreMatrix,
    Transition,
    Verdict,
    hookimpl,
    localize,
)
from core.programmes.schemas import IntakeFieldOut, VerdictOut
from core.programmes.service import check_transition, evaluate_eligibility, notify_transition
from core.testing import PluginHarness, StrategyDisagrees
from core.web.i18n import set_locale

TODAY = dt.date(2026, 11, 23)


# -- the person ---------------------------------------------------------------------------------
def test_person_context_documents_every_field():
    import inspect

    import core.plugin_types as types

    source = inspect.getsource(types.PersonContext)
    for field in dataclasses.fields(PersonContext):
        if field.name != "id":
            assert "#: " in source.split(f"    {field.name}:")[0].rsplit("\n\n", 1)[-1], field.name
    assert [f.name for f in dataclasses.fields(PersonContext)] == [
        "id",
        "attributes",
        "courses",
        "birth_year",
        "gender",
        "postal_code",
        "areas",
        "roles_held_before",
    ]


class Basics:
    """Records the person it is asked about."""

    def __init__(self) -> None:
        self.seen: list[PersonContext] = []

    @hookimpl
    def eligibility_verdicts(self, person):
        self.seen.append(person)
        return Verdict.passed("basics", "Set.")


def test_a_rule_sees_the_persons_basics_and_roles_held_before():
    plugin = Basics()
    harness = PluginHarness(plugin, name="basics")
    harness.verdict(
        "mentor",
        today=TODAY,
        birth_year=1990,
        gender=" Kvinde ",
        postal_code="6000",
        areas=["psykiatri"],
        roles_held_before=[("btb", "mentee")],
    )
    [person] = plugin.seen
    assert (person.birth_year, person.gender, person.postal_code, person.areas) == (
        1990,
        "kvinde",
        "6000",
        frozenset({"psykiatri"}),
    )
    assert person.roles_held_before == (RoleHeld(programme="btb", role="mentee"),)
    assert (
        person.has_held("mentee"),
        person.has_held("mentee", "other"),
        person.has_held("mentor"),
    ) == (
        True,
        False,
        False,
    )


# -- forløb transitions of every kind ------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.policies: list[Transition] = []
        self.events: list[Transition] = []

    @hookimpl
    def forloeb_policy(self, transition):
        self.policies.append(transition)

    @hookimpl
    def forloeb_event(self, transition):
        self.events.append(transition)


FORLOEB_TRANSITIONS = sorted(
    (current.value, target.value) for current, targets in ALLOWED.items() for target in targets
)


def test_the_harness_covers_every_forloeb_transition_of_the_lifecycle():
    assert FORLOEB_TRANSITIONS == [
        ("active", "completed"),
        ("active", "ended_early"),
        ("active", "paused"),
        ("paused", "active"),
        ("paused", "completed"),
        ("paused", "ended_early"),
        ("proposed", "active"),
        ("proposed", "declined"),
    ]


@pytest.mark.parametrize(("current", "target"), FORLOEB_TRANSITIONS)
def test_a_forloeb_transition_carries_the_forloeb_both_enrolments_pause_and_reason(current, target):
    plugin = Recorder()
    harness = PluginHarness(plugin, name="recorder")
    pause_start = TODAY - dt.timedelta(days=70) if current == "paused" else None
    transition = harness.transition(
        "mentee",
        target,
        from_status=current,
        today=TODAY,
        kind="forloeb",
        reason="Aftalt med begge.",
        pause_start=pause_start,
        planned_resume=dt.date(2027, 1, 5) if target == "paused" else None,
        started_on=None if current == "proposed" else dt.date(2026, 5, 1),
    )
    assert harness.policy(transition) == []
    harness.notify(transition)
    assert plugin.policies == plugin.events == [transition]
    seen = plugin.policies[0]
    assert (seen.kind, seen.from_status, seen.to_status, seen.reason) == (
        "forloeb",
        current,
        target,
        "Aftalt med begge.",
    )
    assert isinstance(seen.forloeb, ForloebContext)
    assert (seen.forloeb.state, seen.forloeb.frequency, seen.forloeb.planned_months) == (
        current,
        "weekly",
        6,
    )
    assert (seen.mentee_enrolment.role, seen.mentor_enrolment.role) == ("mentee", "mentor")
    if target == "paused":
        assert (seen.pause_start, seen.planned_resume, seen.paused_days) == (
            TODAY,
            dt.date(2027, 1, 5),
            0,
        )
    elif current == "paused":
        assert (seen.pause_start, seen.paused_days) == (TODAY - dt.timedelta(days=70), 70)
    else:
        assert (seen.pause_start, seen.paused_days) == (None, None)


def test_an_enrolment_transition_carries_the_enrolment():
    plugin = Recorder()
    harness = PluginHarness(plugin, name="recorder")
    transition = harness.transition("mentor", "matched", from_status="ready", today=TODAY)
    harness.policy(transition)
    [seen] = plugin.policies
    assert (seen.kind, seen.forloeb, seen.mentee_enrolment) == ("enrolment", None, None)
    assert isinstance(seen.enrolment, EnrolmentContext)
    assert (seen.enrolment.programme, seen.enrolment.role, seen.enrolment.status) == (
        "test-programme",
        "mentor",
        "ready",
    )


def test_an_unknown_transition_kind_is_refused_by_the_harness():
    harness = PluginHarness(Recorder(), name="recorder")
    with pytest.raises(ValueError, match="kind must be 'enrolment' or 'forloeb'"):
        harness.transition("mentor", "x", today=TODAY, kind="meeting")  # type: ignore[arg-type]


# -- strategies ------------------------------------------------------------------------------
PEOPLE = [
    PluginHarness.profile("a", areas={"psykiatri"}, birth_year=1990, gender="kvinde"),
    PluginHarness.profile("b", areas={"misbrug"}, birth_year=1970, gender="mand"),
    PluginHarness.profile(
        "c", areas={"psykiatri", "misbrug"}, wish_gender="mand", wish_gender_required=True
    ),
]


@pytest.mark.parametrize("strategy", ["shared_areas", "shared_experience"])
def test_the_harness_checks_that_built_in_strategies_agree_with_their_explanations(strategy):
    import plugins.shared_areas
    import plugins.shared_experience

    module = {
        "shared_areas": plugins.shared_areas,
        "shared_experience": plugins.shared_experience,
    }[strategy]
    harness = PluginHarness(module, name=strategy)
    matrix = harness.match(strategy, PEOPLE, PEOPLE, today=TODAY)
    assert matrix.scores.shape == (3, 3)


def test_shared_areas_scores_one_point_per_shared_area():
    import plugins.shared_areas

    harness = PluginHarness(plugins.shared_areas, name="shared_areas")
    matrix = harness.match("shared_areas", PEOPLE[:1], PEOPLE, today=TODAY)
    assert matrix.scores.tolist() == [[1.0, 0.0, 1.0]]
    explained = harness.explain("shared_areas", PEOPLE[0], PEOPLE[2], today=TODAY)
    assert [(r.code, r.text, r.points) for r in explained.reasons] == [
        ("area", "begge har erfaring med psykiatri", 1.0)
    ]


class Liar:
    """A strategy whose explanation disagrees with its matrix."""

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def matrix(self, mentees, mentors, config, today):
        shape = (len(mentees), len(mentors) + (1 if self.bad == "shape" else 0))
        scores = np.full(shape, -1.0 if self.bad == "negative" else 2.0)
        return ScoreMatrix(scores, np.ones(shape, dtype=bool))

    def explain(self, mentee, mentor, config, today):
        if self.bad == "excluded":
            return PairScore(2.0, excluded_because="Nej.")
        return PairScore(3.0 if self.bad == "points" else 2.0)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("points", "pair 'a' x 'a': the matrix gives 2.0, explain gives 3.0"),
        ("excluded", "pair 'a' x 'a': the matrix allows the pair, explain excludes it"),
        ("shape", "the matrix is (1, 2) (allowed (1, 2)); expected (1, 1), mentees x mentors"),
        ("negative", "a score is negative"),
    ],
)
def test_the_harness_names_a_strategy_that_disagrees_with_itself(bad, message):
    class Plugin:
        @hookimpl
        def register_matching_strategies(self):
            return MatchingStrategy(name="liar", description="Løgner.", scorer=Liar(bad))

    harness = PluginHarness(Plugin(), name="liar")
    with pytest.raises(StrategyDisagrees) as caught:
        harness.match("liar", PEOPLE[:1], PEOPLE[:1], today=TODAY)
    assert str(caught.value) == f"strategy 'liar'{',' if 'pair' in message else ':'} {message}"


def test_the_harness_asks_the_answer_hooks():
    import plugins.mentor_course
    import plugins.shared_experience

    assert PluginHarness(plugins.shared_experience).default_strategy() == "shared_experience"
    harness = PluginHarness(plugins.mentor_course, config={"min_sessions_attended": 3})
    assert harness.course_threshold() == 3


# -- what a plugin returns is checked -----------------------------------------------------------
@pytest.mark.parametrize(
    ("returned", "fault"),
    [
        (Verdict(rule="Bad Name", outcome=Outcome.PASS, explanation="x"), "the rule 'Bad Name'"),
        (Verdict(rule="ok_rule", outcome="maybe", explanation="x"), "the outcome 'maybe'"),  # type: ignore[arg-type]
        (Verdict(rule="ok_rule", outcome=Outcome.PASS, explanation=""), "a wrong explanation"),
        (
            Verdict(rule="ok_rule", outcome=Outcome.PASS, explanation={"en": "Only English"}),
            "a wrong explanation: a text needs its Danish ('da')",
        ),
        (
            Verdict(rule="ok_rule", outcome=Outcome.PASS, explanation={"da": "Ja", "fr": "Oui"}),
            "a text may give only the languages da and en, not fr",
        ),
        (Verdict(rule="x", outcome=Outcome.PASS, explanation="x"), "the rule 'x'"),
    ],
)
def test_verdict_names_outcomes_and_texts_are_validated(returned, fault):
    class Plugin:
        @hookimpl
        def eligibility_verdicts(self):
            return returned

    harness = PluginHarness(Plugin(), name="checked")
    with pytest.raises(PluginError) as caught:
        harness.verdicts("mentor", today=TODAY)
    assert str(caught.value).startswith(
        "plugin 'checked': hook eligibility_verdicts returned a Verdict with "
    )
    assert fault in str(caught.value)


def test_a_policy_decisions_rule_and_action_are_validated():
    class Plugin:
        @hookimpl
        def forloeb_policy(self):
            return PolicyDecision(rule="ok_rule", action="stop", message="Nej.")  # type: ignore[arg-type]

    harness = PluginHarness(Plugin(), name="checked")
    with pytest.raises(PluginError, match="the action 'stop'; expected one of allow, warn, veto"):
        harness.policy(harness.transition("mentor", "matched", today=TODAY))


# -- isolation --------------------------------------------------------------------------------
class Raises:
    @hookimpl
    def eligibility_verdicts(self):
        raise ValueError("født 02.03.1984")

    @hookimpl
    def forloeb_policy(self):
        raise ValueError("født 02.03.1984")

    @hookimpl
    def forloeb_event(self):
        raise ValueError("født 02.03.1984")

    @hookimpl
    def intake_fields(self):
        raise ValueError("født 02.03.1984")


class Fine:
    @hookimpl
    def eligibility_verdicts(self):
        return Verdict.passed("fine", "I orden.")

    @hookimpl
    def forloeb_policy(self):
        return PolicyDecision(rule="fine", action=PolicyAction.WARN, message="Husk det.")

    @hookimpl
    def intake_fields(self):
        return IntakeField(name="answer", type="boolean", label="Svar")


@pytest.fixture
def two_rules():
    harness = PluginHarness(Fine(), name="fine")
    harness.pm.register(Raises(), name="raises")
    from core.testing import fake_programme

    harness.programme = fake_programme(harness.pm, programme_plugins={"fine": {}, "raises": {}})
    return harness


def _plugin_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "makker.plugins"]


def test_a_raising_rule_is_unknown_and_the_other_rule_still_judges(two_rules, caplog):
    set_locale("da")
    person = PersonContext(uuid.uuid4())
    with caplog.at_level(logging.INFO):
        report = evaluate_eligibility(two_rules.pm, two_rules.programme, person, "mentor", TODAY)
    assert [(v.rule, v.outcome.value) for v in report.verdicts] == [
        ("raises", "unknown"),
        ("fine", "pass"),
    ]
    assert report.verdicts[0].explanation == (
        "Reglen raises fejlede og kunne ikke vurdere personen. Den tæller som ukendt, indtil "
        "pluginet er rettet; Makkers drift kan se fejlen i loggen."
    )
    assert report.outcome == Outcome.UNKNOWN
    assert list(report.failures) == ["raises"]
    assert _plugin_lines(caplog) == [
        "plugin 'raises' failed in hook eligibility_verdicts (ValueError)"
    ]
    assert "1984" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)


def test_a_raising_policy_vetoes_a_match_and_only_warns_on_a_forloeb(two_rules, caplog):
    set_locale("da")
    person = PersonContext(uuid.uuid4())
    match = two_rules.transition(
        "mentor", "matched", from_status="ready", today=TODAY, person=person
    )
    paused = two_rules.transition(
        "mentor", "paused", from_status="active", today=TODAY, kind="forloeb", person=person
    )
    with caplog.at_level(logging.INFO):
        matched = check_transition(two_rules.pm, two_rules.programme, match)
        pause = check_transition(two_rules.pm, two_rules.programme, paused)
    assert [(d.rule, d.action.value) for d in matched.decisions] == [
        ("raises", "veto"),
        ("fine", "warn"),
    ]
    assert matched.decisions[0].message == (
        "Reglen raises fejlede og kunne ikke tjekke matchet; personen kan ikke matches, før "
        "pluginet er rettet."
    )
    assert [(d.rule, d.action.value) for d in pause.decisions] == [
        ("raises", "warn"),
        ("fine", "warn"),
    ]
    assert pause.decisions[0].message == (
        "Reglen raises fejlede og kunne ikke tjekke ændringen; den stoppede den ikke."
    )
    assert (
        _plugin_lines(caplog) == ["plugin 'raises' failed in hook forloeb_policy (ValueError)"] * 2
    )
    assert "1984" not in caplog.text


def test_a_raising_event_is_logged_and_the_others_are_told(two_rules, caplog):
    told: list[str] = []

    class Listener:
        @hookimpl
        def forloeb_event(self, transition):
            told.append(transition.to_status)

    two_rules.pm.register(Listener(), name="listener")
    from core.testing import fake_programme

    programme = fake_programme(
        two_rules.pm, programme_plugins={"fine": {}, "raises": {}, "listener": {}}
    )
    transition = two_rules.transition(
        "mentee", "active", today=TODAY, kind="forloeb", person=PersonContext(uuid.uuid4())
    )
    with caplog.at_level(logging.INFO):
        failures = notify_transition(two_rules.pm, programme, transition)
    assert (list(failures), told) == (["raises"], ["active"])
    assert _plugin_lines(caplog) == ["plugin 'raises' failed in hook forloeb_event (ValueError)"]


def test_a_raising_intake_field_hook_leaves_the_other_fields(two_rules, caplog):
    with caplog.at_level(logging.INFO):
        assert [f.key for f in two_rules.fields()] == ["fine.answer"]
    assert _plugin_lines(caplog) == ["plugin 'raises' failed in hook intake_fields (ValueError)"]


def test_the_harness_raises_a_failing_plugins_error_so_the_authors_test_fails(two_rules):
    with pytest.raises(PluginError, match=r"^plugin 'raises' failed in hook eligibility_verdicts"):
        two_rules.verdicts("mentor", today=TODAY)


# -- two languages --------------------------------------------------------------------------------
BOTH = {"da": "Straffeattest mangler.", "en": "The criminal record certificate is missing."}


def test_a_text_in_two_languages_is_shown_in_the_users_language():
    assert (localize(BOTH, "da"), localize(BOTH, "en")) == (BOTH["da"], BOTH["en"])
    assert localize({"da": "Kun dansk."}, "en") == "Kun dansk."  # falls back to Danish
    assert localize("Dansk tekst.", "en") == "Dansk tekst."
    verdict = Verdict.unknown("straffeattest", BOTH)
    field = IntakeField(
        name="received_on",
        type="date",
        label={"da": "Straffeattest modtaget", "en": "Certificate received"},
        help={"da": "Datoen på attesten.", "en": "The date on the certificate."},
        plugin="straffeattest",
    )
    try:
        set_locale("en")
        assert VerdictOut.of(verdict).explanation == BOTH["en"]
        assert (IntakeFieldOut.of(field).label, IntakeFieldOut.of(field).help) == (
            "Certificate received",
            "The date on the certificate.",
        )
        set_locale("da")
        assert VerdictOut.of(verdict).explanation == BOTH["da"]
        assert IntakeFieldOut.of(field).label == "Straffeattest modtaget"
    finally:
        set_locale("da")


def test_a_two_language_verdict_passes_the_core_checks():
    class Plugin:
        @hookimpl
        def eligibility_verdicts(self):
            return Verdict.unknown("straffeattest", BOTH)

    harness = PluginHarness(Plugin(), name="straffeattest")
    assert harness.verdict("mentor", today=TODAY).explanation == BOTH


def _catalog(directory, locale: str, entries: dict[str, str]) -> None:
    path = directory / locale / "LC_MESSAGES"
    path.mkdir(parents=True)
    body = "".join(f'\nmsgid "{k}"\nmsgstr "{v}"\n' for k, v in entries.items())
    (path / "messages.po").write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n{body}',
        encoding="utf-8",
    )


def test_texts_from_gettext_catalogs_shipped_with_the_plugin(tmp_path):
    from core.plugin_api import catalog_texts

    _catalog(tmp_path, "da", {"The certificate is missing.": "Straffeattest mangler."})
    _ = catalog_texts(tmp_path)
    text = _("The certificate is missing.")
    assert text == {"da": "Straffeattest mangler.", "en": "The certificate is missing."}

    class Plugin:
        @hookimpl
        def eligibility_verdicts(self):
            return Verdict.unknown("straffeattest", _("The certificate is missing."))

    verdict = PluginHarness(Plugin(), name="straffeattest").verdict("mentor", today=TODAY)
    assert (localize(verdict.explanation, "da"), localize(verdict.explanation, "en")) == (
        "Straffeattest mangler.",
        "The certificate is missing.",
    )
    with pytest.raises(LookupError, match="no Danish translation of 'Not translated.'"):
        _("Not translated.")
    with pytest.raises(FileNotFoundError):
        catalog_texts(tmp_path / "nowhere")
