"""Tenant files: the shipped files, each kind of mistake with its exact message, and sync."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db.tenant_scope import tenant_scope
from core.tenancy.config import TenantFileError, load_tenant_dir, load_tenant_file
from core.tenancy.models import Programme, Tenant
from core.tenancy.sync import sync_tenants
from tests.tenant_files import copy_shipped_tenants

REPO = Path(__file__).resolve().parent.parent
VEJLE = (REPO / "tenants" / "vejle.toml").read_text(encoding="utf-8")
PARTNER = (REPO / "tenants" / "psykiatrifonden.toml").read_text(encoding="utf-8")


def test_shipped_tenant_files_are_valid_and_complete():
    configs = {c.slug: c for c in load_tenant_dir(REPO / "tenants")}
    assert sorted(configs) == ["kolding", "psykiatrifonden", "vejle"]
    kolding = configs["kolding"]
    assert (kolding.kind, kolding.municipality_code) == ("municipality", "621")
    (btb,) = kolding.programmes
    assert (btb.name, btb.areas) == ("Borger til Borger", ["psykiatri", "handicap", "misbrug"])
    assert (btb.policy.duration_months.min, btb.policy.duration_months.max) == (6, 9)
    assert btb.policy.meeting_frequencies == ["weekly", "fortnightly"]
    vejle = configs["vejle"]
    assert [p.slug for p in vejle.programmes] == ["peer-to-peer", "misbrug-mentor"]
    assert vejle.programmes[1].plugins == {"misbrug": {"min_sober_years": 1}}
    assert vejle.programmes[0].policy.duration_months.max == 6
    # Outcome schedules (issue 13): instrument, respondents, baseline (within days), every
    # months, at the end, follow-up days after, window days.
    assert _schedules(btb) == [
        ("who5", "mentee", 14, 3, True, 90, 14),
        ("makker4", "both", 14, None, True, None, 14),
    ]
    peer, misbrug = vejle.programmes
    assert _schedules(peer) == [
        ("makker4", "both", 42, 3, True, 90, 14),
        ("mastery", "mentee", 42, None, True, None, 14),
        ("swls", "mentee", 42, None, True, None, 14),
        ("qpr15", "mentor", 42, None, True, None, 14),
    ]
    assert _schedules(misbrug) == [("who5", "mentee", 14, None, True, None, 14)]
    assert all(s.baseline for p in (btb, peer, misbrug) for s in p.outcomes)
    partner = configs["psykiatrifonden"]
    assert (partner.kind, partner.municipality_code, partner.programmes) == ("partner", None, [])
    # Public pages (issue 17): every shipped programme has one, for both roles.
    for programme in (btb, peer, misbrug):
        assert programme.public is not None
        assert (bool(programme.public.mentee), bool(programme.public.mentor)) == (True, True)
        assert 4 <= len(programme.public.offers) <= 12
    assert misbrug.public is not None
    assert (
        misbrug.public.offers[0] == "En mentor, der selv har været ude af et misbrug i mindst et år"
    )


def _schedules(programme):
    return [
        (
            s.instrument,
            s.respondents,
            s.baseline_within_days,
            s.every_months,
            s.at_end,
            s.follow_up_days,
            s.window_days,
        )
        for s in programme.outcomes
    ]


MISTAKES = {
    "toml_syntax": (
        "vejle",
        VEJLE.replace('kind = "municipality"', "kind = municipality"),
        "vejle.toml:4: not valid TOML: Invalid value (at line 4, column 8)",
    ),
    "wrong_type": (
        "vejle",
        VEJLE.replace(
            '{ min = 6, max = 6 }\nmeeting_frequencies = ["one',
            '{ min = "six", max = 6 }\nmeeting_frequencies = ["one',
        ),
        "vejle.toml:81: programmes[1].policy.duration_months.min: Expected `int`, got `str`",
    ),
    "missing_key": (
        "vejle",
        VEJLE.replace('name = "Peer-to-Peer"\n', ""),
        "vejle.toml:11: programmes[0].name: required key is missing",
    ),
    "unknown_key": (
        "vejle",
        VEJLE.replace('areas = ["misbrug"]', 'areas = ["misbrug"]\nareal = 3'),
        "vejle.toml:79: programmes[1].areal: unknown key (check the spelling; see docs/tenants.md)",
    ),
    "bad_slug": (
        "vejle",
        VEJLE.replace('slug = "peer-to-peer"', 'slug = "Peer To Peer"'),
        "vejle.toml:12: programmes[0].slug: expected lower-case letters, digits and '-', "
        "starting with a letter",
    ),
    "slug_not_file_name": (
        "vejle",
        VEJLE.replace('slug = "vejle"', 'slug = "vejle-kommune"'),
        "vejle.toml:2: slug: must equal the file name 'vejle', got 'vejle-kommune'",
    ),
    "municipality_without_code": (
        "vejle",
        VEJLE.replace('municipality_code = "630"\n', ""),
        'vejle.toml:4: municipality_code: required for kind = "municipality" '
        '(three digits, e.g. "621")',
    ),
    "bad_municipality_code": (
        "vejle",
        VEJLE.replace('"630"', '"63"'),
        'vejle.toml:5: municipality_code: expected three digits, e.g. "621"',
    ),
    "partner_with_code": (
        "psykiatrifonden",
        PARTNER + 'municipality_code = "999"\n',
        "psykiatrifonden.toml:5: municipality_code: only municipalities have a municipality code",
    ),
    "unknown_kind": (
        "vejle",
        VEJLE.replace('kind = "municipality"', 'kind = "region"'),
        "vejle.toml:4: kind: expected one of municipality, partner; got 'region'",
    ),
    "duplicate_programme": (
        "vejle",
        VEJLE.replace('slug = "misbrug-mentor"', 'slug = "peer-to-peer"'),
        "vejle.toml:74: programmes[1].slug: duplicate programme slug 'peer-to-peer'",
    ),
    "min_above_max": (
        "vejle",
        VEJLE.replace(
            '{ min = 6, max = 6 }\nmeeting_frequencies = ["weekly"',
            '{ min = 9, max = 6 }\nmeeting_frequencies = ["weekly"',
        ),
        "vejle.toml:19: programmes[0].policy.duration_months: min (9) must not exceed max (6)",
    ),
    "unknown_area": (
        "vejle",
        VEJLE.replace('areas = ["psykiatri"]', 'areas = ["psykiatri", "gambling"]'),
        "vejle.toml:16: programmes[0].areas[1]: expected one of psykiatri, handicap, misbrug; "
        "got 'gambling'",
    ),
    "unknown_frequency": (
        "vejle",
        VEJLE.replace('["one_to_two_per_fortnight"]', '["daily"]'),
        "vejle.toml:82: programmes[1].policy.meeting_frequencies[0]: expected one of weekly, "
        "fortnightly, one_to_two_per_fortnight; got 'daily'",
    ),
    "no_frequency": (
        "vejle",
        VEJLE.replace('["one_to_two_per_fortnight"]', "[]"),
        "vejle.toml:82: programmes[1].policy.meeting_frequencies: Expected `array` of length >= 1",
    ),
    "accessibility_statement_not_https": (
        "vejle",
        VEJLE.replace(
            'municipality_code = "630"',
            'municipality_code = "630"\naccessibility_statement_url = "http://example.dk/was"',
        ),
        "vejle.toml:6: accessibility_statement_url: expected an https:// address of the "
        "published statement, e.g. https://www.was.digst.dk/makker-kolding",
    ),
    "plugin_config_not_a_table": (
        "vejle",
        VEJLE.replace(
            "[programmes.plugins.misbrug]\nmin_sober_years = 1",
            "[programmes.plugins]\nmisbrug = true",
        ),
        "vejle.toml:85: programmes[1].plugins.misbrug: expected a table of plugin settings, "
        "e.g. [plugins.misbrug]",
    ),
    "unknown_instrument": (
        "vejle",
        VEJLE.replace('instrument = "mastery"', 'instrument = "pearlin"'),
        "vejle.toml:44: programmes[0].outcomes[1].instrument: expected a registered instrument "
        "(makker4, mastery, qpr15, swls, who5; see docs/outcomes.md); got 'pearlin'",
    ),
    "instrument_for_the_wrong_respondents": (
        "vejle",
        VEJLE.replace(
            'instrument = "swls"\nrespondents = "mentee"',
            'instrument = "swls"\nrespondents = "both"',
        ),
        "vejle.toml:51: programmes[0].outcomes[2].respondents: expected \"mentee\": 'swls' is "
        "answered by the citizen only; got 'both'",
    ),
    "unknown_respondents": (
        "vejle",
        VEJLE.replace('respondents = "mentor"', 'respondents = "mentors"'),
        "vejle.toml:57: programmes[0].outcomes[3].respondents: expected one of mentee, mentor, "
        "both; got 'mentors'",
    ),
    "schedule_without_occasion": (
        "vejle",
        VEJLE.replace(
            'respondents = "mentee"\nat_end = true\n',
            'respondents = "mentee"\nbaseline = false\nat_end = false\n',
        ),
        "vejle.toml:90: programmes[1].outcomes[0]: expected at least one occasion: baseline, "
        "every_months, at_end or follow_up_days",
    ),
    "instrument_twice_for_a_role": (
        "vejle",
        VEJLE.replace('instrument = "qpr15"', 'instrument = "makker4"'),
        "vejle.toml:56: programmes[0].outcomes[3].instrument: expected each instrument once per "
        "role: 'makker4' is already scheduled for the mentor in this programme",
    ),
    "public_page_for_nobody": (
        "vejle",
        VEJLE.replace('mentee = "Du kan få en peer-mentor', 'x_mentee = "Du kan få en peer-mentor'),
        "vejle.toml:70: programmes[0].public.x_mentee: unknown key (check the spelling; see "
        "docs/tenants.md)",
    ),
    "public_page_without_roles": (
        "vejle",
        re.sub(r'\nment(ee|or) = "Du kan [^\n]*peer-mentor[^\n]*', "", VEJLE),
        "vejle.toml:62: programmes[0].public: expected mentee or mentor (or both): who can "
        "apply on the public page",
    ),
    "public_offer_on_two_lines": (
        "vejle",
        VEJLE.replace(
            '"En peer-mentor, der ved, hvordan det er"', '"En peer-mentor,\\nder ved det"'
        ),
        "vejle.toml:64: programmes[0].public.offers[0]: expected plain text on one line (no "
        "control characters, not blank)",
    ),
    "public_without_offers": (
        "vejle",
        re.sub(r'offers = \[\n  "En peer-mentor[^\]]*\]', "offers = []", VEJLE, count=1),
        "vejle.toml:64: programmes[0].public.offers: Expected `array` of length >= 1",
    ),
    "reminder_time_not_a_time": (
        "vejle",
        VEJLE.replace('i Vejle Kommune"\n', 'i Vejle Kommune"\nreminder_time = "5 pm"\n', 1),
        "vejle.toml:112: notifications.reminder_time: expected a time of day as HH:MM (Danish "
        "time), e.g. \"17:00\"; got '5 pm'",
    ),
    "digest_time_out_of_range": (
        "vejle",
        VEJLE.replace('i Vejle Kommune"\n', 'i Vejle Kommune"\ndigest_time = "24:00"\n', 1),
        "vejle.toml:112: notifications.digest_time: expected a time of day as HH:MM (Danish "
        "time), e.g. \"17:00\"; got '24:00'",
    ),
    "digest_day_in_danish": (
        "vejle",
        VEJLE.replace('i Vejle Kommune"\n', 'i Vejle Kommune"\ndigest_day = "mandag"\n', 1),
        "vejle.toml:112: notifications.digest_day: expected one of monday, tuesday, wednesday, "
        "thursday, friday, saturday, sunday; got 'mandag'",
    ),
    "contact_names_a_programme": (
        "vejle",
        VEJLE.replace("din koordinator i Vejle Kommune", "Peer-to-Peer i Vejle Kommune", 1),
        "vejle.toml:111: notifications.contact: must not say what a programme works with (it is "
        "in every message, also on a phone's lock screen); found 'Peer-to-Peer'",
    ),
    "contact_names_a_health_area": (
        "vejle",
        VEJLE.replace("din koordinator i Vejle Kommune", "Psykiatrien i Vejle Kommune", 1),
        "vejle.toml:111: notifications.contact: must not say what a programme works with (it is "
        "in every message, also on a phone's lock screen); found 'psykiatri'",
    ),
    "sms_sender_names_a_programme": (
        "vejle",
        VEJLE.replace(
            'i Vejle Kommune"\n',
            'i Vejle Kommune"\n\n[notifications.sms]\nurl = "https://sms.example.dk/send"\n'
            'sender = "PeerToPeer"\n',
            1,
        ),
        "vejle.toml:115: notifications.sms.sender: must not say what a programme works with (it "
        "is in every message, also on a phone's lock screen); found 'Peer-to-Peer'",
    ),
    "every_months_not_a_number": (
        "vejle",
        VEJLE.replace("every_months = 3", 'every_months = "3"'),
        "vejle.toml:39: programmes[0].outcomes[0].every_months: Expected `int`, got `str`",
    ),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_each_mistake_has_its_exact_message(case, tmp_path):
    name, text, expected = MISTAKES[case]
    assert text != (PARTNER if name == "psykiatrifonden" else VEJLE)  # the mistake was made
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TenantFileError) as excinfo:
        load_tenant_file(path)
    assert str(excinfo.value) == f"{tmp_path}/{expected}"


def test_empty_directory_is_an_error(tmp_path):
    with pytest.raises(TenantFileError) as excinfo:
        load_tenant_dir(tmp_path)
    assert str(excinfo.value) == f"{tmp_path}: no tenant files (*.toml) found"


async def _counts(sessionmaker, slugs):
    async with sessionmaker() as session:
        tenants = list(await session.scalars(select(Tenant).where(Tenant.slug.in_(slugs))))
    result = {}
    for tenant in tenants:
        with tenant_scope(tenant.id):
            async with sessionmaker() as session:
                programmes = list(await session.scalars(select(Programme).order_by(Programme.slug)))
        result[tenant.slug] = (
            tenant.updated_at,
            [(p.slug, p.updated_at, p.archived_at) for p in programmes],
        )
    return result


def _configs_with_unique_slugs(tmp_path, suffix):
    """The shipped files with slugs made unique, so the shared test database stays clean."""
    return load_tenant_dir(copy_shipped_tenants(tmp_path, suffix))


async def test_sync_is_idempotent(sessionmaker, tmp_path, backend):
    configs = _configs_with_unique_slugs(tmp_path, f"idem-{backend}")
    slugs = [c.slug for c in configs]
    first = await sync_tenants(sessionmaker, configs)
    assert set(first.tenants.values()) == {"created"}
    assert len(first.programmes) == 3 and set(first.programmes.values()) == {"created"}
    before = await _counts(sessionmaker, slugs)
    second = await sync_tenants(sessionmaker, configs)
    assert second.changed is False
    assert await _counts(sessionmaker, slugs) == before
    assert [len(before[s][1]) for s in slugs] == [1, 0, 2]


async def test_sync_updates_and_archives_but_never_deletes(sessionmaker, tmp_path, backend):
    configs = _configs_with_unique_slugs(tmp_path, f"upd-{backend}")
    await sync_tenants(sessionmaker, configs)
    vejle = next(c for c in configs if c.slug.startswith("vejle"))
    vejle.name = "Vejle Kommune (ny)"
    vejle.programmes = vejle.programmes[:1]
    report = await sync_tenants(sessionmaker, configs)
    assert report.tenants[vejle.slug] == "updated"
    assert report.programmes[f"{vejle.slug}/misbrug-mentor"] == "archived"
    assert report.programmes[f"{vejle.slug}/peer-to-peer"] == "unchanged"
    counts = await _counts(sessionmaker, [vejle.slug])
    archived = {slug: archived_at is not None for slug, _, archived_at in counts[vejle.slug][1]}
    assert archived == {"misbrug-mentor": True, "peer-to-peer": False}


def _cli(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def test_cli_sync_with_a_wrong_file_changes_nothing(database, tmp_path, backend):
    import os

    good = tmp_path / "good"
    good.mkdir()
    _configs_with_unique_slugs(good, f"cli-{backend}")
    bad = good / "zzz.toml"
    bad.write_text('slug = "zzz"\nname = "Z"\nkind = "partner"\nprogrammes = 3\n')
    env = {**os.environ, "MAKKER_DATABASE_URL": database.app_url, "MAKKER_ENV": "development"}
    result = _cli("tenants", "sync", "--dir", str(good), env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"makker: {bad}:4: programmes: Expected `array`, got `int`",
        "makker: nothing was changed",
    ]
    bad.unlink()
    ok = _cli("tenants", "sync", "--dir", str(good), env=env)
    assert ok.returncode == 0, ok.stderr
    assert f"tenant kolding-cli-{backend}: created" in ok.stdout.splitlines()
    again = _cli("tenants", "sync", "--dir", str(good), env=env)
    assert again.stdout.splitlines()[-1] == "nothing to change"
