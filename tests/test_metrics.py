"""Prometheus metrics (issue 18): ``GET /metrics`` only with ``MAKKER_METRICS_TOKEN`` and only
for its bearer; labels are route templates, never a path with a tenant, an id or a name; the JSON
log lines of the same requests carry no personal data either."""

from __future__ import annotations

import json
import logging
import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from core import clock as app_clock
from core.app import create_app
from core.settings import SettingsError, load_settings
from core.web.logs import JsonFormatter
from tests.conftest import settings_for
from tests.plugin_fixtures import _CoordinatorTokens, add_person, shipped  # noqa: F401
from tests.test_database_outage import proxy  # noqa: F401
from tests.test_rate_limits import AT, _Tokens

TOKEN = "m" * 40
SQLITE = pytest.mark.parametrize("backend", ["sqlite"])


@SQLITE
async def test_no_token_no_metrics_endpoint(database):
    async with AsyncTestClient(app=create_app(settings_for(database))) as client:
        response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404


@SQLITE
async def test_metrics_need_the_bearer_token_and_label_route_templates_only(
    database,
    shipped,  # noqa: F811
    sessionmaker,
    caplog,
):
    kolding = shipped["kolding"]
    person = await add_person(sessionmaker, kolding)
    settings = settings_for(database, metrics_token=TOKEN, log_format="json")
    app = create_app(settings)
    app.state.token_validator = _CoordinatorTokens(settings.oidc_issuer, [kolding.slug])
    logging.getLogger().addHandler(caplog.handler)  # create_app configured logging
    async with AsyncTestClient(app=app) as client:
        refused = [
            (await client.get("/metrics", headers=headers)).status_code
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN})
        ]
        api = {"Authorization": "Bearer test"}
        people = await client.get(
            f"/api/v1/t/{kolding.slug}/people", params={"q": "Fiktivsen"}, headers=api
        )
        one = await client.get(f"/api/v1/t/{kolding.slug}/people/{person}", headers=api)
        await client.get("/ingen-side")
        scrape = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused == [401, 401, 401]
    assert (people.status_code, one.status_code, scrape.status_code) == (200, 200, 200)
    text = scrape.text
    counted = sorted(set(re.findall(r"^makker_requests_total\{(.*)\} ", text, flags=re.MULTILINE)))
    assert counted == [
        'app_name="makker",method="GET",path="/api/v1/t/{tenant_slug}/people",status_code="200"',
        'app_name="makker",method="GET",path="/api/v1/t/{tenant_slug}/people/{person_id}",'
        'status_code="200"',
    ]
    for secret in (kolding.slug, str(person), "Fiktivsen", "ingen-side", TOKEN):
        assert secret not in text
    # The JSON lines of the same requests: no tenant's person, id, search text or token.
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert lines and all(json.loads(line) for line in lines)
    for secret in (str(person), "Fiktivsen", "Testperson", TOKEN, "Bearer"):
        assert not [line for line in lines if secret in line], secret


