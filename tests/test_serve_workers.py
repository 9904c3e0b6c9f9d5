"""`makker serve --workers N` (issue 18): uvicorn workers that each build the app from the
environment (``core.app:create_app`` as a factory), a graceful shutdown of
``MAKKER_GRACEFUL_SHUTDOWN_SECONDS``, and no second worker on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from core import cli
from tests.live import free_port

DEVELOPMENT = {"MAKKER_ENV": "development"}
POSTGRES = "postgresql+asyncpg://makker:x@127.0.0.1:5432/makker"


def _serve(monkeypatch, *args: str, env: dict[str, str]) -> tuple[Any, list[tuple]]:
    calls: list[tuple] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append((app, kw)))
    for key in [k for k in os.environ if k.startswith("MAKKER_")]:
        monkeypatch.delenv(key)
    result = CliRunner().invoke(cli.main, ["serve", *args], env=env)
    return result, calls


def test_one_worker_serves_the_app_object_with_the_graceful_shutdown(monkeypatch):
    result, calls = _serve(
        monkeypatch, env={**DEVELOPMENT, "MAKKER_GRACEFUL_SHUTDOWN_SECONDS": "7"}
    )
    assert result.exit_code == 0, result.output
    [(app, options)] = calls
    assert type(app).__name__ == "Litestar"
    assert options == {
        "host": "127.0.0.1",
        "port": 8000,
        "proxy_headers": False,
        "server_header": False,
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": 7,
    }


def test_several_workers_get_the_factory_on_postgresql(monkeypatch):
    env = {**DEVELOPMENT, "MAKKER_DATABASE_URL": POSTGRES}
    result, calls = _serve(monkeypatch, "--workers", "4", "--port", "8001", env=env)
    assert result.exit_code == 0, result.output
    [(app, options)] = calls
    assert (app, options["factory"], options["workers"], options["port"]) == (
        "core.app:create_app",
        True,
        4,
        8001,
    )
    assert options["timeout_graceful_shutdown"] == 20


def test_several_workers_on_sqlite_are_refused(monkeypatch):
    result, calls = _serve(monkeypatch, "--workers", "2", env=DEVELOPMENT)
    assert (result.exit_code, calls) == (2, [])
    assert result.output == (
        "makker: configuration error: --workers above 1 needs PostgreSQL (MAKKER_DATABASE_URL): "
        "on SQLite one process runs the jobs and counts the rate limits\n"
    )


def _children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            found.append(cmdline.decode(errors="replace"))
    return found


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_real_workers_answer_and_stop_on_sigterm(database, tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    env.update(
        {
            **DEVELOPMENT,
            "MAKKER_DATABASE_URL": database.app_url,
            "MAKKER_BASE_URL": f"http://127.0.0.1:{port}",
            "MAKKER_GRACEFUL_SHUTDOWN_SECONDS": "5",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"makker serve did not start: {proc.communicate()[0]}")
            time.sleep(0.3)
        workers = [c for c in _children(proc.pid) if "multiprocessing" in c and "spawn_main" in c]
        answers = [httpx.get(f"http://127.0.0.1:{port}/health/live").status_code for _ in range(6)]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert len(workers) == 2, workers
    assert answers == [200] * 6
    assert proc.returncode == 0, output
