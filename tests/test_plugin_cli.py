"""``makker plugins list`` and plugin checks in ``makker tenants check``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from core.cli import main

REPO = Path(__file__).resolve().parent.parent
ENV = {
    "MAKKER_PLUGINS": "",
    "MAKKER_ENV": "development",
    "MAKKER_TENANTS_DIR": str(REPO / "tenants"),
}


KOLDING_BTB = "kolding/borger-til-borger"
ALL_THREE = f"{KOLDING_BTB}, vejle/peer-to-peer, vejle/misbrug-mentor"


def test_plugins_list_shows_versions_hooks_what_each_provides_and_who_uses_it():
    result = CliRunner().invoke(main, ["plugins", "list"], env=ENV)
    assert (result.exit_code, result.output.splitlines()) == (
        0,
        [
            "peer_mentor 0.1.0",
            "  hooks: register_matching_strategies, register_programme_types",
            f"  programme type peer_mentor: used by {ALL_THREE}",
            "  strategy manual: coordinators pair by hand, never chosen automatically",
            "  enabled by: -",
            "lived_experience 0.1.0",
            "  hooks: eligibility_verdicts, intake_fields",
            "  enabled by: kolding (all programmes), vejle (all programmes)",
            "mentor_course 0.1.0",
            "  hooks: course_completion_threshold, eligibility_verdicts, forloeb_policy,"
            " intake_fields, plugin_config_schema",
            "  enabled by: kolding (all programmes), vejle (all programmes)",
            "misbrug 0.1.0",
            "  hooks: eligibility_verdicts, intake_fields, plugin_config_schema",
            "  enabled by: vejle/misbrug-mentor",
            "vejle_85 0.1.0",
            "  hooks: eligibility_verdicts, intake_fields",
            "  enabled by: vejle/peer-to-peer",
            "shared_experience 0.1.0",
            "  hooks: default_matching_strategy, plugin_config_schema,"
            " register_matching_strategies",
            f"  strategy shared_experience: used by {ALL_THREE}",
            "  enabled by: -",
            "shared_areas 0.1.0",
            "  hooks: register_matching_strategies",
            "  strategy shared_areas: used by no programme",
            "  enabled by: -",
            "who5 0.1.0",
            "  hooks: register_instruments",
            f"  instrument who5: used by {KOLDING_BTB}, vejle/misbrug-mentor",
            "  enabled by: -",
            *[
                line
                for name, users in (
                    ("swls", "vejle/peer-to-peer"),
                    ("mastery", "vejle/peer-to-peer"),
                    ("qpr15", "vejle/peer-to-peer"),
                    ("makker4", f"{KOLDING_BTB}, vejle/peer-to-peer"),
                )
                for line in (
                    f"{name} 0.1.0",
                    "  hooks: register_instruments",
                    f"  instrument {name}: used by {users}",
                    "  enabled by: -",
                )
            ],
        ],
    )


def test_plugins_list_shows_the_strategy_a_programme_enables_instead_of_the_default(tmp_path):
    for src in (REPO / "tenants").glob("*.toml"):
        text = src.read_text(encoding="utf-8")
        if src.name == "kolding.toml":
            text += "\n[programmes.plugins.shared_areas]\n"  # the last programme's table
        (tmp_path / src.name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["plugins", "list"], env={**ENV, "MAKKER_TENANTS_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"  strategy shared_areas: used by {KOLDING_BTB}" in lines
    assert "  strategy shared_experience: used by vejle/peer-to-peer, vejle/misbrug-mentor" in (
        lines
    )
    assert lines[lines.index("shared_areas 0.1.0") + 3] == f"  enabled by: {KOLDING_BTB}"


def test_allow_listed_plugin_that_is_missing_stops_the_command():
    result = CliRunner().invoke(main, ["plugins", "list"], env={**ENV, "MAKKER_PLUGINS": "nope"})
    assert result.exit_code == 2
    assert "plugin 'nope' is named in MAKKER_PLUGINS but no installed package provides" in (
        result.output
    )


def test_tenants_check_refuses_an_unknown_plugin_and_changes_nothing(tmp_path):
    for src in (REPO / "tenants").glob("*.toml"):
        text = src.read_text(encoding="utf-8").replace(
            "[plugins.mentor_course]", "[plugins.kursus]"
        )
        (tmp_path / src.name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["tenants", "check", "--dir", str(tmp_path)], env=ENV)
    assert result.exit_code == 1
    assert f"makker: {tmp_path}/kolding.toml:9: plugins.kursus: unknown plugin" in result.output
    assert "makker: nothing was changed" in result.output


def test_a_programme_enabling_an_installed_plugin_that_is_not_allowed_says_so(
    tmp_path, monkeypatch
):
    info = tmp_path / "site" / "makker_kursus-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: makker-kursus\nVersion: 1.0.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text("[makker]\nkursus = makker_kursus\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for src in (REPO / "tenants").glob("*.toml"):
        text = src.read_text(encoding="utf-8").replace(
            "[plugins.mentor_course]", "[plugins.kursus]"
        )
        (tmp_path / src.name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["tenants", "check", "--dir", str(tmp_path)], env=ENV)
    assert result.exit_code == 1
    assert (
        f"makker: {tmp_path}/kolding.toml:9: plugins.kursus: installed but not allowed by "
        "MAKKER_PLUGINS (loaded plugins: "
    ) in result.output


def test_an_incompatible_plugin_stops_start_up_with_one_line(tmp_path, monkeypatch):
    site = tmp_path / "site"
    info = site / "makker_future-2.0.0.dist-info"
    info.mkdir(parents=True)
    (site / "makker_future.py").write_text('MAKKER_PLUGIN_API = ">=2.0,<3"\n', encoding="utf-8")
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: makker-future\nVersion: 2.0.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text("[makker]\nfuture = makker_future\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    env = {**ENV, "MAKKER_PLUGINS": "future"}
    for command in (["plugins", "list"], ["serve", "--port", "0"]):
        result = CliRunner().invoke(main, command, env=env)
        assert (result.exit_code, result.output) == (
            2,
            "makker: plugin 'future' supports Makker plugin API >=2.0,<3 but this Makker "
            "provides 1.1: install a version of the plugin made for it\n",
        ), command
