"""Route x role x tenant: every route of the app, every role, own and other tenants.

The table below is checked against the app's route table: a route without an entry fails
``test_every_route_is_in_the_matrix``. For each tenant route and each persona the test asserts
one exact status: anonymous -> 401 (API) or 303 to sign-in (pages); member of another tenant ->
404; member without an allowed role -> 403; allowed -> the route's success status.

The world is built once per backend and each persona signs in once (see "one world and one
sign-in per persona" below); a case that may change what it names gets objects of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock as app_clock
from core.db.session import create_engine, create_sessionmaker
from core.db.tenant_scope import tenant_scope
from core.identity.principal import ROLES
from core.participants.models import Consent, ConsentText, Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from tests.conftest import (
    BACKENDS,
    AppClock,
    live_server,
    make_tenants,
    migrated_database,
)
from tests.live import KEEPALIVE, LiveServer, browser_sign_in, client_for

if TYPE_CHECKING:
    from tests.databases import TestDatabase

ANY = ROLES
COORD = ("tenant_admin", "coordinator")
ADMIN = ("tenant_admin",)
PARTNER = ("partner_staff",)
GRANT_VIEW = ("tenant_admin", "coordinator", "partner_staff")

# Routes anyone may call, with the exact status an anonymous caller gets.
PUBLIC: dict[tuple[str, str], int] = {
    ("GET", "/"): 200,
    ("GET", "/sprog/{code:str}"): 303,
    ("GET", "/tilgaengelighedserklaering"): 200,
    ("GET", "/health/live"): 200,
    ("GET", "/health/ready"): 200,
    ("GET", "/auth/login"): 303,
    ("GET", "/auth/callback"): 400,
    ("POST", "/auth/logout"): 403,  # no CSRF token
    ("POST", "/auth/backchannel-logout"): 400,  # no logout token
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
    ("POST", "/admin/realms/{realm:str}/users/{user_id:str}/logout"): 401,
    ("GET", "/admin/realms/{realm:str}/users"): 401,
    ("POST", "/admin/realms/{realm:str}/organizations/{org_id:str}/members/invite-user"): 401,
    (
        "POST",
        "/admin/realms/{realm:str}/organizations/{org_id:str}/members/invite-existing-user",
    ): 401,
    # The invitation link of the development issuer's "e-mail": no or an unknown key.
    ("GET", "/realms/{realm:str}/login-actions/action-token"): 400,
    ("POST", "/realms/{realm:str}/login-actions/action-token"): 400,
    ("GET", "/realms/{realm:str}/dev-mailbox"): 200,
    # Calendars: an unknown token and an unknown tenant are 404 (issue 7).
    ("GET", "/kalender/{token:str}"): 404,
    ("GET", "/offentlig/{slug:str}/informationsmoeder"): 404,
    ("GET", "/offentlig/{slug:str}/informationsmoeder.ics"): 404,
    # The platform report (issue 14): platform admins only (tests/test_reports_partner.py has
    # the roles: 200 for a platform admin, 403 for a coordinator).
    ("GET", "/api/v1/platform/report"): 401,
    ("GET", "/platform/rapport"): 303,
    # Public programme pages and applications (issue 17): an unknown tenant is 404, also for
    # a post (the tenant is looked up before the CSRF check; tests/test_applications.py posts
    # without a token to a real one: 403).
    ("GET", "/offentlig/{slug:str}"): 404,
    ("GET", "/offentlig/{slug:str}/tilbud/{programme_slug:str}"): 404,
    ("POST", "/offentlig/{slug:str}/tilbud/{programme_slug:str}"): 404,
    ("GET", "/offentlig/{slug:str}/tilbud/{programme_slug:str}/tak"): 404,
}
PUBLIC_SAMPLES = {
    "{code:str}": "en",
    "{file_path:path}": "makker.css",
    "{path:str}": "nope",
    "{realm:str}": "makker",
    "{org_id:str}": "x",
    "{client_uuid:str}": "x",
    "{role_name:str}": "x",
    "{user_id:str}": "x",
    "{token:str}": "nope.ics",
    "{slug:str}": "nope",
    "{programme_slug:str}": "p",
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
    # Granting and revoking on the page, and the owner's log of what partners did in its
    # programmes (issue 21, scope `coordinate`; a coordinate partner's sweep of every route is
    # tests/test_coordinate_sweep.py).
    ("POST", "/t/{tenant_slug:str}/partnerskaber"): TenantRoute(
        ADMIN, 303, body={"programme": "p", "partner": "{partner}", "scope": "participants"}
    ),
    ("POST", "/t/{tenant_slug:str}/partnerskaber/{grant_id:uuid}/tilbagekald"): TenantRoute(
        ADMIN, 303, body={}
    ),
    ("GET", "/t/{tenant_slug:str}/partnerskaber/aktivitet"): TenantRoute(ADMIN, 200),
    ("GET", "/api/v1/t/{tenant_slug:str}/partnerships/activity"): TenantRoute(ADMIN, 200),
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
#: Members whose sign-in is not linked to a person of the tenant (Mit forløb's own actions).
_NOT_LINKED = dict.fromkeys(("platform_admin", "tenant_admin", "coordinator", "partner_staff"), 404)
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
        # The caller's own calendar link (issue 12): only a sign-in linked to a person has one
        # (the personas `mentor` and `mentee`); the others get 404.
        ("POST", f"{_API}/me/calendar-link"): TenantRoute(ANY, 201, by_role=_NOT_LINKED),
        ("DELETE", f"{_API}/me/calendar-link"): TenantRoute(ANY, 204, by_role=_NOT_LINKED),
        ("POST", f"{_PAGE}/mit/kalender"): TenantRoute(ANY, 200, body={}, by_role=_NOT_LINKED),
        ("POST", f"{_PAGE}/mit/kalender/tilbagekald"): TenantRoute(
            ANY, 303, body={}, by_role=_NOT_LINKED
        ),
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

# Outcome questionnaires (issue 13). Programme `p` asks WHO-5 of the citizen and QPR-15 of
# both at the start; the world's forløb started 10 days ago, so the baselines are open, and the
# citizen's WHO-5 baseline has been sent (`{response_id:uuid}`). A party sees only their own
# occasions: the mentor gets 404 for the citizen's.
#: A platform admin may open a forløb, but questionnaire answers are for the person and the
#: tenant's coordinators only: the occasions are 404 to them (lists are empty).
_NOT_MENTEE = {"partner_staff": 404, "mentor": 404, "platform_admin": 404}
_NOT_THEMSELVES = {"partner_staff": 404, "mentor": 404, "mentee": 404}
_WHO5 = dict.fromkeys(("cheerful", "calm", "active", "rested", "interested"), 3)
_WHO5_FORM = {f"q_{k}": str(v) for k, v in _WHO5.items()}
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/instruments"): TenantRoute(ANY, 200),
        ("GET", f"{_API}/instruments/{{instrument_id:str}}"): TenantRoute(ANY, 200),
        ("GET", f"{_API}/forloeb/{{forloeb_id:uuid}}/questionnaires"): TenantRoute(
            ANY, 200, by_role=_NOT_PAIR
        ),
        ("PUT", f"{_API}/forloeb/{{forloeb_id:uuid}}/questionnaires/{{occasion:str}}"): TenantRoute(
            ANY, 200, body={"answers": {}}, by_role=_NOT_MENTEE
        ),
        (
            "POST",
            f"{_API}/questionnaire-responses/{{response_id:uuid}}/corrections",
        ): TenantRoute(ANY, 201, body={"answers": _WHO5, "reason": "Rettet"}, by_role=_NOT_MENTEE),
        ("GET", f"{_API}/me/questionnaires"): TenantRoute(ANY, 200, by_role=_NOT_LINKED),
        ("GET", f"{_API}/questionnaires/due"): TenantRoute(COORD, 200),
        ("GET", f"{_API}/people/{{person_id:uuid}}/outcomes"): TenantRoute(
            ANY, 200, by_role=_NOT_THEMSELVES
        ),
        ("GET", f"{_API}/programmes/{{programme_slug:str}}/outcomes"): TenantRoute(COORD, 200),
        # The pages. `{occasion:str}` is the citizen's QPR-15 baseline: open, never sent (a
        # draft saved is 303); correcting it is refused with a Danish 409 page (nothing sent
        # to correct), and its correction page says so (200).
        ("GET", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/spoergeskema/{{occasion:str}}"): TenantRoute(
            ANY, 200, by_role=_NOT_MENTEE
        ),
        ("POST", f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/spoergeskema/{{occasion:str}}"): (
            TenantRoute(ANY, 303, body={"handling": "kladde"}, by_role=_NOT_MENTEE)
        ),
        (
            "GET",
            f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/spoergeskema/{{occasion:str}}/ret",
        ): TenantRoute(ANY, 200, by_role=_NOT_MENTEE),
        (
            "POST",
            f"{_PAGE}/forloeb/{{forloeb_id:uuid}}/spoergeskema/{{occasion:str}}/ret",
        ): TenantRoute(
            ANY, 409, body={"version": "1", "reason": "Rettet", **_WHO5_FORM}, by_role=_NOT_MENTEE
        ),
        ("GET", f"{_PAGE}/resultater"): TenantRoute(COORD, 200, query={"programme": "p"}),
        ("GET", f"{_PAGE}/spoergeskemaer"): TenantRoute(ANY, 200),
    }
)


async def _planned_and_failed(session, forloeb, person) -> tuple[str, str]:
    """A planned meeting of the forløb (five days ahead) and a message to ``person`` that
    failed (issue 16)."""
    from core.clock import COPENHAGEN
    from core.forloeb.models import PlannedMeeting
    from core.notifications.models import Notification

    starts = dt.datetime.combine(_DAY + dt.timedelta(days=5), dt.time(14), tzinfo=COPENHAGEN)
    planned = PlannedMeeting(
        forloeb_id=forloeb.id,
        starts_at=starts,
        place="Caféen",
        planned_as="mentor",
        planned_by="t",
    )
    failed = Notification(
        idempotency_key=f"matrix:{uuid.uuid4()}",
        kind="meeting_reminder",
        channel="email",
        person_id=person.id,
        programme_id=forloeb.programme_id,
        due_at=starts,
        status="failed",
        attempts=8,
        last_error="SMTPConnectError",
        title="Påmindelse",
        body="Hej",
        link="https://x/",
    )
    session.add_all([planned, failed])
    await session.flush()
    return str(planned.id), str(failed.id)


# Notifications and planned meetings (issue 16). The world's forløb has a planned meeting five
# days ahead (`{planned_id:uuid}`; an afbud twice is one afbud, so each case may send one) and
# a failed e-mail (`{notification_id:uuid}`). A sign-in without a linked person has no messages
# of its own to mark or choices to make (404); the development mailbox is mounted because the
# test server runs in development.
_PLAN = {"day": (_DAY + dt.timedelta(days=3)).isoformat(), "time": "14:00", "place": "Caféen"}
_FORLOEB = f"{_API}/forloeb/{{forloeb_id:uuid}}/planned-meetings"
_FORLOEB_PAGE = f"{_PAGE}/forloeb/{{forloeb_id:uuid}}"
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/notifications"): TenantRoute(ANY, 200),
        ("POST", f"{_API}/notifications/read"): TenantRoute(ANY, 204, by_role=_NOT_LINKED),
        ("GET", f"{_API}/notifications/choices"): TenantRoute(ANY, 200, by_role=_NOT_LINKED),
        ("PUT", f"{_API}/notifications/choices"): TenantRoute(
            ANY, 200, body={"consent": True}, by_role=_NOT_LINKED
        ),
        ("GET", f"{_API}/notifications/failed"): TenantRoute(COORD, 200),
        ("POST", f"{_API}/notifications/{{notification_id:uuid}}/retry"): TenantRoute(COORD, 204),
        ("GET", _FORLOEB): TenantRoute(ANY, 200, by_role=_NOT_PAIR),
        ("POST", _FORLOEB): TenantRoute(ANY, 201, body=_PLAN, by_role=_NOT_PAIR),
        ("POST", f"{_FORLOEB}/{{planned_id:uuid}}/cancel"): TenantRoute(
            ANY, 200, by_role=_NOT_PAIR
        ),
        ("GET", f"{_PAGE}/beskeder"): TenantRoute(ANY, 200),
        ("GET", f"{_PAGE}/beskeder/antal"): TenantRoute(ANY, 200),
        # a coordinator records a person's consent to be contacted and choices
        ("GET", f"{_PAGE}/beskeder/person/{{person_id:uuid}}"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/beskeder/person/{{person_id:uuid}}"): TenantRoute(
            COORD, 303, body={"consent": "on"}
        ),
        ("GET", f"{_API}/people/{{person_id:uuid}}/notification-choices"): TenantRoute(COORD, 200),
        ("PUT", f"{_API}/people/{{person_id:uuid}}/notification-choices"): TenantRoute(
            COORD, 200, body={"consent": True}
        ),
        ("POST", f"{_PAGE}/beskeder/laest"): TenantRoute(ANY, 303, body={}, by_role=_NOT_LINKED),
        ("GET", f"{_PAGE}/beskeder/valg"): TenantRoute(ANY, 200, by_role=_NOT_LINKED),
        ("POST", f"{_PAGE}/beskeder/valg"): TenantRoute(
            ANY, 303, body={"consent": "on"}, by_role=_NOT_LINKED
        ),
        ("GET", f"{_PAGE}/beskeder/fejlede"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/beskeder/fejlede/{{notification_id:uuid}}/igen"): TenantRoute(
            COORD, 303, body={}
        ),
        ("GET", f"{_FORLOEB_PAGE}/planlaeg"): TenantRoute(ANY, 200, by_role=_NOT_PAIR),
        ("POST", f"{_FORLOEB_PAGE}/planlaeg"): TenantRoute(ANY, 303, body=_PLAN, by_role=_NOT_PAIR),
        ("GET", f"{_FORLOEB_PAGE}/planlagt/{{planned_id:uuid}}"): TenantRoute(
            ANY, 200, by_role=_NOT_PAIR
        ),
        ("POST", f"{_FORLOEB_PAGE}/planlagt/{{planned_id:uuid}}/afbud"): TenantRoute(
            ANY, 303, body={}, by_role=_NOT_PAIR
        ),
        ("GET", f"{_PAGE}/udvikling/postkasse"): TenantRoute(COORD, 200),
    }
)


# Invitations and members (issue 17). Each case's invitation and member are its own
# (`_fresh_objects`); the invitation is addressed to nobody signed in, so accepting it is 404
# for every persona (accepting is tested in tests/test_invitations.py).
_NO_INVITATION = dict.fromkeys(ROLES, 404)
_INVITE = {"email": "mx-{person}@example.dk", "role": "mentor"}
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/invitations"): TenantRoute(ADMIN, 200),
        ("POST", f"{_API}/invitations"): TenantRoute(ADMIN, 201, body=_INVITE),
        ("DELETE", f"{_API}/invitations/{{invitation_id:uuid}}"): TenantRoute(ADMIN, 204),
        ("GET", f"{_API}/invitations/mine"): TenantRoute(ANY, 200),
        ("POST", f"{_API}/invitations/{{invitation_id:uuid}}/accept"): TenantRoute(
            ANY, 200, by_role=_NO_INVITATION
        ),
        ("GET", f"{_API}/members"): TenantRoute(ADMIN, 200),
        ("PUT", f"{_API}/members/{{member_id:uuid}}/role"): TenantRoute(
            ADMIN, 200, body={"role": "mentor"}
        ),
        ("DELETE", f"{_API}/members/{{member_id:uuid}}"): TenantRoute(ADMIN, 204),
        ("GET", f"{_PAGE}/medlemmer"): TenantRoute(ADMIN, 200),
        ("GET", f"{_PAGE}/medlemmer/inviter"): TenantRoute(ADMIN, 200),
        ("POST", f"{_PAGE}/medlemmer/inviter"): TenantRoute(ADMIN, 303, body=_INVITE),
        ("POST", f"{_PAGE}/medlemmer/{{member_id:uuid}}/rolle"): TenantRoute(
            ADMIN, 303, body={"role": "mentor"}
        ),
        ("GET", f"{_PAGE}/medlemmer/{{member_id:uuid}}/fjern"): TenantRoute(ADMIN, 200),
        ("POST", f"{_PAGE}/medlemmer/{{member_id:uuid}}/fjern"): TenantRoute(ADMIN, 303, body={}),
        (
            "POST",
            f"{_PAGE}/medlemmer/invitationer/{{invitation_id:uuid}}/tilbagekald",
        ): TenantRoute(ADMIN, 303, body={}),
        ("GET", f"{_PAGE}/invitation"): TenantRoute(ANY, 200),
        ("POST", f"{_PAGE}/invitation/{{invitation_id:uuid}}"): TenantRoute(
            ANY, 200, body={}, by_role=_NO_INVITATION
        ),
    }
)


# Reports (issue 14): the coordinator's overview, savings estimate and exports. Programme `p`
# has no savings assumptions in the world; a tenant admin's PUT/POST adds a version.
_SAVINGS = {
    "support_hours_per_fortnight": 3.0,
    "hourly_cost": 500,
    "share_otherwise_supported_percent": 80,
    "coordinator_hours_per_week": 2.0,
    "coordinator_hourly_cost": 400,
}
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/reports/overview"): TenantRoute(COORD, 200, query={"programme": "p"}),
        ("GET", f"{_API}/reports/savings"): TenantRoute(COORD, 200),
        ("GET", f"{_API}/reports/export"): TenantRoute(COORD, 200, query={"format": "xlsx"}),
        ("GET", f"{_API}/programmes/{{programme_slug:str}}/savings-assumptions"): TenantRoute(
            COORD, 200
        ),
        ("PUT", f"{_API}/programmes/{{programme_slug:str}}/savings-assumptions"): TenantRoute(
            ADMIN, 200, body=_SAVINGS
        ),
        ("GET", f"{_PAGE}/rapporter"): TenantRoute(COORD, 200, query={"fra": "2026-01-01"}),
        ("GET", f"{_PAGE}/rapporter/eksport"): TenantRoute(
            COORD, 200, query={"format": "csv", "table": "overview"}
        ),
        ("GET", f"{_PAGE}/rapporter/besparelse/{{programme_slug:str}}"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/rapporter/besparelse/{{programme_slug:str}}"): TenantRoute(
            ADMIN, 303, body={k: str(v) for k, v in _SAVINGS.items()}
        ),
    }
)

# The partner's aggregate (issue 14): under the partner's URL, for its staff; the owner's grant
# on `p` (any scope) gives suppressed numbers. A partner without a grant gets an empty answer
# (tests/test_reports_partner.py).
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/reports/partner"): TenantRoute(PARTNER, 200, under="partner"),
        ("GET", f"{_API}/reports/partner/export"): TenantRoute(
            PARTNER, 200, under="partner", query={"format": "xlsx"}
        ),
        ("GET", f"{_PAGE}/rapporter/partner"): TenantRoute(PARTNER, 200, under="partner"),
        ("GET", f"{_PAGE}/rapporter/partner/eksport"): TenantRoute(
            PARTNER, 200, under="partner", query={"format": "csv", "table": "partner"}
        ),
    }
)


# Applications from the public pages (issue 17): the list is for coordinators.
_NOT_A_MENTOR = {**_NOT_LINKED, "mentee": 404}
TENANT_ROUTES.update(
    {
        ("GET", f"{_PAGE}/ansoegninger"): TenantRoute(COORD, 200),
        ("GET", f"{_API}/applications"): TenantRoute(COORD, 200),
        # "Slet ansøgningen" (each case deletes an application of its own, `_application`).
        ("GET", f"{_PAGE}/ansoegninger/{{application_id:uuid}}/slet"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/ansoegninger/{{application_id:uuid}}/slet"): TenantRoute(
            COORD, 303, body={}
        ),
        ("DELETE", f"{_API}/applications/{{application_id:uuid}}"): TenantRoute(COORD, 204),
        # A mentor's own availability on "Mit forløb": only a sign-in linked to a person has
        # one (404 for the others); the citizen persona is no mentor in `p` (404 to set it).
        ("GET", f"{_API}/me/availability"): TenantRoute(ANY, 200, by_role=_NOT_LINKED),
        ("PUT", f"{_API}/me/availability/{{programme_slug:str}}"): TenantRoute(
            ANY, 200, body={"capacity": 2, "paused_until": None}, by_role=_NOT_A_MENTOR
        ),
        ("POST", f"{_PAGE}/mit/tilgaengelighed/{{programme_slug:str}}"): TenantRoute(
            ANY, 303, body={"capacity-p": "2", "paused_until-p": ""}, by_role=_NOT_A_MENTOR
        ),
    }
)


# GDPR (issue 15): a person's access log and export are for coordinators and tenant admins (a
# `coordinate` partner gets 403: tests/test_coordinate_sweep.py); a person's own log is for a
# sign-in linked to a person (404 for the others).
TENANT_ROUTES.update(
    {
        ("GET", f"{_API}/people/{{person_id:uuid}}/access-log"): TenantRoute(COORD, 200),
        ("GET", f"{_API}/people/{{person_id:uuid}}/export"): TenantRoute(COORD, 200),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/adgangslog"): TenantRoute(COORD, 200),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/indsigt"): TenantRoute(COORD, 200),
        ("GET", f"{_API}/me/access-log"): TenantRoute(ANY, 200, by_role=_NOT_LINKED),
        ("GET", f"{_PAGE}/mit/adgangslog"): TenantRoute(ANY, 200, by_role=_NOT_LINKED),
    }
)
# GDPR part C (issue 15): erasure by coordinators and tenant admins, a legal hold set by a
# tenant admin (a `coordinate` partner gets 403: tests/test_coordinate_sweep.py).
_ERASE = {"reason": "person_request", "confirm": "SLET"}
_HOLD = {"reason": "Klagesag fra matrixen", "ends_on": (_DAY + dt.timedelta(days=30)).isoformat()}
TENANT_ROUTES.update(
    {
        ("POST", f"{_API}/people/{{person_id:uuid}}/erasure"): TenantRoute(COORD, 200, body=_ERASE),
        ("GET", f"{_API}/people/{{person_id:uuid}}/legal-hold"): TenantRoute(COORD, 200),
        ("POST", f"{_API}/people/{{person_id:uuid}}/legal-hold"): TenantRoute(
            ADMIN, 200, body=_HOLD
        ),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/sletning"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/deltagere/{{person_id:uuid}}/sletning"): TenantRoute(
            COORD, 303, body=_ERASE
        ),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/retligt-stop"): TenantRoute(COORD, 200),
        ("POST", f"{_PAGE}/deltagere/{{person_id:uuid}}/retligt-stop"): TenantRoute(
            ADMIN, 303, body=_HOLD
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


# -- one world and one sign-in per persona, per module and backend -----------------------------
#
# Building the world and signing in cost far more than the request a case checks, so both happen
# once per backend: ``backend``, ``database``, ``live`` and ``sessionmaker`` are module-scoped
# here, the tests run in the module's event loop, and each persona keeps its client (browser
# session and CSRF cookies, a bearer token renewed before it expires) for the module. A case
# whose unsafe request passes the guards gets objects of its own (``_fresh_objects``), so no
# case sees what an earlier case changed.

MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
#: Renew a persona's bearer token well before the issuer's 300 seconds run out.
TOKEN_SECONDS = 200


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def database(backend, _migrated, tmp_path_factory, request) -> TestDatabase:
    return migrated_database(backend, _migrated, tmp_path_factory, request)


@pytest.fixture(scope="module")
def live(backend, database, _live_servers) -> LiveServer:
    return live_server(backend, database, _live_servers)


@pytest.fixture(scope="module")
def _on_day() -> Iterator[None]:
    """The app's clock on ``_DAY`` for the module: the world is built and every request made
    that day."""
    previous = app_clock.get_clock()
    AppClock().set(_DAY)
    yield
    app_clock.set_clock(previous)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sessionmaker(database) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database.app_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


class Personas:
    """The module's signed-in clients, one per persona and kind: each persona signs in once."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self._clients: dict[tuple[str, bool, bool], httpx.AsyncClient] = {}
        self._tokens: dict[str, tuple[str, float]] = {}

    async def client(
        self,
        name: str,
        roles: tuple[str, ...],
        tenants: tuple[str, ...],
        *,
        browser: bool,
        bearer: bool,
    ) -> httpx.AsyncClient:
        """``name``'s client: signed in like a browser (session and CSRF cookies) if
        ``browser``, with an ``Authorization: Bearer`` header if ``bearer``."""
        key = (name, browser, bearer)
        http = self._clients.get(key)
        if http is None:
            self.live.add_user(name, roles, tenants)
            http = client_for(self.live, limits=KEEPALIVE)
            if browser:
                await browser_sign_in(http, self.live, name)
                await http.get("/")  # the CSRF cookie, for form posts
            self._clients[key] = http
        if bearer:
            http.headers["Authorization"] = f"Bearer {await self._token(name)}"
        return http

    async def _token(self, name: str) -> str:
        token = self._tokens.get(name)
        if token is None or time.monotonic() - token[1] > TOKEN_SECONDS:
            token = (await self.live.access_token(name), time.monotonic())
            self._tokens[name] = token
        return token[0]

    async def aclose(self) -> None:
        for http in self._clients.values():
            await http.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def personas(live) -> AsyncIterator[Personas]:
    signed_in = Personas(live)
    yield signed_in
    await signed_in.aclose()


