# ruff: noqa: F811 - pytest fixtures imported from tests.plugin_fixtures are parameters here
"""Per-tenant enablement and configuration of plugins, from the tenant files to the hooks."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db.tenant_scope import tenant_scope
from core.plugin_api import PersonContext, PluginError, create_plugin_manager
from core.programmes.intake import intake_fields
from core.programmes.registry import programme_context
from core.programmes.service import evaluate_eligibility
from core.tenancy.config import TenantFileError, load_tenant_dir
from core.tenancy.models import Programme
from core.testing import fake_programme
from plugins.misbrug import MisbrugConfig
from tests.plugin_fixtures import shipped  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)


async def _programmes(sessionmaker, tenant) -> dict[str, Programme]:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return {p.slug: p for p in await session.scalars(select(Programme))}


def _called_plugins(pm) -> list[tuple[str, list[str]]]:
    calls: list[tuple[str, list[str]]] = []
    pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: calls.append((hook, [i.plugin_name for i in impls])),
        lambda outcome, hook, impls, kwargs: None,
    )
    return calls


async def test_misbrug_rule_applies_to_vejles_misbrug_programme_only(sessionmaker, shipped):
    pm = create_plugin_manager()
    calls = _called_plugins(pm)
    vejle = await _programmes(sessionmaker, shipped["vejle"])
    kolding = await _programmes(sessionmaker, shipped["kolding"])
    person = PersonContext(uuid.uuid4())

    misbrug = programme_context(pm, shipped["vejle"], vejle["misbrug-mentor"])
    report = evaluate_eligibility(pm, misbrug, person, "mentor", TODAY)
    assert [v.rule for v in report.verdicts] == ["misbrug", "mentor_course", "lived_experience"]
    # Each enabled plugin is asked on its own (a broken one cannot stop the others).
    assert calls == [
        ("eligibility_verdicts", ["misbrug"]),
        ("eligibility_verdicts", ["mentor_course"]),
        ("eligibility_verdicts", ["lived_experience"]),
    ]

    start = len(calls)
    btb = programme_context(pm, shipped["kolding"], kolding["borger-til-borger"])
    report = evaluate_eligibility(pm, btb, person, "mentor", TODAY)
    assert [v.rule for v in report.verdicts] == ["mentor_course", "lived_experience"]
    assert "misbrug.sober_since" not in [f.key for f in intake_fields(pm, btb)]
    assert calls[start:] == [
        ("eligibility_verdicts", ["mentor_course"]),
        ("eligibility_verdicts", ["lived_experience"]),
        ("intake_fields", ["mentor_course"]),
        ("intake_fields", ["lived_experience"]),
    ]


async def test_vejle_85_is_enabled_only_for_peer_to_peer(sessionmaker, shipped):
    pm = create_plugin_manager()
    vejle = await _programmes(sessionmaker, shipped["vejle"])
    p2p = programme_context(pm, shipped["vejle"], vejle["peer-to-peer"])
    misbrug = programme_context(pm, shipped["vejle"], vejle["misbrug-mentor"])
    assert sorted(p2p.configs) == ["lived_experience", "mentor_course", "vejle_85"]
    assert sorted(misbrug.configs) == ["lived_experience", "mentor_course", "misbrug"]
    assert misbrug.config(MisbrugConfig) == MisbrugConfig(min_sober_years=1)


def test_config_falls_back_programme_then_tenant_then_defaults():
    pm = create_plugin_manager()
    both = fake_programme(
        pm,
        tenant_plugins={"misbrug": {"min_sober_years": 2}},
        programme_plugins={"misbrug": {"min_sober_years": 3}},
    )
    tenant_only = fake_programme(pm, tenant_plugins={"misbrug": {"min_sober_years": 2}})
    programme_empty = fake_programme(
        pm, tenant_plugins={"misbrug": {"min_sober_years": 2}}, programme_plugins={"misbrug": {}}
    )
    defaults = fake_programme(pm, programme_plugins={"misbrug": {}})
    assert [
        p.config(MisbrugConfig).min_sober_years
        for p in (both, tenant_only, programme_empty, defaults)
    ] == [3, 2, 2, 1]
    assert fake_programme(pm).configs == {}


def test_programme_enabling_a_plugin_that_is_not_loaded_is_an_error():
    pm = create_plugin_manager(builtins=("plugins.peer_mentor",))
    with pytest.raises(PluginError, match=r"^plugin 'misbrug' is enabled for .* but not loaded"):
        fake_programme(pm, programme_plugins={"misbrug": {}})


#: The line of the misbrug programme's plugin setting in tenants/vejle.toml, which the errors name.
MISBRUG_LINE = next(
    number
    for number, line in enumerate(
        (REPO / "tenants" / "vejle.toml").read_text(encoding="utf-8").splitlines(), start=1
    )
    if line.startswith("min_sober_years")
)


def _tenant_dir(tmp_path: Path, replace: tuple[str, str]) -> Path:
    for src in (REPO / "tenants").glob("*.toml"):
        text = src.read_text(encoding="utf-8")
        if src.stem == "vejle":
            assert replace[0] in text
            text = text.replace(*replace)
        (tmp_path / src.name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (
            ("min_sober_years = 1", 'min_sober_years = "et år"'),
            f"vejle.toml:{MISBRUG_LINE}: "
            "programmes[1].plugins.misbrug.min_sober_years: Expected `int`, got "
            "`str`",
        ),
        (
            ("min_sober_years = 1", "min_sober_years = 0"),
            f"vejle.toml:{MISBRUG_LINE}: "
            "programmes[1].plugins.misbrug.min_sober_years: Expected `int` >= 1",
        ),
        (
            ("min_sober_years = 1", "min_sober_days = 365"),
            f"vejle.toml:{MISBRUG_LINE}: "
            "programmes[1].plugins.misbrug.min_sober_days: replaced by "
            "min_sober_years (whole calendar years, e.g. min_sober_years = 1 for at least one "
            "year)",
        ),
        (
            ("min_sober_years = 1", "min_sobre_years = 1"),
            f"vejle.toml:{MISBRUG_LINE}: "
            "programmes[1].plugins.misbrug.min_sobre_years: unknown key (expected "
            "one of min_sober_years)",
        ),
        (
            ("[plugins.mentor_course]", "[plugins.mentor_kursus]"),
            "vejle.toml:9: plugins.mentor_kursus: unknown plugin (loaded plugins: "
            "lived_experience, makker4, mastery, mentor_course, misbrug, peer_mentor, qpr15, "
            "shared_areas, shared_experience, swls, vejle_85, who5; see docs/plugins.md)",
        ),
        (
            ("[plugins.mentor_course]", "[plugins.mentor_course]\nlevel = 2"),
            "vejle.toml:10: plugins.mentor_course.level: unknown key (expected one of "
            "min_sessions_attended)",
        ),
        (
            ('type = "peer_mentor"', 'type = "group_mentor"'),
            "vejle.toml:14: programmes[0].type: expected a registered programme type "
            "(peer_mentor); got 'group_mentor'",
        ),
    ],
)
def test_tenant_files_with_bad_plugin_settings_are_refused(tmp_path, replace, message):
    directory = _tenant_dir(tmp_path, replace)
    with pytest.raises(TenantFileError) as caught:
        load_tenant_dir(directory)
    assert str(caught.value) == f"{directory}/{message}"


def test_shipped_tenant_files_pass_plugin_validation():
    configs = load_tenant_dir(REPO / "tenants")
    assert {c.slug: sorted(c.plugins) for c in configs}["vejle"] == [
        "lived_experience",
        "mentor_course",
    ]
