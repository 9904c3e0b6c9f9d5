"""Forløb reads for the API, the pages and the other domains: one forløb with its history,
pauses and meetings; the list; the coordinator's attention list.

Queries that read one object for a caller note their audit row (ids only); list queries rely on
the route's declared row (``opt=audits(...)``), which the pipeline writes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Invalid, NotFound
from core.forloeb.access import COORDINATOR, access_forloeb
from core.forloeb.attention import Attention, ForloebFacts, attention
from core.forloeb.lifecycle import ForloebState, Pause, planned_end
from core.forloeb.models import OPEN_STATES, Forloeb, ForloebEvent, ForloebPause, Meeting
from core.forloeb.rows import ForloebRow, list_forloeb
from core.forloeb.schemas import LIST_SORTS, ListIn
from core.programmes.service import access_programme_by_slug
from core.tenancy.models import Programme
from core.web.i18n import gettext as _

OPEN = frozenset(s.value for s in OPEN_STATES)


async def events(session: AsyncSession, forloeb_id: uuid.UUID) -> list[ForloebEvent]:
    rows = await session.scalars(
        select(ForloebEvent)
        .where(ForloebEvent.forloeb_id == forloeb_id)
        .order_by(ForloebEvent.at, ForloebEvent.created_at)
    )
    return list(rows)


async def pauses(session: AsyncSession, forloeb_id: uuid.UUID) -> list[ForloebPause]:
    rows = await session.scalars(
        select(ForloebPause)
        .where(ForloebPause.forloeb_id == forloeb_id)
        .order_by(ForloebPause.starts_on)
    )
    return list(rows)


async def meetings(session: AsyncSession, forloeb_id: uuid.UUID) -> list[Meeting]:
    rows = await session.scalars(
        select(Meeting)
        .where(Meeting.forloeb_id == forloeb_id)
        .order_by(Meeting.day.desc(), Meeting.created_at.desc())
    )
    return list(rows)


def as_pauses(rows: Iterable[ForloebPause]) -> list[Pause]:
    return [Pause(p.starts_on, p.ends_on, p.planned_resume) for p in rows]


def planned_end_of(
    forloeb: Forloeb, pause_rows: Iterable[ForloebPause], today: dt.date
) -> dt.date | None:
    if forloeb.started_on is None:
        return None
    return planned_end(forloeb.started_on, forloeb.planned_months, as_pauses(pause_rows), today)


async def programme_by_slug(ctx: Context, slug: str) -> Programme:
    """The tenant's active programme ``slug``. :raises NotFound: no such programme."""
    programme = await access_programme_by_slug(ctx.session, slug)
    if programme is None:
        raise NotFound()
    return programme


# -- one forløb ----------------------------------------------------------------------------


@dataclass
class ForloebDetail:
    row: ForloebRow
    #: The caller's part: ``coordinator``, ``mentor`` or ``mentee``.
    viewer: str
    events: list[ForloebEvent]
    pauses: list[ForloebPause]
    meetings: list[Meeting]
    planned_end: dt.date | None
    #: The plugins' warnings on the change just made (empty on a plain read).
    warnings: list[str] = field(default_factory=list)

    @property
    def coordinator(self) -> bool:
        return self.viewer == COORDINATOR

    @property
    def open(self) -> bool:
        return self.row.forloeb.state in OPEN


async def detail_of(
    ctx: Context, row: ForloebRow, viewer: str, warnings: Iterable[str] = ()
) -> ForloebDetail:
    """The forløb's history, pauses and meetings (no audit row: for a command's answer)."""
    f = row.forloeb
    pause_rows = await pauses(ctx.session, f.id)
    return ForloebDetail(
        row=row,
        viewer=viewer,
        events=await events(ctx.session, f.id),
        pauses=pause_rows,
        meetings=await meetings(ctx.session, f.id),
        planned_end=planned_end_of(f, pause_rows, ctx.today()),
        warnings=list(warnings),
    )


