"""A database outage (issue 18): while PostgreSQL cannot be reached every request is a 503 with
Retry-After and a Danish message (JSON under /api, the busy page elsewhere), never a 500;
/health/ready answers 503; a write during the outage leaves nothing behind; when the database
is back the same app answers normally again by itself (the pool replaces its dead connections).

The outage is a TCP proxy between the app and the test's PostgreSQL that is cut (every open
connection reset, new ones refused) and opened again on the same port."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.app import create_app
from core.db.tenant_scope import tenant_scope
from core.participants.models import Person
from tests.conftest import settings_for
from tests.plugin_fixtures import _CoordinatorTokens, shipped  # noqa: F401

BUSY = "Makker har travlt lige nu. Prøv igen om et øjeblik."


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 in a thread of its own: :meth:`cut` resets every connection and
    refuses new ones; :meth:`restore` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        #: a directory is PostgreSQL's unix socket (the embedded server listens there)
        self.target = (host, port)
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = self.target
        try:
            if host.startswith("/"):
                up_reader, up_writer = await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
            else:
                up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    def start(self) -> None:
        self._run(self._listen())

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    def stop(self) -> None:
        self._run(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def proxy(database):
    url = make_url(database.app_url)
    socket = url.query.get("host")
    host = socket if isinstance(socket, str) else (url.host or "127.0.0.1")
    proxy = CuttableProxy(host, url.port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


async def _people(sessionmaker, tenant) -> int:
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(Person)) or 0)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_an_unreachable_database_answers_503_and_the_app_recovers_by_itself(
    database,
    shipped,  # noqa: F811
    sessionmaker,
    proxy,
    caplog,
):
    kolding = shipped["kolding"]
    url = make_url(database.app_url)
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).difference_update_query(["host"])
    settings = settings_for(
        database, database_url=via_proxy.render_as_string(hide_password=False), db_pool_timeout=1
    )
    app = create_app(settings)
    app.state.token_validator = _CoordinatorTokens(settings.oidc_issuer, [kolding.slug])
    logging.getLogger().addHandler(caplog.handler)  # create_app configured logging
    people = f"/api/v1/t/{kolding.slug}/people"
    public = f"/offentlig/{kolding.slug}"
    new_person = {"name": "Fiktiv Udfaldsen"}
    before = await _people(sessionmaker, kolding)
    async with AsyncTestClient(app=app) as client:
        client.headers["Authorization"] = "Bearer test"
        up = [(await client.get(url)).status_code for url in (people, "/health/ready", public)]
        proxy.cut()
        # the pooled connection is dead, then new connections are refused
        down_api = [await client.get(people) for _ in range(2)]
        down_write = await client.post(people, json=new_person)
        down_ready = await client.get("/health/ready")
        down_page = await client.get(public)
        proxy.restore()
        back = [(await client.get(url)).status_code for url in (people, "/health/ready", public)]
    assert up == [200, 200, 200]
    assert [(r.status_code, r.headers["retry-after"]) for r in down_api] == [(503, "2")] * 2
    assert [r.json() for r in down_api] == [{"status_code": 503, "detail": BUSY}] * 2
    assert (down_write.status_code, down_write.json()) == (
        503,
        {"status_code": 503, "detail": BUSY},
    )
    assert (down_ready.status_code, down_ready.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )
    assert (down_page.status_code, down_page.headers["retry-after"]) == (503, "2")
    assert BUSY in down_page.text and down_page.headers["content-type"].startswith("text/html")
    assert back == [200, 200, 200]
    # the write during the outage left nothing behind
    assert await _people(sessionmaker, kolding) == before
    # one line per refused request, no traceback, no 500
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    route = "/api/v1/t/{tenant_slug}/people"
    assert [r.getMessage() for r in caplog.records if r.name == "makker.database"] == [
        f"database unavailable (InterfaceError): answered 503 on {route}",
        f"database unavailable (ConnectionRefusedError): answered 503 on {route}",
        f"database unavailable (ConnectionRefusedError): answered 503 on {route}",
        "database unavailable (ConnectionRefusedError): answered 503 on /offentlig/{slug}",
    ]
    assert [r.getMessage() for r in caplog.records if r.name == "makker.ratelimit"] == [
        "rate limit store unavailable (InterfaceError): not limiting"
    ]


def test_which_errors_are_a_database_outage():
    """PostgreSQL shutting down, starting up or full, a connection closed, refused or without
    its socket file: an outage (503). A constraint or a missing file elsewhere: not (500)."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError, IntegrityError

    from core.errors import database_down

    class Orig(Exception):
        sqlstate = "57P01"

    def wrapped(orig: Exception) -> DBAPIError:
        return DBAPIError("SELECT 1", None, orig)

    outage = [
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        wrapped(Orig("terminating connection due to administrator command")),
    ]
    fine = [
        IntegrityError("INSERT", None, Exception("duplicate key")),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        FileNotFoundError("a template"),  # not raised inside the database driver
        ValueError("x"),
    ]
    assert [database_down(e) for e in outage] == [True] * 4
    assert [database_down(e) for e in fine] == [False] * 4
