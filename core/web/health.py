"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text

from core.db.migrate import head_revision


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
                description="The database does not answer, or migrations are pending.",
                generate_examples=False,
            )
        },
    )
    async def ready(self, state: State) -> Response[dict[str, str]]:
        """The database answers and its schema is at the newest migration."""
        try:
            async with state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                try:
                    version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
                except Exception:  # noqa: BLE001 - no version table: never migrated
                    version = None
        except Exception:  # noqa: BLE001 - any connection failure means "not ready"
            return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if version != head_revision():
            return Response(
                {"status": "unavailable", "database": "migrations pending"}, status_code=503
            )
        return Response({"status": "ready", "database": "ok"})
