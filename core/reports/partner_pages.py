"""The partner's aggregate as a page, and its exports for the page's filters.

* ``GET /t/{partner}/rapporter/partner?programme=&kommune=&fra=&til=`` - the suppressed figures
  per granted programme and in total, the questionnaire change, what "<5" and "x" mean, exports
  and a print stylesheet. A bad filter shows the form again with its errors (400).
* ``GET /t/{partner}/rapporter/partner/eksport?format=&table=&programme=&kommune=&fra=&til=``

Partner staff (and platform admins); the same read as the API
(:func:`core.reports.partner.partner_aggregate`). :func:`partner_front` gives the partner's front
page the report's total column (``reports/_partner_front.html``).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Response, Template

from core.context import Context
from core.errors import Invalid
from core.reports.exports import ReportTable
from core.reports.pages import integer, report_page
from core.reports.partner import partner_aggregate
from core.reports.partner_api import (
    COUNTS_TABLE,
    partner_export,
    partner_staff_only,
    partner_tables,
)
from core.strict_input import single_query_values
from core.tenancy.models import TenantKind
from core.web.i18n import gettext as _
from core.web.pipeline import audits

#: The page's field names for the command's (programme, municipality, from, to).
FIELDS = {"programme": "programme", "municipality": "kommune", "from": "fra", "to": "til"}


async def partner_front(ctx: Context) -> dict[str, Any] | None:
    """The partner organisation's front page (its staff): the aggregate of every granted
    programme, the year up to today, in total - the very cells of the report's total column,
    suppressed as the report is (:func:`core.reports.partner.partner_aggregate`); ``None`` for
    anyone else or another kind of tenant."""
    principal = ctx.principal
    if (
        ctx.tenant.kind != TenantKind.PARTNER
        or principal is None
        or not principal.has_any_role("partner_staff")
    ):
        return None
    found = await partner_aggregate(ctx)
    table = partner_tables(found)[COUNTS_TABLE]
    summary = ReportTable(
        "partner_front",
        _("Every granted programme in total"),
        [table.columns[0], table.columns[-1]],
        [[row[0], row[-1]] for row in table.rows],
        table.row_keys,
    )
    return {"aggregate": found, "summary": summary, "integer": integer}


class PartnerReportPagesController(Controller):
    before_request = staticmethod(single_query_values)  # every query parameter once
    path = "/t/{tenant_slug:str}/rapporter/partner"
    include_in_schema = False
    guards = [partner_staff_only]

    @get("/", name="reports_partner_page", opt=audits("partner_read", "programme"))
    async def page(
        self,
        ctx: NamedDependency[Context],
        programme: FromQuery[str | None] = None,
        kommune: FromQuery[str | None] = None,
        fra: FromQuery[str | None] = None,
        til: FromQuery[str | None] = None,
    ) -> Template:
        """The partner's figures for the filters."""
        values = {
            "programme": programme or "",
            "kommune": kommune or "",
            "fra": fra or "",
            "til": til or "",
        }
        try:
            found = await partner_aggregate(ctx, programme, kommune, fra, til)
        except Invalid as exc:
            errors = {FIELDS.get(k, k): v for k, v in exc.errors.items()}
            empty = await partner_aggregate(ctx)
            return self._page(
                ctx, 400, found=None, choices=empty.choices, values=values, errors=errors
            )
        values.update(fra=found.period.start.isoformat(), til=found.period.end.isoformat())
        return self._page(
            ctx,
            200,
            found=found,
            choices=found.choices,
            values=values,
            errors={},
            tables=partner_tables(found),
        )

    @get("/eksport", name="reports_partner_export_page", opt=audits("partner_read", "programme"))
    async def export(
        self,
        ctx: NamedDependency[Context],
        table: FromQuery[str | None] = None,
        format: FromQuery[str | None] = None,
        programme: FromQuery[str | None] = None,
        kommune: FromQuery[str | None] = None,
        fra: FromQuery[str | None] = None,
        til: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The page's tables as CSV or XLSX, for the page's filters."""
        found = await partner_aggregate(ctx, programme, kommune, fra, til)
        return partner_export(found, ctx.tenant.slug, table, format, ctx.now())

    def _page(self, ctx: Context, status_code: int, **context: Any) -> Template:
        programmes = sorted({(c[2], c[3]) for c in context["choices"]}, key=lambda p: p[1])
        municipalities = sorted({(c[0], c[1]) for c in context["choices"]}, key=lambda m: m[1])
        return report_page(
            "partner",
            ctx,
            status_code,
            programmes=programmes,
            municipalities=municipalities,
            active_nav="reports",
            **context,
        )
