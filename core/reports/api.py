"""Reports: the JSON API, adapters over :mod:`core.reports.report` and
:mod:`core.reports.savings` (the same reads and command the pages use).

* ``GET /api/v1/t/{t}/reports/overview?programme=&from=&to=`` - the overview;
* ``GET /api/v1/t/{t}/reports/savings?programme=&from=&to=`` - the savings estimates;
* ``GET /api/v1/t/{t}/reports/export?table=&format=&programme=&from=&to=`` - a table as CSV
  (``table``: overview, savings or outcomes) or every table as XLSX;
* ``GET``/``PUT /api/v1/t/{t}/programmes/{slug}/savings-assumptions`` - the assumptions'
  versions; a tenant admin's PUT adds the next version.

Coordinators and tenant admins; a bad filter is a 400 naming the field, in Danish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated

from litestar import Response, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core.context import Context
from core.errors import Invalid
from core.identity.guards import coordinators, tenant_admins
from core.reports import savings
from core.reports.exports import CSV, XLSX, ReportTable, csv_bytes, filename, xlsx_bytes
from core.reports.period import Period
from core.reports.report import Report, read_report
from core.reports.savings import SavingsAssumptionsIn
from core.reports.schemas import (
    AssumptionHistoryOut,
    AssumptionsOut,
    OverviewOut,
    SavingsOut,
    assumptions_out,
    overview_out,
    savings_out,
)
from core.strict_input import StrictController
from core.web.i18n import gettext as _
from core.web.pipeline import audits

Start = Annotated[str | None, QueryParameter(name="from")]
End = Annotated[str | None, QueryParameter(name="to")]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Litestar adds "; charset=utf-8" to a text type.
CSV_TYPE = "text/csv"


def file_response(
    tables: Mapping[str, ReportTable],
    table: str | None,
    fmt: str | None,
    *,
    period: Period,
    scope: str,
    tenant_slug: str,
    workbook: str,
    made: dt.datetime,
    choose_table: str,
) -> Response[bytes]:
    """``tables`` as a download: ``fmt`` ``csv`` (the one named ``table``) or ``xlsx`` (every
    table, one sheet each, the file named after ``workbook``); private, never cached. The
    coordinator's report and the partner's aggregate alike.

    :raises Invalid: an unknown format, or table (``choose_table`` says which there are)."""
    errors = {}
    if fmt not in (CSV, XLSX):
        errors["format"] = _("Choose the format csv or xlsx.")
    if fmt != XLSX and table not in tables:
        errors["table"] = choose_table
    if errors:
        raise Invalid(errors, detail=next(iter(errors.values())) if len(errors) == 1 else "")
    if fmt == CSV:
        assert table is not None
        body = csv_bytes(tables[table], period, scope)
        name, media = filename(tenant_slug, table, period, CSV), CSV_TYPE
    else:
        body = xlsx_bytes(list(tables.values()), period, scope, made)
        name, media = filename(tenant_slug, workbook, period, XLSX), XLSX_TYPE
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


def export_response(
    report: Report, tenant_slug: str, table: str | None, fmt: str | None, made: dt.datetime
) -> Response[bytes]:
    """The export of ``report``: ``fmt`` ``csv`` (one ``table``) or ``xlsx`` (every table).

    :raises Invalid: an unknown format or table (field ``format``/``table``)."""
    return file_response(
        report.tables,
        table,
        fmt,
        period=report.period,
        scope=report.scope,
        tenant_slug=tenant_slug,
        workbook="rapport",
        made=made,
        choose_table=_("Choose the table overview, savings or outcomes."),
    )


class ReportApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}"
    tags = ["reports"]
    guards = [coordinators]

    @get(
        "/reports/overview",
        name="api_reports_overview",
        opt=audits("reports.overview", "programme"),
    )
    async def overview(
        self,
        ctx: NamedDependency[Context],
        programme: FromQuery[str | None] = None,
        start: Start = None,
        end: End = None,
    ) -> OverviewOut:
        """The coordinator's overview for a period (``from``/``to``, ``YYYY-MM-DD``, both days
        included; default: the year up to today) and one programme (its slug) or all: people in
        forløb, the waiting list, forløb started/completed/ended early/paused, meetings and afbud,
        mentor courses, citizens who became mentors, and the questionnaire change. Counts only;
        docs/reports.md defines every figure."""
        return overview_out(await read_report(ctx, programme, start, end))

    @get("/reports/savings", name="api_reports_savings", opt=audits("reports.savings", "programme"))
    async def savings(
        self,
        ctx: NamedDependency[Context],
        programme: FromQuery[str | None] = None,
        start: Start = None,
        end: End = None,
    ) -> SavingsOut:
        """The savings estimate ("skøn") per programme for the period, with the assumptions in
        force beside it, in the terms of Socialstyrelsen's SØM (docs/reports.md)."""
        return savings_out(await read_report(ctx, programme, start, end, with_outcomes=False))

    @get("/reports/export", name="api_reports_export", opt=audits("reports.export", "programme"))
    async def export(
        self,
        ctx: NamedDependency[Context],
        table: FromQuery[str | None] = None,
        format: FromQuery[str | None] = None,
        programme: FromQuery[str | None] = None,
        start: Start = None,
        end: End = None,
    ) -> Response[bytes]:
        """A report table as CSV (``format=csv`` with ``table`` = overview, savings or
        outcomes; ``;`` between fields, decimal comma, UTF-8) or every table as one XLSX
        workbook (``format=xlsx``): the same figures as the API and the page."""
        report = await read_report(ctx, programme, start, end)
        return export_response(report, ctx.tenant.slug, table, format, ctx.now())

    @get(
        "/programmes/{programme_slug:str}/savings-assumptions",
        name="api_savings_assumptions",
        opt=audits("reports.savings_assumptions_read", "programme"),
    )
    async def assumptions(
        self, ctx: NamedDependency[Context], programme_slug: FromPath[str]
    ) -> AssumptionHistoryOut:
        """The programme's savings assumptions: the version in force and every version (who
        and when), the newest first."""
        found = await savings.programme_by_slug(ctx.session, programme_slug)
        versions = await savings.versions_of(ctx.session, found.id)
        history = [assumptions_out(v) for v in versions]
        return AssumptionHistoryOut(found.slug, history[0] if history else None, history)

    @put(
        "/programmes/{programme_slug:str}/savings-assumptions",
        name="api_savings_assumptions_edit",
        opt=audits("reports.savings_assumptions", "programme"),
        guards=[tenant_admins],
    )
    async def edit(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        data: JSONBody[SavingsAssumptionsIn],
    ) -> AssumptionsOut:
        """A new version of the programme's savings assumptions (tenant admins), in force from
        now on; the earlier versions stay in the history. 400 naming each field out of bounds."""
        return assumptions_out(await savings.edit_assumptions(ctx, programme_slug, data))


__all__ = ["ReportApiController", "export_response", "file_response"]
