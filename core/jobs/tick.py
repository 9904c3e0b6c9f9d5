"""The one periodic job: for every tenant, in that tenant's scope, write what time has made
due (:mod:`core.notifications.schedule`) and deliver the outbox (:mod:`core.notifications.
delivery`); once a day the tenant files' retention (:func:`retention_daily`); then seal the
audit rows written since the last run (:mod:`core.audit.seal`).
The same function runs in ``makker worker`` (procrastinate, PostgreSQL) and inside the app on
SQLite; it is idempotent, so a second run finds nothing new to write or send."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.context import context_for
from core.db.tenant_scope import tenant_scope
from core.notifications.delivery import Delivered, Transports, deliver_due
from core.notifications.outbox import Links
from core.plugin_api import MakkerPluginManager
from core.settings import Settings
from core.tenancy.models import Tenant

logger = logging.getLogger("makker.jobs")
#: Who the jobs act as in histories and audit rows.
JOB_ACTOR = "system:jobs"


@dataclass
class JobRuntime:
    """What the jobs need, set up once per process (worker or app)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    plugins: MakkerPluginManager
    transports: Transports
    #: The local day retention last ran for each tenant in this process (once a day).
    retention_done: dict[str, dt.date] = field(default_factory=dict)


@dataclass
class TickReport:
    written: dict[str, int] = field(default_factory=dict)
    delivered: dict[str, Delivered] = field(default_factory=dict)
    #: Audit rows sealed by this run.
    sealed: int = 0
    #: People anonymised by the day's retention, per tenant (only when it ran).
    retained: dict[str, int] = field(default_factory=dict)


async def tenants(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Tenant]:
    """Every tenant (the global table; each is then worked on in its own scope)."""
    async with sessionmaker() as session:
        return list(await session.scalars(select(Tenant).order_by(Tenant.slug)))


async def tick_tenant(runtime: JobRuntime, tenant: Tenant) -> tuple[int, Delivered]:
    """Write what is due and deliver, for one tenant."""
    from core.notifications.schedule import write_due

    links = Links(runtime.settings.base_url, tenant.slug)
    with tenant_scope(tenant.id):
        async with runtime.sessionmaker() as session, session.begin():
            ctx = context_for(session, tenant, runtime.plugins, JOB_ACTOR)
            written = await write_due(ctx, links)
    delivered = await deliver_due(runtime.sessionmaker, tenant, runtime.transports, links)
    return written, delivered


async def tick(runtime: JobRuntime) -> TickReport:
    """One run over every tenant; a tenant that fails is logged and the others go on."""
    report = TickReport()
    for tenant in await tenants(runtime.sessionmaker):
        try:
            written, delivered = await tick_tenant(runtime, tenant)
        except Exception as exc:
            # The error type only: a database error's message can quote a person's data.
            logger.error(
                "the periodic job failed for tenant %s (%s)", tenant.slug, type(exc).__name__
            )
            continue
        report.written[tenant.slug] = written
        report.delivered[tenant.slug] = delivered
    report.retained = await retention_daily(runtime)
    report.sealed = await seal_audit(runtime.sessionmaker)
    return report


async def seal_audit(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Seal the pending audit rows (the app also does it when it shuts down); a failure is
    logged (its type only) and the next run seals them."""
    from core.audit.seal import seal_pending

    try:
        return await seal_pending(sessionmaker.kw["bind"])
    except Exception as exc:
        logger.error("sealing the audit log failed (%s)", type(exc).__name__)
        return 0


#: The local hour from which the day's retention runs (once a day per tenant and process).
RETENTION_HOUR = 3


async def retention_daily(runtime: JobRuntime) -> dict[str, int]:
    """The tenant files' case-data retention (:mod:`core.gdpr.retention`), once a day per
    tenant from :data:`RETENTION_HOUR` local time; idempotent (an anonymised person is not
    found again), so another worker running it too changes nothing. The audit log's retention
    needs the owner role and is ``makker retention run``'s alone. A failure is logged (its type
    only) and tried again at the next tick."""
    from core.clock import local, now
    from core.gdpr.retention import apply_tenant
    from core.tenancy.config import load_tenant_dir

    moment = now()
    today = local(moment).date()
    if local(moment).hour < RETENTION_HOUR:
        return {}
    found = [t for t in await tenants(runtime.sessionmaker)]
    waiting = [t for t in found if runtime.retention_done.get(t.slug) != today]
    if not waiting:
        return {}
    try:
        configs = {
            c.slug: c for c in load_tenant_dir(runtime.settings.tenants_dir, runtime.plugins)
        }
    except Exception as exc:
        # Once a day, not at every tick: the files are fixed by a deploy, not by waiting.
        logger.error("retention: the tenant files could not be read (%s)", type(exc).__name__)
        runtime.retention_done.update({t.slug: today for t in waiting})
        return {}
    done: dict[str, int] = {}
    for tenant in waiting:
        retention = getattr(configs.get(tenant.slug), "retention", None)
        months = getattr(retention, "case_data_months", None)
        try:
            report = await apply_tenant(runtime.sessionmaker, tenant, months, moment, dry_run=False)
        except Exception as exc:
            logger.error("retention failed for tenant %s (%s)", tenant.slug, type(exc).__name__)
            continue
        runtime.retention_done[tenant.slug] = today
        if months is not None:
            done[tenant.slug] = len(report.due)
            logger.info(
                "retention for tenant %s: %d anonymised, %d under a legal hold",
                tenant.slug,
                len(report.due),
                len(report.held),
            )
    return done
