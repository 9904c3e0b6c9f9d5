"""Schemas of invitations and members (the JSON API; the pages convert forms to the same)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from core.web.openapi import allowed

#: Roles an invitation gives (a citizen is ``mentee``).
INVITE_ROLES = ("coordinator", "mentor", "mentee")
#: Roles a tenant admin may give a member.
MEMBER_ROLES = ("tenant_admin", "coordinator", "mentor", "mentee", "partner_staff")


class InvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    """Invite an e-mail address with a role; ``person_id`` names the person (of this tenant) the
    sign-in is linked to when the invitation is accepted."""

    email: str
    role: Annotated[str, allowed(INVITE_ROLES)]
    person_id: uuid.UUID | None = None


class InvitationOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    role: str
    person_id: uuid.UUID | None
    #: ``pending`` (not e-mailed yet), ``sent``, ``accepted``, ``revoked`` or ``expired``.
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime
    sent_at: dt.datetime | None
    #: Why the last send failed (a code), if it did.
    send_error: str | None


class MyInvitationOut(msgspec.Struct):
    """An invitation the caller may accept (addressed to their verified e-mail)."""

    id: uuid.UUID
    role: str
    #: The person the sign-in will be linked to (their name), if any.
    person_name: str | None


class AcceptedOut(msgspec.Struct):
    id: uuid.UUID
    role: str
    person_id: uuid.UUID | None


class MemberOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    #: The roles the member has in this tenant.
    roles: list[str]
    #: ``makker`` (given by a tenant admin or an invitation) or ``keycloak`` (the sign-in's
    #: realm roles).
    role_source: str
    removed: bool
    #: The person linked to this sign-in, if any.
    person_id: uuid.UUID | None


class MemberRoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: Annotated[str, allowed(MEMBER_ROLES)]
