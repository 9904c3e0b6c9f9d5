"""Reads of the members page and the invitations list (one accessor each)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from core.access.commands import invitation_status
from core.access.models import Invitation, Member
from core.access.schemas import InvitationOut, MemberOut
from core.context import Context
from core.participants.models import Person


@dataclass(frozen=True)
class MemberView:
    member: Member
    roles: list[str]
    role_source: str
    person: Person | None
    #: The caller's own membership (no role change or removal offered).
    is_you: bool

    def out(self) -> MemberOut:
        return MemberOut(
            id=self.member.id,
            name=self.member.name,
            roles=self.roles,
            role_source=self.role_source,
            removed=self.member.removed_at is not None,
            person_id=self.person.id if self.person else None,
        )


async def members(ctx: Context) -> list[MemberView]:
    """Everybody who has entered the tenant or accepted an invitation, active first, by name."""
    rows = list(await ctx.session.scalars(select(Member)))
    accounts = [m.user_id for m in rows]
    people = {
        p.account: p
        for p in await ctx.session.scalars(select(Person).where(Person.account.in_(accounts)))
    }
    views = [
        MemberView(
            member=m,
            roles=[m.role] if m.role else list(m.keycloak_roles),
            role_source="makker" if m.role else "keycloak",
            person=people.get(m.user_id),
            is_you=m.user_id == ctx.user_id,
        )
        for m in rows
    ]
    return sorted(views, key=lambda v: (v.member.removed_at is not None, v.member.name.lower()))


async def invitations(ctx: Context) -> list[tuple[Invitation, str]]:
    """The tenant's invitations, newest first, with their status as shown."""
    now = ctx.now()
    rows = await ctx.session.scalars(select(Invitation).order_by(Invitation.created_at.desc()))
    return [(i, invitation_status(i, now)) for i in rows]


async def invitation_people(
    ctx: Context, invitations: list[tuple[Invitation, str]]
) -> dict[uuid.UUID, Person]:
    """The persons the invitations name (the sign-in is linked to them when accepted)."""
    wanted = {i.person_id for i, _status in invitations if i.person_id}
    if not wanted:
        return {}
    rows = await ctx.session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {p.id: p for p in rows}


def invitation_out(invitation: Invitation, status: str) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        person_id=invitation.person_id,
        status=status,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        sent_at=invitation.sent_at,
        send_error=invitation.send_error,
    )
