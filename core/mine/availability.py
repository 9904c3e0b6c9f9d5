"""A mentor's own availability on "Mit forløb" (issue 17): a pause until a date, and how many
citizens they take at once.

Both are the før-samtale's matching fields of the mentor's enrolment (``Intake.capacity`` and
``Intake.paused_until``), which matching already reads (:mod:`core.matching.waiting_list`): a
mentor whose pause has not ended is not proposed before that date, and one with as many open
forløb as their capacity is not proposed at all. A pause and a lower number stop *new* matches
only; the mentor's forløb go on. The coordinator sees and changes the same fields on the
enrolment's før-samtale.

One command, :func:`set_my_availability`, for the page (``POST /t/{tenant}/mit/tilgaengelighed/
{programme}``) and the API (``PUT /api/v1/t/{tenant}/me/availability/{programme}``); it acts on
the caller's own person only (the one linked to their sign-in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec
from sqlalchemy import func, select

from core.context import Context
from core.errors import Conflict, NotFound
from core.forloeb.models import OPEN_STATES, Forloeb
from core.mine.queries import my_person_or_404
from core.participants.intake import clean_intake, get_intake
from core.participants.models import FINAL_STATUSES, Enrolment, EnrolmentRole, Intake, Person
from core.tenancy.models import Programme
from core.web.i18n import gettext as _


class AvailabilityIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How many citizens at once (1-10), and no new citizen before ``paused_until``
    (``YYYY-MM-DD``, from today and at most a year ahead; ``null`` ends a pause)."""

    capacity: int
    paused_until: str | None = None


class AvailabilityOut(msgspec.Struct):
    programme: str
    programme_name: str
    #: ``False`` until the coordinator has recorded the før-samtale: nothing to change yet.
    editable: bool
    capacity: int
    paused_until: dt.date | None
    #: The mentor's open forløb in the programme (proposed, active or paused).
    forloeb: int


@dataclass(frozen=True)
class Availability:
    """One open mentor enrolment's availability, as "Mit forløb" shows it."""

    enrolment: Enrolment
    programme: Programme
    intake: Intake | None
    forloeb: int

    def out(self) -> AvailabilityOut:
        return AvailabilityOut(
            programme=self.programme.slug,
            programme_name=self.programme.name,
            editable=self.intake is not None,
            capacity=self.intake.capacity if self.intake else 1,
            paused_until=self.intake.paused_until if self.intake else None,
            forloeb=self.forloeb,
        )


async def _availability(ctx: Context, enrolment: Enrolment, programme: Programme) -> Availability:
    busy = await ctx.session.scalar(
        select(func.count())
        .select_from(Forloeb)
        .where(
            Forloeb.mentor_enrolment_id == enrolment.id,
            Forloeb.state.in_([s.value for s in OPEN_STATES]),
        )
    )
    intake = await get_intake(ctx.session, enrolment.id)
    return Availability(enrolment, programme, intake, int(busy or 0))


async def availability_of(ctx: Context, person: Person) -> list[Availability]:
    """The person's open mentor enrolments with their availability, by programme name."""
    rows = await ctx.session.execute(
        select(Enrolment, Programme)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(
            Enrolment.person_id == person.id,
            Enrolment.role == EnrolmentRole.MENTOR,
            Enrolment.status.not_in([s.value for s in FINAL_STATUSES]),
        )
        .order_by(Programme.name)
    )
    return [await _availability(ctx, e, p) for e, p in rows.tuples()]


async def my_availability(ctx: Context) -> list[Availability]:
    """The caller's own availability (404 without a linked person)."""
    return await availability_of(ctx, await my_person_or_404(ctx))


async def set_my_availability(
    ctx: Context, programme_slug: str, data: AvailabilityIn
) -> Availability:
    """Set the caller's capacity and pause in the programme; audited as ``mine.availability``
    (the enrolment, and which fields changed - never the values' meaning beyond that).

    :raises NotFound: no linked person, or no open mentor enrolment in that programme.
    :raises Conflict: the før-samtale is not recorded yet (the coordinator does that first).
    :raises FieldErrors: capacity outside 1-10, or a pause that ends in the past or more than a
        year ahead (Danish messages per field; nothing stored)."""
    person = await my_person_or_404(ctx)
    found = [a for a in await availability_of(ctx, person) if a.programme.slug == programme_slug]
    if not found:
        raise NotFound()
    current = found[0]
    if current.intake is None:
        raise Conflict(
            _("Your coordinator records your før-samtale first; then you can set this here.")
        )
    intake = current.intake
    clean = clean_intake(
        {"capacity": data.capacity, "paused_until": data.paused_until}, ctx.today(), intake
    )
    changed = sorted(k for k, v in clean.items() if getattr(intake, k) != v)
    for key, value in clean.items():
        setattr(intake, key, value)
    await ctx.session.flush()
    ctx.audit(
        "mine.availability",
        object_type="enrolment",
        object_id=current.enrolment.id,
        detail={"changed": changed},
    )
    return current


__all__ = [
    "Availability",
    "AvailabilityIn",
    "AvailabilityOut",
    "availability_of",
    "my_availability",
    "set_my_availability",
]
