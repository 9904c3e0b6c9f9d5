"""The one place that assembles the Makker application."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from os import PathLike
from pathlib import Path
from typing import Any

from jinja2 import Environment
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.exc import TimeoutError as PoolTimeout

import core
from core.access.api import InvitationApiController, MemberApiController
from core.access.pages import InvitationPagesController, MemberPagesController
from core.activities.api import ActivityApiController
from core.activities.pages import ActivityPagesController
from core.applications.pages import ApplicationApi, ApplicationPages, PublicApplicationPages
from core.calendar.api import CalendarLinkApiController
from core.calendar.pages import PublicCalendarController
from core.courses.api import CourseApiController
from core.courses.pages import CoursePagesController
from core.db.encryption import configure_from as configure_data_keys
from core.db.session import create_app_engine, create_sessionmaker
from core.errors import QUIET_DATABASE_ERRORS, document_api_errors, exception_handlers
from core.forloeb.controllers import ForloebApiController, MatchingApiController
from core.forloeb.pages import ForloebPagesController, MatchingPagesController
from core.gdpr.api import (
    MyAccessLogApiController,
    PersonErasureApiController,
    PersonGdprApiController,
)
from core.gdpr.erasure_pages import PersonErasurePagesController
from core.gdpr.pages import MyAccessLogPagesController, PersonGdprPagesController
from core.identity.dev_issuer import DevIssuer
from core.identity.dev_issuer_routes import dev_issuer_router
from core.identity.issuer import IssuerUnavailable, issuer_unavailable
from core.identity.tokens import TokenValidator
from core.identity.web_auth import AuthController
from core.jobs.inprocess import in_process_jobs
from core.jobs.tick import seal_audit
from core.mine.api import AccountApiController, MeApiController
from core.mine.availability_api import MyAvailabilityApi
from core.mine.pages import MyPageController
from core.notifications.api import (
    NotificationApiController,
    PersonChoicesApiController,
    PlannedMeetingApiController,
)
from core.notifications.pages import (
    DevelopmentMailboxController,
    NotificationPagesController,
    PlannedMeetingPagesController,
)
from core.notifications.setup import mailbox_enabled
from core.outcomes import labels as outcome_labels
from core.outcomes.api import OutcomeApiController
from core.outcomes.pages import OutcomePagesController
from core.participants.controllers import ParticipantsApiController
from core.participants.pages import ParticipantPagesController
from core.plugin_api import PluginError, create_plugin_manager
from core.programmes.controllers import ProgrammeRulesApiController
from core.reports.api import ReportApiController
from core.reports.pages import ReportPagesController
from core.reports.partner_api import PartnerReportApiController
from core.reports.partner_pages import PartnerReportPagesController
from core.reports.platform_routes import (
    PlatformReportApiController,
    PlatformReportPagesController,
)
from core.settings import Settings, load_settings
from core.tenancy.controllers import TenantApiController, TenantPagesController
from core.tenancy.partnership_controllers import (
    PartnershipApiController,
    PartnershipPagesController,
)
from core.web import i18n
from core.web.edge import Edge
from core.web.filters import FILTERS
from core.web.health import HealthController, report_database_at_start
from core.web.logs import logging_config
from core.web.metrics import metrics
from core.web.middleware import LocaleMiddleware
from core.web.openapi import StrictStructSchemaPlugin
from core.web.pages import PagesController
from core.web.pipeline import (
    RequestPipelineMiddleware,
    finish_request,
    provide_ctx,
    provide_db_session,
)
from core.web.ratelimit import RateLimited, create_limiter

CORE_DIR = Path(__file__).parent
TEMPLATE_DIRS: list[Path | PathLike[Any] | str] = [
    CORE_DIR / "web" / "templates",
    CORE_DIR / "tenancy" / "templates",
    CORE_DIR / "identity" / "templates",
    CORE_DIR / "access" / "templates",
    CORE_DIR / "participants" / "templates",
    CORE_DIR / "courses" / "templates",
    CORE_DIR / "activities" / "templates",
    CORE_DIR / "mine" / "templates",
    CORE_DIR / "forloeb" / "templates",
    CORE_DIR / "outcomes" / "templates",
    CORE_DIR / "reports" / "templates",
    CORE_DIR / "applications" / "templates",
    CORE_DIR / "notifications" / "templates",
    CORE_DIR / "gdpr" / "templates",
]
STATIC_DIR = CORE_DIR / "web" / "static"
NOT_FOUND_DETAIL = "Not Found"


def _configure_jinja(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["get_locale"] = i18n.get_locale
    env.globals["locale_names"] = i18n.LOCALE_NAMES
    env.globals["outcome"] = outcome_labels
    env.filters.update(FILTERS)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or load_settings()
    configure_data_keys(settings)  # encrypted free text (issue 15)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_app_engine(
            settings.database_url, settings.db_pool_size, settings.db_pool_timeout
        )
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        # rate limits: shared by the workers through PostgreSQL, in memory on SQLite
        app.state.limiter = create_limiter(settings)
        await report_database_at_start(engine)
        jobs = in_process_jobs(app.state.sessionmaker, settings, state["plugin_manager"])
        try:
            yield
        finally:
            if jobs is not None:
                await jobs.stop()
            # the audit rows of the last requests are sealed before the process ends (issue 15)
            await seal_audit(app.state.sessionmaker)
            await app.state.limiter.close()
            await engine.dispose()

    extra_handlers: list[Any] = []
    state: dict[str, Any] = {"settings": settings, "token_validator": TokenValidator(settings)}
    state["plugin_manager"] = create_plugin_manager(settings.plugins)
    if settings.dev_issuer_enabled:
        state["dev_issuer"] = DevIssuer(settings)
        extra_handlers.append(dev_issuer_router())
    if mailbox_enabled(settings):
        extra_handlers.append(DevelopmentMailboxController)
    # GET /metrics only with MAKKER_METRICS_TOKEN (a bearer token), labelled by route template
    metric_handlers, metric_middleware = metrics(settings)
    extra_handlers.extend(metric_handlers)

    app = Litestar(
        route_handlers=[
            *extra_handlers,
            AuthController,
            PagesController,
            HealthController,
            TenantPagesController,
            TenantApiController,
            PartnershipApiController,
            PartnershipPagesController,
            PartnerReportApiController,
            PartnerReportPagesController,
            PlatformReportApiController,
            PlatformReportPagesController,
            ProgrammeRulesApiController,
            ParticipantsApiController,
            OutcomeApiController,
            ParticipantPagesController,
            CourseApiController,
            CoursePagesController,
            ActivityApiController,
            ActivityPagesController,
            CalendarLinkApiController,
            PublicCalendarController,
            PublicApplicationPages,
            ApplicationPages,
            ApplicationApi,
            InvitationApiController,
            MemberApiController,
            InvitationPagesController,
            MemberPagesController,
            AccountApiController,
            MeApiController,
            MyAvailabilityApi,
            MyPageController,
            PersonGdprApiController,
            PersonErasureApiController,
            PersonErasurePagesController,
            PersonGdprPagesController,
            MyAccessLogApiController,
            MyAccessLogPagesController,
            MatchingApiController,
            ForloebApiController,
            MatchingPagesController,
            ForloebPagesController,
            OutcomePagesController,
            ReportApiController,
            ReportPagesController,
            NotificationApiController,
            PersonChoicesApiController,
            PlannedMeetingApiController,
            NotificationPagesController,
            PlannedMeetingPagesController,
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], include_in_schema=False
            ),
        ],
        dependencies={
            "db_session": Provide(provide_db_session, sync_to_thread=False),
            "ctx": Provide(provide_ctx, sync_to_thread=False),
        },
        middleware=[
            *metric_middleware,
            LocaleMiddleware(settings.default_locale),
            RequestPipelineMiddleware(),
        ],
        after_request=finish_request,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="makker_csrf",
            cookie_secure=settings.is_production,
            cookie_httponly=True,
            cookie_samesite="lax",
            # The back-channel logout is called by the issuer, with a signed token, no cookie.
            exclude=["^/api/", "^/realms/", "^/admin/realms/", "^/auth/backchannel-logout$"],
        ),
        lifespan=[lifespan],
        template_config=TemplateConfig(
            directory=TEMPLATE_DIRS, engine=JinjaTemplateEngine, engine_callback=_configure_jinja
        ),
        plugins=[HTMXPlugin(), StrictStructSchemaPlugin()],
        openapi_config=OpenAPIConfig(
            title="Makker API",
            version=core.__version__,
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        exception_handlers={**exception_handlers(), IssuerUnavailable: issuer_unavailable},
        # One format for every logger (JSON in production); no personal data, tokens or cookies.
        logging_config=logging_config(
            settings,
            # Refusals and redirects to sign-in are answers, not failures: not logged (they are
            # audited where it matters); an exhausted pool and an unreachable issuer log one
            # line of their own, as does a broken plugin (naming it, never its exception's
            # message); 5xx and unexpected exceptions are logged with a trace.
            quiet_traces={
                303,
                400,
                401,
                403,
                404,
                405,
                409,
                422,
                429,
                PoolTimeout,
                RateLimited,
                *QUIET_DATABASE_ERRORS,
                IssuerUnavailable,
                PluginError,
            },
        ),
        state=State(state),
        debug=False,
    )
    document_api_errors(app.routes)
    # Outermost: request id, client address, security headers and the access log for every
    # request - also an unknown path, a static file and an error page (core/web/edge.py).
    app.asgi_handler = Edge(app.asgi_handler, settings)
    return app
