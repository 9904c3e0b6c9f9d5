"""Every hook: documented (meta-test) and with a ``test_hook_<name>`` of its own, below."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from pathlib import Path

import pytest

import core.plugin_api as api
from core.courses.queries import min_sessions_attended
from core.matching.waiting_list import strategy_for
from core.outcomes.instruments import registered_instruments
from core.plugin_api import (
    DurationMonths,
    Instrument,
    InstrumentItem,
    IntakeField,
    MatchingStrategy,
    Outcome,
    PluginError,
    PolicyAction,
    PolicyDecision,
    ProgrammeType,
    ResponseOption,
    Verdict,
    create_plugin_manager,
    hookimpl,
)
from core.programmes.registry import (
    config_schemas,
    matching_strategies,
    programme_hook,
    programme_types,
)
from core.tenancy.models import Programme, Tenant, TenantKind
from core.testing import PluginHarness, fake_programme

TESTS = Path(__file__).parent
REPO = TESTS.parent
TODAY = dt.date(2026, 11, 23)


def hook_names() -> list[str]:
    return sorted(
        name
        for name, fn in vars(api).items()
        if inspect.isfunction(fn) and hasattr(fn, "makker_spec")
    )


def _test_functions() -> set[str]:
    names = set()
    for path in TESTS.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return names


def test_there_are_hooks():
    assert hook_names() == [
        "course_completion_threshold",
        "default_matching_strategy",
        "eligibility_verdicts",
        "forloeb_event",
        "forloeb_policy",
        "intake_fields",
        "plugin_config_schema",
        "register_instruments",
        "register_matching_strategies",
        "register_programme_types",
        "sms_gateway",
    ]


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_documented_in_its_docstring(name):
    spec = getattr(api, name)
    doc = inspect.getdoc(spec) or ""
    params = [p for p in inspect.signature(spec).parameters]
    missing = [p for p in params if f":param {p}:" not in doc]
    assert (len(doc) > 100, missing, ":return:" in doc) == (True, [], True)


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_in_the_author_guide(name):
    guide = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert f"### `{name}`" in guide


@pytest.mark.parametrize("name", hook_names())
def test_hook_has_its_own_test(name):
    assert f"test_hook_{name}" in _test_functions()


@pytest.mark.parametrize("name", hook_names())
def test_hook_results_are_checked(name):
    assert name in api.RESULT_CHECKS


# -- one test per hook ----------------------------------------------------------------------
def test_hook_register_programme_types():
    class Types:
        @hookimpl
        def register_programme_types(self):
            return ProgrammeType(
                name="group_mentor",
                description="One mentor, a small group.",
                default_duration_months=DurationMonths(3, 3),
                default_meeting_frequencies=("weekly",),
            )

    pm = create_plugin_manager()
    pm.register(Types(), name="group")
    types = programme_types(pm)
    assert sorted(types) == ["group_mentor", "peer_mentor"]
    assert (types["group_mentor"].plugin, types["peer_mentor"].plugin) == ("group", "peer_mentor")
    assert types["peer_mentor"].default_duration_months == DurationMonths(6, 9)


def test_hook_register_matching_strategies():
    class Strategy:
        @hookimpl
        def register_matching_strategies(self):
            return [MatchingStrategy(name="by_area", description="Same area of experience.")]

    pm = create_plugin_manager()
    pm.register(Strategy(), name="area_matching")
    assert {n: s.plugin for n, s in matching_strategies(pm).items()} == {
        "manual": "peer_mentor",
        "shared_experience": "shared_experience",
        "shared_areas": "shared_areas",
        "by_area": "area_matching",
    }


def test_hook_register_instruments():
    class Instruments:
        @hookimpl
        def register_instruments(self):
            return Instrument(
                id="ucla3",
                version="1",
                title_da="Ensomhed",
                title_en="Loneliness",
                intro_da="Hvor ofte ...",
                intro_en="How often ...",
                items=(InstrumentItem(key="alone", text_da="Alene", text_en="Alone"),),
                options=(
                    ResponseOption(value=1, label_da="Sjældent", label_en="Hardly ever"),
                    ResponseOption(value=2, label_da="Nogle gange", label_en="Some of the time"),
                    ResponseOption(value=3, label_da="Ofte", label_en="Often"),
                ),
                respondents="both",
                score_min=1,
                score_max=3,
                direction="lower_is_better",
                scoring="sum",
                source="A test.",
                terms_of_use="A test.",
                validated=False,
            )

    pm = create_plugin_manager()
    pm.register(Instruments(), name="loneliness")
    instruments = registered_instruments(pm)
    assert list(instruments) == ["who5", "swls", "mastery", "qpr15", "makker4", "ucla3"]
    assert {i.id: i.plugin for i in instruments.values()}["ucla3"] == "loneliness"
    assert instruments["who5"].plugin == "who5"


def test_hook_plugin_config_schema():
    import msgspec

    class Config(msgspec.Struct, frozen=True):
        limit: int = 3
        label: str = "x"

    class Configured:
        @hookimpl
        def plugin_config_schema(self):
            return Config

        @hookimpl
        def eligibility_verdicts(self, programme):
            return Verdict.passed("configured", f"limit {programme.config(Config).limit}")

    pm = create_plugin_manager(builtins=())
    pm.register(Configured(), name="configured")
    assert config_schemas(pm) == {"configured": Config}
    programme = fake_programme(
        pm,
        tenant_plugins={"configured": {"limit": 5, "label": "t"}},
        programme_plugins={"configured": {"label": "p"}},
    )
    assert programme.configs == {"configured": Config(limit=5, label="p")}


def test_hook_intake_fields():
    class Asks:
        @hookimpl
        def intake_fields(self, programme):
            return [
                IntakeField(name="since", type="date", label="Siden", roles=("mentor",)),
                IntakeField(name="areas", type="choices", label="Områder", choices=programme.areas),
            ]

    harness = PluginHarness(Asks(), name="asks", areas=("handicap",))
    assert [(f.key, f.choices) for f in harness.fields("mentee")] == [("asks.areas", ("handicap",))]
    assert [f.key for f in harness.fields("mentor")] == ["asks.since", "asks.areas"]
    person = harness.person({"asks.since": "2020-01-31", "asks.areas": ["handicap"]}, today=TODAY)
    assert person.attributes == {"asks.since": dt.date(2020, 1, 31), "asks.areas": ["handicap"]}


def test_hook_eligibility_verdicts():
    class TwoRules:
        @hookimpl
        def eligibility_verdicts(self, role, today):
            return [Verdict.passed("first", "ok"), Verdict.unknown("second", f"{role} {today}")]

    harness = PluginHarness(TwoRules(), name="two")
    assert harness.verdicts("mentee", today=TODAY) == [
        Verdict(rule="first", outcome=Outcome.PASS, explanation="ok"),
        Verdict(rule="second", outcome=Outcome.UNKNOWN, explanation="mentee 2026-11-23"),
    ]


def test_hook_forloeb_policy():
    class Warns:
        @hookimpl
        def forloeb_policy(self, transition):
            if transition.to_status == "finished":
                return PolicyDecision(
                    rule="warns", action=PolicyAction.WARN, message="Husk evaluering."
                )
            return None

    harness = PluginHarness(Warns(), name="warns")
    finished = harness.transition("mentee", "finished", from_status="matched", today=TODAY)
    assert harness.policy(finished) == [
        PolicyDecision(rule="warns", action=PolicyAction.WARN, message="Husk evaluering.")
    ]
    assert harness.policy(harness.transition("mentee", "matched", today=TODAY)) == []


def test_hook_forloeb_event():
    seen = []

    class Listens:
        @hookimpl
        def forloeb_event(self, programme, transition):
            seen.append((programme.slug, transition.from_status, transition.to_status))

    harness = PluginHarness(Listens(), name="listens")
    harness.notify(harness.transition("mentor", "matched", from_status="ready", today=TODAY))
    assert seen == [("test-programme", "ready", "matched")]


def test_hook_default_matching_strategy():
    class Default:
        @hookimpl
        def default_matching_strategy(self, programme):
            return "shared_areas" if programme.tenant.slug == "testkommune" else None

    pm = create_plugin_manager()
    assert pm.hook.default_matching_strategy(programme=fake_programme(pm)) == "shared_experience"
    pm.register(Default(), name="default")
    # Asked of every loaded plugin: "default" is enabled for no programme here.
    ours, other = fake_programme(pm), fake_programme(pm, tenant_slug="andenkommune")
    assert [pm.hook.default_matching_strategy(programme=p) for p in (ours, other)] == [
        "shared_areas",
        "shared_experience",
    ]
    assert [strategy_for(pm, p)[0].name for p in (ours, other)] == [
        "shared_areas",
        "shared_experience",
    ]


def test_hook_default_matching_strategy_must_name_a_registered_strategy():
    class Wrong:
        @hookimpl
        def default_matching_strategy(self):
            return "no_such_strategy"

    class Broken:
        @hookimpl
        def default_matching_strategy(self):
            return ["shared_areas"]

    pm = create_plugin_manager()
    pm.register(Wrong(), name="wrong")
    with pytest.raises(PluginError, match="the default 'no_such_strategy' is not registered"):
        strategy_for(pm, fake_programme(pm))
    # A wrong answer is skipped like a raising one (issue 19): the built-in default answers,
    # the failure is one log line and a Danish notice names the plugin.
    pm = create_plugin_manager()
    pm.register(Broken(), name="broken")
    notices: list[str] = []
    strategy, _settings = strategy_for(pm, fake_programme(pm), notices)
    assert strategy.name == "shared_experience"
    assert notices == [
        "Pluginet broken fejlede, da det skulle vælge programmets standardstrategi for "
        "matchning; Makker bruger shared_experience, indtil det er rettet."
    ]


def test_hook_course_completion_threshold():
    class Threshold:
        @hookimpl
        def course_completion_threshold(self, programme):
            return 2

    pm = create_plugin_manager()
    pm.register(Threshold(), name="threshold")

    def ask(**plugins):
        programme = fake_programme(pm, programme_plugins=plugins)
        return programme_hook(pm, "course_completion_threshold", programme)(programme=programme)

    # Only enabled plugins are asked; the first answer wins over mentor_course's (trylast).
    assert ask() is None
    assert ask(mentor_course={"min_sessions_attended": 4}) == 4
    assert ask(mentor_course={"min_sessions_attended": 4}, threshold={}) == 2


@pytest.mark.parametrize("answer", [0, True, "5", [5]])
def test_hook_course_completion_threshold_refuses_a_wrong_answer(answer):
    class Wrong:
        @hookimpl
        def course_completion_threshold(self):
            return answer

    pm = create_plugin_manager()
    pm.register(Wrong(), name="wrong")
    programme = fake_programme(pm, programme_plugins={"wrong": {}})
    with pytest.raises(PluginError, match="plugin 'wrong': hook course_completion_threshold"):
        programme_hook(pm, "course_completion_threshold", programme)(programme=programme)


def _rows(plugins: dict[str, dict[str, object]]) -> tuple[Tenant, Programme]:
    tenant = Tenant(
        slug="testkommune",
        name="Testkommune",
        kind=TenantKind.MUNICIPALITY,
        municipality_code="999",
        plugins={},
    )
    programme = Programme(
        slug="btb",
        name="Borger til Borger",
        type="peer_mentor",
        areas=[],
        policy={},
        plugins=plugins,
    )
    return tenant, programme


def test_a_third_party_plugin_replaces_each_built_in_answer():
    """Every answer the core takes from a built-in comes through a firstresult hook, and a
    plugin registered after the built-ins (as a third-party one is) replaces it."""

    class Strategy:
        def matrix(self, mentees, mentors, config, today):
            raise AssertionError("not scored here")

        def explain(self, mentee, mentor, config, today):
            raise AssertionError("not scored here")

    class ThirdParty:
        @hookimpl
        def register_matching_strategies(self):
            return MatchingStrategy(name="by_postcode", description="Nærmest.", scorer=Strategy())

        @hookimpl
        def default_matching_strategy(self):
            return "by_postcode"

        @hookimpl
        def course_completion_threshold(self):
            return 3

    answers = sorted(
        name for name in hook_names() if getattr(api, name).makker_spec.get("firstresult")
    )
    # sms_gateway's default is the core's own HTTP gateway, not a plugin (test_hook_sms_gateway).
    assert answers == ["course_completion_threshold", "default_matching_strategy", "sms_gateway"]
    course = {"mentor_course": {"min_sessions_attended": 6}}

    builtin = create_plugin_manager()
    tenant, programme = _rows(course)
    context = fake_programme(builtin, programme_plugins=course)
    assert (
        min_sessions_attended(builtin, tenant, programme),
        strategy_for(builtin, context)[0].name,
    ) == (6, "shared_experience")

    replaced = create_plugin_manager()
    replaced.register(ThirdParty(), name="third_party")
    replaced.check_pending()
    tenant, programme = _rows({**course, "third_party": {}})
    context = fake_programme(replaced, programme_plugins=course)
    assert (
        min_sessions_attended(replaced, tenant, programme),
        strategy_for(replaced, context)[0].name,
    ) == (3, "by_postcode")


def test_hook_sms_gateway():
    class Gateway:
        name = "box"

        async def send(self, message, handover):
            await handover()
            sent.append((message.to, message.body))

    class Box:
        @hookimpl
        def sms_gateway(self, tenant, config):
            return Gateway() if config.get("gateway") == "box" and tenant == "vejle" else None

    class Wrong:
        @hookimpl
        def sms_gateway(self):
            return "box"

    sent: list[tuple[str, str]] = []
    harness = PluginHarness(Box(), name="box")
    assert harness.sms_gateway({"gateway": "box"}, tenant="kolding") is None
    gateway = harness.sms_gateway({"gateway": "box"}, tenant="vejle")
    assert harness.send_sms(gateway, "+4512345678", "Hej") is True
    assert sent == [("+4512345678", "Hej")]
    # Makker's delivery finds the plugin's gateway through the hook (else the built-in one).
    from core.notifications.setup import sms_gateway_of
    from core.notifications.sms import HttpSmsGateway

    tenant = Tenant(slug="vejle", name="Vejle", kind=TenantKind.MUNICIPALITY)
    tenant.notifications = {"sms": {"gateway": "box", "url": "https://x.example", "sender": "V"}}
    assert isinstance(sms_gateway_of(harness.pm, tenant), Gateway)
    tenant.notifications = {"sms": {"gateway": "http", "url": "https://x.example", "sender": "V"}}
    assert isinstance(sms_gateway_of(harness.pm, tenant), HttpSmsGateway)
    with pytest.raises(PluginError, match="expected an SMS gateway"):
        PluginHarness(Wrong(), name="wrong").sms_gateway({"gateway": "box"})
