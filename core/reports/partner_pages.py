"""The partner's aggregate as a page, and its exports for the page's filters.

* ``GET /t/{partner}/rapporter/partner?programme=&kommune=&fra=&til=`` - the suppressed figures
  per granted programme and in total, the questionnaire change, what "<5" and "x" mean, exports
  and a print stylesheet. A bad filter shows the form again with its errors (400).
* ``GET /t/{partner}/rapporter/partner/eksport?format=&table=&programme=&kommune=&fra=&til=``

Partner staff (and platform admins); the same read as the API
(:func:`core.reports.partner.partner_aggregate`).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Response, Template

from core.context import Context
from core.errors import Invalid
from core.reports.pages import report_page
from core.reports.partner import partner_aggregate
from core.reports.partner_api import partner_export, partner_staff_only, partner_tables
from core.strict_input import single_query_values
from core.web.pipeline import audits

#: The page's field names for the command's (programme, municipality, from, to).
FIELDS = {"programme": "programme", "municipality": "kommune", "from": "fra", "to": "til"}


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
