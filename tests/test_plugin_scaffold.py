"""``makker plugins new NAME`` writes a package that passes its own tests (issue 19).

The generated tests run in a separate pytest process with Makker's environment, from the
package's directory (its pyproject puts the directory on the path, so nothing is installed).
``pip install`` is not run: the test environment is offline and has no ``wheel`` for a build.
Instead the package's entry point, read from its own pyproject, is installed as a distribution's
metadata and Makker loads the plugin through it when allow-listed.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import main
from core.plugin_api import create_plugin_manager
from core.scaffold import ScaffoldError, write_plugin
from core.testing import fake_programme

REPO = Path(__file__).resolve().parent.parent
ENV = {"MAKKER_PLUGINS": "", "MAKKER_ENV": "development"}


@pytest.fixture
def package(tmp_path) -> Path:
    result = CliRunner().invoke(
        main, ["plugins", "new", "min_alder", "--directory", str(tmp_path)], env=ENV
    )
    assert result.exit_code == 0, result.output
    target = tmp_path / "makker-min-alder"
    assert result.output.splitlines() == [
        f"created {target}",
        f"test it: cd {target} && pytest",
    ]
    return target


def test_the_package_has_pyproject_module_tests_and_readme(package):
    assert sorted(p.name for p in package.iterdir()) == [
        "README.md",
        "makker_min_alder.py",
        "pyproject.toml",
        "test_makker_min_alder.py",
    ]
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"] == {"makker": {"min_alder": "makker_min_alder"}}
    for name in ("makker_min_alder.py", "test_makker_min_alder.py"):
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        makker = sorted(
            {
                n.module
                for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("core")
            }
        )
        assert makker == (["core.testing"] if name.startswith("test_") else ["core.plugin_api"])


@pytest.mark.slow
def test_the_generated_package_passes_its_own_tests(package):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = str(REPO)  # Makker itself, as an installed Makker would be
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_the_generated_plugin_loads_through_its_entry_point_when_allow_listed(
    package, tmp_path, monkeypatch
):
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = tmp_path / "site" / f"makker_min_alder-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    points = "".join(f"{k} = {v}\n" for k, v in project["entry-points"]["makker"].items())
    (info / "entry_points.txt").write_text(f"[makker]\n{points}", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(package))
    pm = create_plugin_manager(["min_alder"])
    assert (pm.plugin_version("min_alder"), pm.implemented_hooks("min_alder")) == (
        "0.1.0",
        ["eligibility_verdicts", "intake_fields", "plugin_config_schema"],
    )
    programme = fake_programme(pm, tenant_plugins={"min_alder": {"min_age": 21}})
    assert programme.enabled_plugins == {"min_alder"}


def test_a_wrong_name_or_an_existing_package_is_refused(tmp_path):
    with pytest.raises(ScaffoldError, match="'Min-Alder' is not a plugin name"):
        write_plugin("Min-Alder", tmp_path)
    write_plugin("min_alder", tmp_path)
    result = CliRunner().invoke(
        main, ["plugins", "new", "min_alder", "--directory", str(tmp_path)], env=ENV
    )
    assert (result.exit_code, result.output) == (
        2,
        f"makker: {tmp_path}/makker-min-alder already exists\n",
    )


def _shell_lines(markdown: str) -> list[str]:
    """The command lines of the ```sh blocks of a Markdown text."""
    lines, inside = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            inside = line == "```sh"
            continue
        if inside and line.strip():
            lines.append(line.strip())
    return lines


def test_the_readmes_commands_are_the_guides(package):
    readme = _shell_lines((package / "README.md").read_text(encoding="utf-8"))
    guide = _shell_lines((REPO / "docs" / "plugins.md").read_text(encoding="utf-8"))
    makker = [line for line in readme if " makker " in f" {line} "]
    assert makker == ["MAKKER_ENV=development MAKKER_PLUGINS=min_alder makker plugins list"]
    # The guide's example plugin is called straffeattest; the command is the same.
    assert [line.replace("min_alder", "straffeattest") for line in makker] == [
        line for line in guide if " makker " in f" {line} " and "MAKKER_PLUGINS=" in line
    ]
    assert readme == ["pytest", "pip install .", makker[0]]


def test_the_package_declares_what_the_guide_advises(package):
    guide = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert 'Declare `">=1.0,<2"` unless you use' in guide.replace("\n", " ")
    module = (package / "makker_min_alder.py").read_text(encoding="utf-8")
    assert 'MAKKER_PLUGIN_API = ">=1.0,<2"' in module.splitlines()


def test_the_name_of_a_built_in_plugin_is_refused_in_one_line(tmp_path):
    result = CliRunner().invoke(
        main, ["plugins", "new", "who5", "--directory", str(tmp_path)], env=ENV
    )
    assert (result.exit_code, result.output) == (
        2,
        "makker: 'who5' is the name of a built-in plugin: choose another name\n",
    )
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ScaffoldError, match="'mentor_course' is the name of a built-in plugin"):
        write_plugin("mentor_course", tmp_path)
