"""The platform report: a platform admin's counts across every organisation - never a person.

:func:`platform_report` reads each tenant in its own scope
(:func:`core.db.tenant_scope.reading_another_tenant`, so the ORM guard and row-level security
apply) with one statement of counts, and adds the partnerships each has given and received.
The figures follow the overview's definitions (``docs/reports.md``): forløb running at the end
of the period, forløb started and meetings held / cancelled in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.tenant_scope import reading_another_tenant
from core.forloeb.models import Forloeb, Meeting
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.reports.overview import STARTED_STATES
from core.reports.period import Period
from core.tenancy.models import Programme, ProgrammePartnership, Tenant

#: The counts of a row, in the table's order.
COLUMNS = (
    "programmes",
    "people",
    "citizens_enrolled",
    "mentors_enrolled",
    "forloeb_running",
    "forloeb_started",
    "meetings_held",
    "meetings_cancelled",
    "partnerships_given",
    "partnerships_received",
)


@dataclass
class PlatformRow:
    slug: str | None
    name: str | None
    kind: str | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))


@dataclass(frozen=True)
class PlatformReport:
    period: Period
    tenants: list[PlatformRow]
    total: PlatformRow


def _counts(period: Period) -> object:
    start, end = period.start, period.end
    running = (
        Forloeb.state.in_(STARTED_STATES),
        Forloeb.started_on <= end,
        or_(Forloeb.ended_on.is_(None), Forloeb.ended_on > end),
    )
    held = select(func.count()).select_from(Meeting).where(Meeting.day >= start, Meeting.day <= end)
    return select(
        select(func.count())
        .select_from(Programme)
        .where(Programme.archived_at.is_(None))
        .scalar_subquery(),
        select(func.count()).select_from(Person).scalar_subquery(),
        select(func.count(func.distinct(Enrolment.person_id)))
        .where(Enrolment.role == EnrolmentRole.MENTEE)
        .scalar_subquery(),
        select(func.count(func.distinct(Enrolment.person_id)))
        .where(Enrolment.role == EnrolmentRole.MENTOR)
        .scalar_subquery(),
        select(func.count()).select_from(Forloeb).where(*running).scalar_subquery(),
        select(func.count())
        .select_from(Forloeb)
        .where(
            Forloeb.state.in_(STARTED_STATES),
            Forloeb.started_on >= start,
            Forloeb.started_on <= end,
        )
        .scalar_subquery(),
        held.where(Meeting.cancelled.is_(False)).scalar_subquery(),
        held.where(Meeting.cancelled.is_(True)).scalar_subquery(),
    )


async def platform_report(session: AsyncSession, period: Period) -> PlatformReport:
    """Counts per organisation and in total for ``period`` (the session has no tenant: each
    tenant is read in its own scope)."""
    tenants = list(await session.scalars(select(Tenant).order_by(Tenant.kind, Tenant.name)))
    grants = list(
        await session.execute(
            select(
                ProgrammePartnership.owner_tenant_id, ProgrammePartnership.partner_tenant_id
            ).where(ProgrammePartnership.revoked_at.is_(None))
        )
    )
    statement = _counts(period)
    total = PlatformRow(None, None, None)
    rows = []
    for tenant in tenants:
        row = PlatformRow(tenant.slug, tenant.name, tenant.kind.value)
        async with reading_another_tenant(session, tenant.id):
            values = (await session.execute(statement)).one()  # type: ignore[call-overload]
        for name, value in zip(COLUMNS, values, strict=False):
            row.counts[name] = int(value or 0)
        row.counts["partnerships_given"] = sum(1 for g in grants if g[0] == tenant.id)
        row.counts["partnerships_received"] = sum(1 for g in grants if g[1] == tenant.id)
        for name in COLUMNS:
            total.counts[name] += row.counts[name]
        rows.append(row)
    return PlatformReport(period, rows, total)
