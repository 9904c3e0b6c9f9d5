"""GDPR (issue 15, part C): retention per tenant (``[retention]`` in the tenant file).

Boundary tests with a fixed clock: a person whose last enrolment ended on 2023-05-10 with
``case_data_months = 36`` is kept on 2026-05-09 and on 2026-05-10 (exactly 36 months) and
anonymised on 2026-05-11; a legal hold skips her; a dry run changes nothing and names no one.
The tenant file's validation, ``makker retention run`` and the daily job. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.clock import COPENHAGEN, frozen, now
from core.db.tenant_scope import tenant_scope
from core.gdpr.erasure import ERASED_NAME
from core.gdpr.models import LegalHold
from core.gdpr.retention import apply_tenant, months_before
from core.participants.models import Enrolment, EnrolmentEvent, EnrolmentRole, Person
from core.tenancy.config import TenantFileError, parse_tenant_text
from core.tenancy.models import Programme

REPO = Path(__file__).resolve().parent.parent
ENDED = dt.date(2023, 5, 10)


async def _person(sessionmaker, tenant, name: str, *, ended: dt.date, status: str) -> uuid.UUID:
    at = dt.datetime.combine(ended, dt.time(23, 30), tzinfo=COPENHAGEN)  # late: the local day
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme).where(Programme.slug == "btb"))
            if programme is None:
                programme = Programme(
                    slug="btb", name="Borger til Borger", type="peer_mentor", areas=[], policy={}
                )
                session.add(programme)
                await session.flush()
            person = Person(name=name, email=f"{name.split()[0].lower()}@example.dk")
            session.add(person)
            await session.flush()
            enrolment = Enrolment(
                person_id=person.id,
                programme_id=programme.id,
                role=EnrolmentRole.MENTEE,
                status=status,
            )
            session.add(enrolment)
            await session.flush()
            session.add(
                EnrolmentEvent(
                    enrolment_id=enrolment.id, to_status=status, actor="k", created_at=at
                )
            )
            return person.id


async def _name(sessionmaker, tenant, person_id: uuid.UUID) -> str:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            person = await session.get_one(Person, person_id)
            return person.name


def test_months_before_keeps_the_day_or_the_months_last_day():
    assert months_before(dt.date(2026, 5, 10), 36) == dt.date(2023, 5, 10)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


@pytest.mark.parametrize(
    ("today", "anonymised"),
    [(dt.date(2026, 5, 9), False), (dt.date(2026, 5, 10), False), (dt.date(2026, 5, 11), True)],
    ids=["the-day-before", "the-day-of", "the-day-after"],
)
async def test_a_person_is_anonymised_the_day_after_n_months(
    sessionmaker, tenants, today, anonymised
):
    finished = await _person(
        sessionmaker, tenants.a, "Gitte Færdig", ended=ENDED, status="finished"
    )
    active = await _person(sessionmaker, tenants.a, "Aktiv Deltager", ended=ENDED, status="active")
    with frozen(today):
        report = await apply_tenant(sessionmaker, tenants.a, 36, now(), dry_run=False)
    assert report.due == ([str(finished)] if anonymised else [])
    assert await _name(sessionmaker, tenants.a, finished) == (
        ERASED_NAME if anonymised else "Gitte Færdig"
    )
    assert await _name(sessionmaker, tenants.a, active) == "Aktiv Deltager"
    async with sessionmaker() as session:
        audit = list(
            await session.scalars(
                select(AuditEvent.object_id).where(
                    AuditEvent.tenant_slug == tenants.a.slug,
                    AuditEvent.action == "person.retention",
                )
            )
        )
    assert audit == ([str(finished)] if anonymised else [])


async def test_a_legal_hold_skips_the_person_and_a_dry_run_changes_nothing(sessionmaker, tenants):
    held = await _person(sessionmaker, tenants.a, "Holdt Tilbage", ended=ENDED, status="withdrawn")
    due = await _person(sessionmaker, tenants.a, "Due Person", ended=ENDED, status="finished")
    other = await _person(sessionmaker, tenants.b, "Anden Kommune", ended=ENDED, status="finished")
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            session.add(
                LegalHold(
                    person_id=held, reason="Klagesag", ends_on=dt.date(2027, 1, 1), set_by="a"
                )
            )
    with frozen(dt.date(2026, 11, 30)):
        dry = await apply_tenant(sessionmaker, tenants.a, 36, now(), dry_run=True)
        assert (dry.due, dry.held) == ([str(due)], [str(held)])
        assert await _name(sessionmaker, tenants.a, due) == "Due Person"
        lines = "\n".join(dry.lines(dry_run=True))
        assert "Due" not in lines and "Holdt" not in lines
        assert str(due) in lines and "1 skipped under a legal hold" in lines
        done = await apply_tenant(sessionmaker, tenants.a, 36, now(), dry_run=False)
        assert (done.due, done.held) == ([str(due)], [str(held)])
        # Nothing set: nothing removed.
        none = await apply_tenant(sessionmaker, tenants.b, None, now(), dry_run=False)
        assert none.due == []
    assert await _name(sessionmaker, tenants.a, due) == ERASED_NAME
    assert await _name(sessionmaker, tenants.a, held) == "Holdt Tilbage"
    assert await _name(sessionmaker, tenants.b, other) == "Anden Kommune"


def test_the_tenant_file_validates_retention_naming_the_file():
    base = (
        'slug = "xy"\nname = "X"\nkind = "municipality"\nmunicipality_code = "621"\n[retention]\n'
    )
    config = parse_tenant_text(
        Path("tenants/xy.toml"), base + "case_data_months = 36\naudit_months = 60\n"
    )
    assert config.retention is not None and config.retention.case_data_months == 36
    assert parse_tenant_text(Path("tenants/xy.toml"), base).retention is not None
    for body, message in (
        (
            "case_data_months = 3\n",
            "tenants/xy.toml:6: retention.case_data_months: Expected `int` >= 6",
        ),
        (
            "audit_months = 600\n",
            "tenants/xy.toml:6: retention.audit_months: Expected `int` <= 240",
        ),
        ("keep = 1\n", "tenants/xy.toml"),
    ):
        with pytest.raises(TenantFileError) as caught:
            parse_tenant_text(Path("tenants/xy.toml"), base + body)
        assert str(caught.value).startswith(message), str(caught.value)


def test_makker_retention_run_dry_run(database, tmp_path, tenants):
    tenant_dir = tmp_path / "tenants"
    tenant_dir.mkdir()
    for slug, kind in ((tenants.a.slug, "municipality"), (tenants.b.slug, "municipality")):
        (tenant_dir / f"{slug}.toml").write_text(
            f'slug = "{slug}"\nname = "X"\nkind = "{kind}"\nmunicipality_code = "621"\n'
            "[retention]\ncase_data_months = 36\n",
            encoding="utf-8",
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update({"MAKKER_ENV": "development", "MAKKER_DATABASE_URL": database.app_url})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core.cli",
            "retention",
            "run",
            "--dry-run",
            "--dir",
            str(tenant_dir),
            "--tenant",
            tenants.a.slug,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "dry run: nothing is changed",
        f"{tenants.a.slug}: would anonymise 0 people whose last enrolment ended more than 36 "
        "months ago; 0 skipped under a legal hold",
        "audit log: not with --tenant (the chain is shared by all tenants)",
    ]


async def test_the_daily_job_runs_retention_once_a_day_from_three_oclock(
    sessionmaker, tenants, tmp_path
):
    from core.jobs.tick import JobRuntime, retention_daily
    from core.plugin_api import create_plugin_manager
    from core.settings import Settings

    due = await _person(sessionmaker, tenants.a, "Daglig Kørsel", ended=ENDED, status="finished")
    (tmp_path / f"{tenants.a.slug}.toml").write_text(
        f'slug = "{tenants.a.slug}"\nname = "A"\nkind = "municipality"\n'
        'municipality_code = "621"\n[retention]\ncase_data_months = 36\n',
        encoding="utf-8",
    )
    runtime = JobRuntime(
        sessionmaker,
        Settings(tenants_dir=tmp_path),
        create_plugin_manager(),
        None,  # type: ignore[arg-type]
    )
    night = dt.datetime(2026, 11, 30, 2, 59, tzinfo=COPENHAGEN)
    with frozen(night):
        assert await retention_daily(runtime) == {}
    assert await _name(sessionmaker, tenants.a, due) == "Daglig Kørsel"
    with frozen(night + dt.timedelta(minutes=1)):
        first = await retention_daily(runtime)
        again = await retention_daily(runtime)
    assert first[tenants.a.slug] == 1 and again == {}
    assert await _name(sessionmaker, tenants.a, due) == ERASED_NAME


def _retention_cli(db, tenant_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update(
        {
            "MAKKER_ENV": "development",
            "MAKKER_DATABASE_URL": db.app_url,
            "MAKKER_MIGRATION_DATABASE_URL": db.owner_url,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "retention", "run", "--dir", str(tenant_dir), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


async def test_makker_retention_run_removes_old_audit_rows_as_sealed_blocks(
    fresh_database, clock, tmp_path
):
    from core.audit.seal import verify
    from core.db.session import create_engine, create_sessionmaker
    from tests.conftest import make_tenants
    from tests.test_audit_seal import _seal, _write

    fresh_database.upgrade()
    engine = create_engine(fresh_database.app_url)
    try:
        made = await make_tenants(create_sessionmaker(engine))
    finally:
        await engine.dispose()
    # The command runs on the real clock: a row three years old and one a week old.
    today = dt.datetime.now(COPENHAGEN).date()
    old, recent = today - dt.timedelta(days=3 * 365), today - dt.timedelta(days=7)
    await _write(fresh_database, clock, [old, old, recent])
    await _seal(fresh_database.app_url)
    tenant_dir = tmp_path / "tenants"
    tenant_dir.mkdir()
    for tenant in (made.a, made.b):
        (tenant_dir / f"{tenant.slug}.toml").write_text(
            f'slug = "{tenant.slug}"\nname = "X"\nkind = "municipality"\n'
            'municipality_code = "621"\n[retention]\naudit_months = 12\n',
            encoding="utf-8",
        )
    dry = _retention_cli(fresh_database, tenant_dir, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0] == "dry run: nothing is changed"
    # The partner sets nothing and does not stop the audit step; the real clock's cut-off.
    assert lines[-1].startswith("audit log: would remove up to 2 rows older than 12 months")
    done = _retention_cli(fresh_database, tenant_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("audit log: removed 2 rows older than 12 months")
    engine = create_engine(fresh_database.app_url)
    try:
        verdict = await verify(engine)
    finally:
        await engine.dispose()
    assert verdict.ok and verdict.starts_after == 2
