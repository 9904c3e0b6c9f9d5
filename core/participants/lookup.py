"""Reading the participants domain's objects by id or slug, in the current tenant only.

Every read runs inside the request's tenant scope, so another tenant's person, enrolment or
programme is simply not found (:class:`NotFound`, answered 404 like a missing one).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.participants.errors import NotFound
from core.participants.models import Enrolment, Person
from core.tenancy.models import Programme


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise NotFound()
    return person


async def get_enrolment(session: AsyncSession, enrolment_id: uuid.UUID) -> Enrolment:
    enrolment = await session.scalar(select(Enrolment).where(Enrolment.id == enrolment_id))
    if enrolment is None:
        raise NotFound()
    return enrolment


async def programmes(session: AsyncSession) -> list[Programme]:
    """The tenant's active programmes, by name."""
    rows = await session.scalars(
        select(Programme).where(Programme.archived_at.is_(None)).order_by(Programme.name)
    )
    return list(rows)


async def programme_by_slug(session: AsyncSession, slug: str) -> Programme | None:
    return await session.scalar(
        select(Programme).where(Programme.slug == slug, Programme.archived_at.is_(None))
    )


async def get_programme(session: AsyncSession, slug: str) -> Programme:
    programme = await programme_by_slug(session, slug)
    if programme is None:
        raise NotFound()
    return programme


async def enrolments_of(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[Enrolment, Programme]]]:
    """Each person's enrolments with their programmes, oldest first."""
    result: dict[uuid.UUID, list[tuple[Enrolment, Programme]]] = {}
    if not person_ids:
        return result
    rows = await session.execute(
        select(Enrolment, Programme)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(Enrolment.person_id.in_(person_ids))
        .order_by(Enrolment.created_at)
    )
    for enrolment, programme in rows.tuples():
        result.setdefault(enrolment.person_id, []).append((enrolment, programme))
    return result


def audit_enrolment(
    ctx: Context,
    action: str,
    enrolment: Enrolment,
    detail: dict[str, Any] | None = None,
    before: str | None = None,
) -> None:
    """Note an enrolment's audit row: it names the person, the enrolment's id, the criteria
    in ``detail`` and the status change since ``before`` (ids and codes, never field values)."""
    info: dict[str, Any] = {"enrolment": str(enrolment.id), **(detail or {})}
    if before is not None and enrolment.status != before:
        info.update({"from": before, "to": enrolment.status})
    ctx.audit(action, object_type="person", object_id=enrolment.person_id, detail=info)
