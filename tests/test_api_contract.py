"""The API keeps the promises of its OpenAPI document (issue 12).

Schemathesis reads the document the app serves at ``/schema/openapi.json`` (over ASGI, in
process), generates requests for every operation - valid ones and, for negative data, invalid
ones - sends them to an app on a SQLite database of its own as a coordinator of the shipped
Kolding, and checks each answer: no server error, a documented status code and content type, a
body that matches the documented schema, and invalid data refused with a 4xx.

The run is bounded and repeatable: a fixed number of examples per operation, derandomized (fixed
seed), no deadline, no example database. Path parameters are mostly the ids of a small world of
real objects (people, their enrolments, a hold, an activity, a forløb; the ids are fixed here so
the generator knows them before the world exists), so requests get past the 404; sometimes they
are generated, so the 404 is exercised too.

Each operation is a test item of its own (``schema.parametrize``); under pytest 9.2 they all carry
the test's name, so a failure names its operation in its report (the request as a curl line).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from schemathesis import checks
from schemathesis.python import asgi
from sqlalchemy import select

from core import clock as app_clock
from core.activities.models import Activity, ActivityKind, ActivityMember, Recurrence
from core.app import create_app
from core.courses.models import Course, CourseParticipant, CourseSession
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.forloeb.models import Forloeb
from core.identity.dev_users import DevUser
from core.participants.models import Consent, ConsentText, Enrolment, EnrolmentRole, Person
from core.settings import Settings
from core.tenancy.config import load_tenant_dir
from core.tenancy.models import Programme, Tenant
from core.tenancy.sync import sync_tenants
from tests import databases
from tests.conftest import BACKENDS, AppClock, settings_for

REPO = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)
TENANT = "kolding"
PROGRAMME = "borger-til-borger"
#: Generated examples per operation (fuzzing phase); the examples and coverage phases add their
#: own few. Together about a minute on two cores.
MAX_EXAMPLES = 20
#: The development issuer's tokens live 300 s: a new one well before that.
TOKEN_SECONDS = 200
#: How often a path parameter is one of the world's ids rather than a generated one.
KNOWN = 0.9
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"makker-api-contract/{name}"))


#: The world's ids per path (or query) parameter; the objects are made by ``world`` below.
IDS: dict[str, list[str]] = {
    "person_id": [_id(f"person-{n}") for n in range(4)],
    "enrolment_id": [_id(f"enrolment-{n}") for n in range(4)],
    "forloeb_id": [_id("forloeb")],
    "course_id": [_id("course")],
    "session_id": [_id("session")],
    "activity_id": [_id("activity")],
    "day": [(TODAY + dt.timedelta(days=44)).isoformat()],
    "programme_slug": [PROGRAMME],
    # A ready citizen waiting for a mentor (the suggestions' ``mentee``).
    "mentee": [_id("enrolment-1")],
}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 2026,
        "parameters": {
            "path.tenant_slug": TENANT,
            **{
                f"{'query' if name == 'mentee' else 'path'}.{name}": {
                    "dictionary": name,
                    "probability": KNOWN,
                }
                for name in IDS
            },
        },
        "dictionaries": {name: {"values": values} for name, values in IDS.items()},
        # Valid requests and invalid ones (negative data must be refused).
        "generation": {"mode": "all", "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)


def _settings(database_url: str) -> Settings:
    # one coordinator makes every generated call: the rate limits are tests/test_rate_limits.py's
    return Settings(
        database_url=database_url,
        migration_database_url=database_url,
        rate_limit_user=1_000_000,
        rate_limit_address=1_000_000,
    )


# The document, as the app serves it. Serving it needs no database: the app's engine is made
# (by its lifespan) but never connects.
schema = schemathesis.openapi.from_asgi(
    "/schema/openapi.json",
    create_app(_settings(f"sqlite+aiosqlite:///{tempfile.gettempdir()}/makker-unused.sqlite3")),
    config=CONFIG,
)


# -- the app under test, its database and its world (once for the module) -------------------


@pytest.fixture(scope="module")
def _on_day() -> Iterator[None]:
    previous = app_clock.get_clock()
    AppClock().set(TODAY)
    yield
    app_clock.set_clock(previous)


@pytest.fixture(scope="module", params=BACKENDS)
def contract_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[databases.TestDatabase]:
    """A database of the module's own, for the shipped tenants under their real slugs, on
    SQLite and on PostgreSQL (the app role under forced row-level security). SQLite in memory
    (tmpfs) where there is one: every request commits (its audit row at least), and a disk's
    fsync per commit would double the run."""
    if request.param == "postgresql":
        db = request.getfixturevalue("postgres").create_database()
        db.upgrade()
        yield db
        return
    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and os.access(shm, os.W_OK)
    if in_memory:
        directory = Path(tempfile.mkdtemp(prefix="makker-contract-", dir=shm))
    else:
        directory = tmp_path_factory.mktemp("contract")
    db = databases.create_sqlite_database(directory)
    db.upgrade()
    yield db
    if in_memory:
        shutil.rmtree(directory, ignore_errors=True)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(contract_database: databases.TestDatabase, _on_day: None) -> None:
    """Kolding with a ready mentor (in a hold and an activity), a ready citizen waiting, and an
    active forløb; every id from ``IDS``."""
    engine = create_engine(contract_database.app_url)
    sessionmaker = create_sessionmaker(engine)
    await sync_tenants(sessionmaker, load_tenant_dir(REPO / "tenants"))
    async with sessionmaker() as session:
        kolding = await session.scalar(select(Tenant).where(Tenant.slug == TENANT))
    assert kolding is not None
    day = dt.date.fromisoformat(IDS["day"][0])
    with tenant_scope(kolding.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme).where(Programme.slug == PROGRAMME))
            assert programme is not None
            text = ConsentText(
                programme_id=programme.id, version=1, body="Samtykke.", created_by="t"
            )
            names = (
                "Kontrakt Mentorsen",
                "Kontrakt Ventersen",
                "Kontrakt Makkersen",
                "Kontrakt Par",
            )
            people = [
                Person(id=uuid.UUID(i), name=name)
                for i, name in zip(IDS["person_id"], names, strict=True)
            ]
            session.add_all([text, *people])
            await session.flush()
            plan = (
                (EnrolmentRole.MENTOR, "ready"),
                (EnrolmentRole.MENTEE, "ready"),
                (EnrolmentRole.MENTEE, "active"),
                (EnrolmentRole.MENTOR, "active"),
            )
            enrolments = [
                Enrolment(
                    id=uuid.UUID(i),
                    person_id=person.id,
                    programme_id=programme.id,
                    role=role,
                    status=status,
                )
                for i, person, (role, status) in zip(IDS["enrolment_id"], people, plan, strict=True)
            ]
            session.add_all(enrolments)
            await session.flush()
            session.add_all(
                Consent(enrolment_id=e.id, consent_text_id=text.id, recorded_by="t")
                for e in enrolments
            )
            course = Course(
                id=uuid.UUID(IDS["course_id"][0]),
                programme_id=programme.id,
                number=1,
                start_date=day,
                capacity=5,
            )
            activity = Activity(
                id=uuid.UUID(IDS["activity_id"][0]),
                kind=ActivityKind.CAFE,
                title="Café",
                first_on=day,
                starts=dt.time(17),
                ends=dt.time(19),
                recurrence=Recurrence.NONE,
            )
            forloeb = Forloeb(
                id=uuid.UUID(IDS["forloeb_id"][0]),
                programme_id=programme.id,
                mentee_enrolment_id=enrolments[2].id,
                mentor_enrolment_id=enrolments[3].id,
                state="active",
                strategy="shared_experience",
                proposed_on=TODAY - dt.timedelta(days=12),
                proposed_by="t",
                frequency="weekly",
                planned_months=6,
                started_on=TODAY - dt.timedelta(days=10),
            )
            session.add_all([course, activity, forloeb])
            await session.flush()
            session.add_all(
                [
                    CourseSession(
                        id=uuid.UUID(IDS["session_id"][0]),
                        course_id=course.id,
                        position=1,
                        day=day,
                        starts=dt.time(10),
                        ends=dt.time(15),
                        topic="Recovery",
                    ),
                    CourseParticipant(course_id=course.id, person_id=people[0].id),
                    ActivityMember(activity_id=activity.id, person_id=people[0].id),
                ]
            )
    await engine.dispose()


class Coordinator:
    """Bearer tokens of a coordinator of Kolding from the app's development issuer, renewed
    well before they expire."""

    def __init__(self, app: Litestar) -> None:
        self.issuer = app.state.dev_issuer
        self.client_id = app.state.settings.oidc_client_id
        self.user = DevUser("kontrakt", "Kontrakt Koordinator", ("coordinator",), (TENANT,))
        self.issuer.users[self.user.username] = self.user
        self._token = ("", float("-inf"))

    def headers(self) -> dict[str, str]:
        token, made = self._token
        if time.monotonic() - made > TOKEN_SECONDS:
            token = self.issuer.issue_tokens(self.user, self.client_id)["access_token"]
            self._token = (token, time.monotonic())
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def app(contract_database: databases.TestDatabase, world: None) -> Iterator[Litestar]:
    """The app on the module's database. The token validator gets the issuer's keys in process
    (there is no server to fetch them from); it checks signature, issuer, audience, client and
    expiry as always."""
    app = create_app(settings_for(contract_database))
    issuer = app.state.dev_issuer

    async def certs() -> dict[str, Any]:
        return issuer.jwks()  # type: ignore[no-any-return]

    app.state.token_validator.openid.a_certs = certs
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def coordinator(app: Litestar) -> Coordinator:
    return Coordinator(app)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_promises(case, app, coordinator):
    case.call_and_validate(app=app, headers=coordinator.headers(), checks=CHECKS)


def test_every_api_operation_documents_the_error_contract():
    """The contract's refusals are in the document on every operation (and 409 on the ones that
    change something), with the one error body; times of day are not durations."""
    document = schema.raw_schema
    refusals = {"400", "401", "403", "404", "429", "503"}
    for path, item in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            statuses = set(operation["responses"])
            expected = refusals if method == "get" else refusals | {"409"}
            assert expected <= statuses, (method, path)
            for status in expected:
                body = operation["responses"][status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    assert '"duration"' not in json.dumps(document)
