"""Prometheus metrics (issue 18): ``GET /metrics`` only with ``MAKKER_METRICS_TOKEN`` and only
for its bearer; labels are route templates, never a path with a tenant, an id or a name; the JSON
log lines of the same requests carry no personal data either."""

from __future__ import annotations

import json
import logging
import re

import pytest
from litestar.testing import AsyncTestClient

from core.app import create_app
from core.settings import SettingsError, load_settings
from core.web.logs import JsonFormatter
from tests.conftest import settings_for
from tests.plugin_fixtures import _CoordinatorTokens, add_person, shipped  # noqa: F401

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
