"""``makker demo``: add what is missing of the demo data, through the domains' commands.

Per tenant, in one transaction: the people of the plan (:mod:`core.demo.plan`) up to ``ready``,
Kolding's mentors up to ``intake`` (:mod:`core.demo.people`), Vejle's misbrug waiting list
(:mod:`core.demo.waiting`), Kolding's hold, which make its mentors ready
(:mod:`core.demo.courses`), the forløb - over, active and paused - with their meetings
(:mod:`core.demo.forloeb`), the activities, the applications from the public pages
(:mod:`core.demo.applications`), the sign-ins linked to persons and the partner grants
(:mod:`core.demo.links`), and the demo sign-ins' member rows. Past events run on the clock of
their day. Seeding is idempotent: people are matched by name within their tenant, enrolments by
person, programme and role, hold by number, activities by title, forløb by the citizen's
enrolment, grants by programme and partner, member rows by sign-in; a demo that has been used
(matched, accepted, met) is left as it is.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.demo.applications import DEMO_APPLICATIONS, seed_applications
from core.demo.base import seeding
from core.demo.courses import seed_activities, seed_courses
from core.demo.data import DEMO_ACCOUNTS, DEMO_ACTIVITIES, DEMO_ENROLMENTS, DEMO_GRANTS
from core.demo.forloeb import seed_forloeb
from core.demo.links import grant_partners, link_accounts, seed_members
from core.demo.people import seed_people
from core.demo.waiting import seed_waiting_list
from core.identity.dev_users import DEMO_USERS
from core.plugin_api import create_plugin_manager
from core.tenancy.models import Tenant


async def seed_demo(
    sessionmaker: async_sessionmaker[AsyncSession], issuer: str | None = None
) -> dict[str, int]:
    """Add what is missing of the demo data; returns how many people were added per tenant.
    With ``issuer`` (the development issuer's URL) the demo sign-ins are linked to persons."""
    async with sessionmaker() as session:
        tenants = {t.slug: t for t in await session.scalars(select(Tenant))}
    plugins = create_plugin_manager()
    seeded = (
        set(DEMO_ENROLMENTS)
        | set(DEMO_ACTIVITIES)
        | set(DEMO_APPLICATIONS)
        | {a[0] for a in DEMO_ACCOUNTS}
        | {g[0] for g in DEMO_GRANTS}
    )
    added: dict[str, int] = {}
    for slug in sorted(seeded & set(tenants), key=list(tenants).index):
        async with seeding(sessionmaker, tenants[slug], plugins) as demo:
            people = await seed_people(demo) + await seed_waiting_list(demo)
            if slug in DEMO_ENROLMENTS:
                added[slug] = people
            await seed_courses(demo)
            await seed_forloeb(demo)
            await seed_activities(demo)
            await seed_applications(demo)
            if issuer is not None:
                await link_accounts(demo, issuer)
            await grant_partners(demo, set(tenants))
    if issuer is not None:
        # The demo sign-ins as members of their tenants (the members page lists them).
        organizations = {o for u in DEMO_USERS for o in u.organizations} & set(tenants)
        for slug in sorted(organizations):
            async with seeding(sessionmaker, tenants[slug], plugins) as demo:
                await seed_members(demo, issuer)
    return added
