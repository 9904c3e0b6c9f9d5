"""The web shell: health, tenant front page in Danish and English, 404s, API, OpenAPI, static."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from core.app import create_app
from core.tenancy.config import load_tenant_dir
from core.tenancy.sync import sync_tenants
from tests.conftest import settings_for
from tests.live import browser_sign_in
from tests.tenant_files import copy_shipped_tenants

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
async def shipped(sessionmaker, tmp_path_factory, backend, request):
    """The shipped tenant files, synced under slugs unique to this test."""
    suffix = f"web{abs(hash(request.node.name)) % 10**8}-{backend}"
    directory = copy_shipped_tenants(tmp_path_factory.mktemp("tenants"), suffix)
    await sync_tenants(sessionmaker, load_tenant_dir(directory))
    return {name: f"{name}-{suffix}" for name in ("kolding", "vejle", "psykiatrifonden")}


@pytest.fixture
async def client(database):
    async with AsyncTestClient(app=create_app(settings_for(database))) as c:
        yield c


async def test_health_live(client):
    response = await client.get("/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_health_ready_on_migrated_database(client):
    response = await client.get("/health/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ready", "database": "ok"})


# Readiness below, at and beyond the supported schemas: tests/test_schema_compat.py


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
async def signed_in(live, shipped):
    """A browser-like client signed in as a coordinator of the shipped Kolding and Vejle."""
    user = f"koord-{shipped['kolding']}"
    live.add_user(user, ("coordinator",), (shipped["kolding"], shipped["vejle"]))
    async with httpx.AsyncClient(base_url=live.url) as http:
        await browser_sign_in(http, live, user)
        yield http


@pytest.fixture
async def api(live, shipped):
    """Bearer headers per shipped tenant's coordinator, and one for the partner's staff."""
    headers = {}
    for name, roles in (
        ("kolding", ("coordinator",)),
        ("vejle", ("coordinator",)),
        ("psykiatrifonden", ("partner_staff",)),
    ):
        user = f"api-{shipped[name]}"
        live.add_user(user, roles, (shipped[name],))
        headers[name] = {"Authorization": f"Bearer {await live.access_token(user)}"}
    return headers


async def test_front_page_lists_programmes_in_danish(signed_in, shipped):
    response = await signed_in.get(f"/t/{shipped['kolding']}/")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="da">' in html
    text = _text(html)
    # A coordinator's front page starts with the overview (issue 14), then the programmes.
    assert "Kolding Kommune Oversigt Alle tilbud, " in text
    assert "0 mennesker i forløb 0 borgere i forløb 0 mentorer i forløb" in text
    assert "Se hele rapporten" in text and "Tilbud Borger til Borger" in text
    assert "Områder Psykiatri Handicap Misbrug Varighed 6-9 måneder" in text
    assert "Møder ugentligt, hver 14. dag" in text
    assert "Peer-to-Peer" not in text  # Vejle's programme


async def test_front_page_in_english_with_language_cookie(signed_in, shipped):
    signed_in.cookies.set("makker_lang", "en")
    response = await signed_in.get(f"/t/{shipped['vejle']}/")
    text = _text(response.text)
    assert '<html lang="en">' in response.text
    assert "Vejle Kommune Overview Every programme, " in text
    assert "See the whole report" in text and "Programmes" in text
    assert "Duration 6 months Meetings 1-2 times every 14 days" in text
    assert "Borger til Borger" not in text


async def test_partner_front_page_says_what_it_sees(live, shipped):
    user = f"staff-{shipped['psykiatrifonden']}"
    live.add_user(user, ("partner_staff",), (shipped["psykiatrifonden"],))
    async with httpx.AsyncClient(base_url=live.url) as http:
        await browser_sign_in(http, live, user)
        text = _text((await http.get(f"/t/{shipped['psykiatrifonden']}/")).text)
    assert (
        "Partnerorganisation. I ser kun kommunale tilbud, hvor et partnerskab giver adgang." in text
    )
    assert "Organisationen har ingen egne tilbud." in text


async def test_language_switch_sets_cookie_and_redirects_locally(client):
    response = await client.get("/sprog/en", params={"next": "/t/kolding/"}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/t/kolding/")
    assert response.cookies["makker_lang"] == "en"
    evil = await client.get(
        "/sprog/da", params={"next": "//evil.example/x"}, follow_redirects=False
    )
    assert evil.headers["location"] == "/"
    unknown = await client.get("/sprog/de", follow_redirects=False)
    assert (unknown.headers["location"], "makker_lang" in unknown.cookies) == ("/", False)


async def test_unknown_tenant_gives_the_standard_404(signed_in, api, shipped):
    ui = await signed_in.get("/t/findes-ikke/")
    assert ui.status_code == 404
    assert "Siden findes ikke, eller du har ikke adgang til den." in _text(ui.text)
    other = await signed_in.get("/t/ogsaa-ukendt/")
    # Identical apart from the URL itself (echoed in the language links).
    assert other.text.replace("ogsaa-ukendt", "findes-ikke") == ui.text
    api_404 = await signed_in.get("/api/v1/t/findes-ikke/programmes", headers=api["kolding"])
    assert (api_404.status_code, api_404.json()) == (
        404,
        {"status_code": 404, "detail": "Findes ikke."},
    )
    missing_route = await signed_in.get(
        f"/api/v1/t/{shipped['kolding']}/nothing-here", headers=api["kolding"]
    )
    assert missing_route.json() == api_404.json()


async def test_api_lists_only_the_url_tenants_programmes(live, api, shipped):
    async with httpx.AsyncClient(base_url=live.url) as http:
        kolding = await http.get(
            f"/api/v1/t/{shipped['kolding']}/programmes", headers=api["kolding"]
        )
        vejle = await http.get(f"/api/v1/t/{shipped['vejle']}/programmes", headers=api["vejle"])
        partner = await http.get(
            f"/api/v1/t/{shipped['psykiatrifonden']}/programmes", headers=api["psykiatrifonden"]
        )
        cross = await http.get(f"/api/v1/t/{shipped['vejle']}/programmes", headers=api["kolding"])
    assert [p["slug"] for p in kolding.json()] == ["borger-til-borger"]
    assert [p["slug"] for p in vejle.json()] == ["misbrug-mentor", "peer-to-peer"]
    assert partner.json() == []
    assert kolding.json()[0]["duration_months"] == {"min": 6, "max": 9}
    assert (cross.status_code, cross.json()) == (
        404,
        {"status_code": 404, "detail": "Findes ikke."},
    )


async def test_api_tenant(live, api, shipped):
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.get(f"/api/v1/t/{shipped['vejle']}/", headers=api["vejle"])
    assert response.json() == {
        "slug": shipped["vejle"],
        "name": "Vejle Kommune",
        "kind": "municipality",
        "municipality_code": "630",
    }


async def test_index_lists_the_users_organisations(signed_in, shipped):
    text = _text((await signed_in.get("/")).text)
    assert "Organisationer" in text
    assert "Kolding Kommune Kommune" in text and "Vejle Kommune Kommune" in text
    assert "Psykiatrifonden" not in text


async def test_index_asks_anonymous_visitors_to_sign_in(client):
    text = _text((await client.get("/")).text)
    assert "Organisationer" in text and "Log ind" in text and "Kommune" not in text


async def test_openapi_documents_the_api(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert {
        "/api/v1/t/{tenant_slug}/programmes",
        "/api/v1/t/{tenant_slug}",
        "/health/ready",
        "/health/live",
    } <= set(schema["paths"])
    assert not any(p.startswith("/t/") for p in schema["paths"])


async def test_static_files_are_served_by_the_app(client):
    css = await client.get("/static/makker.css")
    assert (css.status_code, css.headers["content-type"].split(";")[0]) == (200, "text/css")


def _lock() -> dict:
    return json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))


def test_front_end_packages_are_pinned_with_integrity_hashes():
    wanted = json.loads((REPO / "package.json").read_text(encoding="utf-8"))["dependencies"]
    packages = _lock()["packages"]
    for name, version in wanted.items():
        locked = packages[f"node_modules/{name}"]
        assert locked["version"] == version  # an exact version, not a range
        assert locked["integrity"].startswith("sha512-")
    # Nothing third-party is committed: the build places it (tools/assets.py, setup.py).
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert {"node_modules/", "core/web/static/vendor/"} <= set(ignored)


async def test_the_installed_design_system_and_htmx_are_served(client):
    """The build step (pip install runs tools/assets.py) placed the pinned versions."""
    css = await client.get("/static/vendor/dkfds/css/dkfds-borgerdk.min.css")
    js = await client.get("/static/vendor/htmx/htmx.min.js")
    font = await client.get(
        "/static/vendor/dkfds/fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2"
    )
    assert (css.status_code, js.status_code, font.status_code) == (200, 200, 200)
    version = _lock()["packages"]["node_modules/htmx.org"]["version"]
    assert f'version:"{version}"' in js.text
    page = await client.get("/")
    assert (
        '<link rel="stylesheet" href="/static/vendor/dkfds/css/dkfds-borgerdk.min.css">'
        in page.text
    )


def test_templates_load_nothing_from_other_hosts():
    for template in (REPO / "core").rglob("*.html"):
        refs = re.findall(r'(?:src|href)="(https?:)?//', template.read_text(encoding="utf-8"))
        assert refs == [], template


async def test_every_page_footer_links_the_accessibility_statement(client, signed_in, shipped):
    kolding = shipped["kolding"]
    anonymous = await client.get("/")
    inside = await signed_in.get(f"/t/{kolding}/")
    assert '<a href="/tilgaengelighedserklaering">Tilgængelighedserklæring</a>' in anonymous.text
    assert (
        f'<a href="/tilgaengelighedserklaering?organisation={kolding}">Tilgængelighedserklæring</a>'
    ) in inside.text


async def test_accessibility_statement_names_the_organisation_and_links_its_own(
    client, sessionmaker, shipped
):
    from sqlalchemy import update

    from core.tenancy.models import Tenant

    kolding = shipped["kolding"]
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Tenant)
            .where(Tenant.slug == kolding)
            .values(accessibility_statement_url="https://www.was.digst.dk/makker-test")
        )
    general = await client.get("/tilgaengelighedserklaering")
    named = await client.get(f"/tilgaengelighedserklaering?organisation={kolding}")
    unknown = await client.get("/tilgaengelighedserklaering?organisation=findes-ikke")
    assert (general.status_code, named.status_code, unknown.status_code) == (200, 200, 200)
    assert "<h1>Tilgængelighedserklæring for Makker</h1>" in general.text
    assert "De kommuner og organisationer, der bruger Makker" in general.text
    assert "Kolding Kommune er forpligtet til at gøre Makker tilgængeligt" in named.text
    assert '<a href="https://www.was.digst.dk/makker-test">' in named.text
    assert "Digitaliseringsstyrelsen" in named.text
    assert unknown.text == general.text


async def test_an_unexpected_error_on_a_page_is_a_danish_page_without_details(
    client, monkeypatch, caplog
):
    def broken(*_args):
        raise RuntimeError("secret detail 4711")

    monkeypatch.setattr("core.web.pages.select", broken)
    response = await client.get("/tilgaengelighedserklaering?organisation=kolding")
    assert response.status_code == 500
    assert "<h1>Der skete en fejl</h1>" in response.text
    assert '<a href="/">Gå til forsiden</a>' in response.text
    assert "4711" not in response.text


async def test_a_page_that_needs_sign_in_redirects_without_logging_an_error(live, shipped, caplog):
    import logging

    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.get(f"/t/{shipped['kolding']}/deltagere/")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/auth/login?next=%2Ft%2F{shipped['kolding']}%2Fdeltagere%2F",
    )
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_bad_value_in_a_page_address_is_a_danish_page(signed_in, shipped):
    response = await signed_in.get(f"/t/{shipped['kolding']}/deltagere/", params={"page": "abc"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Noget er ikke rigtigt</h1>" in response.text
    assert "Nogle værdier i adressen er ikke gyldige." in response.text
    assert "<li>page: Værdien er ikke gyldig.</li>" in response.text


async def test_other_client_errors_are_danish_on_pages_and_in_the_api(signed_in, api, shipped):
    """405 on a page is a Danish page with a way back; the API's 405, 401 and a stale form's
    403 speak Danish too (reloading "Lav et kalenderlink" used to show raw JSON)."""
    kolding = shipped["kolding"]
    page = await signed_in.put(f"/t/{kolding}/hold/", headers={"x-csrftoken": "x"})
    assert page.status_code in (403, 405)  # the CSRF check comes first for an unsafe method
    reload = await signed_in.get(f"/t/{kolding}/mit/kalender")
    assert (reload.status_code, reload.headers["content-type"].split(";")[0]) == (405, "text/html")
    assert "Adressen kan ikke bruges på den måde." in _text(reload.text)
    assert f'<a href="/t/{kolding}/">Gå til forsiden</a>' in reload.text
    method = await signed_in.delete(f"/api/v1/t/{kolding}/programmes", headers=api["kolding"])
    assert (method.status_code, method.json()) == (
        405,
        {"status_code": 405, "detail": "Adressen kan ikke bruges på den måde."},
    )
    anonymous = await signed_in.get(f"/api/v1/t/{kolding}/programmes")
    assert (anonymous.status_code, anonymous.json()["detail"]) == (
        401,
        "Log ind for at bruge Makker.",
    )
    stale = await signed_in.post(
        f"/t/{kolding}/deltagere/ny", data={"name": "X", "_csrf_token": "stale"}
    )
    assert stale.status_code == 403
    assert (
        "Formularen var udløbet eller kom fra en anden side. Gå tilbage, genindlæs siden og "
        "prøv igen."
    ) in _text(stale.text)
    assert "CSRF" not in stale.text


async def test_a_bad_value_in_an_api_address_says_nothing_was_saved_only_for_writes(
    signed_in, api, shipped
):
    bad = await signed_in.get(
        f"/api/v1/t/{shipped['kolding']}/forloeb", params={"state": "false"}, headers=api["kolding"]
    )
    assert (bad.status_code, bad.json()["detail"]) == (
        400,
        "Nogle værdier i adressen er ikke gyldige.",
    )
