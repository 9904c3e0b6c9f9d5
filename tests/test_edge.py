"""The edge of every request: security headers on every response (a CSP without
'unsafe-inline'), a request id in the header, the access-log line and the audit row, the client
address behind trusted proxies, one log format (JSON in production), and the OpenAPI document
behind sign-in in production."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.app import create_app
from core.audit.models import AuditEvent
from core.settings import load_settings
from core.web.edge import client_address
from core.web.logs import JsonFormatter, TextFormatter, request_id_var
from tests.conftest import settings_for

REPO = Path(__file__).resolve().parent.parent
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PRODUCTION = {
    "MAKKER_ENV": "production",
    "MAKKER_DATABASE_URL": "postgresql+asyncpg://makker_app:pw@127.0.0.1:1/makker",
    "MAKKER_SECRET_KEY": "s" * 40,
    "MAKKER_BASE_URL": "https://makker.example.dk",
    "MAKKER_OIDC_ISSUER": "https://login.example.dk/realms/makker",
    "MAKKER_OIDC_CLIENT_SECRET": "c" * 40,
    "MAKKER_DATA_KEYS": "kTR1s-e0cFk0HJL3h7yFy4x8fE1cBa9jV9M0yX6Zg0M=",
}
HEADERS = {
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.fixture
def app(database):
    """Built before the test runs (building an app configures logging, which would remove
    the handler ``caplog`` adds for the test)."""
    return create_app(settings_for(database))


@pytest.fixture
def production_app():
    """A production app; these tests never reach its (nonexistent) database."""
    return create_app(load_settings(PRODUCTION))


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


# -- security headers ---------------------------------------------------------------------------
@SQLITE
@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/", 200, "text/html"),  # a page
        ("/health/live", 200, "application/json"),  # an API answer
        ("/api/v1/t/ingen/programmes", 401, "application/json"),  # an API error
        ("/ingen-side", 404, "text/html"),  # an error page
        ("/static/makker.css", 200, "text/css"),  # a static file
    ],
)
async def test_every_response_gets_the_security_headers(app, path, status, kind):
    async with AsyncTestClient(app=app) as client:
        response = await client.get(path)
    assert (response.status_code, response.headers["content-type"].split(";")[0]) == (
        status,
        kind,
    )
    assert {k: response.headers.get(k) for k in HEADERS} == HEADERS
    assert _csp(response) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }
    assert "unsafe" not in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # development: plain http


async def test_production_adds_hsts_and_lets_forms_redirect_to_the_issuer(production_app):
    async with AsyncTestClient(app=production_app) as client:
        for path in ("/health/live", "/ingen-side"):
            response = await client.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000"
            assert {k: response.headers.get(k) for k in HEADERS} == HEADERS
            assert _csp(response)["form-action"] == "'self' https://login.example.dk"
            assert "unsafe" not in response.headers["content-security-policy"]


def test_templates_have_no_inline_script_style_or_event_handler():
    """What lets the CSP go without 'unsafe-inline': scripts and styles come from files."""
    found = []
    for path in sorted((REPO / "core").rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",  # an inline script
            r"<style\b",
            r"\sstyle=",
            r"\son[a-z]+\s*=",  # onclick=, onload=, ...
            r"javascript:",
            r"\shx-on",  # htmx's inline handlers need eval
        ):
            found += [f"{path.relative_to(REPO)}: {m}" for m in re.findall(pattern, text)]
    assert found == []


def test_htmx_adds_no_inline_style_and_evaluates_no_code():
    script = (REPO / "core" / "web" / "static" / "makker.js").read_text(encoding="utf-8")
    for setting in ("includeIndicatorStyles = false", "allowEval = false"):
        assert f"window.htmx.config.{setting};" in script
    css = (REPO / "core" / "web" / "static" / "makker.css").read_text(encoding="utf-8")
    assert ".htmx-indicator {" in css


# -- request id, access log, audit row ----------------------------------------------------------
@SQLITE
async def test_a_sane_request_id_is_kept_and_any_other_replaced(app):
    async with AsyncTestClient(app=app) as client:
        kept = await client.get("/ingen-side", headers={"X-Request-ID": "lb-0f3a9c2e-77"})
        bad = await client.get("/health/live", headers={"X-Request-ID": "id with spaces"})
        long = await client.get("/health/live", headers={"X-Request-ID": "a" * 65})
        none = await client.get("/health/live")
    assert kept.headers["x-request-id"] == "lb-0f3a9c2e-77"
    for response in (bad, long, none):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert len({r.headers["x-request-id"] for r in (bad, long, none)}) == 3


@SQLITE
async def test_one_access_log_line_without_query_values_or_personal_data(app, caplog):
    caplog.set_level(logging.DEBUG, logger="makker.access")
    async with AsyncTestClient(app=app) as client:
        response = await client.get(
            "/api/v1/t/kommune-x/people",
            params={"q": "Jens Hansen", "limit": "5", "q2": "x", "Jens@example.org": "1"},
            headers={"Authorization": "Bearer not-a-real-token", "Cookie": "makker_session=abc"},
        )
        await client.get("/health/live")
    (line, probe) = [r for r in caplog.records if r.name == "makker.access"]
    assert response.status_code == 401
    assert line.levelno == logging.INFO
    assert line.fields == {  # type: ignore[attr-defined]
        "method": "GET",
        "path": "/api/v1/t/{tenant_slug}/people?q&limit&q2&?",
        "status": 401,
        "duration_ms": line.fields["duration_ms"],  # type: ignore[attr-defined]
        "request_id": response.headers["x-request-id"],
        "tenant": "kommune-x",
    }
    assert line.getMessage().startswith("GET /api/v1/t/{tenant_slug}/people?q&limit&q2&? 401 ")
    for secret in ("Jens", "Hansen", "example.org", "not-a-real-token", "abc", "testclient"):
        assert secret not in caplog.text
    assert probe.levelno == logging.DEBUG  # a successful health probe is not INFO


@SQLITE
async def test_the_audit_row_carries_the_request_id_and_the_client_address(
    live, tenants, sessionmaker
):
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.get(
            f"/api/v1/t/{tenants.a.slug}/programmes", headers={"X-Request-ID": "edge-test-0001"}
        )
    assert (response.status_code, response.headers["x-request-id"]) == (401, "edge-test-0001")
    async with sessionmaker() as session:
        row = await session.scalar(
            select(AuditEvent).where(AuditEvent.request_id == "edge-test-0001")
        )
    assert row is not None
    assert (row.action, row.tenant_slug, row.client_address) == (
        "access_denied",
        tenants.a.slug,
        "127.0.0.1",
    )


def _scope(peer: str, forwarded: str | None = None) -> dict:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 4711), "headers": headers}


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("198.51.100.9", None, [], "198.51.100.9"),
        # No trusted proxy configured: X-Forwarded-For is anybody's claim.
        ("198.51.100.9", "203.0.113.1", [], "198.51.100.9"),
        # An untrusted peer cannot speak for anybody else either.
        ("198.51.100.9", "203.0.113.1", ["10.0.0.0/8"], "198.51.100.9"),
        ("10.0.0.2", "203.0.113.1", ["10.0.0.0/8"], "203.0.113.1"),
        # Two proxies of ours; the client's own claim on the left is not believed.
        ("10.0.0.2", "6.6.6.6, 203.0.113.1, 10.0.0.7", ["10.0.0.0/8"], "203.0.113.1"),
        ("10.0.0.2", "203.0.113.1:5123", ["10.0.0.0/8"], "203.0.113.1"),
        ("10.0.0.2", "[2001:db8::5]:443", ["10.0.0.0/8"], "2001:db8::5"),
        # Garbage stops the walk: nothing left of it is believed.
        ("10.0.0.2", "203.0.113.1, unknown", ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "203.0.113.1", ["::1/128"], "203.0.113.1"),
        ("testclient", None, [], None),
    ],
)
def test_the_client_address_respects_the_trusted_proxies(peer, forwarded, trusted, expected):
    networks = [ipaddress.ip_network(n) for n in trusted]
    assert client_address(_scope(peer, forwarded), networks) == expected


# -- one log format -----------------------------------------------------------------------------
def _record(**extra) -> logging.LogRecord:
    record = logging.LogRecord(
        "makker.test", logging.WARNING, __file__, 1, "hello %s", ("x",), None
    )
    record.__dict__.update(extra)
    return record


def test_the_two_formats():
    token = request_id_var.set("rid-12345678")
    try:
        stamped = _record(request_id="rid-12345678", fields={"status": 503})
        entry = json.loads(JsonFormatter().format(stamped))
        text = TextFormatter().format(stamped)
    finally:
        request_id_var.reset(token)
    assert entry == {
        "time": entry["time"],
        "level": "WARNING",
        "logger": "makker.test",
        "message": "hello x",
        "request_id": "rid-12345678",
        "status": 503,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    assert text.endswith(" WARNING makker.test: hello x request_id=rid-12345678")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_makker_serve_in_production_logs_json_lines_only(tmp_path: Path):
    """The real command: uvicorn's lines, the access log, the issuer warning and Litestar's all
    come out as one JSON object per line, with the request id of the answer."""
    port, nobody = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKKER_")}
    # An issuer where nothing answers: the API call below is a 503 with a warning line.
    env.update({**PRODUCTION, "MAKKER_OIDC_ISSUER": f"https://127.0.0.1:{nobody}/realms/makker"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health/live", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"makker serve did not start: {proc.stdout.read()}")  # type: ignore[union-attr]
                time.sleep(0.2)
        api = httpx.get(
            f"{base}/api/v1/t/kolding/programmes?q=Jens",
            headers={"Authorization": "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln"},
        )
        schema = httpx.get(f"{base}/schema/openapi.json")
        missing = httpx.get(f"{base}/ingen-side")
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert (api.status_code, api.headers["retry-after"]) == (503, "1")
    assert (schema.status_code, missing.status_code) == (401, 404)
    assert "server" not in api.headers  # no "uvicorn" banner
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # all JSON
    loggers = {entry["logger"] for entry in lines}
    assert {"uvicorn.error", "makker.access", "makker.identity"} <= loggers
    access = {e["request_id"]: e for e in lines if e["logger"] == "makker.access"}
    assert access[api.headers["x-request-id"]]["path"] == "/api/v1/t/{tenant_slug}/programmes?q"
    assert access[api.headers["x-request-id"]]["status"] == 503
    assert access[schema.headers["x-request-id"]]["status"] == 401
    assert access[missing.headers["x-request-id"]]["path"] == "(no route)"
    (warning,) = [e for e in lines if e["logger"] == "makker.identity"]
    assert warning["level"] == "WARNING"
    assert warning["request_id"] == api.headers["x-request-id"]
    assert "Jens" not in output and "c2ln" not in output


# -- the OpenAPI document -----------------------------------------------------------------------
async def test_the_openapi_document_needs_sign_in_in_production(production_app):
    async with AsyncTestClient(app=production_app) as client:
        anonymous = await client.get("/schema/openapi.json")
        production_app.state.token_validator.validate = _accept_any_token
        signed_in = await client.get(
            "/schema/openapi.json", headers={"Authorization": "Bearer anything"}
        )
    assert (anonymous.status_code, anonymous.headers["www-authenticate"]) == (401, "Bearer")
    assert anonymous.json()["status_code"] == 401
    assert "paths" not in anonymous.text
    assert signed_in.status_code == 200 and "/api/v1/t/{tenant_slug}/programmes" in signed_in.text


async def _accept_any_token(_token: str) -> dict:
    return {"iss": "https://login.example.dk/realms/makker", "sub": "reader", "typ": "Bearer"}


async def test_a_setting_opens_the_openapi_document_in_production():
    app = create_app(load_settings({**PRODUCTION, "MAKKER_OPENAPI_PUBLIC": "true"}))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200


@SQLITE
async def test_the_openapi_document_is_open_in_development(app):
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/schema/openapi.json")).status_code == 200