def test_the_token_is_a_setting_of_at_least_32_characters(tmp_path):
    base = {"MAKKER_ENV": "development", "MAKKER_TENANTS_DIR": str(tmp_path)}
    assert load_settings({**base, "MAKKER_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    with pytest.raises(SettingsError) as short:
        load_settings({**base, "MAKKER_METRICS_TOKEN": "kort"})
    assert str(short.value) == "MAKKER_METRICS_TOKEN must be at least 32 characters long"


def _counts(text: str, path: str) -> dict[tuple[str, str], float]:
    """``(metric, status_code) -> value`` of the request counters of one route template."""
    found: dict[tuple[str, str], float] = {}
    names = "requests_total|requests_error_total|request_duration_seconds_count"
    pattern = rf"^makker_({names})\{{(.*)\}} (\S+)$"
    for metric, labels, value in re.findall(pattern, text, flags=re.MULTILINE):
        if f'path="{path}"' in labels:
            status = re.search(r'status_code="(\d+)"', labels)
            assert status is not None
            found[(metric, status.group(1))] = float(value)
    return found


def _added(before: dict, after: dict) -> dict[tuple[str, str], float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}


async def test_refusals_are_counted_with_the_status_they_were_answered_with(
    database,
    shipped,  # noqa: F811
):
    """A refusal the request pipeline raises (401 for a bogus bearer token, 429 over the limit,
    303 to sign-in) is counted with its own status, not as a 200 of no duration."""
    kolding = shipped["kolding"]
    settings = settings_for(database, metrics_token=TOKEN, rate_limit_user=1)
    app = create_app(settings)
    app.state.token_validator = _Tokens(settings.oidc_issuer, [kolding.slug])
    api, page = "/api/v1/t/{tenant_slug}/people", "/t/{tenant_slug}/partnerskaber"
    scrape = {"Authorization": f"Bearer {TOKEN}"}
    user = {"Authorization": f"Bearer user-{database.backend}-{id(app)}"}
    with app_clock.frozen(AT):
        async with AsyncTestClient(app=app) as client:
            before = (await client.get("/metrics", headers=scrape)).text
            statuses = [
                (await client.get(f"/api/v1/t/{kolding.slug}/people", headers=h)).status_code
                for h in ({"Authorization": "Bearer bad-token"}, user, user)
            ]
            sign_in = await client.get(f"/t/{kolding.slug}/partnerskaber", follow_redirects=False)
            after = (await client.get("/metrics", headers=scrape)).text
    assert statuses == [401, 200, 429]
    assert sign_in.status_code == 303
    assert _added(_counts(before, api), _counts(after, api)) == {
        ("requests_total", "401"): 1,
        ("request_duration_seconds_count", "401"): 1,
        ("requests_total", "200"): 1,
        ("request_duration_seconds_count", "200"): 1,
        ("requests_total", "429"): 1,
        ("request_duration_seconds_count", "429"): 1,
    }
    assert _added(_counts(before, page), _counts(after, page)) == {
        ("requests_total", "303"): 1,
        ("request_duration_seconds_count", "303"): 1,
    }
    # a refusal takes time too: no duration of 0 recorded for them
    durations = re.findall(
        r'^makker_request_duration_seconds_sum\{.*path="/api/v1/t/\{tenant_slug\}/people",'
        r'status_code="(401|429)"\} (\S+)$',
        after,
        flags=re.MULTILINE,
    )
    assert sorted(status for status, _ in durations) == ["401", "429"]
    assert all(float(seconds) > 0 for _, seconds in durations)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_503_while_the_database_is_down_is_counted_as_an_error(
    database,
    shipped,  # noqa: F811
    proxy,  # noqa: F811
):
    kolding = shipped["kolding"]
    url = make_url(database.app_url)
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).difference_update_query(["host"])
    settings = settings_for(
        database,
        database_url=via_proxy.render_as_string(hide_password=False),
        db_pool_timeout=1,
        metrics_token=TOKEN,
    )
    app = create_app(settings)
    app.state.token_validator = _CoordinatorTokens(settings.oidc_issuer, [kolding.slug])
    api = "/api/v1/t/{tenant_slug}/people"
    scrape = {"Authorization": f"Bearer {TOKEN}"}
    async with AsyncTestClient(app=app) as client:
        up = await client.get(
            f"/api/v1/t/{kolding.slug}/people", headers={"Authorization": "Bearer test"}
        )
        before = (await client.get("/metrics", headers=scrape)).text
        proxy.cut()
        down = await client.get(
            f"/api/v1/t/{kolding.slug}/people", headers={"Authorization": "Bearer test"}
        )
        after = (await client.get("/metrics", headers=scrape)).text
        proxy.restore()
    assert (up.status_code, down.status_code) == (200, 503)
    assert _added(_counts(before, api), _counts(after, api)) == {
        ("requests_total", "503"): 1,
        ("requests_error_total", "503"): 1,
        ("request_duration_seconds_count", "503"): 1,
    }
