"""One public API for plugin authors (issue 19): ``core.plugin_api`` and, in tests,
``core.testing``; built-in plugins and the guide's examples import nothing else of Makker; the
package ships ``py.typed``; a plugin declares the API versions it supports."""

from __future__ import annotations

import ast
import tomllib
import types
from pathlib import Path

import pytest

import core.plugin_api as api
import core.testing as testing
from core.plugin_api import (
    PLUGIN_API_VERSION,
    PluginError,
    Verdict,
    create_plugin_manager,
    hookimpl,
)
from core.plugin_api import supports_api as supports

REPO = Path(__file__).resolve().parent.parent
PUBLIC = {"core.plugin_api"}
PUBLIC_IN_TESTS = {"core.plugin_api", "core.testing"}


def _makker_imports(path: Path) -> list[str]:
    """The modules of Makker (``core``) that ``path`` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [n for n in names if n == "core" or n.startswith("core.")]
    return found


def test_built_in_plugins_import_only_the_public_api():
    wrong = {
        path.name: sorted(set(_makker_imports(path)) - PUBLIC)
        for path in sorted((REPO / "plugins").glob("*.py"))
    }
    assert {name: modules for name, modules in wrong.items() if modules} == {}


def test_the_guides_examples_import_only_the_public_api_and_the_testing_module():
    examples = sorted((REPO / "docs" / "examples").rglob("*.py"))
    assert examples, "no examples found"
    wrong = {}
    for path in examples:
        allowed = PUBLIC_IN_TESTS if path.name.startswith("test_") else PUBLIC
        extra = sorted(set(_makker_imports(path)) - allowed)
        if extra:
            wrong[str(path.relative_to(REPO))] = extra
    assert wrong == {}


def test_the_import_check_sees_a_forbidden_import(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(
        "import core.clock\nfrom core.programmes.intake import IntakeValidationError\n"
        "from core.plugin_api import hookimpl\nimport numpy\n",
        encoding="utf-8",
    )
    assert _makker_imports(path) == [
        "core.clock",
        "core.programmes.intake",
        "core.plugin_api",
    ]


def test_everything_public_is_importable_from_the_two_modules():
    for module in (api, testing):
        assert all(hasattr(module, name) for name in module.__all__), module.__name__
    for name in (
        "IntakeValidationError",
        "MatchProfile",
        "PairScore",
        "Reason",
        "ScoreMatrix",
        "Scorer",
        "CourseRecord",
        "TenantContext",
        "EnrolmentContext",
        "ForloebContext",
        "RoleHeld",
        "Text",
        "localize",
        "PLUGIN_API_VERSION",
    ):
        assert name in api.__all__, name
    assert {"PluginHarness", "AnswerError", "Score", "StrategyDisagrees"} <= set(testing.__all__)
    # The validation error is one class, wherever the core raises it.
    from core.programmes.intake import IntakeValidationError

    assert api.IntakeValidationError is IntakeValidationError is testing.IntakeValidationError


def test_the_public_api_exports_no_internals_and_the_guide_names_every_export():
    internals = {"create_plugin_manager", "MakkerPluginManager", "hookspec", "DEFAULT_PLUGINS"}
    assert internals & set(api.__all__) == set()
    guide = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    types_section = guide.split("## The types", 1)[1]
    assert [name for name in api.__all__ if f"`{name}`" not in types_section] == []


def test_the_package_ships_py_typed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    assert "py.typed" in data["core"] and "py.typed" in data["plugins"]
    assert (REPO / "core" / "py.typed").is_file() and (REPO / "plugins" / "py.typed").is_file()


# -- compatibility ----------------------------------------------------------------------------
def _plugin(declared: object = None) -> types.ModuleType:
    module = types.ModuleType("makker_versioned")
    if declared is not None:
        module.MAKKER_PLUGIN_API = declared  # type: ignore[attr-defined]

    @hookimpl
    def eligibility_verdicts():
        return Verdict.passed("versioned", "Ok.")

    module.eligibility_verdicts = eligibility_verdicts  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(
    ("declared", "version", "expected"),
    [
        (">=1.0,<2", "1.0", True),
        (">=1.0,<2", "1.7", True),
        (">=1.0,<2", "2.0", False),
        (">=1.2", "1.1", False),
        ("==1", "1.0", True),
        ("==1.1", "1.0", False),
        ("!=1.0", "1.0", False),
        ("<1", "1.0", False),
        (">0.9, <=1.0", "1.0", True),
    ],
)
def test_a_declaration_admits_exactly_the_versions_it_names(declared, version, expected):
    assert supports(declared, version) is expected


def test_this_makker_provides_api_1_1():
    # 1.0: the first declared version; 1.1 added the sms_gateway hook (a minor version adds).
    assert PLUGIN_API_VERSION == "1.1"


@pytest.mark.parametrize("declared", ["", "1.0", ">=one", "~=1.0", ">=1.0;<2"])
def test_a_malformed_declaration_is_refused_naming_the_plugin(declared):
    pm = create_plugin_manager(builtins=())
    with pytest.raises(PluginError) as caught:
        pm.register(_plugin(declared), name="versioned")
    assert str(caught.value) == (
        f"plugin 'versioned': MAKKER_PLUGIN_API {declared!r} is not a version declaration "
        "such as '>=1.0,<2'"
    )


def test_an_incompatible_plugin_is_refused_in_one_line():
    pm = create_plugin_manager(builtins=())
    with pytest.raises(PluginError) as caught:
        pm.register(_plugin(">=2.0,<3"), name="versioned")
    message = str(caught.value)
    assert message == (
        "plugin 'versioned' supports Makker plugin API >=2.0,<3 but this Makker provides 1.1: "
        "install a version of the plugin made for it"
    )
    assert "\n" not in message
    assert pm.get_plugin("versioned") is None


def test_a_compatible_or_undeclared_plugin_registers_directly():
    pm = create_plugin_manager(builtins=())
    assert pm.register(_plugin(">=1.0,<2"), name="versioned") == "versioned"
    assert pm.register(_plugin(), name="undeclared") == "undeclared"


def test_every_built_in_plugin_declares_the_versions_it_supports():
    import importlib

    for module_name in api.DEFAULT_PLUGINS:
        module = importlib.import_module(module_name)
        declared = getattr(module, "MAKKER_PLUGIN_API", None)
        assert isinstance(declared, str) and supports(declared), module_name


# -- hooks gain arguments, never lose them ------------------------------------------------------
def test_an_implementation_may_take_fewer_arguments_than_the_hook_offers():
    class Old:
        @hookimpl
        def eligibility_verdicts(self, role):  # written before `person` and `today` existed
            return Verdict.passed("old", "Ok.") if role == "mentor" else None

    harness = testing.PluginHarness(Old(), name="old")
    import datetime as dt

    assert harness.verdict("mentor", today=dt.date(2026, 11, 23)).rule == "old"


def test_an_implementation_asking_for_an_argument_the_hook_lacks_is_refused():
    class Future:
        @hookimpl
        def eligibility_verdicts(self, role, weather):
            return None

    pm = create_plugin_manager(builtins=())
    with pytest.raises(PluginError, match=r"(?s)^plugin 'future': .*'weather'"):
        pm.register(Future(), name="future")