def test_every_route_is_in_the_matrix(live):
    table = _route_table(live.app)
    missing = sorted(table - set(PUBLIC) - set(TENANT_ROUTES))
    stale = sorted((set(PUBLIC) | set(TENANT_ROUTES)) - table)
    assert (missing, stale) == ([], [])


@MODULE_LOOP
@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
async def test_public_route_status_for_anonymous(live, method, path):
    url = path
    for placeholder, sample in PUBLIC_SAMPLES.items():
        url = url.replace(placeholder, sample)
    async with client_for(live) as http:
        body = {} if method in ("POST", "PUT") and path.startswith("/admin/") else None
        response = await http.request(method, url, json=body)
    assert response.status_code == PUBLIC[(method, path)]


@dataclass
class World:
    owner: Any
    other: Any
    partner: Any
    #: Per tenant slug: the placeholders of its objects (a person and her mentor enrolment, a
    #: hold, its session, an activity, a waiting citizen and a forløb) and their ids.
    objects: dict[str, dict[str, str]]
    #: Per tenant slug: the ids of programme ``p`` and its consent text.
    programmes: dict[str, tuple[uuid.UUID, uuid.UUID]]

    @property
    def person_id(self) -> str:
        return self.objects[self.owner.slug]["{person_id:uuid}"]

    @property
    def enrolment_id(self) -> str:
        return self.objects[self.owner.slug]["{enrolment_id:uuid}"]


