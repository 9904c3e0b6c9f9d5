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


def test_plugins_list_shows_versions_hooks_and_who_enables_each_plugin():
    result = CliRunner().invoke(main, ["plugins", "list"], env=ENV)
    assert (result.exit_code, result.output.splitlines()) == (
        0,
        [
            "peer_mentor 0.1.0",
            "  hooks: register_matching_strategies, register_programme_types",
            "  enabled by: always (registration hooks only)",
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
            "  enabled by: always (registration hooks only)",
            "shared_areas 0.1.0",
            "  hooks: register_matching_strategies",
            "  enabled by: always (registration hooks only)",
            *[
                line
                for name in ("who5", "swls", "mastery", "qpr15", "makker4")
                for line in (
                    f"{name} 0.1.0",
                    "  hooks: register_instruments",
                    "  enabled by: always (registration hooks only)",
                )
            ],
        ],
    )


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
