"""The demo sign-ins linked to demo persons ("Mit forløb") and the partner grants, through the
``mine`` and partnership commands; and the demo sign-ins' member rows (the members page)."""

from __future__ import annotations

from sqlalchemy import select

from core.access.membership import TENANT_ROLES
from core.access.models import Member
from core.demo.base import Demo
from core.demo.data import DEMO_ACCOUNTS, DEMO_GRANTS, demo_account
from core.identity.dev_users import DEMO_USERS
from core.mine.commands import link_account
from core.mine.schemas import AccountIn
from core.tenancy.partnerships import grant_partnership, grants_given
from core.tenancy.schemas import GrantIn


async def link_accounts(demo: Demo, issuer: str) -> None:
    """Link the tenant's demo sign-ins to their persons. The issuer URL follows the demo's
    address, so a run on another port re-links the same person with the new user id; a link
    the sign-in has to another person (an earlier demo's choice) is removed first."""
    for slug, username, programme_slug, role, name in DEMO_ACCOUNTS:
        programme = await demo.programme(programme_slug) if slug == demo.tenant.slug else None
        if programme is None:
            continue
        people = [p for _e, p in await demo.enrolments(programme, role) if p.name == name]
        if not people:
            continue
        person, account = people[0], demo_account(issuer, username)
        subject = account.rsplit("#", 1)[1]
        for other in (await demo.people()).values():
            if other.id != person.id and other.account and other.account.endswith(f"#{subject}"):
                await link_account(demo.ctx(), other.id, AccountIn(None))
        if person.account != account:
            await link_account(demo.ctx(), person.id, AccountIn(account))


async def grant_partners(demo: Demo, partners: set[str]) -> None:
    """The tenant's demo partner grants that are missing."""
    existing = {
        (g.programme_slug, g.partner_slug, g.scope.value)
        for g in await grants_given(demo.session, demo.tenant)
    }
    for owner, programme, partner, scope in DEMO_GRANTS:
        if owner != demo.tenant.slug or partner not in partners:
            continue
        if (programme, partner, scope) not in existing:
            await grant_partnership(demo.ctx(), GrantIn(programme, partner, scope))


async def seed_members(demo: Demo, issuer: str) -> None:
    """A member row for each demo sign-in of the tenant, as its first request would record it
    (roles from the issuer, no role given in Makker), so the members page lists the demo's
    users before they have signed in. A row of an earlier demo on another port (another
    issuer URL) is moved to this one, like :func:`link_accounts`."""
    members = list(await demo.session.scalars(select(Member)))
    for user in DEMO_USERS:
        if demo.tenant.slug not in user.organizations:
            continue
        user_id = demo_account(issuer, user.username)
        if any(m.user_id == user_id for m in members):
            continue
        earlier = [m for m in members if m.user_id.endswith(f"#{user.subject}")]
        if earlier:
            earlier[0].user_id = user_id
            continue
        member = Member(
            user_id=user_id,
            name=user.name,
            role=None,
            keycloak_roles=sorted(r for r in user.roles if r in TENANT_ROLES),
        )
        demo.session.add(member)
        members.append(member)
