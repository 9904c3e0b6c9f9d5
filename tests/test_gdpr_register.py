"""``makker gdpr register`` (issue 15): the record of processing (Art. 30) from the model tags,
the partner grants in the database and the tenant file's retention. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from core.db.tenant_scope import tenant_scope
from core.gdpr.register import register_markdown
from core.tenancy.models import PartnershipScope, Programme, ProgrammePartnership

REPO = Path(__file__).resolve().parent.parent


async def _grant(sessionmaker, tenants) -> None:
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="btb", name="Borger til Borger", type="peer_mentor", areas=[], policy={}
            )
            session.add(programme)
            await session.flush()
            session.add(
                ProgrammePartnership(
                    owner_tenant_id=tenants.a.id,
                    programme_id=programme.id,
                    partner_tenant_id=tenants.partner.id,
                    scope=PartnershipScope.COORDINATE,
                    granted_by="k",
                )
            )


async def test_the_register_lists_tagged_data_grants_and_retention(sessionmaker, tenants):
    await _grant(sessionmaker, tenants)
    configs = {tenants.a.slug: SimpleNamespace(retention={"case_data_months": 24})}
    text = await register_markdown(
        sessionmaker, configs, tenants.a.slug, today=dt.date(2026, 11, 30)
    )
    assert text.startswith("# Record of processing activities (GDPR article 30)\n")
    assert "on 2026-11-30" in text
    # Categories of data, from the tags: the tagged columns of each table.
    assert (
        "| `intake` | `motivation`, `expectations`, `wish_gender`, `wish_age_min`, "
        "`wish_age_max`, `wish_activities`, `wish_area`, `lived_experience`, `challenges`, "
        "`chemistry_notes`, `wish_gender_required`, `wish_age_required` | yes | yes |"
    ) in text
    assert "| `tenant_member` | `user_id`, `name` | no | yes |" in text
    assert "`programme`" not in text  # no tagged column
    # Recipients: the partner grant from the database.
    assert f"## Partner (`{tenants.a.slug}`)" not in text
    assert f"(`{tenants.a.slug}`)" in text
    assert "| Borger til Borger | Partner | coordinate |" in text
    assert (
        "- Case data (`case_data_months`): 24 months after the person's last enrolment ended, "
        "then anonymised (`makker retention run` and the daily job; a legal hold postpones it)"
    ) in text
    assert "- Audit log (`audit_months`): not set, kept" in text
    # One tenant only.
    assert f"(`{tenants.b.slug}`)" not in text


async def test_without_retention_in_the_tenant_file_it_says_not_set(sessionmaker, tenants):
    text = await register_markdown(sessionmaker, {}, tenants.b.slug)
    assert "Not set: no `retention` in the tenant file." in text
    assert "### Partner grants\n\nNone." in text


def _cli(database, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update({"MAKKER_ENV": "development", "MAKKER_DATABASE_URL": database.app_url})
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "gdpr", "register", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


async def test_the_command_writes_markdown_to_a_file_or_stdout(
    database, sessionmaker, tenants, tmp_path
):
    await _grant(sessionmaker, tenants)
    out = tmp_path / "register.md"
    written = _cli(database, "--tenant", tenants.a.slug, "--output", str(out))
    assert (written.returncode, written.stdout, written.stderr) == (0, f"wrote {out}\n", "")
    text = out.read_text(encoding="utf-8")
    assert "| Borger til Borger | Partner | coordinate |" in text
    printed = _cli(database, "--tenant", tenants.a.slug)
    assert printed.returncode == 0
    assert printed.stdout.split("\n", 3)[3] == text.split("\n", 3)[3]
    unknown = _cli(database, "--tenant", "findes-ikke")
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "makker: no tenant 'findes-ikke' in the database\n",
    )
