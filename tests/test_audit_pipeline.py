# ruff: noqa: F811 - pytest fixtures imported from tests.plugin_fixtures are parameters here
"""The request pipeline: every tenant route declares its audit, reads write exactly one row,
a write and its audit row land or fail together, 64 simultaneous requests all succeed, and an
exhausted pool answers 503 with Retry-After."""

from __future__ import annotations

import asyncio
import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from core.app import create_app
from core.audit.models import AuditEvent
from core.db.tenant_scope import tenant_scope
from core.participants.models import Person
from core.settings import Settings
from core.web.pipeline import AUDIT_OPT, Audit, NoPersonalData
from tests.conftest import settings_for
from tests.plugin_fixtures import _CoordinatorTokens, add_person, api, shipped  # noqa: F401

TENANT_PREFIXES = ("/t/", "/api/v1/t/")


def _tenant_handlers():
    app = create_app(Settings())
    for route in app.routes:
        if not route.path.startswith(TENANT_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            if "OPTIONS" in handler.http_methods:
                continue  # Litestar's generated CORS pre-flight: no handler of ours
            yield route.path, handler


def test_every_tenant_route_declares_its_audit():
    missing, bad_params = [], []
    for path, handler in _tenant_handlers():
        declared = (handler.opt or {}).get(AUDIT_OPT)
        if not isinstance(declared, Audit | NoPersonalData):
            missing.append(f"{sorted(handler.http_methods)} {path}")
        elif isinstance(declared, Audit) and declared.id_param:
            params = set(re.findall(r"{(\w+):", path))
            if declared.id_param not in params:
                bad_params.append(f"{path}: {declared.id_param}")
    assert missing == []
    assert bad_params == []


def test_the_declarations_cover_the_routes_that_once_wrote_no_audit():
    declared = {
        (sorted(h.http_methods)[0], path): h.opt[AUDIT_OPT] for path, h in _tenant_handlers()
    }
    for method, path, action in [
        ("GET", "/api/v1/t/{tenant_slug:str}/forloeb", "forloeb.list"),
        ("GET", "/api/v1/t/{tenant_slug:str}/forloeb/attention", "forloeb.attention"),
        ("GET", "/t/{tenant_slug:str}/forloeb", "forloeb.list"),
        ("GET", "/api/v1/t/{tenant_slug:str}/courses", "course.list"),
        ("GET", "/api/v1/t/{tenant_slug:str}/activities", "activity.list"),
        (
            "PUT",
            "/api/v1/t/{tenant_slug:str}/courses/{course_id:uuid}/sessions/{session_id:uuid}/attendance",
            "course.attendance",
        ),
        (
            "GET",
            "/api/v1/t/{tenant_slug:str}/programmes/{programme_slug:str}/matching/assignment",
            "matching.assignment",
        ),
    ]:
        assert declared[(method, path)].action == action  # type: ignore[union-attr]


async def _audit_count(sessionmaker, slug: str) -> list[tuple[str, str | None, dict]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.detail)
            .where(AuditEvent.tenant_slug == slug)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return [(r.action, r.object_id, r.detail) for r in rows]


@pytest.mark.parametrize(
    ("path", "action", "object_is_person"),
    [
        ("/forloeb", "forloeb.list", False),
        ("/forloeb/attention", "forloeb.attention", False),
        ("/courses", "course.list", False),
        ("/activities", "activity.list", False),
        (
            "/people/{person}/intake?programme=borger-til-borger&role=mentor",
            "person_intake_answers_read",
            True,
        ),
        (
            "/people/{person}/eligibility?programme=borger-til-borger&role=mentor",
            "person.eligibility",
            True,
        ),
        ("/people/{person}", "person.read", True),
    ],
)
async def test_a_read_adds_exactly_one_audit_row_without_field_values(
    api, shipped, sessionmaker, path, action, object_is_person
):
    kolding = shipped["kolding"]
    person_id = await add_person(
        sessionmaker, kolding, {"mentor_course.completed_on": "2026-01-01"}
    )
    before = await _audit_count(sessionmaker, kolding.slug)
    url = f"/api/v1/t/{kolding.slug}" + path.replace("{person}", str(person_id))
    response = await api.get(url)
    assert response.status_code == 200, response.text
    after = await _audit_count(sessionmaker, kolding.slug)
    assert after[: len(before)] == before
    assert after[len(before) :] == [
        (action, str(person_id) if object_is_person else None, {}),
    ]


async def test_a_write_and_its_audit_row_fail_together(api, shipped, sessionmaker, monkeypatch):
    kolding = shipped["kolding"]

    async def count() -> int:
        with tenant_scope(kolding.id):
            async with sessionmaker() as session:
                return await session.scalar(select(func.count()).select_from(Person)) or 0

    people = await count()
    rows = await _audit_count(sessionmaker, kolding.slug)

    def broken(self, notes):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr("core.web.pipeline.RequestContext.audit_rows", broken)
    response = await api.post(f"/api/v1/t/{kolding.slug}/people", json={"name": "Ulla Uskrevet"})
    assert response.status_code == 500
    assert await count() == people
    assert await _audit_count(sessionmaker, kolding.slug) == rows
    monkeypatch.undo()
    response = await api.post(f"/api/v1/t/{kolding.slug}/people", json={"name": "Ulla Skrevet"})
    assert response.status_code == 201
    assert await count() == people + 1
    assert (await _audit_count(sessionmaker, kolding.slug))[len(rows) :] == [
        ("person.create", response.json()["id"], {})
    ]


async def test_a_refusal_is_audited_after_the_request(api, shipped, sessionmaker):
    kolding = shipped["kolding"]
    before = await _audit_count(sessionmaker, kolding.slug)
    missing = "00000000-0000-4000-8000-000000000000"
    response = await api.get(f"/api/v1/t/{kolding.slug}/people/{missing}")
    assert (response.status_code, response.json()) == (
        404,
        {"status_code": 404, "detail": "Findes ikke."},
    )
    after = await _audit_count(sessionmaker, kolding.slug)
    assert after[len(before) :] == [("access_denied", None, {"reason": "refused", "status": 404})]


async def test_64_simultaneous_requests_all_succeed(api, shipped, sessionmaker):
    kolding = shipped["kolding"]
    await add_person(sessionmaker, kolding)
    url = f"/api/v1/t/{kolding.slug}/people?limit=50"
    responses = await asyncio.gather(*(api.get(url) for _ in range(64)))
    assert [r.status_code for r in responses] == [200] * 64


async def test_an_exhausted_pool_answers_503_with_retry_after(database, shipped):
    settings = settings_for(database, db_pool_size=1, db_pool_timeout=0.2)
    app = create_app(settings)
    kolding = shipped["kolding"]
    app.state.token_validator = _CoordinatorTokens(settings.oidc_issuer, [kolding.slug])
    async with AsyncTestClient(app=app) as client:
        client.headers["Authorization"] = "Bearer test"
        # Check the pool's only connection out in the app's own event loop and keep it.
        portal = client.blocking_portal
        held = await asyncio.to_thread(portal.call, app.state.engine.connect)
        try:
            refused = await client.get(f"/api/v1/t/{kolding.slug}/people")
        finally:
            await asyncio.to_thread(portal.call, held.close)
        served = await client.get(f"/api/v1/t/{kolding.slug}/people")
    assert (refused.status_code, refused.headers.get("retry-after")) == (503, "2")
    assert refused.json() == {
        "status_code": 503,
        "detail": "Makker har travlt lige nu. Prøv igen om et øjeblik.",
    }
    assert served.status_code == 200


async def test_the_people_list_pages_with_limit_and_offset(api, shipped, sessionmaker):
    kolding = shipped["kolding"]
    for _ in range(3):
        await add_person(sessionmaker, kolding, consent=False)
    url = f"/api/v1/t/{kolding.slug}/people"
    everyone = (await api.get(url, params={"limit": 100})).json()
    ids = [p["id"] for p in everyone["items"]]
    assert everyone["total"] == len(ids) >= 3
    second = (await api.get(url, params={"limit": 2, "offset": 1})).json()
    assert [p["id"] for p in second["items"]] == ids[1:3]
    assert (second["page_size"], second["offset"]) == (2, 1)
    refused = await api.get(url, params={"limit": 101, "offset": -1})
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {
            "limit": "Vælg fra 1 til 100 rækker pr. side.",
            "offset": "Forskydningen skal være 0 eller mere.",
        },
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": 5}, {"name": "Værdien er ikke gyldig."}),
        ({"name": "Anna", "ukendt": 1}, {"ukendt": "Feltet kendes ikke."}),
        (b"not json", {"body": "Forespørgslen kunne ikke læses: den er ikke gyldig JSON i UTF-8."}),
        (
            b'{"name": "\xff"}',
            {"body": "Forespørgslen kunne ikke læses: den er ikke gyldig JSON i UTF-8."},
        ),
        (
            b'{"name": "\\ud800"}',
            {"body": "Forespørgslen kunne ikke læses: den er ikke gyldig JSON i UTF-8."},
        ),
        (b"[" * 2000 + b"]" * 2000, {"body": "Forespørgslen er indlejret for dybt."}),
    ],
)
async def test_a_body_that_cannot_be_read_is_a_danish_400_per_field(api, shipped, body, errors):
    url = f"/api/v1/t/{shipped['kolding'].slug}/people"
    if isinstance(body, dict):
        response = await api.post(url, json=body)
    else:
        response = await api.post(url, content=body, headers={"content-type": "application/json"})
    assert (response.status_code, response.json()["errors"]) == (400, errors)


