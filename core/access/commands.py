"""Invitations and members: one command per action (the API and the pages are adapters).

* :func:`invite` - a tenant admin stores an invitation (e-mail, role, optionally a person);
  ``makker invitations send`` hands it to Keycloak (:mod:`core.access.keycloak_invitations`).
* :func:`accept_invitation` - the invited person, signed in with the verified address the
  invitation names, accepts it: the sign-in becomes a member with the role and is linked to the
  person. No id is typed anywhere.
* :func:`revoke_invitation`, :func:`change_role`, :func:`remove_member` - a tenant admin.
  Removing ends the member's web sessions at once (:func:`core.identity.sessions.
  end_web_sessions`) and the request pipeline refuses their next request, API tokens included.

Every command audits ids and codes, never the address.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from core.access.membership import keycloak_roles
from core.access.models import Invitation, InvitationStatus, Member
from core.access.schemas import INVITE_ROLES, MEMBER_ROLES, InvitationIn, MemberRoleIn
from core.calendar.commands import revoke_links
from core.context import Context
from core.errors import Invalid, NotFound
from core.identity.dev_users import role_label
from core.identity.sessions import end_web_sessions
from core.mine.commands import AccountError, check_account
from core.participants.models import Enrolment, Person
from core.participants.validation import text
from core.web.i18n import gettext as _

#: One address: a local part of the usual characters (no comma, angle bracket, space or quote;
#: no leading, trailing or double dot), one ``@``, and a domain of dot-separated labels ending in
#: a top-level domain of letters. Stricter than RFC 5322 on purpose: Keycloak e-mails it.
_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}(?<!\.)@"
    r"(?=.{4,253}$)(?:[a-z0-9æøåäöü](?:[a-z0-9æøåäöü-]{0,61}[a-z0-9æøåäöü])?\.)+[a-zæøå]{2,63}$"
)
#: How long an invitation can be accepted.
INVITATION_DAYS = 14
OPEN = (InvitationStatus.PENDING.value, InvitationStatus.SENT.value)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def invitation_status(invitation: Invitation, now: dt.datetime) -> str:
    """The status as shown: an open invitation past its expiry is ``expired``."""
    if invitation.status in OPEN and _aware(invitation.expires_at) <= now:
        return "expired"
    return invitation.status


async def invite(ctx: Context, data: InvitationIn) -> Invitation:
    """Store an invitation (status ``pending``, valid :data:`INVITATION_DAYS` days).

    :raises Invalid: a wrong address or role, an unknown person, a person already linked to a
        sign-in, or an open invitation to the same address (nothing stored)."""
    errors: dict[str, str] = {}
    email = (text(data.email, 254, "email", errors) or "").lower()
    if not email and "email" not in errors:
        errors["email"] = _("Write the e-mail address the invitation is sent to.")
    elif email and not _EMAIL.match(email):
        errors["email"] = _("Write a valid e-mail address, e.g. navn@example.dk.")
    if data.role not in INVITE_ROLES:
        errors["role"] = _("Choose coordinator, mentor or citizen.")
    person = None
    if data.person_id is not None:
        person = await ctx.session.scalar(select(Person).where(Person.id == data.person_id))
        if person is None:
            errors["person_id"] = _("Choose a person of this organisation.")
        elif person.account is not None:
            errors["person_id"] = _("The person is already linked to a sign-in.")
        elif data.role in INVITE_ROLES and (problem := await _role_for(ctx, person, data.role)):
            errors["role"] = problem
    if email and "email" not in errors:
        now = ctx.now()
        open_ones = await ctx.session.scalars(
            select(Invitation).where(Invitation.email == email, Invitation.status.in_(OPEN))
        )
        if any(invitation_status(i, now) in OPEN for i in open_ones):
            errors["email"] = _("An invitation to this address is already open.")
    if errors:
        raise Invalid(errors)
    now = ctx.now()
    invitation = Invitation(
        email=email,
        role=data.role,
        person_id=person.id if person else None,
        created_by=ctx.actor,
        expires_at=now + relativedelta(days=INVITATION_DAYS),
    )
    ctx.session.add(invitation)
    await ctx.session.flush()
    ctx.audit(
        "invitation.create",
        object_type="invitation",
        object_id=invitation.id,
        detail={"role": data.role, "person": person is not None},
    )
    return invitation


async def _role_for(ctx: Context, person: Person, role: str) -> str | None:
    """Why ``person`` cannot be invited with ``role`` (``None``: they can): the sign-in gets
    the role the person has in a programme - a mentor is not invited as a citizen - and a
    coordinator is staff, not a person of a programme."""
    if role == "coordinator":
        return _("A coordinator is not linked to a person of a programme: leave the person out.")
    roles = set(
        await ctx.session.scalars(select(Enrolment.role).where(Enrolment.person_id == person.id))
    )
    if role not in {str(r) for r in roles}:
        return _(
            "The person is not enrolled as %(role)s in any programme. Choose the role the "
            "person has there."
        ) % {"role": role_label(role).lower()}
    return None


async def _invitation(ctx: Context, invitation_id: uuid.UUID) -> Invitation:
    invitation = await ctx.session.scalar(select(Invitation).where(Invitation.id == invitation_id))
    if invitation is None:
        raise NotFound()
    return invitation


async def revoke_invitation(ctx: Context, invitation_id: uuid.UUID) -> Invitation:
    """Withdraw an open invitation (it can no longer be accepted).

    :raises NotFound: no such invitation in the tenant.
    :raises Invalid: it is no longer open."""
    invitation = await _invitation(ctx, invitation_id)
    if invitation.status not in OPEN:
        raise Invalid(detail=_("The invitation is no longer open."))
    invitation.status = InvitationStatus.REVOKED.value
    await ctx.session.flush()
    ctx.audit("invitation.revoke", object_type="invitation", object_id=invitation.id)
    return invitation


async def my_invitations(ctx: Context) -> list[tuple[Invitation, Person | None]]:
    """The open invitations of this tenant addressed to the caller's verified e-mail."""
    email = ctx.principal.email if ctx.principal else ""
    if not email:
        return []
    now = ctx.now()
    rows = await ctx.session.scalars(
        select(Invitation)
        .where(Invitation.email == email, Invitation.status.in_(OPEN))
        .order_by(Invitation.created_at)
    )
    found = []
    for invitation in rows:
        if invitation_status(invitation, now) not in OPEN:
            continue
        person = None
        if invitation.person_id:
            person = await ctx.session.scalar(
                select(Person).where(Person.id == invitation.person_id)
            )
        found.append((invitation, person))
    return found


