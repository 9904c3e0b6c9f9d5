"""Route x role x tenant: every route of the app, every role, own and other tenants.

The table below is checked against the app's route table: a route without an entry fails
``test_every_route_is_in_the_matrix``. For each tenant route and each persona the test asserts
one exact status: anonymous -> 401 (API) or 303 to sign-in (pages); member of another tenant ->
404; member without an allowed role -> 403; allowed -> the route's success status.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from core.db.tenant_scope import tenant_scope
from core.identity.principal import ROLES
from core.participants.models import Consent, ConsentText, Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from tests.live import browser_sign_in

ANY = ROLES
COORD = ("tenant_admin", "coordinator")
ADMIN = ("tenant_admin",)
PARTNER = ("partner_staff",)
GRANT_VIEW = ("tenant_admin", "coordinator", "partner_staff")

# Routes anyone may call, with the exact status an anonymous caller gets.
PUBLIC: dict[tuple[str, str], int] = {
    ("GET", "/"): 200,
    ("GET", "/sprog/{code:str}"): 303,
    ("GET", "/health/live"): 200,
    ("GET", "/health/ready"): 200,
    ("GET", "/auth/login"): 303,
    ("GET", "/auth/callback"): 400,
    ("POST", "/auth/logout"): 403,  # no CSRF token
    ("GET", "/static/{file_path:path}"): 200,
    ("GET", "/schema"): 200,
    ("GET", "/schema/openapi.json"): 200,
    ("GET", "/schema/{path:str}"): 404,
    # The development issuer (development mode only; refused in production).
    ("GET", "/realms/{realm:str}"): 200,
    ("GET", "/realms/{realm:str}/.well-known/openid-configuration"): 200,
    ("GET", "/realms/{realm:str}/protocol/openid-connect/certs"): 200,
    ("POST", "/realms/{realm:str}/protocol/openid-connect/token"): 401,
    ("GET", "/realms/{realm:str}/protocol/openid-connect/auth"): 400,
    ("POST", "/realms/{realm:str}/protocol/openid-connect/auth"): 400,
    ("GET", "/realms/{realm:str}/protocol/openid-connect/userinfo"): 401,
    ("GET", "/realms/{realm:str}/protocol/openid-connect/logout"): 200,
    ("POST", "/realms/{realm:str}/protocol/openid-connect/logout"): 204,
    ("GET", "/admin/realms/{realm:str}/organizations"): 401,
    ("POST", "/admin/realms/{realm:str}/organizations"): 401,
    ("GET", "/admin/realms/{realm:str}/organizations/{org_id:str}"): 401,
    ("PUT", "/admin/realms/{realm:str}/organizations/{org_id:str}"): 401,
    ("DELETE", "/admin/realms/{realm:str}/organizations/{org_id:str}"): 401,
    ("GET", "/admin/realms/{realm:str}/clients"): 401,
    ("POST", "/admin/realms/{realm:str}/clients"): 401,
    ("PUT", "/admin/realms/{realm:str}/clients/{client_uuid:str}"): 401,
    ("GET", "/admin/realms/{realm:str}/roles"): 401,
    ("POST", "/admin/realms/{realm:str}/roles"): 401,
    ("GET", "/admin/realms/{realm:str}/roles/{role_name:str}"): 401,
    # Calendars: an unknown token and an unknown tenant are 404 (issue 7).
    ("GET", "/kalender/{token:str}"): 404,
    ("GET", "/offentlig/{slug:str}/informationsmoeder"): 404,
    ("GET", "/offentlig/{slug:str}/informationsmoeder.ics"): 404,
}
PUBLIC_SAMPLES = {
    "{code:str}": "en",
    "{file_path:path}": "makker.css",
    "{path:str}": "nope",
    "{realm:str}": "makker",
    "{org_id:str}": "x",
    "{client_uuid:str}": "x",
    "{role_name:str}": "x",
    "{token:str}": "nope.ics",
    "{slug:str}": "nope",
}


@dataclass(frozen=True)
class TenantRoute:
    roles: tuple[str, ...]
    success: int
    #: Which tenant's URL the route is called under: the municipality or the partner.
    under: str = "owner"
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    #: Exact statuses for members of the URL's tenant whose role passes the guard but who are
    #: refused by the object itself (a forløb is only for coordinators and its own pair).
    by_role: dict[str, int] = field(default_factory=dict)


TENANT_ROUTES: dict[tuple[str, str], TenantRoute] = {
    ("GET", "/t/{tenant_slug:str}"): TenantRoute(ANY, 200),
    ("GET", "/api/v1/t/{tenant_slug:str}"): TenantRoute(ANY, 200),
    ("GET", "/api/v1/t/{tenant_slug:str}/programmes"): TenantRoute(ANY, 200),
    ("GET", "/api/v1/t/{tenant_slug:str}/partnerships"): TenantRoute(GRANT_VIEW, 200),
    ("POST", "/api/v1/t/{tenant_slug:str}/partnerships"): TenantRoute(
        ADMIN, 200, body={"programme": "p", "partner": "{partner}", "scope": "participants"}
    ),
    ("DELETE", "/api/v1/t/{tenant_slug:str}/partnerships/{grant_id:uuid}"): TenantRoute(ADMIN, 204),
    ("GET", "/api/v1/t/{tenant_slug:str}/partnerships/{grant_id:uuid}/summary"): TenantRoute(
        PARTNER, 200, under="partner"
    ),
    ("GET", "/api/v1/t/{tenant_slug:str}/partnerships/{grant_id:uuid}/participants"): TenantRoute(
        PARTNER, 200, under="partner"
    ),
    ("GET", "/t/{tenant_slug:str}/partnerskaber"): TenantRoute(GRANT_VIEW, 200),
    ("GET", "/t/{tenant_slug:str}/partnerskaber/{grant_id:uuid}"): TenantRoute(
        PARTNER, 200, under="partner"
    ),
    (
        "GET",
        "/api/v1/t/{tenant_slug:str}/programmes/{programme_slug:str}/intake-fields",
    ): TenantRoute(COORD, 200, query={"role": "mentor"}),
    ("GET", "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/intake"): TenantRoute(
        COORD, 200, query={"programme": "p", "role": "mentor"}
    ),
    ("PUT", "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/intake"): TenantRoute(
        COORD, 200, query={"programme": "p", "role": "mentor"}, body={}
    ),
    ("GET", "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/eligibility"): TenantRoute(
        COORD, 200, query={"programme": "p", "role": "mentor"}
    ),
    # Participants (issue 5). The world's enrolment is `ready` with a given consent.
    ("GET", "/api/v1/t/{tenant_slug:str}/people"): TenantRoute(COORD, 200, query={"q": "x"}),
    ("POST", "/api/v1/t/{tenant_slug:str}/people"): TenantRoute(
        COORD, 201, body={"name": "Matrix Nysen"}
    ),
    ("GET", "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}"): TenantRoute(COORD, 200),
    ("PATCH", "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}"): TenantRoute(
        COORD, 200, body={"phone": "12345678"}
    ),
    ("POST", "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/enrolments"): TenantRoute(
        COORD, 201, body={"programme": "p", "role": "mentee"}
    ),
    ("GET", "/api/v1/t/{tenant_slug:str}/enrolments/{enrolment_id:uuid}"): TenantRoute(COORD, 200),
    (
        "POST",
        "/api/v1/t/{tenant_slug:str}/enrolments/{enrolment_id:uuid}/transitions",
    ): TenantRoute(COORD, 200, body={"to": "withdrawn"}),
    # Consent is already given in the world: past the guard, the service answers 400.
    ("POST", "/api/v1/t/{tenant_slug:str}/enrolments/{enrolment_id:uuid}/consent"): TenantRoute(
        COORD, 400, body={}
    ),
    (
        "POST",
        "/api/v1/t/{tenant_slug:str}/enrolments/{enrolment_id:uuid}/consent/withdraw",
    ): TenantRoute(COORD, 200, body={}),
    ("PUT", "/api/v1/t/{tenant_slug:str}/enrolments/{enrolment_id:uuid}/intake"): TenantRoute(
        COORD, 200, body={"motivation": "Matrix"}
    ),
    # No rule fails in the world (no plugins): past the guard, the service answers 400.
    ("POST", "/api/v1/t/{tenant_slug:str}/enrolments/{enrolment_id:uuid}/override"): TenantRoute(
        COORD, 400, body={"reason": "En begrundelse fra matrixen"}
    ),
    (
        "GET",
        "/api/v1/t/{tenant_slug:str}/programmes/{programme_slug:str}/consent-text",
    ): TenantRoute(COORD, 200),
    (
        "POST",
        "/api/v1/t/{tenant_slug:str}/programmes/{programme_slug:str}/consent-text",
    ): TenantRoute(ADMIN, 201, body={"body": "Ny samtykketekst til matrixen, version 2."}),
    # Participant pages: forms redirect (303) on success and re-render (400) on refusal.
    ("GET", "/t/{tenant_slug:str}/deltagere"): TenantRoute(COORD, 200, query={"q": "x"}),
    ("GET", "/t/{tenant_slug:str}/deltagere/ny"): TenantRoute(COORD, 200),
    ("POST", "/t/{tenant_slug:str}/deltagere/ny"): TenantRoute(
        COORD, 303, body={"name": "Matrix Nysen"}
    ),
    ("GET", "/t/{tenant_slug:str}/deltagere/{person_id:uuid}"): TenantRoute(COORD, 200),
    ("POST", "/t/{tenant_slug:str}/deltagere/{person_id:uuid}/tilmeld"): TenantRoute(
        COORD, 303, body={"programme": "p", "role": "mentee"}
    ),
    ("GET", "/t/{tenant_slug:str}/deltagere/{person_id:uuid}/rediger"): TenantRoute(COORD, 200),
    ("POST", "/t/{tenant_slug:str}/deltagere/{person_id:uuid}/rediger"): TenantRoute(
        COORD, 303, body={"name": "Matrix Demosen", "phone": "12345678"}
    ),
    ("GET", "/t/{tenant_slug:str}/deltagere/tilmelding/{enrolment_id:uuid}"): TenantRoute(
        COORD, 200
    ),
    (
        "GET",
        "/t/{tenant_slug:str}/deltagere/tilmelding/{enrolment_id:uuid}/bekraeft",
    ): TenantRoute(COORD, 200, query={"til": "withdrawn"}),
    # Consent is already given in the world: past the guard, the page answers 400.
    (
        "POST",
        "/t/{tenant_slug:str}/deltagere/tilmelding/{enrolment_id:uuid}/samtykke",
    ): TenantRoute(COORD, 400, body={}),
    (
        "POST",
        "/t/{tenant_slug:str}/deltagere/tilmelding/{enrolment_id:uuid}/samtykke/tilbage",
    ): TenantRoute(COORD, 303, body={}),
    (
        "POST",
        "/t/{tenant_slug:str}/deltagere/tilmelding/{enrolment_id:uuid}/status",
    ): TenantRoute(COORD, 303, body={"to": "withdrawn"}),
    (
        "POST",
        "/t/{tenant_slug:str}/deltagere/tilmelding/{enrolment_id:uuid}/forsamtale",
    ): TenantRoute(COORD, 303, body={"motivation": "Matrix"}),
    # No rule fails in the world: past the guard, the page answers 400.
    (
        "POST",
        "/t/{tenant_slug:str}/deltagere/tilmelding/{enrolment_id:uuid}/dispensation",
    ): TenantRoute(COORD, 400, body={"reason": "En begrundelse fra matrixen"}),
}

# Mentor courses, activities and calendar links (issue 7).
_SESSIONS = [{"day": "2027-01-06", "starts": "10:00:00", "ends": "15:00:00", "topic": "Recovery"}]
_ACTIVITY = {
    "kind": "cafe",
    "title": "Café",
    "first_on": "2027-01-06",
    "starts": "17:00:00",
    "ends": "19:00:00",
}
_API = "/api/v1/t/{tenant_slug:str}"
_PAGE = "/t/{tenant_slug:str}"
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/courses"): TenantRoute(ANY, 200),
        ("POST", f"{_API}/courses"): TenantRoute(
            COORD, 201, body={"programme": "p", "capacity": 10, "sessions": _SESSIONS}
        ),
        ("GET", f"{_API}/courses/{{course_id:uuid}}"): TenantRoute(COORD, 200),
        ("POST", f"{_API}/courses/{{course_id:uuid}}/participants"): TenantRoute(
            COORD, 200, body={"person_id": "{person}"}
        ),
        (
            "PUT",
            f"{_API}/courses/{{course_id:uuid}}/sessions/{{session_id:uuid}}/attendance",
        ): TenantRoute(COORD, 200, body={"present": []}),
        ("GET", f"{_API}/activities"): TenantRoute(ANY, 200),
        ("POST", f"{_API}/activities"): TenantRoute(COORD, 201, body=_ACTIVITY),
        ("GET", f"{_API}/activities/{{activity_id:uuid}}"): TenantRoute(ANY, 200),
        ("POST", f"{_API}/activities/{{activity_id:uuid}}/members"): TenantRoute(
            COORD, 200, body={"person_id": "{person}"}
        ),
        (
            "PUT",
            f"{_API}/activities/{{activity_id:uuid}}/occurrences/{{day:date}}/attendance",
        ): TenantRoute(COORD, 200, body={"present": []}),
        (
            "POST",
            f"{_API}/activities/{{activity_id:uuid}}/occurrences/{{day:date}}/cancel",
        ): TenantRoute(COORD, 200),
        ("POST", f"{_API}/people/{{person_id:uuid}}/calendar-link"): TenantRoute(COORD, 201),
        ("DELETE", f"{_API}/people/{{person_id:uuid}}/calendar-link"): TenantRoute(COORD, 204),
        # A sign-in linked to a person, and "Mit forløb" (issue 7).
        ("PUT", f"{_API}/people/{{person_id:uuid}}/account"): TenantRoute(
            COORD, 200, body={"account": None}
        ),
        ("GET", f"{_API}/me"): TenantRoute(ANY, 200),
        ("GET", f"{_PAGE}/mit"): TenantRoute(ANY, 200),
        ("GET", f"{_PAGE}/hold"): TenantRoute(ANY, 200),
        ("POST", f"{_PAGE}/hold"): TenantRoute(
            COORD,
            303,
            body={
                "programme": "p",
                "start": "2027-01-06",
                "count": "6",
                "starts": "10:00",
                "ends": "15:00",
                "capacity": "12",
            },
        ),
        ("GET", f"{_PAGE}/hold/{{course_id:uuid}}"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/hold/{{course_id:uuid}}/deltagere"): TenantRoute(
            COORD, 303, body={"person_id": "{person}"}
        ),
        ("GET", f"{_PAGE}/hold/{{course_id:uuid}}/gange/{{session_id:uuid}}"): TenantRoute(
            COORD, 200
        ),
        ("POST", f"{_PAGE}/hold/{{course_id:uuid}}/gange/{{session_id:uuid}}"): TenantRoute(
            COORD, 303, body={}
        ),
        ("GET", f"{_PAGE}/aktiviteter"): TenantRoute(ANY, 200),
        ("POST", f"{_PAGE}/aktiviteter"): TenantRoute(COORD, 303, body=_ACTIVITY),
        ("GET", f"{_PAGE}/aktiviteter/{{activity_id:uuid}}"): TenantRoute(ANY, 200),
        ("GET", f"{_PAGE}/aktiviteter/{{activity_id:uuid}}/{{day:date}}"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/aktiviteter/{{activity_id:uuid}}/{{day:date}}"): TenantRoute(
            COORD, 303, body={}
        ),
        ("POST", f"{_PAGE}/aktiviteter/{{activity_id:uuid}}/{{day:date}}/aflys"): TenantRoute(
            COORD, 303, body={}
        ),
    }
)


# Matching and forløb (issue 6). The world's forløb is active; the personas `mentor` and
# `mentee` of the URL's tenant are linked to its two people, so they are its pair.
# The world is built and every request made on one day of the app's clock (`world`).
_DAY = dt.date(2026, 11, 23)
_TODAY = _DAY.isoformat()
_NOT_PAIR = {"partner_staff": 404}
_MEETING = {"day": _TODAY, "activity": "cafe", "duration_minutes": "60"}
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/programmes/{{programme_slug:str}}/matching/suggestions"): TenantRoute(
            COORD, 200, query={"mentee": "{mentee_id:uuid}"}
        ),
        ("GET", f"{_API}/programmes/{{programme_slug:str}}/matching/assignment"): TenantRoute(
            COORD, 200
        ),
        ("POST", f"{_API}/programmes/{{programme_slug:str}}/proposals"): TenantRoute(
            COORD, 201, body={"pairs": [{"mentee": "{mentee_id:uuid}", "mentor": "{enrolment}"}]}
        ),
        ("GET", f"{_API}/forloeb"): TenantRoute(COORD, 200),
        ("GET", f"{_API}/forloeb/attention"): TenantRoute(COORD, 200),
        ("GET", f"{_API}/forloeb/{{forloeb_id:uuid}}"): TenantRoute(ANY, 200, by_role=_NOT_PAIR),
        # Active already: past the checks, accepting is refused (400).
        ("POST", f"{_API}/forloeb/{{forloeb_id:uuid}}/acceptances"): TenantRoute(
            ANY, 400, body={"party": "mentee"}, by_role=_NOT_PAIR
        ),
        ("POST", f"{_API}/forloeb/{{forloeb_id:uuid}}/transitions"): TenantRoute(
            COORD, 200, body={"to": "paused", "reason": "Ferie"}
        ),
        ("PUT", f"{_API}/forloeb/{{forloeb_id:uuid}}/plan"): TenantRoute(
            COORD, 200, body={"frequency": "weekly", "planned_months": 7}
        ),
        ("POST", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/plan"): TenantRoute(
            COORD, 303, body={"frequency": "weekly", "planned_months": "7"}
        ),
        ("POST", f"{_API}/forloeb/{{forloeb_id:uuid}}/meetings"): TenantRoute(
            ANY, 201, body={**_MEETING, "duration_minutes": 60}, by_role=_NOT_PAIR
        ),
        ("GET", f"{_PAGE}/matchning"): TenantRoute(COORD, 200),
        ("GET", f"{_PAGE}/matchning/{{programme_slug:str}}"): TenantRoute(COORD, 200),
        ("GET", f"{_PAGE}/matchning/{{programme_slug:str}}/ventelisten"): TenantRoute(COORD, 200),
        (
            "GET",
            f"{_PAGE}/matchning/{{programme_slug:str}}/borger/{{mentee_id:uuid}}",
        ): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/matchning/{{programme_slug:str}}/forslag"): TenantRoute(
            COORD, 303, body={"pair": "{mentee_id:uuid}:{enrolment}"}
        ),
        ("GET", f"{_PAGE}/forloeb"): TenantRoute(COORD, 200),
        ("GET", f"{_PAGE}/forloeb/opmaerksomhed"): TenantRoute(COORD, 200),
        ("GET", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}"): TenantRoute(ANY, 200, by_role=_NOT_PAIR),
        ("POST", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/accept"): TenantRoute(
            ANY, 400, body={"party": "mentee"}, by_role=_NOT_PAIR
        ),
        ("POST", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/status"): TenantRoute(
            COORD, 303, body={"to": "paused", "reason": "Ferie"}
        ),
        ("GET", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/moede"): TenantRoute(
            ANY, 200, by_role=_NOT_PAIR
        ),
        ("POST", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/moede"): TenantRoute(
            ANY, 303, body=_MEETING, by_role=_NOT_PAIR
        ),
    }
)


def _route_table(app) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }


def test_every_route_is_in_the_matrix(live):
    table = _route_table(live.app)
    missing = sorted(table - set(PUBLIC) - set(TENANT_ROUTES))
    stale = sorted((set(PUBLIC) | set(TENANT_ROUTES)) - table)
    assert (missing, stale) == ([], [])


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
async def test_public_route_status_for_anonymous(live, method, path):
    url = path
    for placeholder, sample in PUBLIC_SAMPLES.items():
        url = url.replace(placeholder, sample)
    async with httpx.AsyncClient(base_url=live.url) as http:
        body = {} if method in ("POST", "PUT") and path.startswith("/admin/") else None
        response = await http.request(method, url, json=body)
    assert response.status_code == PUBLIC[(method, path)]


@dataclass
class World:
    owner: Any
    other: Any
    partner: Any
    person_id: uuid.UUID
    other_person_id: uuid.UUID
    enrolment_id: uuid.UUID
    other_enrolment_id: uuid.UUID
    #: Per tenant slug: ids of a hold, its session and an activity (issue 7).
    objects: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
async def world(live, sessionmaker, tenants, clock) -> World:
    clock.set(_DAY)
    ids = {}
    objects: dict[str, dict[str, str]] = {}
    for tenant in (tenants.a, tenants.b):
        with tenant_scope(tenant.id):
            async with sessionmaker() as session, session.begin():
                programme = Programme(
                    slug="p",
                    name="Program",
                    type="peer_mentor",
                    areas=["psykiatri"],
                    policy={
                        "duration_months": {"min": 6, "max": 9},
                        "meeting_frequencies": ["weekly"],
                    },
                    plugins={},
                )
                person = Person(name="Matrix Demosen")
                session.add_all([programme, person])
                await session.flush()
                enrolment = Enrolment(
                    person_id=person.id,
                    programme_id=programme.id,
                    role=EnrolmentRole.MENTOR,
                    status="ready",
                )
                text = ConsentText(
                    programme_id=programme.id, version=1, body="Tekst", created_by="t"
                )
                session.add_all([enrolment, text])
                await session.flush()
                session.add(
                    Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t")
                )
                ids[tenant.slug] = (person.id, enrolment.id)
                objects[tenant.slug] = await _course_and_activity(session, programme, person)
                objects[tenant.slug] |= await _forloeb(live, session, programme, text, tenant.slug)
    a, b = ids[tenants.a.slug], ids[tenants.b.slug]
    return World(tenants.a, tenants.b, tenants.partner, a[0], b[0], a[1], b[1], objects)


async def _forloeb(live, session, programme, text, slug) -> dict[str, str]:
    """A ready mentee with consent, and an active forløb whose mentor and mentee are linked to
    the personas ``mx-mentor-own-<slug>`` and ``mx-mentee-own-<slug>``."""
    import datetime as dt

    from core.forloeb.models import Forloeb

    issuer = live.settings.oidc_issuer
    waiting = Person(name="Matrix Venter")
    mentor = Person(name="Matrix Mentor", account=f"{issuer}#dev-mx-mentor-own-{slug}")
    mentee = Person(name="Matrix Makker", account=f"{issuer}#dev-mx-mentee-own-{slug}")
    session.add_all([waiting, mentor, mentee])
    await session.flush()
    enrolments = {
        name: Enrolment(person_id=p.id, programme_id=programme.id, role=role, status=status)
        for name, p, role, status in (
            ("waiting", waiting, EnrolmentRole.MENTEE, "ready"),
            ("mentor", mentor, EnrolmentRole.MENTOR, "active"),
            ("mentee", mentee, EnrolmentRole.MENTEE, "active"),
        )
    }
    session.add_all(enrolments.values())
    await session.flush()
    session.add_all(
        Consent(enrolment_id=e.id, consent_text_id=text.id, recorded_by="t")
        for e in enrolments.values()
    )
    today = _DAY
    forloeb = Forloeb(
        programme_id=programme.id,
        mentee_enrolment_id=enrolments["mentee"].id,
        mentor_enrolment_id=enrolments["mentor"].id,
        state="active",
        strategy="shared_experience",
        proposed_on=today - dt.timedelta(days=12),
        proposed_by="t",
        frequency="weekly",
        planned_months=6,
        started_on=today - dt.timedelta(days=10),
    )
    session.add(forloeb)
    await session.flush()
    return {"{forloeb_id:uuid}": str(forloeb.id), "{mentee_id:uuid}": str(enrolments["waiting"].id)}


async def _course_and_activity(session, programme, person) -> dict[str, str]:
    import datetime as dt

    from core.activities.models import Activity, ActivityKind, ActivityMember, Recurrence
    from core.courses.models import Course, CourseParticipant, CourseSession

    course = Course(programme_id=programme.id, number=1, start_date=dt.date(2027, 1, 6), capacity=5)
    activity = Activity(
        kind=ActivityKind.CAFE,
        title="Café",
        first_on=dt.date(2027, 1, 6),
        starts=dt.time(17),
        ends=dt.time(19),
        recurrence=Recurrence.NONE,
    )
    session.add_all([course, activity])
    await session.flush()
    course_session = CourseSession(
        course_id=course.id,
        position=1,
        day=dt.date(2027, 1, 6),
        starts=dt.time(10),
        ends=dt.time(15),
        topic="Recovery",
    )
    session.add_all(
        [
            course_session,
            CourseParticipant(course_id=course.id, person_id=person.id),
            ActivityMember(activity_id=activity.id, person_id=person.id),
        ]
    )
    await session.flush()
    return {
        "{course_id:uuid}": str(course.id),
        "{session_id:uuid}": str(course_session.id),
        "{activity_id:uuid}": str(activity.id),
        "{day:date}": "2027-01-06",
    }


PERSONAS = [(role, "own") for role in ROLES if role != "platform_admin"] + [
    ("coordinator", "other"),
    ("tenant_admin", "other"),
    ("partner_staff", "other"),
    ("platform_admin", "none"),
    ("anonymous", "none"),
]


async def _client(live, world, role, membership, url_tenant) -> httpx.AsyncClient | None:
    if role == "anonymous":
        return httpx.AsyncClient(base_url=live.url)
    tenant = {"own": url_tenant, "other": world.other, "none": None}[membership]
    name = f"mx-{role}-{membership}-{url_tenant.slug}"
    live.add_user(name, (role,), (tenant.slug,) if tenant else ())
    http = httpx.AsyncClient(base_url=live.url)
    await browser_sign_in(http, live, name)
    http.headers["Authorization"] = f"Bearer {await live.access_token(name)}"
    return http


async def _grant(live, world) -> str:
    name = f"granter-{world.owner.slug}"
    live.add_user(name, ("tenant_admin",), (world.owner.slug,))
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.post(
            f"/api/v1/t/{world.owner.slug}/partnerships/",
            json={"programme": "p", "partner": world.partner.slug, "scope": "participants"},
            headers={"Authorization": f"Bearer {await live.access_token(name)}"},
        )
    assert response.status_code in (200, 201)
    return str(response.json()["id"])


def _expected(spec: TenantRoute, role: str, membership: str, is_api: bool) -> int:
    if role == "anonymous":
        return 401 if is_api else 303
    if membership == "other":
        return 404
    if role in spec.by_role:
        return spec.by_role[role]
    if role == "platform_admin" or role in spec.roles:
        return spec.success
    return 403


@pytest.mark.parametrize(("method", "path"), sorted(TENANT_ROUTES))
@pytest.mark.parametrize(("role", "membership"), PERSONAS)
async def test_tenant_route_status(live, world, method, path, role, membership):
    spec = TENANT_ROUTES[(method, path)]
    url_tenant = world.partner if spec.under == "partner" else world.owner
    grant_id = await _grant(live, world)
    url = (
        path.replace("{tenant_slug:str}", url_tenant.slug)
        .replace("{grant_id:uuid}", grant_id)
        .replace("{person_id:uuid}", str(world.person_id))
        .replace("{enrolment_id:uuid}", str(world.enrolment_id))
        .replace("{programme_slug:str}", "p")
    )
    for placeholder, value in world.objects.get(url_tenant.slug, {}).items():
        url = url.replace(placeholder, value)

    def fill(values: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(values)
        replacements = {
            "{partner}": world.partner.slug,
            "{person}": str(world.person_id),
            "{enrolment}": str(world.enrolment_id),
            **world.objects.get(url_tenant.slug, {}),
        }
        for placeholder, value in replacements.items():
            text = text.replace(placeholder, value)
        return json.loads(text)  # type: ignore[no-any-return]

    body = fill(spec.body) if spec.body is not None else None
    query = fill(spec.query)
    http = await _client(live, world, role, membership, url_tenant)
    is_api = url.startswith("/api/")
    try:
        if method in ("POST", "PUT", "PATCH", "DELETE") and not is_api:
            # A form post: the CSRF cookie from a safe request, its token in the header.
            await http.get("/")
            response = await http.request(
                method,
                url,
                params=query,
                data=body,
                headers={"x-csrftoken": http.cookies.get("makker_csrf") or ""},
            )
        else:
            response = await http.request(method, url, params=query, json=body)
    finally:
        await http.aclose()
    assert response.status_code == _expected(spec, role, membership, is_api), response.text[:200]


OBJECT_ROUTES = [
    (
        "GET",
        "/api/v1/t/{own}/people/{other_person}/eligibility",
        {"programme": "p", "role": "mentor"},
    ),
    ("GET", "/api/v1/t/{own}/people/{other_person}/intake", {"programme": "p", "role": "mentor"}),
    ("PUT", "/api/v1/t/{own}/people/{other_person}/intake", {"programme": "p", "role": "mentor"}),
    ("DELETE", "/api/v1/t/{own}/partnerships/{grant}", {}),
    ("GET", "/api/v1/t/{own}/people/{other_person}", {}),
    ("PATCH", "/api/v1/t/{own}/people/{other_person}", {}),
    ("POST", "/api/v1/t/{own}/people/{other_person}/enrolments", {}),
    ("GET", "/api/v1/t/{own}/enrolments/{other_enrolment}", {}),
    ("POST", "/api/v1/t/{own}/enrolments/{other_enrolment}/transitions", {}),
    ("POST", "/api/v1/t/{own}/enrolments/{other_enrolment}/consent", {}),
    ("POST", "/api/v1/t/{own}/enrolments/{other_enrolment}/consent/withdraw", {}),
    ("PUT", "/api/v1/t/{own}/enrolments/{other_enrolment}/intake", {}),
    ("POST", "/api/v1/t/{own}/enrolments/{other_enrolment}/override", {}),
    ("GET", "/api/v1/t/{own}/courses/{other_course}", {}),
    ("GET", "/api/v1/t/{own}/activities/{other_activity}", {}),
    ("POST", "/api/v1/t/{own}/people/{other_person}/calendar-link", {}),
    ("DELETE", "/api/v1/t/{own}/people/{other_person}/calendar-link", {}),
    ("PUT", "/api/v1/t/{own}/people/{other_person}/account", {}),
    ("GET", "/api/v1/t/{own}/programmes/p/matching/suggestions", {"mentee": "{other_mentee}"}),
    ("GET", "/api/v1/t/{own}/forloeb/{other_forloeb}", {}),
    ("POST", "/api/v1/t/{own}/forloeb/{other_forloeb}/acceptances", {}),
    ("POST", "/api/v1/t/{own}/forloeb/{other_forloeb}/transitions", {}),
    ("POST", "/api/v1/t/{own}/forloeb/{other_forloeb}/meetings", {}),
    ("PUT", "/api/v1/t/{own}/forloeb/{other_forloeb}/plan", {}),
]
OBJECT_BODIES = {
    "/transitions": {"to": "withdrawn"},
    "/enrolments": {"programme": "p", "role": "mentee"},
    "/override": {"reason": "En begrundelse fra matrixen"},
    "/account": {"account": None},
    "/acceptances": {"party": "mentee"},
    "/plan": {"frequency": "weekly", "planned_months": 7},
    "/meetings": {"day": _TODAY, "activity": "cafe", "duration_minutes": 60},
}


@pytest.mark.parametrize(("method", "template", "query"), OBJECT_ROUTES)
async def test_another_tenants_object_through_own_url_is_404(live, world, method, template, query):
    """A coordinator of B, in B's own URL, naming A's person or grant: exactly 404."""
    grant_id = await _grant(live, world)
    name = f"obj-{world.other.slug}"
    live.add_user(name, ("tenant_admin", "coordinator"), (world.other.slug,))
    url = (
        template.replace("{own}", world.other.slug)
        .replace("{other_person}", str(world.person_id))
        .replace("{other_enrolment}", str(world.enrolment_id))
        .replace("{grant}", grant_id)
        .replace("{other_course}", world.objects[world.owner.slug]["{course_id:uuid}"])
        .replace("{other_activity}", world.objects[world.owner.slug]["{activity_id:uuid}"])
        .replace("{other_forloeb}", world.objects[world.owner.slug]["{forloeb_id:uuid}"])
    )
    query = {
        k: v.replace("{other_mentee}", world.objects[world.owner.slug]["{mentee_id:uuid}"])
        for k, v in query.items()
    }
    body = next((b for suffix, b in OBJECT_BODIES.items() if url.endswith(suffix)), {})
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.request(
            method,
            url,
            params=query,
            json=body if method in ("PUT", "POST", "PATCH") else None,
            headers={"Authorization": f"Bearer {await live.access_token(name)}"},
        )
    assert (response.status_code, response.json()) == (
        404,
        {"status_code": 404, "detail": "Not Found"},
    )


async def test_other_partner_cannot_use_a_grant(live, world, sessionmaker):
    """A second partner's staff, in its own URL, naming the first partner's grant: 404."""
    from core.tenancy.models import Tenant, TenantKind

    grant_id = await _grant(live, world)
    async with sessionmaker() as session, session.begin():
        second = Tenant(
            slug=f"p2-{world.owner.slug}", name="Anden partner", kind=TenantKind.PARTNER, plugins={}
        )
        session.add(second)
    name = f"p2staff-{world.owner.slug}"
    live.add_user(name, ("partner_staff",), (second.slug,))
    headers = {"Authorization": f"Bearer {await live.access_token(name)}"}
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as http:
        for suffix in ("summary", "participants"):
            response = await http.get(f"/api/v1/t/{second.slug}/partnerships/{grant_id}/{suffix}")
            assert response.status_code == 404


PAGE_OBJECT_ROUTES = [
    "/t/{own}/deltagere/{person_id:uuid}",
    "/t/{own}/deltagere/{person_id:uuid}/rediger",
    "/t/{own}/deltagere/tilmelding/{enrolment_id:uuid}",
    "/t/{own}/deltagere/tilmelding/{enrolment_id:uuid}/bekraeft?til=withdrawn",
    "/t/{own}/hold/{course_id:uuid}",
    "/t/{own}/hold/{course_id:uuid}/gange/{session_id:uuid}",
    "/t/{own}/aktiviteter/{activity_id:uuid}",
    "/t/{own}/aktiviteter/{activity_id:uuid}/{day:date}",
    "/t/{own}/matchning/p/borger/{mentee_id:uuid}",
    "/t/{own}/forloeb/{forloeb_id:uuid}",
    "/t/{own}/forloeb/{forloeb_id:uuid}/moede",
]


@pytest.mark.parametrize("template", PAGE_OBJECT_ROUTES)
async def test_another_tenants_object_in_own_page_url_is_the_standard_404(live, world, template):
    """Pages too: a coordinator of B naming A's object in B's URL gets the plain 404 page."""
    name = f"pageobj-{world.other.slug}"
    live.add_user(name, ("tenant_admin", "coordinator"), (world.other.slug,))
    ids = {
        "{person_id:uuid}": str(world.person_id),
        "{enrolment_id:uuid}": str(world.enrolment_id),
        **world.objects[world.owner.slug],
    }
    url = template.replace("{own}", world.other.slug)
    for placeholder, value in ids.items():
        url = url.replace(placeholder, value)
    async with httpx.AsyncClient(base_url=live.url) as http:
        await browser_sign_in(http, live, name)
        response = await http.get(url)
        unknown = await http.get("/t/findes-ikke/")
    assert response.status_code == 404
    assert "Siden findes ikke, eller du har ikke adgang til den." in response.text
    # The same page as for a tenant that does not exist, apart from the echoed URL.
    echoed_url = re.compile(r'href="/(sprog|auth/login)[^"]*"|name="_csrf_token" value="[^"]*"')
    assert echoed_url.sub("", response.text) == echoed_url.sub("", unknown.text)
