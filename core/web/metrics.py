"""Prometheus metrics (Litestar's Prometheus plugin), never public.

``GET /metrics`` exists only when ``MAKKER_METRICS_TOKEN`` is set, and answers only a request
with ``Authorization: Bearer <that token>`` (401 otherwise; compared in constant time). The
metrics are Litestar's (``makker_requests_total``, ``makker_request_duration_seconds``,
``makker_requests_in_progress``, ``makker_requests_error_total``) with the labels ``method``,
``path`` - the route **template** (``/t/{tenant_slug}/personer/{person_id}``), never the path
itself, which holds tenant slugs, object ids and calendar tokens - ``status_code`` and
``app_name``. An unknown path and the static files are not counted (no template; not
interesting). So no label carries a tenant's or a person's data.

With ``makker serve --workers N`` each worker counts for itself: ``makker serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at an empty directory of its own (unless set), so ``/metrics``
answers the sum of all workers whichever answers the scrape (docs/deploy.md "Metrics").

Every answer is counted with the status it was sent with: a refusal the request pipeline raises
(401, 429, 503 while the database is down, 303 to sign-in) is turned into its response *inside*
the metrics middleware (:class:`_CountingMiddleware`), not by Litestar's outer exception handler
after the middleware has already counted a 200 with no duration.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from litestar.exceptions import NotAuthorizedException

from core.web.pipeline import NO_PERSONAL_DATA

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.plugins.prometheus import PrometheusConfig
    from litestar.types import ASGIApp

    from core.settings import Settings

METRICS_PATH = "/metrics"
PREFIX = "makker"


def _counting_middleware() -> type[Any]:
    from litestar._asgi.utils import wrap_in_exception_handler
    from litestar.plugins.prometheus import PrometheusMiddleware

    class _CountingMiddleware(PrometheusMiddleware):
        """Litestar's Prometheus middleware around the exception handler: what the inner
        middlewares and the handler raise becomes the response the metrics see."""

        def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
            super().__init__(wrap_in_exception_handler(app), config)

    return _CountingMiddleware


def _bearer_guard(token: str) -> Any:
    expected = f"Bearer {token}".encode()

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        given = connection.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise NotAuthorizedException(headers={"WWW-Authenticate": "Bearer"})

    return guard


def metrics(settings: Settings) -> tuple[list[Any], list[Any]]:
    """The route handlers and middleware of the metrics, or nothing without a token."""
    if not settings.metrics_token:
        return [], []
    from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

    config = PrometheusConfig(
        app_name="makker",
        prefix=PREFIX,
        group_path=True,  # the route template, never the path
        exclude_unhandled_paths=True,
        exclude=["^/static/", f"^{METRICS_PATH}$"],
        middleware_class=_counting_middleware(),
    )

    class MetricsController(PrometheusController):
        path = METRICS_PATH
        include_in_schema = False
        guards = [_bearer_guard(settings.metrics_token or "")]
        opt = NO_PERSONAL_DATA

    return [MetricsController], [config.middleware]
