"""Report pages (issue 14), phone first, on Det Fælles Designsystem; adapters over the same reads
and command as the JSON API (:mod:`core.reports.report`, :mod:`core.reports.savings`).

* ``GET /t/{t}/rapporter?programme=&fra=&til=`` - the overview with charts and their tables,
  the savings estimate with its assumptions, the questionnaire change, exports and a print
  stylesheet. A bad filter shows the form again with its errors (400).
* ``GET /t/{t}/rapporter/eksport?table=&format=&programme=&fra=&til=`` - a table as CSV or
  every table as XLSX (the API's export).
* ``GET``/``POST /t/{t}/rapporter/besparelse/{programme}`` - a programme's savings
  assumptions with their history; a tenant admin saves a new version (303 back, or the form
  again with its errors, 400, nothing stored).
* :func:`front_figures` - the headline figures on the tenant's front page for coordinators
  (``reports/_front.html``).
"""

from __future__ import annotations

import math
import re
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from core.context import Context
from core.errors import Invalid
from core.identity.guards import coordinators, tenant_admins
from core.reports import savings
from core.reports.api import export_response
from core.reports.assumptions import ASSUMPTION_FIELDS
from core.reports.charts import bar_chart
from core.reports.exports import cancellation_percent
from core.reports.overview import Figures, overview
from core.reports.period import default_period
from core.reports.report import Report, active_programmes, read_report
from core.strict_input import single_query_values
from core.web.filters import decimal
from core.web.forms import read_form
from core.web.i18n import gettext as _
from core.web.pipeline import audits

#: The page's filter fields: programme, first and last day.
NAMES = ("programme", "fra", "til")
SAVED = "gemt"
#: 1.000 or 12.500.000: dots between thousands (no decimal comma).
THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


def integer(value: Any) -> str:
    """A whole number with dots between thousands (12.500); anything else (a suppressed
    ``"<5"`` or ``"x"``) as it is."""
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def charts(f: Figures) -> dict[str, Any]:
    """The overview's charts (each with the figures of its table)."""
    return {
        "people": bar_chart(
            [
                (_("Citizens in forløb"), f.citizens_in_forloeb, integer(f.citizens_in_forloeb)),
                (_("Mentors in forløb"), f.mentors_in_forloeb, integer(f.mentors_in_forloeb)),
                (
                    _("Waiting list today: citizens"),
                    f.waiting_citizens,
                    integer(f.waiting_citizens),
                ),
                (_("Waiting list today: mentors"), f.waiting_mentors, integer(f.waiting_mentors)),
            ]
        ),
        "forloeb": bar_chart(
            [
                (_("Forløb started"), f.forloeb_started, integer(f.forloeb_started)),
                (_("Forløb completed"), f.forloeb_completed, integer(f.forloeb_completed)),
                (_("Forløb ended early"), f.forloeb_ended_early, integer(f.forloeb_ended_early)),
                (_("Forløb paused"), f.forloeb_paused, integer(f.forloeb_paused)),
            ]
        ),
        "meetings": bar_chart(
            [
                (_("Meetings held"), f.meetings_held, integer(f.meetings_held)),
                (
                    _("Meetings cancelled (afbud)"),
                    f.meetings_cancelled,
                    integer(f.meetings_cancelled),
                ),
            ]
        ),
    }


def savings_chart(e: savings.SavingsEstimate) -> Any:
    return bar_chart(
        [
            (_("Economic consequences (DKK)"), e.consequences_kr, integer(e.consequences_kr)),
            (_("Cost of the effort (DKK)"), e.effort_cost_kr, integer(e.effort_cost_kr)),
            (_("Net result, estimate (DKK)"), e.net_kr, integer(e.net_kr)),
        ]
    )


def report_page(name: str, ctx: Context, status_code: int = 200, **context: Any) -> Template:
    """The page ``templates/reports/{name}.html`` with what every report page uses (the tenant,
    ``integer`` and ``cancellation_percent``) and ``context``."""
    return Template(
        f"reports/{name}.html",
        context={
            "tenant": ctx.tenant,
            "integer": integer,
            "cancellation_percent": cancellation_percent,
            **context,
        },
        status_code=status_code,
        media_type=MediaType.HTML,
    )


def _query(report: Report) -> dict[str, str]:
    return {
        "programme": report.programme.slug if report.programme else "",
        "fra": report.period.start.isoformat(),
        "til": report.period.end.isoformat(),
    }


async def front_figures(ctx: Context) -> dict[str, Any] | None:
    """The headline figures for the tenant's front page (coordinators and tenant admins of a
    municipality with programmes): the year up to today, every programme; ``None`` otherwise."""
    principal = ctx.principal
    if principal is None or not principal.has_any_role("tenant_admin", "coordinator"):
        return None
    programmes = await active_programmes(ctx)
    if not programmes:
        return None
    period = default_period(ctx.today())
    found = await overview(
        ctx.session, ctx.tenant, None, period, plugins=ctx.plugins, today=ctx.today()
    )
    return {"overview": found, "figures": found.total, "charts": charts(found.total)}


