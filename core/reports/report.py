"""One report read for the API, the page and the exports alike: the filters checked, the
overview, the savings estimates and the questionnaire change, and the tables made from them
(:mod:`core.reports.exports`). Everything runs in the context's tenant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.context import Context
from core.errors import Invalid
from core.outcomes.results import ProgrammeResult
from core.reports.exports import ReportTable, report_tables
from core.reports.overview import Overview, outcome_changes, overview
from core.reports.period import Period, parse_period
from core.reports.savings import SavingsEstimate, estimates
from core.tenancy.models import Programme
from core.web.i18n import gettext as _


@dataclass(frozen=True)
class Report:
    period: Period
    #: The programme filter (``None``: every programme).
    programme: Programme | None
    programmes: list[Programme]
    overview: Overview
    savings: list[SavingsEstimate]
    outcomes: list[ProgrammeResult]
    tables: dict[str, ReportTable]

    @property
    def scope(self) -> str:
        """What the report covers, for headings and file names."""
        return self.programme.name if self.programme else _("all programmes")


async def active_programmes(ctx: Context) -> list[Programme]:
    return list(
        await ctx.session.scalars(
            select(Programme).where(Programme.archived_at.is_(None)).order_by(Programme.name)
        )
    )


def check_filters(
    programmes: list[Programme],
    programme_slug: str | None,
    start: str | dt.date | None,
    end: str | dt.date | None,
    today: dt.date,
    names: tuple[str, str, str] = ("programme", "from", "to"),
) -> tuple[Programme | None, Period]:
    """The programme (``None`` for all) and the period a report's query names.

    :raises Invalid: an unknown programme, a bad date or a start after the end; every field
        at fault is named (``names``: the programme's, the start's and the end's)."""
    errors: dict[str, str] = {}
    chosen = None
    if programme_slug:
        chosen = next((p for p in programmes if p.slug == programme_slug), None)
        if chosen is None:
            errors[names[0]] = _("Choose one of the programmes.")
    period = None
    try:
        period = parse_period(start, end, today, (names[1], names[2]))
    except Invalid as exc:
        errors.update(exc.errors)
    if errors or period is None:
        raise Invalid(errors, detail=next(iter(errors.values())) if len(errors) == 1 else "")
    return chosen, period


async def read_report(
    ctx: Context,
    programme_slug: str | None,
    start: str | dt.date | None,
    end: str | dt.date | None,
    names: tuple[str, str, str] = ("programme", "from", "to"),
    with_outcomes: bool = True,
) -> Report:
    """The report for the query's filters (see :func:`check_filters`)."""
    programmes = await active_programmes(ctx)
    chosen, period = check_filters(programmes, programme_slug, start, end, ctx.today(), names)
    found = await overview(
        ctx.session,
        ctx.tenant,
        chosen.id if chosen else None,
        period,
        plugins=ctx.plugins,
        today=ctx.today(),
    )
    savings = await estimates(ctx.session, found.programmes, period)
    outcomes = await outcome_changes(ctx, found.programmes, period) if with_outcomes else []
    return Report(
        period,
        chosen,
        programmes,
        found,
        savings,
        outcomes,
        report_tables(found, savings, outcomes),
    )
