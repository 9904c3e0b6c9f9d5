"""Clearing a member's link to an invitation before the invitation is deleted.

``tenant_member.invitation_id`` refers to the invitation with the tenant, ``(invitation_id,
tenant_id)`` -> ``invitation (id, tenant_id)`` (ready for Citus, docs/deploy.md). Such a key
cannot be ``ON DELETE SET NULL``: that would null ``tenant_id`` as well (PostgreSQL 15's
``SET NULL (invitation_id)`` names the column, but SQLite and SQLAlchemy's DDL do not have it).
So the key refuses the deletion, and whoever deletes invitations - directly or by deleting
their person, whose invitations go with it (``ON DELETE CASCADE``) - calls this first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.models import Invitation, Member


async def forget_invitations_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> int:
    """Clear ``invitation_id`` of the members who accepted an invitation for one of
    ``person_ids`` (the invitations are about to go with their person). The number cleared."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    invitations = select(Invitation.id).where(Invitation.person_id.in_(ids))
    result = await session.execute(
        update(Member)
        .where(Member.invitation_id.in_(invitations))
        .values(invitation_id=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