def _number(raw: Any) -> float:
    """A number as typed on the page (a decimal comma, spaces and thousands dots allowed);
    NaN when it is none, so the command names the field."""
    text = str(raw or "").strip().replace(" ", "").replace("\u00a0", "")
    if "," in text or THOUSANDS.match(text):
        text = text.replace(".", "").replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value


def _form_values(version: Any) -> dict[str, str]:
    if version is None:
        return {}
    values = {
        name: decimal(float(getattr(version, name)), 1).replace(",0", "")
        for name in ASSUMPTION_FIELDS
    }
    values["note"] = version.note or ""
    return values


async def _refused(
    ctx: Context, exc: Invalid, programme: str | None, fra: str | None, til: str | None
) -> Template:
    """The report page with the filters as given and their errors (400)."""
    return report_page(
        "report",
        ctx,
        400,
        report=None,
        programmes=await active_programmes(ctx),
        values={"programme": programme or "", "fra": fra or "", "til": til or ""},
        errors=exc.errors,
        active_nav="reports",
    )


class ReportPagesController(Controller):
    before_request = staticmethod(single_query_values)  # every query parameter once
    path = "/t/{tenant_slug:str}/rapporter"
    include_in_schema = False
    guards = [coordinators]

    @get("/", name="reports_page", opt=audits("reports.overview", "programme"))
    async def report(
        self,
        ctx: NamedDependency[Context],
        programme: FromQuery[str | None] = None,
        fra: FromQuery[str | None] = None,
        til: FromQuery[str | None] = None,
    ) -> Template:
        """The overview, the savings estimate and the questionnaire change for the filters."""
        try:
            report = await read_report(ctx, programme, fra, til, NAMES)
        except Invalid as exc:
            return await _refused(ctx, exc, programme, fra, til)
        return report_page(
            "report",
            ctx,
            report=report,
            programmes=report.programmes,
            values=_query(report),
            query=_query(report),
            errors={},
            charts=charts(report.overview.total),
            savings_charts={e.slug: savings_chart(e) for e in report.savings if e.assumptions},
            active_nav="reports",
        )

    @get("/eksport", name="reports_export_page", opt=audits("reports.export", "programme"))
    async def export(
        self,
        ctx: NamedDependency[Context],
        table: FromQuery[str | None] = None,
        format: FromQuery[str | None] = None,
        programme: FromQuery[str | None] = None,
        fra: FromQuery[str | None] = None,
        til: FromQuery[str | None] = None,
    ) -> Response[bytes] | Template:
        """A table as CSV or every table as XLSX, for the page's filters; bad filters or an
        unknown format or table answer the report page with the errors (400), not JSON."""
        try:
            report = await read_report(ctx, programme, fra, til, NAMES)
            return export_response(report, ctx.tenant.slug, table, format, ctx.now())
        except Invalid as exc:
            return await _refused(ctx, exc, programme, fra, til)

    @get(
        "/besparelse/{programme_slug:str}",
        name="savings_assumptions_page",
        opt=audits("reports.savings_assumptions_read", "programme"),
    )
    async def assumptions(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        gemt: FromQuery[str | None] = None,
    ) -> Template:
        """The programme's assumptions in force, the form (tenant admins) and the history."""
        return await self._assumptions_page(ctx, programme_slug, saved=gemt == "1")

    async def _assumptions_page(
        self,
        ctx: Context,
        programme_slug: str,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        saved: bool = False,
    ) -> Template:
        programme = await savings.programme_by_slug(ctx.session, programme_slug)
        versions = await savings.versions_of(ctx.session, programme.id)
        principal = ctx.principal
        return report_page(
            "assumptions",
            ctx,
            400 if errors else 200,
            programme=programme,
            versions=versions,
            current=versions[0] if versions else None,
            can_edit=principal is not None and principal.has_any_role("tenant_admin"),
            values=values
            if values is not None
            else _form_values(versions[0] if versions else None),
            errors=errors or {},
            saved=saved,
            active_nav="reports",
        )

    @post(
        "/besparelse/{programme_slug:str}",
        name="savings_assumptions_save",
        opt=audits("reports.savings_assumptions", "programme"),
        guards=[tenant_admins],
        media_type=MediaType.HTML,
    )
    async def save(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
    ) -> Any:
        """Save a new version of the assumptions (tenant admins)."""
        form = await read_form(request)
        data = savings.SavingsAssumptionsIn(
            support_hours_per_fortnight=_number(form.get("support_hours_per_fortnight")),
            hourly_cost=_number(form.get("hourly_cost")),
            share_otherwise_supported_percent=_number(
                form.get("share_otherwise_supported_percent")
            ),
            coordinator_hours_per_week=_number(form.get("coordinator_hours_per_week")),
            coordinator_hourly_cost=_number(form.get("coordinator_hourly_cost")),
            note=str(form.get("note", "")),
        )
        try:
            await savings.edit_assumptions(ctx, programme_slug, data)
        except Invalid as exc:
            values = {k: str(form.get(k, "")) for k in (*ASSUMPTION_FIELDS, "note")}
            return await self._assumptions_page(ctx, programme_slug, values, exc.errors)
        return Redirect(
            f"/t/{ctx.tenant.slug}/rapporter/besparelse/{programme_slug}?{SAVED}=1",
            status_code=303,
        )


__all__ = ["ReportPagesController", "front_figures", "integer", "report_page"]
