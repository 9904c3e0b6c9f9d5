"""Linking a sign-in to a person (coordinators): the command and its rules.

A coordinator links a :class:`~core.participants.models.Person` to a sign-in by storing the
principal's user id (``iss#sub``, :attr:`core.identity.principal.Principal.user_id`) in
``person.account``; one person per sign-in in a tenant. Runs in the current tenant's scope, so
a person of another tenant is never found.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Invalid, NotFound
from core.mine.schemas import AccountIn
from core.participants.models import Person
from core.tenancy.programme_scope import refuse_partner
from core.web.i18n import gettext as _

MAX_ACCOUNT = 600


class AccountError(Invalid):
    """The account cannot be stored: the contract's ``Invalid`` for the field ``account``;
    ``message`` is for people (Danish via the catalog)."""

    def __init__(self, message: str) -> None:
        super().__init__({"account": message}, detail=message)
        self.message = message


def partner_account_message() -> str:
    return _("Only the municipality's own staff can link or remove a person's sign-in.")


def _in_use() -> str:
    return _("This sign-in is already linked to another participant.")


async def check_account(session: AsyncSession, person: Person, value: str | None) -> None:
    """:raises AccountError: if ``value`` is too long or linked to another person."""
    if value is None:
        return
    if len(value) > MAX_ACCOUNT:
        raise AccountError(_("The user id is too long."))
    other = await session.scalar(
        select(Person.id).where(Person.account == value, Person.id != person.id)
    )
    if other is not None:
        raise AccountError(_in_use())


async def set_account(
    session: AsyncSession, person_id: uuid.UUID, account: str | None
) -> Person | None:
    """Link ``account`` to the person, or clear it with ``None`` (flushes; used by the person's
    edit page, which audits its own change).

    :return: the person, or ``None`` if there is no such person in the tenant.
    :raises AccountError: for an empty or too long value, or one already linked to another
        person of the tenant (nothing stored then).
    """
    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        return None
    value = account.strip() if account is not None else None
    if value == "":
        raise AccountError(_("Enter the user id of the sign-in, or leave it empty to remove it."))
    await check_account(session, person, value)
    person.account = value
    try:
        await session.flush()
    except IntegrityError:  # linked to someone else at the same moment
        await session.rollback()
        raise AccountError(_in_use()) from None
    return person


async def link_account(ctx: Context, person_id: uuid.UUID, data: AccountIn) -> Person:
    """Link the person to a sign-in, or with ``account=None`` remove the link; audited as
    ``person.account`` with ``linked`` (never the value).

    :raises NotFound: no such person in the tenant.
    :raises AccountError: (an ``Invalid``) the value is empty, too long or linked to another
        person of the tenant.
    :raises NotForPartners: for a ``coordinate`` partner (before any look-up)."""
    refuse_partner(ctx.partner, partner_account_message())
    person = await set_account(ctx.session, person_id, data.account)
    if person is None:
        raise NotFound()
    linked = person.account is not None
    ctx.audit(
        "person.account", object_type="person", object_id=person.id, detail={"linked": linked}
    )
    return person
