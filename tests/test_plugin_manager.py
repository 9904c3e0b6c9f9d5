"""Loading plugins: built-ins, allow-listed entry points, and broken plugins named loudly."""

from __future__ import annotations

import ast
import datetime as dt
import textwrap
from pathlib import Path

import pytest

from core.plugin_api import (
    DEFAULT_PLUGINS,
    Outcome,
    PluginError,
    Verdict,
    create_plugin_manager,
    hookimpl,
)
from core.settings import SettingsError, load_settings
from core.testing import PluginHarness

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)


def test_builtin_plugins_are_registered_under_their_short_names():
    pm = create_plugin_manager()
    assert [name for name, _ in pm.list_name_plugin()] == [
        "peer_mentor",
        "lived_experience",
        "mentor_course",
        "misbrug",
        "vejle_85",
        "shared_experience",
        "shared_areas",
        "who5",
        "swls",
        "mastery",
        "qpr15",
        "makker4",
    ]
    assert pm.implemented_hooks("misbrug") == [
        "eligibility_verdicts",
        "intake_fields",
        "plugin_config_schema",
    ]


# -- broken plugins -------------------------------------------------------------------------
class Raises:
    @hookimpl
    def eligibility_verdicts(self, person):
        raise KeyError("misbrug.sober_since")


class WrongType:
    @hookimpl
    def eligibility_verdicts(self):
        return "pass"


class WrongItem:
    @hookimpl
    def eligibility_verdicts(self):
        return [Verdict.passed("ok", "ok"), {"rule": "x", "outcome": "pass"}]


class Misspelled:
    @hookimpl
    def eligibilty_verdicts(self):
        return Verdict.passed("never", "called")


class UnknownArgument:
    @hookimpl
    def eligibility_verdicts(self, persn):
        return None


def test_plugin_that_raises_gives_an_error_naming_it():
    harness = PluginHarness(Raises(), name="raiser")
    with pytest.raises(PluginError) as caught:
        harness.verdicts("mentor", today=TODAY)
    assert str(caught.value) == (
        "plugin 'raiser' failed in hook eligibility_verdicts: KeyError: 'misbrug.sober_since'"
    )


def test_plugin_returning_the_wrong_type_gives_an_error_naming_it():
    harness = PluginHarness(WrongType(), name="wrong")
    with pytest.raises(PluginError) as caught:
        harness.verdicts("mentor", today=TODAY)
    assert str(caught.value) == (
        "plugin 'wrong': hook eligibility_verdicts returned str; expected Verdict, a list of "
        "Verdict, or None"
    )


def test_plugin_returning_a_wrong_item_in_a_list_gives_an_error_naming_it():
    harness = PluginHarness(WrongItem(), name="wrong_item")
    with pytest.raises(PluginError, match=r"^plugin 'wrong_item': .* returned dict"):
        harness.verdicts("mentor", today=TODAY)


def test_broken_plugin_never_lets_the_others_pass_silently():
    harness = PluginHarness(Raises(), name="raiser", builtins=("plugins.mentor_course",))
    with pytest.raises(PluginError):
        harness.verdicts("mentor", {"mentor_course.completed_on": "2026-01-01"}, today=TODAY)


def test_misspelled_hook_name_gives_an_error_naming_the_plugin():
    with pytest.raises(PluginError) as caught:
        PluginHarness(Misspelled(), name="speller")
    assert str(caught.value).startswith("plugin 'speller': unknown hook 'eligibilty_verdicts'")


def test_unknown_hook_argument_gives_an_error_naming_the_plugin():
    pm = create_plugin_manager(builtins=())
    with pytest.raises(PluginError) as caught:
        pm.register(UnknownArgument(), name="arguer")
    assert str(caught.value).startswith("plugin 'arguer': ")
    assert "persn" in str(caught.value)


def test_config_schema_without_defaults_is_refused():
    import msgspec

    class NoDefault(msgspec.Struct):
        limit: int

    class Plugin:
        @hookimpl
        def plugin_config_schema(self):
            return NoDefault

    pm = create_plugin_manager(builtins=())
    pm.register(Plugin(), name="nodefault")
    with pytest.raises(PluginError, match=r"^plugin 'nodefault': every field of NoDefault"):
        pm.hook.plugin_config_schema()


