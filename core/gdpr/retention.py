"""Retention per tenant (GDPR Art. 5(1)(e)): the tenant file's ``[retention]``.

* ``case_data_months = N``: a person whose enrolments have all ended (finished or withdrawn)
  and whose last one ended more than N months ago is anonymised as an erasure does
  (:func:`core.gdpr.erasure.anonymise`), audited ``person.retention``. "Ended" is the day of
  the enrolment's last change to a final status (its history), in Europe/Copenhagen. The person
  is kept on the day N months after that day and anonymised from the next day. A person under a
  legal hold is skipped and listed. A person without enrolments is not touched.
* ``audit_months = M``: audit rows older than M months are removed, only as whole sealed blocks
  (:func:`core.audit.seal.remove_sealed_before`, which records where the chain continues). The
  chain is one for the whole installation, so this runs only when every tenant in the database
  (every municipality; a partner only if its file sets it) sets ``audit_months``, with the
  longest of them, from ``makker retention run`` without
  ``--tenant`` and with the owner role (the app role may not delete audit rows).

No ``[retention]`` (or a key left out): nothing of that kind is removed. ``--dry-run`` lists
what would be done: counts and person ids (pseudonymous), never names.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.audit.models import AuditEvent
from core.audit.service import note, notes_written_to
from core.clock import local
from core.db.tenant_scope import tenant_scope
from core.gdpr.erasure import active_hold, anonymise
from core.participants.models import FINAL_STATUSES, Enrolment, EnrolmentEvent, Person
from core.tenancy.models import Tenant

#: Who retention acts as in audit rows.
RETENTION_ACTOR = "system:retention"


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class TenantRetention:
    """What retention did (or would do) in one tenant."""

    tenant: str
    case_data_months: int | None
    #: Ids of the people anonymised (or due, in a dry run).
    due: list[str] = field(default_factory=list)
    #: Ids of the people due but under a legal hold (skipped).
    held: list[str] = field(default_factory=list)

    def lines(self, dry_run: bool) -> list[str]:
        if self.case_data_months is None:
            return [f"{self.tenant}: no case_data_months in the tenant file: no case data removed"]
        verb = "would anonymise" if dry_run else "anonymised"
        out = [
            f"{self.tenant}: {verb} {len(self.due)} people whose last enrolment ended more than "
            f"{self.case_data_months} months ago; {len(self.held)} skipped under a legal hold"
        ]
        out += [f"  {verb.split()[-1]} person {pid}" for pid in self.due]
        out += [f"  legal hold, skipped: person {pid}" for pid in self.held]
        return out


async def due_people(session: AsyncSession, today: dt.date, months: int) -> list[uuid.UUID]:
    """People (not erased) whose enrolments have all ended, the last more than ``months``
    months before ``today``; in the current tenant scope."""
    cutoff = months_before(today, months)
    final = sorted(s.value for s in FINAL_STATUSES)
    open_people = select(Enrolment.person_id).where(Enrolment.status.not_in(final))
    ended = (
        select(Enrolment.person_id, func.max(EnrolmentEvent.created_at).label("ended"))
        .join(EnrolmentEvent, EnrolmentEvent.enrolment_id == Enrolment.id)
        .where(EnrolmentEvent.to_status.in_(final))
        .group_by(Enrolment.person_id)
    )
    rows = (
        await session.execute(
            ended.where(
                Enrolment.person_id.not_in(open_people),
                Enrolment.person_id.in_(select(Person.id).where(Person.erased_at.is_(None))),
            )
        )
    ).all()
    return sorted((pid for pid, at in rows if at is not None and _local_day(at) < cutoff), key=str)


def _local_day(at: dt.datetime) -> dt.date:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return local(at).date()


async def apply_tenant(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    case_data_months: int | None,
    now: dt.datetime,
    *,
    dry_run: bool,
) -> TenantRetention:
    """Anonymise (or with ``dry_run`` only list) the tenant's people due; one transaction."""
    report = TenantRetention(tenant.slug, case_data_months)
    if case_data_months is None:
        return report
    today = local(now).date()
    with tenant_scope(tenant.id):
        async with (
            sessionmaker() as session,
            session.begin(),
            notes_written_to(
                session, actor=RETENTION_ACTOR, tenant_slug=tenant.slug, route="retention"
            ),
        ):
            for person_id in await due_people(session, today, case_data_months):
                if await active_hold(session, person_id, today) is not None:
                    report.held.append(str(person_id))
                    continue
                report.due.append(str(person_id))
                if dry_run:
                    continue
                person = await session.get_one(Person, person_id)
                await anonymise(session, person, now)
                note(
                    "person.retention",
                    object_type="person",
                    object_id=person_id,
                    detail={"case_data_months": case_data_months},
                )
    return report


@dataclass
class AuditRetention:
    """The audit step: the cutoff, and rows removed (or older than the cutoff, dry run)."""

    months: int | None
    before: dt.datetime | None
    rows: int = 0
    why_not: str | None = None

    def lines(self, dry_run: bool) -> list[str]:
        if self.why_not:
            return [f"audit log: nothing removed: {self.why_not}"]
        verb = "would remove up to" if dry_run else "removed"
        return [
            f"audit log: {verb} {self.rows} rows older than {self.months} months "
            f"(before {self.before.isoformat() if self.before else '-'}), whole sealed blocks only"
        ]


def audit_months(configs: dict[str, Any], tenants: list[Tenant]) -> tuple[int | None, str | None]:
    """The months to keep audit rows (the longest of the tenants'), or why none is removed: a
    municipality without ``audit_months``. A partner holds no case data of its own and counts
    only when its file sets ``audit_months``."""
    months = []
    for tenant in tenants:
        retention = getattr(configs.get(tenant.slug), "retention", None)
        value = getattr(retention, "audit_months", None)
        if value is None and tenant.kind == "partner":
            continue
        if value is None:
            return None, (
                f"tenant {tenant.slug} sets no audit_months (the chain is shared by all tenants)"
            )
        months.append(value)
    if not months:
        return None, "no tenant sets audit_months"
    return max(months), None


async def apply_audit(
    owner_engine: AsyncEngine, months: int, now: dt.datetime, *, dry_run: bool
) -> AuditRetention:
    """Remove the sealed blocks of audit rows older than ``months`` months (owner role)."""
    from core.audit.seal import remove_sealed_before

    day = months_before(local(now).date(), months)
    before = dt.datetime.combine(day, dt.time(), tzinfo=local(now).tzinfo).astimezone(dt.UTC)
    if dry_run:
        async with owner_engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(func.count()).select_from(AuditEvent).where(AuditEvent.at < before)
                )
            ).scalar_one()
        return AuditRetention(months, before, int(rows))
    anchor = await remove_sealed_before(owner_engine, before)
    removed = int(anchor.removed_rows) if anchor is not None else 0
    return AuditRetention(months, before, removed)
