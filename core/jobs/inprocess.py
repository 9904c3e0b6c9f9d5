"""The jobs inside the app process, for the embedded default (SQLite: no queue, no worker).

:class:`InProcessJobs` runs the same :func:`core.jobs.tick.tick` as ``makker worker``, every
:data:`INTERVAL` seconds, as a task of the app's event loop (started and stopped by the app's
lifespan). One app process on SQLite is one runner, so nothing runs twice; and the tick is
idempotent on top of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from core.jobs.tick import JobRuntime, tick
from core.notifications.setup import make_transports
from core.settings import Settings

logger = logging.getLogger("makker.jobs")
#: Seconds between runs (a reminder is due to the minute; a minute late is on time).
INTERVAL = 30.0


class InProcessJobs:
    def __init__(self, runtime: JobRuntime, interval: float = INTERVAL) -> None:
        self.runtime = runtime
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="makker-jobs")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_now(self) -> None:
        """One run now (and wait for it); runs never overlap."""
        async with self._lock:
            await tick(self.runtime)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_now()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The error type only: a database error's message can quote a person's data.
                logger.error("the in-process jobs failed (%s); trying again", type(exc).__name__)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()


def in_process_jobs(sessionmaker: Any, settings: Settings, plugins: Any) -> InProcessJobs | None:
    """Start the jobs inside the app when the settings say so (SQLite); ``None`` otherwise."""
    if not settings.jobs_in_app:
        return None
    runtime = JobRuntime(sessionmaker, settings, plugins, make_transports(settings, plugins))
    jobs = InProcessJobs(runtime)
    jobs.start()
    return jobs