async def accept_invitation(ctx: Context, invitation_id: uuid.UUID) -> Invitation:
    """The caller accepts an invitation addressed to their verified e-mail: they become a
    member with its role (also after an earlier removal) and, if it names a person, their
    sign-in is linked to that person.

    :raises NotFound: no open, unexpired invitation of the tenant with that id for the caller's
        verified address (another's, a used or a revoked one look the same).
    :raises Invalid: the person is linked to another sign-in meanwhile, or this sign-in to
        another person (nothing stored)."""
    principal = ctx.principal
    mine = {i.id: (i, p) for i, p in await my_invitations(ctx)}
    if principal is None or invitation_id not in mine:
        raise NotFound()
    invitation, person = mine[invitation_id]
    user_id = principal.user_id
    if person is not None and person.account != user_id:
        if person.account is not None:
            raise Invalid({"person": _("The person is already linked to a sign-in.")})
        try:
            await check_account(ctx.session, person, user_id)
        except AccountError as exc:
            raise Invalid({"person": exc.message}) from None
        person.account = user_id
    member = await ctx.session.scalar(select(Member).where(Member.user_id == user_id))
    if member is None:
        member = Member(
            user_id=user_id,
            name=principal.name[:200],
            keycloak_roles=keycloak_roles(principal),
        )
        ctx.session.add(member)
    member.role = invitation.role
    member.removed_at = None
    member.removed_by = None
    member.invitation_id = invitation.id
    invitation.status = InvitationStatus.ACCEPTED.value
    invitation.accepted_at = ctx.now()
    invitation.accepted_by = user_id
    await ctx.session.flush()
    ctx.audit(
        "invitation.accept",
        object_type="invitation",
        object_id=invitation.id,
        detail={"role": invitation.role, "person": person is not None},
    )
    return invitation


async def _member(ctx: Context, member_id: uuid.UUID) -> Member:
    member = await ctx.session.scalar(select(Member).where(Member.id == member_id))
    if member is None or member.removed_at is not None:
        raise NotFound()
    return member


def _not_yourself(ctx: Context, member: Member, message: str) -> None:
    if ctx.user_id == member.user_id:
        raise Invalid({"member": message}, detail=message)


async def change_role(ctx: Context, member_id: uuid.UUID, data: MemberRoleIn) -> Member:
    """Give a member one role in this tenant (instead of their Keycloak roles); effective at
    their next request.

    :raises NotFound: no such (active) member.
    :raises Invalid: an unknown role, or the caller's own membership."""
    member = await _member(ctx, member_id)
    if data.role not in MEMBER_ROLES:
        raise Invalid({"role": _("Choose one of the roles.")})
    _not_yourself(ctx, member, _("You cannot change your own role."))
    member.role = data.role
    await ctx.session.flush()
    ctx.audit("member.role", object_type="member", object_id=member.id, detail={"role": data.role})
    return member


async def remove_member(ctx: Context, member_id: uuid.UUID) -> int:
    """Remove a member's access to this tenant: their web sessions end at once and every
    request of theirs to the tenant is refused from the next one on (API tokens too); return
    how many web sessions ended.

    :raises NotFound: no such (active) member.
    :raises Invalid: the caller's own membership."""
    member = await _member(ctx, member_id)
    _not_yourself(ctx, member, _("You cannot remove your own access."))
    member.removed_at = ctx.now()
    member.removed_by = ctx.actor
    await ctx.session.flush()
    ended = await end_web_sessions(ctx.session, user_id=member.user_id)
    # Their personal calendar feed (a link that works without signing in) ends too.
    linked = await ctx.session.scalar(select(Person.id).where(Person.account == member.user_id))
    if linked is not None:
        await revoke_links(ctx, linked)
    ctx.audit(
        "member.remove",
        object_type="member",
        object_id=member.id,
        detail={"sessions_ended": ended},
    )
    return ended