async def test_a_missing_or_wrong_query_parameter_is_a_danish_400(api, shipped):
    base = f"/api/v1/t/{shipped['kolding'].slug}"
    missing = await api.get(f"{base}/programmes/borger-til-borger/matching/suggestions")
    wrong = await api.get(f"{base}/people", params={"limit": "x"})
    assert (missing.status_code, missing.json()["errors"]) == (
        400,
        {"mentee": "Feltet skal udfyldes."},
    )
    assert (wrong.status_code, wrong.json()["errors"]) == (
        400,
        {"limit": "Værdien er ikke gyldig."},
    )


async def test_a_missing_body_field_and_a_too_large_offset_are_named(api, shipped):
    base = f"/api/v1/t/{shipped['kolding'].slug}"
    missing = await api.post(f"{base}/people", json={})
    huge = await api.get(f"{base}/people", params={"offset": 2**63, "page": 2**40})
    assert (missing.status_code, missing.json()["errors"]) == (
        400,
        {"name": "Feltet skal udfyldes."},
    )
    assert (huge.status_code, huge.json()["errors"]) == (
        400,
        {"page": "Tallet er for stort.", "offset": "Tallet er for stort."},
    )


async def test_an_anonymous_api_call_to_a_tenant_is_audited_as_refused(
    database, shipped, sessionmaker
):
    from litestar.testing import AsyncTestClient

    kolding = shipped["kolding"]
    before = await _audit_count(sessionmaker, kolding.slug)
    async with AsyncTestClient(app=create_app(settings_for(database))) as client:
        response = await client.get(f"/api/v1/t/{kolding.slug}/people")
    assert response.status_code == 401
    after = await _audit_count(sessionmaker, kolding.slug)
    assert after[len(before) :] == [("access_denied", None, {"reason": "no token", "status": 401})]