_OUTCOMES = [
    {"instrument": "who5", "respondents": "mentee", "at_end": False},
    {"instrument": "qpr15", "respondents": "both", "at_end": False},
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(live, sessionmaker, _on_day) -> World:
    tenants = await make_tenants(sessionmaker)
    objects: dict[str, dict[str, str]] = {}
    programmes: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
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
                    outcomes=_OUTCOMES,
                )
                session.add(programme)
                await session.flush()
                text = ConsentText(
                    programme_id=programme.id, version=1, body="Tekst", created_by="t"
                )
                session.add(text)
                await session.flush()
                programmes[tenant.slug] = (programme.id, text.id)
                pair = (f"mx-mentor-own-{tenant.slug}", f"mx-mentee-own-{tenant.slug}")
                objects[tenant.slug] = await _objects(live, session, programme, text, pair)
    return World(tenants.a, tenants.b, tenants.partner, objects, programmes)


async def _fresh_objects(live, sessionmaker, world: World) -> dict[str, str]:
    """New objects in the owner's programme ``p``, for one case to change as it likes."""
    programme_id, text_id = world.programmes[world.owner.slug]
    with tenant_scope(world.owner.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.get_one(Programme, programme_id)
            text = await session.get_one(ConsentText, text_id)
            return await _objects(live, session, programme, text, None)


async def _objects(live, session, programme, text, pair) -> dict[str, str]:
    """A person enrolled as a ready mentor with consent, a hold and an activity she is in, a
    ready citizen waiting for a mentor, and an active forløb. ``pair`` names the personas its
    mentor and citizen are linked to (none for a case's own objects)."""
    person = Person(name="Matrix Demosen")
    session.add(person)
    await session.flush()
    enrolment = Enrolment(
        person_id=person.id,
        programme_id=programme.id,
        role=EnrolmentRole.MENTOR,
        status="ready",
    )
    session.add(enrolment)
    await session.flush()
    session.add(Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t"))
    return {
        "{person_id:uuid}": str(person.id),
        "{enrolment_id:uuid}": str(enrolment.id),
        **await _invitation_and_member(session),
        **await _application(session, programme),
        **await _course_and_activity(session, programme, person),
        **await _forloeb(live, session, programme, text, pair),
    }


async def _forloeb(live, session, programme, text, pair) -> dict[str, str]:
    """A ready mentee with consent, and an active forløb whose mentor and mentee are linked to
    the personas ``pair`` (if given)."""
    from core.forloeb.models import Forloeb

    issuer = live.settings.oidc_issuer
    accounts = [f"{issuer}#dev-{name}" for name in pair] if pair else [None, None]
    waiting = Person(name="Matrix Venter")
    mentor = Person(name="Matrix Mentor", account=accounts[0])
    mentee = Person(name="Matrix Makker", account=accounts[1])
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
    # The mentor's før-samtale: "Mit forløb" lets her set her own availability (issue 17).
    from core.participants.models import Intake

    session.add(Intake(enrolment_id=enrolments["mentor"].id, lived_experience=[], capacity=1))
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
    from core.outcomes.models import QuestionnaireResponse

    response = QuestionnaireResponse(
        forloeb_id=forloeb.id,
        person_id=mentee.id,
        role="mentee",
        instrument="who5",
        instrument_version="1",
        occasion="who5:mentee:baseline:1",
        occasion_kind="baseline",
        occasion_date=forloeb.started_on,
        answers=_WHO5,
        total=60.0,
        status="submitted",
        entered_by="t",
    )
    session.add(response)
    await session.flush()
    planned_id, notification_id = await _planned_and_failed(session, forloeb, mentee)
    return {
        "{planned_id:uuid}": planned_id,
        "{notification_id:uuid}": notification_id,
        "{forloeb_id:uuid}": str(forloeb.id),
        "{mentee_id:uuid}": str(enrolments["waiting"].id),
        "{response_id:uuid}": str(response.id),
        "{occasion:str}": "qpr15:mentee:baseline:1",
        "{instrument_id:str}": "who5",
    }


async def _application(session, programme) -> dict[str, str]:
    """An application from the public page that waits (issue 17): a person, an enrolment
    ``applied`` and the application row."""
    from core.applications.models import Application

    person = Person(name="Matrix Ansøger")
    session.add(person)
    await session.flush()
    enrolment = Enrolment(
        person_id=person.id, programme_id=programme.id, role=EnrolmentRole.MENTEE, status="applied"
    )
    session.add(enrolment)
    await session.flush()
    application = Application(
        person_id=person.id,
        enrolment_id=enrolment.id,
        hope=None,
        contact_consent_text="Tekst",
        fingerprint=uuid.uuid4().hex,
    )
    session.add(application)
    await session.flush()
    return {"{application_id:uuid}": str(application.id)}


async def _invitation_and_member(session) -> dict[str, str]:
    """An open invitation (to an address nobody signs in with) and a member of the tenant."""
    from core.access.models import Invitation, Member

    invitation = Invitation(
        email=f"mx-{uuid.uuid4().hex}@example.dk",
        role="mentor",
        created_by="t",
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=14),
    )
    member = Member(user_id=f"matrix#{uuid.uuid4()}", name="Matrix Medlem", keycloak_roles=[])
    session.add_all([invitation, member])
    await session.flush()
    return {"{invitation_id:uuid}": str(invitation.id), "{member_id:uuid}": str(member.id)}


async def _course_and_activity(session, programme, person) -> dict[str, str]:
    from core.activities.models import Activity, ActivityKind, ActivityMember, Recurrence
    from core.courses.models import Course, CourseParticipant, CourseSession

    number = await session.scalar(
        select(func.coalesce(func.max(Course.number), 0) + 1).where(
            Course.programme_id == programme.id
        )
    )
    course = Course(programme_id=programme.id, number=number, start_date=_DAY, capacity=5)
    activity = Activity(
        kind=ActivityKind.CAFE,
        title="Café",
        first_on=_DAY,  # today: attendance is registered from the day on
        starts=dt.time(17),
        ends=dt.time(19),
        recurrence=Recurrence.NONE,
    )
    session.add_all([course, activity])
    await session.flush()
    course_session = CourseSession(
        course_id=course.id,
        position=1,
        day=_DAY,
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
        "{day:date}": _TODAY,
    }


PERSONAS = [(role, "own") for role in ROLES if role != "platform_admin"] + [
    ("coordinator", "other"),
    ("tenant_admin", "other"),
    ("partner_staff", "other"),
    ("platform_admin", "none"),
    ("anonymous", "none"),
]
#: The personas linked to the world's forløb (its mentor and citizen).
PAIR = ("mentor", "mentee")


async def _client(personas, world, role, membership, url_tenant) -> httpx.AsyncClient:
    """The persona's client: signed in in the browser and with a bearer token."""
    tenant = {"own": url_tenant, "other": world.other, "none": None}[membership]
    name = f"mx-{role}-{membership}-{url_tenant.slug}"
    tenants = (tenant.slug,) if tenant else ()
    return await personas.client(name, (role,), tenants, browser=True, bearer=True)


async def _grant(personas, world) -> str:
    """The owner's grant to the partner on programme ``p`` (made again if a case revoked it)."""
    name = f"granter-{world.owner.slug}"
    http = await personas.client(
        name, ("tenant_admin",), (world.owner.slug,), browser=False, bearer=True
    )
    response = await http.post(
        f"/api/v1/t/{world.owner.slug}/partnerships/",
        json={"programme": "p", "partner": world.partner.slug, "scope": "participants"},
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


def _needs_own_objects(method: str, path: str, role: str, passes_guards: bool) -> bool:
    """Whether a case gets objects of its own: an unsafe request past the guards may change
    what it names (withdraw, pause, cancel, propose). The forløb's pair act on the world's
    forløb they are linked to; they can only log meetings and answer or correct their own
    questionnaires, which change nothing else."""
    if method == "GET" or not passes_guards:
        return False
    own = "{forloeb_id:uuid}" in path or "{response_id:uuid}" in path
    return not (role in PAIR and own)


@MODULE_LOOP
@pytest.mark.parametrize(("method", "path"), sorted(TENANT_ROUTES))
@pytest.mark.parametrize(("role", "membership"), PERSONAS)
async def test_tenant_route_status(
    live, world, personas, sessionmaker, method, path, role, membership
):
    spec = TENANT_ROUTES[(method, path)]
    url_tenant = world.partner if spec.under == "partner" else world.owner
    is_api = path.startswith("/api/")
    expected = _expected(spec, role, membership, is_api)
    objects = {
        "{person_id:uuid}": world.person_id,
        "{enrolment_id:uuid}": world.enrolment_id,
        **world.objects.get(url_tenant.slug, {}),
    }
    if _needs_own_objects(method, path, role, expected == spec.success):
        objects |= await _fresh_objects(live, sessionmaker, world)
    if "{grant_id:uuid}" in path or path.endswith("/partnerships"):
        objects["{grant_id:uuid}"] = await _grant(personas, world)
    url = path.replace("{tenant_slug:str}", url_tenant.slug).replace("{programme_slug:str}", "p")
    for placeholder, value in objects.items():
        url = url.replace(placeholder, value)

    def fill(values: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(values)
        replacements = {
            "{partner}": world.partner.slug,
            "{person}": objects["{person_id:uuid}"],
            "{enrolment}": objects["{enrolment_id:uuid}"],
            **objects,
        }
        for placeholder, value in replacements.items():
            text = text.replace(placeholder, value)
        return json.loads(text)  # type: ignore[no-any-return]

    body = fill(spec.body) if spec.body is not None else None
    query = fill(spec.query)
    if role == "anonymous":
        http = client_for(live)
        if method != "GET" and not is_api:
            await http.get("/")  # the CSRF cookie, as a browser has it
    else:
        http = await _client(personas, world, role, membership, url_tenant)
    try:
        if method in ("POST", "PUT", "PATCH", "DELETE") and not is_api:
            # A form post: the CSRF cookie from a safe request, its token in the header.
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
        if role == "anonymous":
            await http.aclose()
    assert response.status_code == expected, response.text[:200]


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
    ("GET", "/api/v1/t/{own}/forloeb/{other_forloeb}/questionnaires", {}),
    ("PUT", "/api/v1/t/{own}/forloeb/{other_forloeb}/questionnaires/who5:mentee:baseline:1", {}),
    ("POST", "/api/v1/t/{own}/questionnaire-responses/{other_response}/corrections", {}),
    ("GET", "/api/v1/t/{own}/people/{other_person}/outcomes", {}),
    ("DELETE", "/api/v1/t/{own}/invitations/{other_invitation}", {}),
    ("POST", "/api/v1/t/{own}/invitations/{other_invitation}/accept", {}),
    ("PUT", "/api/v1/t/{own}/members/{other_member}/role", {}),
    ("DELETE", "/api/v1/t/{own}/members/{other_member}", {}),
    ("DELETE", "/api/v1/t/{own}/applications/{other_application}", {}),
    # issue 16: another tenant's forløb, planned meeting or failed message
    ("GET", "/api/v1/t/{own}/forloeb/{other_forloeb}/planned-meetings", {}),
    ("POST", "/api/v1/t/{own}/forloeb/{other_forloeb}/planned-meetings", {}),
    ("POST", "/api/v1/t/{own}/forloeb/{other_forloeb}/planned-meetings/{other_planned}/cancel", {}),
    ("POST", "/api/v1/t/{own}/notifications/{other_notification}/retry", {}),
    ("GET", "/api/v1/t/{own}/people/{other_person}/notification-choices", {}),
    ("PUT", "/api/v1/t/{own}/people/{other_person}/notification-choices", {}),
    # issue 15: another tenant's person's access log or export
    ("GET", "/api/v1/t/{own}/people/{other_person}/access-log", {}),
    ("GET", "/api/v1/t/{own}/people/{other_person}/export", {}),
    # issue 15 part C: another tenant's person's erasure and legal hold
    ("POST", "/api/v1/t/{own}/people/{other_person}/erasure", {}),
    ("GET", "/api/v1/t/{own}/people/{other_person}/legal-hold", {}),
    ("POST", "/api/v1/t/{own}/people/{other_person}/legal-hold", {}),
]
OBJECT_BODIES = {
    "/transitions": {"to": "withdrawn"},
    "/erasure": _ERASE,
    "/legal-hold": _HOLD,
    "/enrolments": {"programme": "p", "role": "mentee"},
    "/override": {"reason": "En begrundelse fra matrixen"},
    "/account": {"account": None},
    "/acceptances": {"party": "mentee"},
    "/plan": {"frequency": "weekly", "planned_months": 7},
    "/meetings": {"day": _TODAY, "activity": "cafe", "duration_minutes": 60},
    "/questionnaires/who5:mentee:baseline:1": {"answers": {}},
    "/corrections": {"answers": _WHO5, "reason": "Rettet"},
    "/role": {"role": "mentor"},
    "/planned-meetings": _PLAN,
}


@MODULE_LOOP
@pytest.mark.parametrize(("method", "template", "query"), OBJECT_ROUTES)
async def test_another_tenants_object_through_own_url_is_404(
    live, world, personas, method, template, query
):
    """A coordinator of B, in B's own URL, naming A's person or grant: exactly 404."""
    grant_id = await _grant(personas, world) if "{grant}" in template else ""
    owner = world.objects[world.owner.slug]
    url = (
        template.replace("{own}", world.other.slug)
        .replace("{other_person}", world.person_id)
        .replace("{other_enrolment}", world.enrolment_id)
        .replace("{grant}", grant_id)
        .replace("{other_course}", owner["{course_id:uuid}"])
        .replace("{other_activity}", owner["{activity_id:uuid}"])
        .replace("{other_forloeb}", owner["{forloeb_id:uuid}"])
        .replace("{other_response}", owner["{response_id:uuid}"])
        .replace("{other_invitation}", owner["{invitation_id:uuid}"])
        .replace("{other_member}", owner["{member_id:uuid}"])
        .replace("{other_application}", owner["{application_id:uuid}"])
        .replace("{other_planned}", owner["{planned_id:uuid}"])
        .replace("{other_notification}", owner["{notification_id:uuid}"])
    )
    query = {k: v.replace("{other_mentee}", owner["{mentee_id:uuid}"]) for k, v in query.items()}
    body = next((b for suffix, b in OBJECT_BODIES.items() if url.endswith(suffix)), {})
    http = await personas.client(
        f"obj-{world.other.slug}",
        ("tenant_admin", "coordinator"),
        (world.other.slug,),
        browser=False,
        bearer=True,
    )
    response = await http.request(
        method, url, params=query, json=body if method in ("PUT", "POST", "PATCH") else None
    )
    assert (response.status_code, response.json()) == (
        404,
        {"status_code": 404, "detail": "Findes ikke."},
    )


@MODULE_LOOP
async def test_other_partner_cannot_use_a_grant(world, personas, sessionmaker):
    """A second partner's staff, in its own URL, naming the first partner's grant: 404."""
    from core.tenancy.models import Tenant, TenantKind

    grant_id = await _grant(personas, world)
    async with sessionmaker() as session, session.begin():
        second = Tenant(
            slug=f"p2-{world.owner.slug}", name="Anden partner", kind=TenantKind.PARTNER, plugins={}
        )
        session.add(second)
    http = await personas.client(
        f"p2staff-{world.owner.slug}",
        ("partner_staff",),
        (second.slug,),
        browser=False,
        bearer=True,
    )
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
    "/t/{own}/forloeb/{forloeb_id:uuid}/spoergeskema/who5:mentee:baseline:1",
    "/t/{own}/forloeb/{forloeb_id:uuid}/spoergeskema/who5:mentee:baseline:1/ret",
    "/t/{own}/medlemmer/{member_id:uuid}/fjern",
    "/t/{own}/ansoegninger/{application_id:uuid}/slet",
    "/t/{own}/forloeb/{forloeb_id:uuid}/planlaeg",
    "/t/{own}/forloeb/{forloeb_id:uuid}/planlagt/{planned_id:uuid}",
    "/t/{own}/beskeder/person/{person_id:uuid}",
    "/t/{own}/deltagere/{person_id:uuid}/adgangslog",
    "/t/{own}/deltagere/{person_id:uuid}/indsigt",
    "/t/{own}/deltagere/{person_id:uuid}/sletning",
    "/t/{own}/deltagere/{person_id:uuid}/retligt-stop",
]


@MODULE_LOOP
@pytest.mark.parametrize("template", PAGE_OBJECT_ROUTES)
async def test_another_tenants_object_in_own_page_url_is_the_standard_404(
    world, personas, template
):
    """Pages too: a coordinator of B naming A's object in B's URL gets the plain 404 page."""
    http = await personas.client(
        f"pageobj-{world.other.slug}",
        ("tenant_admin", "coordinator"),
        (world.other.slug,),
        browser=True,
        bearer=False,
    )
    ids = {
        "{person_id:uuid}": world.person_id,
        "{enrolment_id:uuid}": world.enrolment_id,
        **world.objects[world.owner.slug],
    }
    url = template.replace("{own}", world.other.slug)
    for placeholder, value in ids.items():
        url = url.replace(placeholder, value)
    response = await http.get(url)
    unknown = await http.get("/t/findes-ikke/")
    assert response.status_code == 404
    assert "Siden findes ikke, eller du har ikke adgang til den." in response.text
    # The same page as for a tenant that does not exist, apart from the echoed URL (and the
    # way back, to the front page of the tenant named in it).
    echoed_url = re.compile(
        r'href="/(sprog|auth/login)[^"]*"|name="_csrf_token" value="[^"]*"|href="/t/[a-z0-9-]+/"'
    )
    assert echoed_url.sub("", response.text) == echoed_url.sub("", unknown.text)
