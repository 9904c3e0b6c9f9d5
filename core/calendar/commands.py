"""Calendar links: making and revoking a person's link to their .ics feed (commands).

The token is ``secrets.token_urlsafe(32)``, shown once; only its SHA-256 is stored. Making a new
link revokes the earlier one. Both note an audit row with the person's id only. A ``coordinate``
partner does neither (403): the feed is not limited to a programme.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select, update

from core.calendar.models import CalendarLink
from core.calendar.queries import token_hash
from core.context import Context
from core.errors import NotFound
from core.participants.models import Person
from core.tenancy.programme_scope import refuse_partner
from core.web.i18n import gettext as _


def _no_partner(ctx: Context) -> None:
    """A person's feed shows every programme's sessions, activities and meetings, and lives
    until revoked: a ``coordinate`` partner neither makes nor revokes it (403, before any
    look-up; docs/identity.md)."""
    refuse_partner(
        ctx.partner,
        _("Only the municipality's own staff can make or revoke a person's calendar link."),
    )


async def _person_id(ctx: Context, person_id: uuid.UUID) -> uuid.UUID:
    found = await ctx.session.scalar(select(Person.id).where(Person.id == person_id))
    if found is None:
        raise NotFound()
    return found


async def _revoke(ctx: Context, person_id: uuid.UUID) -> int:
    result = await ctx.session.execute(
        update(CalendarLink)
        .where(
            CalendarLink.owner_tenant_id == ctx.tenant.id,
            CalendarLink.person_id == person_id,
            CalendarLink.revoked_at.is_(None),
        )
        .values(revoked_at=ctx.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def make_link(ctx: Context, person_id: uuid.UUID) -> str:
    """A new calendar link for a person of the tenant (revoking any earlier one).

    :return: the token (shown once). :raises NotFound: no such person in the tenant.
    :raises NotForPartners: for a ``coordinate`` partner."""
    _no_partner(ctx)
    await _person_id(ctx, person_id)
    token = secrets.token_urlsafe(32)
    await _revoke(ctx, person_id)
    ctx.session.add(
        CalendarLink(
            token_hash=token_hash(token),
            owner_tenant_id=ctx.tenant.id,
            person_id=person_id,
            created_by=ctx.actor,
        )
    )
    await ctx.session.flush()
    ctx.audit("calendar_link_created", object_type="person", object_id=person_id)
    return token


async def revoke_links(ctx: Context, person_id: uuid.UUID) -> None:
    """Revoke the person's active calendar link, if any (the feed answers 404 from then on).

    :raises NotFound: no such person in the tenant.
    :raises NotForPartners: for a ``coordinate`` partner."""
    _no_partner(ctx)
    await _person_id(ctx, person_id)
    if await _revoke(ctx, person_id):
        ctx.audit("calendar_link_revoked", object_type="person", object_id=person_id)
