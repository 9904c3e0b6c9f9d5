"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from core.db import schema_compat

logger = logging.getLogger("makker.health")
START_CHECK_SECONDS = 5.0


async def report_database_at_start(engine: Any, timeout: float = START_CHECK_SECONDS) -> bool:
    """Say in the log, once at start-up, when the database does not answer or its schema is
    outside what this code runs against. The app starts anyway (``/health/ready`` answers 503
    and requests get 503 until the database is back); the line tells the operator why.
    No URL, user or password goes into the line. Returns whether the database is ready."""
    try:
        revision, oldest_code = await asyncio.wait_for(schema_compat.read_state(engine), timeout)
    except Exception as error:  # noqa: BLE001 - any failure to answer means "unreachable"
        logger.warning(
            "database unreachable at start-up (%s); /health/ready answers 503 until it answers",
            type(error).__name__,
        )
        return False
    verdict = schema_compat.judge(revision, oldest_code)
    if not verdict.ready:
        logger.warning(
            "database schema not ready at start-up: %s (%s)", verdict.database, verdict.reason
        )
    return verdict.ready


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live", name="health_live")
    async def live(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @get(
        "/ready",
        name="health_ready",
        responses={
            503: ResponseSpec(
                dict[str, str],
                description=(
                    "The database does not answer, or its schema is outside the range this "
                    "code runs against (migrations pending, or a newer schema that no longer "
                    "runs this code); `reason` says which."
                ),
                generate_examples=False,
            )
        },
    )
    async def ready(self, state: State) -> Response[dict[str, str]]:
        """The database answers and its schema is one this code runs against: from the oldest
        revision it supports up to its newest, or newer if the schema says it still runs this
        code (expand/contract, docs/deploy.md)."""
        try:
            revision, oldest_code = await schema_compat.read_state(state.engine)
        except Exception:  # noqa: BLE001 - any connection failure means "not ready"
            return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
        verdict = schema_compat.judge(revision, oldest_code)
        if not verdict.ready:
            return Response(
                {"status": "unavailable", "database": verdict.database, "reason": verdict.reason},
                status_code=503,
            )
        return Response({"status": "ready", "database": "ok"})