async def forloeb_detail(ctx: Context, forloeb_id: uuid.UUID) -> ForloebDetail:
    """One forløb for a coordinator or one of the pair; audited ``forloeb.read``.

    :raises NotFound: no such forløb, or the caller is neither a coordinator nor of the pair."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    ctx.audit("forloeb.read", object_type="forloeb", object_id=row.forloeb.id)
    return await detail_of(ctx, row, viewer)


async def meeting_form(ctx: Context, forloeb_id: uuid.UUID) -> tuple[ForloebRow, str]:
    """The forløb a meeting is logged for, and the caller's part; audited ``forloeb.read``."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    ctx.audit("forloeb.read", object_type="forloeb", object_id=row.forloeb.id)
    return row, viewer


# -- lists ---------------------------------------------------------------------------------


@dataclass
class ForloebPage:
    rows: list[ForloebRow]
    #: How many match the filters (all pages).
    total: int


async def programmes_of(ctx: Context) -> list[Programme]:
    """The tenant's programmes that are not archived, by name (for filters)."""
    return list(
        await ctx.session.scalars(
            select(Programme).where(Programme.archived_at.is_(None)).order_by(Programme.name)
        )
    )


async def find_forloeb(ctx: Context, data: ListIn) -> ForloebPage:
    """The organisation's forløb and proposals by state, programme and need of attention,
    sorted, one page of them. A tenant holds hundreds, not millions: one statement reads the
    filtered rows, the attention filter and the order are applied to them.

    :raises Invalid: an unknown state or sort, a limit outside 1-500 or a negative offset.
    :raises NotFound: ``data.programme`` is not one of the tenant's programmes."""
    errors = {}
    if any(state not in {s.value for s in ForloebState} for state in data.state):
        errors["state"] = _("Unknown state.")
    if data.sort not in LIST_SORTS:
        errors["sort"] = _("Sort by newest, oldest or name.")
    if not 1 <= data.limit <= 500:
        errors["limit"] = _("Choose from 1 to 500 rows.")
    if data.offset < 0:
        errors["offset"] = _("The offset must be 0 or more.")
    if errors:
        raise Invalid(errors)
    programme_id = None
    if data.programme:
        programme_id = (await programme_by_slug(ctx, data.programme)).id
    rows = await list_forloeb(ctx.session, data.state, programme_id)
    if data.attention:
        needing = {a.row.forloeb.id for a in await attention_list(ctx)}
        rows = [r for r in rows if r.forloeb.id in needing]
    if data.sort == "oldest":
        rows.reverse()
    elif data.sort == "name":
        rows.sort(key=lambda r: (r.mentee.name.casefold(), r.mentor.name.casefold()))
    return ForloebPage(rows[data.offset : data.offset + data.limit], len(rows))


@dataclass
class AttentionRow:
    row: ForloebRow
    items: list[Attention]


async def attention_list(ctx: Context) -> list[AttentionRow]:
    """Open forløb that need a coordinator's look, most urgent first. Three statements."""
    session, today = ctx.session, ctx.today()
    rows = await list_forloeb(session, sorted(OPEN))
    if not rows:
        return []
    ids = [r.forloeb.id for r in rows]
    held: dict[uuid.UUID, list[dt.date]] = {}
    for forloeb_id, day in (
        await session.execute(
            select(Meeting.forloeb_id, Meeting.day).where(
                Meeting.forloeb_id.in_(ids), Meeting.cancelled.is_(False)
            )
        )
    ).all():
        held.setdefault(forloeb_id, []).append(day)
    paused: dict[uuid.UUID, list[ForloebPause]] = {}
    for pause in await session.scalars(
        select(ForloebPause).where(ForloebPause.forloeb_id.in_(ids))
    ):
        paused.setdefault(pause.forloeb_id, []).append(pause)
    found: list[AttentionRow] = []
    for row in rows:
        f = row.forloeb
        facts = ForloebFacts(
            key=str(f.id),
            state=ForloebState(f.state),
            frequency=f.frequency,
            proposed_on=f.proposed_on,
            started_on=f.started_on,
            planned_months=f.planned_months,
            meetings=tuple(held.get(f.id, ())),
            pauses=tuple(as_pauses(sorted(paused.get(f.id, []), key=lambda p: p.starts_on))),
        )
        items = attention(facts, today)
        if items:
            found.append(AttentionRow(row, items))
    found.sort(key=lambda a: (-max(i.days for i in a.items), a.row.mentee.name))
    return found
