"""docs/plugins.md: its example files are the ones in docs/examples and they work; every hook has
an example whose tests run here; every hook and type the guide names exists (issue 19)."""

from __future__ import annotations

import builtins
import importlib
import inspect
import re
import tomllib
from pathlib import Path

import pytest

import core.plugin_api as api
import core.testing as testing
from core.plugin_api import create_plugin_manager
from core.testing import fake_programme

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "plugins.md"
EXAMPLES = REPO / "docs" / "examples"
_FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)
#: Each example, the plugin name it is registered under, and how many tests it has.
EXAMPLE_TESTS = {
    "makker-straffeattest": 3,
    "makker-myndig": 4,
    "makker-lang-pause": 4,
    "makker-naboskab": 3,
    "makker-netvaerk": 4,
    "makker-smsbox": 3,
}


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _hook_names() -> set[str]:
    return {
        name
        for name, fn in vars(api).items()
        if inspect.isfunction(fn) and hasattr(fn, "makker_spec")
    }


def test_guide_shows_the_example_files_exactly_and_every_one_of_them():
    shown = {m["path"]: m["body"] for m in _FILE_BLOCK.finditer(_guide())}
    on_disk = sorted(
        str(p.relative_to(REPO))
        for p in EXAMPLES.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert sorted(shown) == on_disk
    assert sorted(p.name for p in EXAMPLES.iterdir()) == sorted(EXAMPLE_TESTS)
    for path, body in shown.items():
        assert (REPO / path).read_text(encoding="utf-8") == body, path


def _module(example: str, monkeypatch, prefix: str = "") -> object:
    monkeypatch.syspath_prepend(str(EXAMPLES / example))
    return importlib.import_module(prefix + example.replace("-", "_"))


@pytest.mark.parametrize("example", sorted(EXAMPLE_TESTS))
def test_each_examples_own_tests_pass(example, monkeypatch):
    module = _module(example, monkeypatch, prefix="test_")
    tests = [
        f for name, f in inspect.getmembers(module, inspect.isfunction) if name.startswith("test_")
    ]
    assert len(tests) == EXAMPLE_TESTS[example]
    for test in tests:
        test()


def _implemented(example: str, monkeypatch) -> list[str]:
    pm = create_plugin_manager(builtins=())
    name = example.removeprefix("makker-").replace("-", "_")
    pm.register(_module(example, monkeypatch), name=name)
    pm.check_pending()
    return pm.implemented_hooks(name)


def test_every_hook_has_an_example_and_the_guides_table_says_which(monkeypatch):
    table = {
        m[1]: sorted(re.findall(r"`([a-z_]+)`", m[2]))
        for m in re.finditer(r"^\| \[[^\]]+\]\(#([^)]+)\) \| (.+) \|$", _guide(), re.M)
    }
    implemented = {e: _implemented(e, monkeypatch) for e in sorted(EXAMPLE_TESTS)}
    assert sorted(table.values()) == sorted(implemented.values())
    assert set().union(*implemented.values()) == _hook_names()


def test_the_hook_reference_has_one_section_per_hook_and_names_no_other():
    sections = re.findall(r"^### `([a-z_]+)`$", _guide(), re.M)
    assert sorted(sections) == sorted(_hook_names())
    owners = {
        "": (api, testing.PluginHarness, api.Scorer),
        "person.": (api.PersonContext,),
        "programme.": (api.ProgrammeContext,),
        "Verdict.": (api.Verdict,),
    }
    missing = []
    for prefix, name in re.findall(r"`([A-Za-z]+\.)?([a-z]+(?:_[a-z]+)*)\(", _guide()):
        if prefix == "dt.":  # the standard library's datetime
            continue
        if name not in _hook_names() and not any(hasattr(o, name) for o in owners[prefix]):
            missing.append(f"{prefix}{name}")
    assert missing == []


#: Capitalised names in code spans that are not Makker's API (the reader's own, or standard).
NOT_API = {"YourStruct", "MisbrugConfig", "Config"}


def test_every_type_the_guide_names_exists_in_the_public_modules():
    names = set(re.findall(r"`([A-Z][a-z][A-Za-z0-9]*)[`.(]", _guide())) - NOT_API - {"None"}
    missing = sorted(
        n for n in names if not (hasattr(api, n) or hasattr(testing, n) or hasattr(builtins, n))
    )
    assert missing == []
    types = _guide().split("## The types", 1)[1]
    listed = set(re.findall(r"`([A-Za-z_]+)`", types))
    for name in api.__all__:
        if name in {"DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "ROLES", "TEXT_LANGUAGES"}:
            continue  # constants of the core, not types a plugin uses
        if name in {"MakkerPluginManager", "create_plugin_manager", "hookspec"}:
            continue  # the core's side of pluggy
        if name == "TRANSITION_KINDS":
            continue
        assert name in listed, name


def test_example_installed_through_its_entry_point_loads_when_allow_listed(tmp_path, monkeypatch):
    example = EXAMPLES / "makker-straffeattest"
    project = tomllib.loads((example / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = tmp_path / f"makker_straffeattest-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    points = "".join(f"{k} = {v}\n" for k, v in project["entry-points"]["makker"].items())
    (info / "entry_points.txt").write_text(f"[makker]\n{points}", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(example))

    pm = create_plugin_manager(["straffeattest"])
    assert (pm.plugin_version("straffeattest"), pm.implemented_hooks("straffeattest")) == (
        "1.0.0",
        ["eligibility_verdicts", "intake_fields", "plugin_config_schema"],
    )
    programme = fake_programme(pm, tenant_plugins={"straffeattest": {"max_age_days": 30}})
    assert programme.enabled_plugins == {"straffeattest"}
    assert create_plugin_manager([]).get_plugin("straffeattest") is None


def test_the_guide_states_the_api_version_and_the_compatibility_promise():
    guide = _guide()
    assert f"(now `{api.PLUGIN_API_VERSION}`:" in guide
    words = " ".join(guide.replace("*", "").split())
    assert "anything it removes is deprecated for at least one minor version before" in words
