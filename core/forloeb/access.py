"""Who may see and act on a forløb: coordinators of the tenant, and the pair themselves.

A signed-in mentor or citizen reaches a forløb only when their sign-in is linked to one of its
two people (``person.account``); anyone else gets the same 404 as for an unknown id.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import note
from core.forloeb.service import ForloebRow, get_forloeb, party_of
from core.identity.guards import current_principal
from core.mine.service import person_for_account
from core.participants.service import NotFound
from core.tenancy.models import Tenant

COORDINATOR = "coordinator"


def actor_of(request: Request[Any, Any, Any]) -> str:
    principal = current_principal(request)
    assert principal is not None
    return principal.subject


def is_coordinator(request: Request[Any, Any, Any]) -> bool:
    principal = current_principal(request)
    return principal is not None and principal.has_any_role("tenant_admin", COORDINATOR)


async def forloeb_for(
    request: Request[Any, Any, Any], session: AsyncSession, forloeb_id: uuid.UUID
) -> tuple[ForloebRow, str]:
    """The forløb and the caller's part in it (``coordinator``, ``mentor`` or ``mentee``)."""
    try:
        row = await get_forloeb(session, forloeb_id)
    except NotFound:
        raise NotFoundException() from None
    if is_coordinator(request):
        return row, COORDINATOR
    principal = current_principal(request)
    assert principal is not None
    party = party_of(row, await person_for_account(session, principal.user_id))
    if party is None:
        raise NotFoundException()
    return row, party


async def audit(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    action: str,
    object_type: str,
    object_id: object,
    detail: dict[str, Any] | None = None,
) -> None:
    """One access-log row (ids only, never names, notes or reasons), written by the request
    pipeline in the request's own transaction."""
    note(action, object_type=object_type, object_id=object_id, detail=detail or {})
