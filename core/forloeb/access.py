"""Who may see and act on a forløb: coordinators of the tenant, and the pair themselves.

:func:`access_forloeb` is the only way a command or query fetches a forløb by id for a caller
(the Zulip pattern): a signed-in mentor or citizen reaches a forløb only when their sign-in is
linked to one of its two people (``person.account``); anyone else gets the same 404 as for an
unknown id.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.context import Context
from core.errors import Forbidden, NotFound
from core.forloeb.rows import ForloebRow, get_forloeb, party_of
from core.identity.principal import Principal
from core.participants.models import Person
from core.web.i18n import gettext as _

COORDINATOR = "coordinator"


def is_coordinator(principal: Principal | None) -> bool:
    return principal is not None and principal.has_any_role("tenant_admin", COORDINATOR)


def acts_as_coordinator(ctx: Context) -> bool:
    """A coordinator or tenant admin; or the system outside a request (the demo, the CLI,
    tests: a context from :func:`core.context.context_for` has no principal; a tenant route's
    always has one)."""
    return ctx.principal is None or is_coordinator(ctx.principal)


async def access_forloeb(ctx: Context, forloeb_id: uuid.UUID) -> tuple[ForloebRow, str]:
    """The forløb and the caller's part in it (``coordinator``, ``mentor`` or ``mentee``).

    :raises NotFound: no such forløb, another tenant's, or the caller is not one of the pair."""
    row = await get_forloeb(ctx.session, forloeb_id)
    if acts_as_coordinator(ctx):
        return row, COORDINATOR
    user_id = ctx.user_id
    person = (
        await ctx.session.scalar(select(Person).where(Person.account == user_id))
        if user_id
        else None
    )
    party = party_of(row, person)
    if party is None:
        raise NotFound()
    return row, party


async def access_forloeb_as_coordinator(ctx: Context, forloeb_id: uuid.UUID) -> ForloebRow:
    """:func:`access_forloeb` for an action only coordinators take (the routes guard it too).

    :raises Forbidden: the caller is one of the pair."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    if viewer != COORDINATOR:
        raise Forbidden(_("Your role does not give access to this."))
    return row
