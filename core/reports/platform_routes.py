"""The platform report, for platform admins: counts per organisation across the platform.

* ``GET /api/v1/platform/report?from=&to=`` (JSON)
* ``GET /platform/rapport?fra=&til=`` (page)

Outside any tenant's URL: the request has no tenant, and :func:`core.reports.platform.
platform_report` reads each tenant in its own scope. Counts only, never a person.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.errors import Invalid, LoginRequired
from core.identity.guards import current_principal, requires_roles
from core.reports.period import parse_period
from core.reports.platform import COLUMNS, PlatformReport, PlatformRow, platform_report
from core.reports.schemas import PeriodOut, period_out
from core.strict_input import StrictController, single_query_values
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA

platform_admins = requires_roles("platform_admin")


def signed_in_platform_admin(connection: ASGIConnection[Any, Any, Any, Any], handler: Any) -> None:
    """The page's guard: sign in first (303 to the sign-in page), then platform admins only."""
    if current_principal(connection) is None:
        query = connection.scope.get("query_string") or b""
        target = connection.scope["path"] + (f"?{query.decode('latin-1')}" if query else "")
        raise LoginRequired(target)
    platform_admins(connection, handler)


signed_in_platform_admin.roles = ("platform_admin",)  # type: ignore[attr-defined]
Start = Annotated[str | None, QueryParameter(name="from")]
End = Annotated[str | None, QueryParameter(name="to")]


class PlatformRowOut(msgspec.Struct):
    #: The organisation's slug, name and kind (``municipality`` or ``partner``); null in the total.
    tenant: str | None
    name: str | None
    kind: str | None
    counts: dict[str, int]


class PlatformReportOut(msgspec.Struct):
    period: PeriodOut
    tenants: list[PlatformRowOut]
    total: PlatformRowOut


def _row(r: PlatformRow) -> PlatformRowOut:
    return PlatformRowOut(r.slug, r.name, r.kind, dict(r.counts))


def labels() -> dict[str, str]:
    return {
        "programmes": _("Programmes"),
        "people": _("People"),
        "citizens_enrolled": _("Citizens enrolled"),
        "mentors_enrolled": _("Mentors enrolled"),
        "forloeb_running": _("Forløb running at the end of the period"),
        "forloeb_started": _("Forløb started"),
        "meetings_held": _("Meetings held"),
        "meetings_cancelled": _("Meetings cancelled (afbud)"),
        "partnerships_given": _("Partnerships given"),
        "partnerships_received": _("Partnerships received"),
    }


async def _read(session: AsyncSession, start: str | None, end: str | None) -> PlatformReport:
    return await platform_report(session, parse_period(start, end, clock.today()))


class PlatformReportApiController(StrictController):
    path = "/api/v1/platform/report"
    tags = ["platform"]
    guards = [platform_admins]

    @get("/", name="api_platform_report", opt=NO_PERSONAL_DATA)
    async def report(
        self, db_session: NamedDependency[AsyncSession], start: Start = None, end: End = None
    ) -> PlatformReportOut:
        """Platform admins: counts per organisation and in total for a period (``from``/``to``,
        ``YYYY-MM-DD``; default the year up to today) - programmes, people, enrolments, forløb,
        meetings and partnerships. Counts only."""
        found = await _read(db_session, start, end)
        return PlatformReportOut(
            period_out(found.period), [_row(r) for r in found.tenants], _row(found.total)
        )


class PlatformReportPagesController(Controller):
    before_request = staticmethod(single_query_values)  # every query parameter once
    path = "/platform/rapport"
    include_in_schema = False
    guards = [signed_in_platform_admin]

    @get("/", name="platform_report_page", opt=NO_PERSONAL_DATA)
    async def page(
        self,
        db_session: NamedDependency[AsyncSession],
        fra: FromQuery[str | None] = None,
        til: FromQuery[str | None] = None,
    ) -> Template:
        """The platform report as a page."""
        values = {"fra": fra or "", "til": til or ""}
        context: dict[str, Any] = {"columns": COLUMNS, "labels": labels(), "values": values}
        try:
            found = await _read(db_session, fra, til)
        except Invalid as exc:
            names = {"from": "fra", "to": "til"}
            errors = {names.get(k, k): v for k, v in exc.errors.items()}
            return _template({**context, "found": None, "errors": errors}, 400)
        values.update(fra=found.period.start.isoformat(), til=found.period.end.isoformat())
        return _template({**context, "found": found, "errors": {}}, 200)


def _template(context: dict[str, Any], status_code: int) -> Template:
    return Template(
        "reports/platform.html",
        context={"active_nav": "platform", **context},
        status_code=status_code,
        media_type=MediaType.HTML,
    )