def test_two_plugins_registering_one_programme_type_is_an_error():
    from core.programmes.registry import programme_types

    pm = create_plugin_manager()
    pm.register(_Copy(), name="copycat")
    with pytest.raises(PluginError, match="'copycat' and 'peer_mentor' both register"):
        programme_types(pm)


class _Copy:
    @hookimpl
    def register_programme_types(self):
        from plugins.peer_mentor import register_programme_types

        return register_programme_types()


# -- third-party plugins through entry points -----------------------------------------------
@pytest.fixture
def installed_plugin(tmp_path, monkeypatch) -> Path:
    """A tiny distribution 'makker-sober-buddy' with an entry point 'buddy' in group 'makker'."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "makker_sober_buddy.py").write_text(
        textwrap.dedent(
            """
            from core.plugin_api import Verdict, hookimpl

            MAKKER_PLUGIN_API = ">=1.0,<2"

            @hookimpl
            def eligibility_verdicts(role):
                if role == "mentor":
                    return Verdict.passed("buddy", "Har en makker.")
                return None
            """
        ),
        encoding="utf-8",
    )
    info = site / "makker_sober_buddy-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: makker-sober-buddy\nVersion: 1.2.3\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[makker]\nbuddy = makker_sober_buddy\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    return site


def test_allow_listed_entry_point_plugin_is_loaded(installed_plugin):
    pm = create_plugin_manager(["buddy"])
    assert pm.plugin_version("buddy") == "1.2.3"
    assert pm.implemented_hooks("buddy") == ["eligibility_verdicts"]
    import uuid

    from core.plugin_api import PersonContext
    from core.programmes.service import evaluate_eligibility
    from core.testing import fake_programme

    programme = fake_programme(pm, tenant_plugins={"buddy": {}})
    report = evaluate_eligibility(pm, programme, PersonContext(uuid.uuid4()), "mentor", TODAY)
    assert report.verdicts == [
        Verdict(rule="buddy", outcome=Outcome.PASS, explanation="Har en makker.")
    ]


def test_entry_point_plugin_not_allow_listed_is_ignored(installed_plugin):
    pm = create_plugin_manager([])
    assert pm.get_plugin("buddy") is None
    assert "buddy" not in [name for name, _ in pm.list_name_plugin()]


def test_allow_listed_plugin_that_is_not_installed_stops_start_up():
    with pytest.raises(PluginError) as caught:
        create_plugin_manager(["not_installed"])
    assert str(caught.value) == (
        "plugin 'not_installed' is named in MAKKER_PLUGINS but no installed package provides an "
        "entry point 'not_installed' in the group 'makker'"
    )


def test_makker_plugins_setting_is_a_comma_separated_allowlist():
    dev = {"MAKKER_ENV": "development"}
    assert load_settings({**dev, "MAKKER_PLUGINS": " buddy, other_one ,"}).plugins == (
        "buddy",
        "other_one",
    )
    assert load_settings(dev).plugins == ()
    with pytest.raises(SettingsError, match="^MAKKER_PLUGINS must be plugin names"):
        load_settings({**dev, "MAKKER_PLUGINS": "Buddy"})


def test_app_loads_only_the_allowlist(installed_plugin, tmp_path):
    from core.app import create_app
    from core.settings import Settings

    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"))
    assert app.state.plugin_manager.get_plugin("buddy") is None
    app = create_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3", plugins=("buddy",))
    )
    assert app.state.plugin_manager.get_plugin("buddy") is not None


# -- import boundaries ----------------------------------------------------------------------
def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_plugins_import_nothing_from_the_core_but_the_plugin_api():
    offenders = {
        path.name: sorted(
            m for m in _imports(path) if m.startswith("core") and m != "core.plugin_api"
        )
        for path in (REPO / "plugins").glob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_never_imports_plugins():
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "core").rglob("*.py")
        if any(m == "plugins" or m.startswith("plugins.") for m in _imports(path))
    ]
    assert offenders == []
    assert all(name.startswith("plugins.") for name in DEFAULT_PLUGINS)


def test_event_hook_returning_a_value_gives_an_error_naming_the_plugin():
    class Answers:
        @hookimpl
        def forloeb_event(self):
            return True

    harness = PluginHarness(Answers(), name="answers")
    with pytest.raises(PluginError) as caught:
        harness.notify(harness.transition("mentor", "matched", today=TODAY))
    assert str(caught.value) == "plugin 'answers': hook forloeb_event returned bool; expected None"
