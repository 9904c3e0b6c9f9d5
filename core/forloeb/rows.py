"""A forløb with both parties, read in one statement: the row every read and command works on.

Every read works inside the current tenant's scope (the session's tenant), so another tenant's
ids are simply not found. Fetch one forløb by id for a caller through
:func:`core.forloeb.access.access_forloeb` (which also decides the caller's part in it)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.errors import NotFound
from core.forloeb.models import Forloeb
from core.participants.models import Enrolment, Person
from core.tenancy.models import Programme


@dataclass
class ForloebRow:
    forloeb: Forloeb
    programme: Programme
    mentee: Person
    mentor: Person
    mentee_enrolment: Enrolment
    mentor_enrolment: Enrolment


@cache
def _rows_query() -> Any:
    """The statement (built once: making the four aliases and their column collections costs
    a few milliseconds, more than running the query) and the two enrolment aliases."""
    mentee_e, mentor_e = aliased(Enrolment), aliased(Enrolment)
    mentee_p, mentor_p = aliased(Person), aliased(Person)
    return (
        select(Forloeb, Programme, mentee_p, mentor_p, mentee_e, mentor_e)
        .join(Programme, Programme.id == Forloeb.programme_id)
        .join(mentee_e, mentee_e.id == Forloeb.mentee_enrolment_id)
        .join(mentor_e, mentor_e.id == Forloeb.mentor_enrolment_id)
        .join(mentee_p, mentee_p.id == mentee_e.person_id)
        .join(mentor_p, mentor_p.id == mentor_e.person_id)
    ), (mentee_e, mentor_e)


async def list_forloeb(
    session: AsyncSession,
    states: Sequence[str] = (),
    programme_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    ids: Collection[uuid.UUID] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[ForloebRow]:
    """Forløb with both parties, newest first; optionally by state, programme, person, ids or
    further conditions on :class:`Forloeb` (``where``). One statement."""
    stmt, (mentee_e, mentor_e) = _rows_query()
    for condition in where:
        stmt = stmt.where(condition)
    if states:
        stmt = stmt.where(Forloeb.state.in_(list(states)))
    if programme_id is not None:
        stmt = stmt.where(Forloeb.programme_id == programme_id)
    if person_id is not None:
        stmt = stmt.where(or_(mentee_e.person_id == person_id, mentor_e.person_id == person_id))
    if ids is not None:
        stmt = stmt.where(Forloeb.id.in_(list(ids)))
    rows = (
        await session.execute(stmt.order_by(Forloeb.proposed_on.desc(), Forloeb.created_at.desc()))
    ).all()
    return [ForloebRow(*row) for row in rows]


async def get_forloeb(session: AsyncSession, forloeb_id: uuid.UUID) -> ForloebRow:
    """The forløb ``forloeb_id`` of the current tenant. :raises NotFound: no such forløb."""
    stmt, _aliases = _rows_query()
    row = (await session.execute(stmt.where(Forloeb.id == forloeb_id))).first()
    if row is None:
        raise NotFound()
    return ForloebRow(*row)


def party_of(row: ForloebRow, person: Person | None) -> str | None:
    """``"mentor"``/``"mentee"`` if ``person`` is a party of the forløb, else ``None``."""
    if person is None:
        return None
    if row.mentor.id == person.id:
        return "mentor"
    if row.mentee.id == person.id:
        return "mentee"
    return None