@pytest.mark.parametrize("path", ["/courses", "/activities"])
async def test_lists_take_limit_and_offset(api, shipped, path):
    base = f"/api/v1/t/{shipped['kolding'].slug}{path}"
    for n in (1, 2, 3):
        if path == "/courses":
            session = {"day": f"2027-0{n}-10", "starts": "10:00:00", "ends": "15:00:00"}
            body = {
                "programme": "borger-til-borger",
                "capacity": 8,
                "sessions": [{**session, "topic": "Recovery"}],
            }
        else:
            body = {
                "kind": "cafe",
                "title": f"Café {n}",
                "first_on": f"2027-0{n}-10",
                "starts": "17:00:00",
                "ends": "19:00:00",
            }
        assert (await api.post(f"{base}/", json=body)).status_code == 201
    everything = (await api.get(base)).json()
    assert len(everything) == 3
    window = await api.get(base, params={"limit": 1, "offset": 1})
    beyond = await api.get(base, params={"limit": 5, "offset": len(everything)})
    refused = await api.get(base, params={"limit": 0, "offset": -1})
    assert window.json() == everything[1:2]
    assert (beyond.status_code, beyond.json()) == (200, [])
    assert (refused.status_code, refused.json()["errors"]) == (
        400,
        {"limit": "Vælg fra 1 til 500 rækker.", "offset": "Forskydningen skal være 0 eller mere."},
    )
