"""docs/plugins.md: its example files are the ones in docs/examples, and they work."""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from pathlib import Path

import pytest

from core.plugin_api import create_plugin_manager
from core.testing import fake_programme

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "plugins.md"
EXAMPLE = REPO / "docs" / "examples" / "makker-straffeattest"
INSTRUMENT_EXAMPLE = REPO / "docs" / "examples" / "makker-netvaerk"
_FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)


def test_guide_shows_the_example_files_exactly():
    shown = {m["path"]: m["body"] for m in _FILE_BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))}
    assert sorted(shown) == [
        "docs/examples/makker-netvaerk/makker_netvaerk.py",
        "docs/examples/makker-netvaerk/test_makker_netvaerk.py",
        "docs/examples/makker-straffeattest/makker_straffeattest.py",
        "docs/examples/makker-straffeattest/pyproject.toml",
        "docs/examples/makker-straffeattest/test_makker_straffeattest.py",
    ]
    for path, body in shown.items():
        assert (REPO / path).read_text(encoding="utf-8") == body, path


@pytest.fixture
def example(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    return importlib.import_module("test_makker_straffeattest")


def test_the_examples_own_tests_pass(example):
    tests = [
        f for name, f in inspect.getmembers(example, inspect.isfunction) if name.startswith("test_")
    ]
    assert len(tests) == 3
    for test in tests:
        test()


@pytest.fixture
def instrument_example(monkeypatch):
    monkeypatch.syspath_prepend(str(INSTRUMENT_EXAMPLE))
    return importlib.import_module("test_makker_netvaerk")


def test_the_instrument_examples_own_tests_pass(instrument_example):
    tests = [
        f
        for name, f in inspect.getmembers(instrument_example, inspect.isfunction)
        if name.startswith("test_")
    ]
    assert len(tests) == 4
    for test in tests:
        test()


def test_example_installed_through_its_entry_point_loads_when_allow_listed(tmp_path, monkeypatch):
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = tmp_path / f"makker_straffeattest-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    points = "".join(f"{k} = {v}\n" for k, v in project["entry-points"]["makker"].items())
    (info / "entry_points.txt").write_text(f"[makker]\n{points}", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(EXAMPLE))

    pm = create_plugin_manager(["straffeattest"])
    assert (pm.plugin_version("straffeattest"), pm.implemented_hooks("straffeattest")) == (
        "1.0.0",
        ["eligibility_verdicts", "intake_fields", "plugin_config_schema"],
    )
    programme = fake_programme(pm, tenant_plugins={"straffeattest": {"max_age_days": 30}})
    assert programme.enabled_plugins == {"straffeattest"}
    assert create_plugin_manager([]).get_plugin("straffeattest") is None
