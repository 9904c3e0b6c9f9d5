"""A tenant's members (who has access, with which role) and its invitations.

Both are tenant-owned (RLS-forced on PostgreSQL). A member row is written the first time a
sign-in enters the tenant (its roles then come from Keycloak) or when an invitation is
accepted; a tenant admin's role change and removal are stored here and read on every request
(:func:`core.access.membership.apply_membership`), so they take effect at the next one.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk

PERSONAL = {"personal_data": True}


class InvitationStatus(enum.StrEnum):
    #: Stored by a tenant admin; the e-mail is not sent yet.
    PENDING = "pending"
    #: Keycloak has sent the organization invitation (``makker invitations send``).
    SENT = "sent"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Member(TenantOwned, Model):
    """A sign-in (``iss#sub``) with access to the tenant."""

    __tablename__ = "tenant_member"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        tenant_fk("invitation_id", "invitation"),
    )

    #: The principal's user id (``iss#sub``).
    user_id: Mapped[str] = mapped_column(String(600), info=PERSONAL)
    #: The name the sign-in carried when it was last recorded (for the members page).
    name: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    #: The role a tenant admin gave (or the accepted invitation's); ``None``: the roles come
    #: from Keycloak (``keycloak_roles``, as the sign-in's token says).
    role: Mapped[str | None] = mapped_column(String(30))
    #: The Keycloak realm roles the sign-in last came with (shown when ``role`` is ``None``).
    keycloak_roles: Mapped[list[str]] = mapped_column(default=list)
    #: Set when a tenant admin removed the access: the next request is refused.
    removed_at: Mapped[dt.datetime | None] = mapped_column()
    removed_by: Mapped[str | None] = mapped_column(String(255))
    #: The invitation this member accepted, if any. The key (with ``tenant_id``) cannot set
    #: the column null when the invitation goes (that would null ``tenant_id`` too): whoever
    #: deletes an invitation first clears it here (core/access/forget.py).
    invitation_id: Mapped[uuid.UUID | None] = mapped_column()


class Invitation(TenantOwned, Model):
    """An invitation by e-mail to join the tenant with a role, optionally as a person."""

    __tablename__ = "invitation"
    __table_args__ = (tenant_fk("person_id", "person", ondelete="CASCADE"),)

    email: Mapped[str] = mapped_column(String(254), info=PERSONAL)
    #: ``coordinator``, ``mentor`` or ``mentee``.
    role: Mapped[str] = mapped_column(String(30))
    #: The person the sign-in is linked to when the invitation is accepted.
    person_id: Mapped[uuid.UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=InvitationStatus.PENDING.value)
    created_by: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime] = mapped_column()
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    #: Why the last send failed (a code, never the address), for the members page.
    send_error: Mapped[str | None] = mapped_column(String(60))
    accepted_at: Mapped[dt.datetime | None] = mapped_column()
    #: The sign-in (``iss#sub``) that accepted it.
    accepted_by: Mapped[str | None] = mapped_column(String(600), info=PERSONAL)
