"""The partner's aggregate as JSON, CSV and XLSX: adapters over
:func:`core.reports.partner.partner_aggregate`.

* ``GET /api/v1/t/{partner}/reports/partner?programme=&municipality=&from=&to=``
* ``GET /api/v1/t/{partner}/reports/partner/export?format=csv|xlsx&table=&programme=...``
  (``table``: ``partner`` - the counts - or ``partner_outcomes``; XLSX holds both)

Partner staff (and platform admins) only; every figure already suppressed, never a person. The
tables here (:func:`partner_tables`) are what the page, the CSV and the XLSX show.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from core.context import Context
from core.identity.guards import requires_roles
from core.outcomes import labels as outcome_labels
from core.reports.api import file_response
from core.reports.exports import Cell, ReportTable, overview_rows
from core.reports.partner import (
    COUNTS,
    PartnerAggregate,
    PartnerOutcome,
    PartnerRow,
    partner_aggregate,
)
from core.reports.schemas import PeriodOut, period_out
from core.reports.suppression import HIDDEN, SMALL, THRESHOLD
from core.strict_input import StrictController
from core.web.i18n import gettext as _
from core.web.pipeline import audits

partner_staff_only = requires_roles("partner_staff")
Start = Annotated[str | None, QueryParameter(name="from")]
End = Annotated[str | None, QueryParameter(name="to")]
COUNTS_TABLE, OUTCOMES_TABLE = "partner", "partner_outcomes"


class PartnerRowOut(msgspec.Struct):
    """One granted programme (``municipality`` and ``programme`` are null in the total)."""

    municipality: str | None
    municipality_name: str | None
    programme: str | None
    programme_name: str | None
    #: Each count: a number, "<5" (1-4) or "x" (hidden so that no total reveals a "<5").
    counts: dict[str, int | str]
    median_days_ready_to_matched: float | None
    #: Afbud as a percentage of the meetings held and cancelled (one decimal).
    cancellation_percent: float | None


class PartnerOutcomeOut(msgspec.Struct):
    municipality: str | None
    programme: str | None
    instrument: str
    role: str
    measure: str
    n: int | str
    mean_baseline: float | None
    mean_end: float | None
    mean_change: float | None


class SuppressionOut(msgspec.Struct):
    threshold: int
    small: str
    hidden: str


class CoRunOut(msgspec.Struct):
    """A granted programme the partner also co-runs or sees the people of: not in the table
    (its exact figures are in the municipality's own report)."""

    municipality: str
    municipality_name: str
    programme: str
    programme_name: str


class PartnerOut(msgspec.Struct):
    period: PeriodOut
    programmes: list[PartnerRowOut]
    total: PartnerRowOut
    outcomes: list[PartnerOutcomeOut]
    suppression: SuppressionOut
    co_run: list[CoRunOut]


def _one(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def row_out(r: PartnerRow) -> PartnerRowOut:
    return PartnerRowOut(
        r.municipality,
        r.municipality_name,
        r.programme,
        r.programme_name,
        dict(r.counts),
        _one(r.median_days_ready_to_matched),
        None if r.cancellation_rate is None else round(100 * r.cancellation_rate, 1),
    )


def outcome_out(o: PartnerOutcome) -> PartnerOutcomeOut:
    return PartnerOutcomeOut(
        o.municipality,
        o.programme,
        o.instrument,
        o.role,
        o.measure,
        o.n,
        _one(o.mean_baseline),
        _one(o.mean_end),
        _one(o.mean_change),
    )


def partner_out(found: PartnerAggregate) -> PartnerOut:
    return PartnerOut(
        period_out(found.period),
        [row_out(r) for r in found.programmes],
        row_out(found.total),
        [outcome_out(o) for o in found.outcomes],
        SuppressionOut(THRESHOLD, SMALL, HIDDEN),
        [CoRunOut(*c) for c in found.co_run],
    )


def column_name(r: PartnerRow) -> str:
    if r.municipality is None:
        return _("Total")
    return f"{r.municipality_name}: {r.programme_name}"


def partner_tables(found: PartnerAggregate) -> dict[str, ReportTable]:
    """The counts (a row per figure, a column per granted programme and the total) and the
    questionnaire change, as the page and the exports show them."""
    labels = {key: label for key, label, _value in overview_rows()}
    labels["people_in_forloeb"] = _("Citizens and mentors in forløb")
    every = [*found.programmes, found.total]
    rows: list[list[Cell]] = [[labels.get(k, k), *(r.counts[k] for r in every)] for k in COUNTS]
    rows.append(
        [
            labels.get("median_days_ready_to_matched", ""),
            *(row_out(r).median_days_ready_to_matched for r in every),
        ]
    )
    rows.append(
        [labels.get("cancellation_percent", ""), *(row_out(r).cancellation_percent for r in every)]
    )
    counts = ReportTable(
        COUNTS_TABLE,
        _("Figures per programme"),
        [_("Figure"), *(column_name(r) for r in every)],
        rows,
        [*COUNTS, "median_days_ready_to_matched", "cancellation_percent"],
        _("Figures"),
    )
    outcome_rows: list[list[Cell]] = []
    for o in found.outcomes:
        out = outcome_out(o)
        where = (
            _("Total") if o.municipality is None else f"{o.municipality_name}: {o.programme_name}"
        )
        outcome_rows.append(
            [
                where,
                o.instrument_name,
                outcome_labels.role_label(o.role),
                o.measure,
                o.n,
                out.mean_baseline,
                out.mean_end,
                out.mean_change,
            ]
        )
    outcomes = ReportTable(
        OUTCOMES_TABLE,
        _("Questionnaires: change from start to end"),
        [
            _("Programme"),
            _("Questionnaire"),
            _("Respondent"),
            _("Measure"),
            _("Pairs of answers"),
            _("Mean at the start"),
            _("Mean at the end"),
            _("Mean change"),
        ],
        outcome_rows,
        [f"{o.instrument}:{o.role}:{o.measure}:{o.programme or 'total'}" for o in found.outcomes],
        _("Questionnaires"),
    )
    return {COUNTS_TABLE: counts, OUTCOMES_TABLE: outcomes}


def partner_export(
    found: PartnerAggregate, slug: str, table: str | None, fmt: str | None, made: dt.datetime
) -> Response[bytes]:
    """The aggregate's tables as a file: ``fmt`` ``csv`` (one ``table``) or ``xlsx`` (both).

    :raises Invalid: an unknown format or table (field ``format``/``table``)."""
    return file_response(
        partner_tables(found),
        table,
        fmt,
        period=found.period,
        scope=_("Partnerships"),
        tenant_slug=slug,
        workbook="partner",
        made=made,
        choose_table=_("Choose the table partner or partner_outcomes."),
    )


class PartnerReportApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/reports/partner"
    tags = ["reports"]
    guards = [partner_staff_only]

    @get("/", name="api_reports_partner", opt=audits("partner_read", "programme"))
    async def aggregate(
        self,
        ctx: NamedDependency[Context],
        programme: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
        start: Start = None,
        end: End = None,
    ) -> PartnerOut:
        """A partner organisation's figures for every programme municipalities have granted it
        (or one programme slug / one municipality slug), per programme and in total, for a
        period (``from``/``to``; default the year up to today). Counts only, suppressed: a
        count of 1-4 is "<5", and "x" hides a count that would reveal one. No grant: empty."""
        return partner_out(await partner_aggregate(ctx, programme, municipality, start, end))

    @get("/export", name="api_reports_partner_export", opt=audits("partner_read", "programme"))
    async def export(
        self,
        ctx: NamedDependency[Context],
        table: FromQuery[str | None] = None,
        format: FromQuery[str | None] = None,
        programme: FromQuery[str | None] = None,
        municipality: FromQuery[str | None] = None,
        start: Start = None,
        end: End = None,
    ) -> Response[bytes]:
        """The aggregate's counts (``table=partner``) or questionnaire change
        (``table=partner_outcomes``) as CSV, or both as XLSX: the same suppressed figures."""
        found = await partner_aggregate(ctx, programme, municipality, start, end)
        return partner_export(found, ctx.tenant.slug, table, format, ctx.now())
