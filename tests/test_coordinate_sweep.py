"""Every tenant route, called by a partner's staff member with a ``coordinate`` grant (issue 21).

The routes, their calls and the world come from ``tests/test_route_matrix.py`` (imported, so a
route added there is swept here too). The grant: the world's partner co-runs programme ``p`` of
the owner; the owner also has programme ``q`` with the same kinds of objects (``OUTSIDE``).

For each route the partner persona (role ``partner_staff``, member of the partner tenant only)
gets, derived from the route's own entry:

* **inside** (``p``'s objects, under the owner's URL): exactly the status of the owner's own
  coordinator - a route for coordinators is the partner's too, a route for tenant admins only
  stays 403; a route of the partner's own space (``under="partner"``) answers the partner's staff
  as before, now through the ``coordinate`` grant;
* **outside** (the same call naming ``q``'s objects): 404, identical to an object that does not
  exist (same JSON body; the same page), unless the guard refuses first (403);
* **other tenant** (the other municipality's URL, no grant there): 404.

No answer to the partner names anything of ``q`` (its people's names, its name). A route whose
call needs something else from a partner (a programme where a coordinator may leave it out)
says so in ``PARTNER_BODIES``; a route whose uuid is not a programme's object in
``NOT_PROGRAMME_BOUND``. A new route needs neither unless its answer differs - then this sweep
fails naming the route.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from core.activities.models import Activity
from core.db.tenant_scope import tenant_scope
from core.participants.models import ConsentText, Enrolment, Person
from core.tenancy.models import Programme
from tests import test_route_matrix as matrix
from tests.test_route_matrix import (
    _API,
    _OUTCOMES,
    _PAGE,
    MODULE_LOOP,
    TENANT_ROUTES,
    TenantRoute,
    World,
    _expected,
    _fresh_objects,
    _needs_own_objects,
    _objects,
)

# The route matrix's module fixtures: its world (two municipalities and the partner, programme
# ``p`` with its objects), the live server and the signed-in personas, once per backend.
backend = matrix.backend
database = matrix.database
live = matrix.live
_on_day = matrix._on_day
sessionmaker = matrix.sessionmaker
personas = matrix.personas
world = matrix.world

#: What a partner must send where a coordinator may leave the programme out: a partner's
#: people and activities belong to a programme it co-runs (``create_person``, activities).
_PERSON_IN_P = {"name": "Matrix Nysen", "programme": "p", "role": "mentee"}
_ACTIVITY_IN_P = {
    "kind": "cafe",
    "title": "Café",
    "first_on": "2027-01-06",
    "starts": "17:00:00",
    "ends": "19:00:00",
    "programme": "p",
}
PARTNER_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", f"{_API}/people"): _PERSON_IN_P,
    ("POST", f"{_PAGE}/deltagere/ny"): _PERSON_IN_P,
    ("POST", f"{_API}/activities"): _ACTIVITY_IN_P,
    ("POST", f"{_PAGE}/aktiviteter"): {**_ACTIVITY_IN_P, "starts": "17:00", "ends": "19:00"},
}
#: What a partner may not do anywhere in the owner's space: a person's calendar link (its feed
#: is not limited to a programme and would outlive the grant), a person's own sign-in, and a
#: person's access log and export (issue 15). 403
#: before any look-up, so the same inside and outside the programme (docs/identity.md).
PARTNER_REFUSED = frozenset(
    {
        ("POST", f"{_API}/people/{{person_id:uuid}}/calendar-link"),
        ("DELETE", f"{_API}/people/{{person_id:uuid}}/calendar-link"),
        ("PUT", f"{_API}/people/{{person_id:uuid}}/account"),
        # A person's access log and export cover every programme of the person (issue 15).
        ("GET", f"{_API}/people/{{person_id:uuid}}/access-log"),
        ("GET", f"{_API}/people/{{person_id:uuid}}/export"),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/adgangslog"),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/indsigt"),
        # Erasure and legal hold (issue 15, part C): the municipality's own staff only.
        ("POST", f"{_API}/people/{{person_id:uuid}}/erasure"),
        ("GET", f"{_API}/people/{{person_id:uuid}}/legal-hold"),
        ("POST", f"{_API}/people/{{person_id:uuid}}/legal-hold"),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/sletning"),
        ("POST", f"{_PAGE}/deltagere/{{person_id:uuid}}/sletning"),
        ("GET", f"{_PAGE}/deltagere/{{person_id:uuid}}/retligt-stop"),
        ("POST", f"{_PAGE}/deltagere/{{person_id:uuid}}/retligt-stop"),
    }
)
#: Placeholders that name no object of a programme: the same in and outside it.
NOT_PROGRAMME_BOUND = frozenset({"{grant_id:uuid}"})
_PLACEHOLDER = re.compile(r"\{[a-z_]+:(uuid|str|date)\}")
#: Names of ``q``'s people and ``q`` itself: never in an answer to the partner.
OUTSIDE_NAME = "Udenfor Hemmelig"
OUTSIDE_PROGRAMME = "Lukket Tilbud"


def programme_bound(path: str) -> bool:
    """Whether the route names an object of a programme (or the programme) in its path."""
    names = {m.group(0) for m in _PLACEHOLDER.finditer(path)} - {"{tenant_slug:str}"}
    bound = {n for n in names if n.endswith(":uuid}") or n == "{programme_slug:str}"}
    return bool(bound - NOT_PROGRAMME_BOUND)


CASES = [
    (method, path, case)
    for method, path in sorted(TENANT_ROUTES)
    for case in ("inside", "outside", "other_tenant")
    if case != "outside"
    or (TENANT_ROUTES[(method, path)].under == "owner" and programme_bound(path))
]


@dataclass
class Coordinate:
    world: World
    grant_id: str
    #: ``q``'s objects by placeholder.
    outside: dict[str, str]
    #: A person enrolled in both ``p`` and ``q`` (consent, interests and a failed message in
    #: ``q`` only) and ``q``'s rows around ``p``'s objects (:func:`_shared_and_hidden`).
    shared: Shared


@dataclass
class Shared:
    person_id: str
    #: Her enrolment in ``p`` (no consent) and in ``q`` (with consent).
    p_enrolment_id: str
    q_enrolment_id: str
    #: A failed message to her about ``q`` and one about ``p``.
    q_message_id: str
    p_message_id: str
    #: ``q``'s person in ``p``'s activity and hold, and her attendance rows there.
    hidden_id: str
    hidden_activity_attendance_id: str
    hidden_course_attendance_id: str

    def secrets(self) -> set[str]:
        """Ids no answer to the partner may contain (none is in any URL of the sweep)."""
        return {
            self.q_enrolment_id,
            self.q_message_id,
            self.hidden_id,
            self.hidden_activity_attendance_id,
            self.hidden_course_attendance_id,
        }


async def _persona(personas, world: World):
    name = f"coord-{world.partner.slug}"
    return await personas.client(
        name, ("partner_staff",), (world.partner.slug,), browser=True, bearer=True
    )


async def _admin(personas, world: World):
    return await personas.client(
        f"coord-admin-{world.owner.slug}",
        ("tenant_admin",),
        (world.owner.slug,),
        browser=False,
        bearer=True,
    )


async def grant_coordinate(personas, world: World, programme: str = "p") -> str:
    http = await _admin(personas, world)
    response = await http.post(
        f"/api/v1/t/{world.owner.slug}/partnerships/",
        json={"programme": programme, "partner": world.partner.slug, "scope": "coordinate"},
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["scope"] == "coordinate"
    return str(response.json()["id"])


async def _activities_in_p(sessionmaker, world: World, objects: dict[str, str]) -> None:
    """The route matrix's activities are the tenant's; the partner's are ``p``'s."""
    programme_id, _text = world.programmes[world.owner.slug]
    with tenant_scope(world.owner.id):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(Activity)
                .where(Activity.id == uuid.UUID(objects["{activity_id:uuid}"]))
                .values(programme_id=programme_id)
            )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def coordinate(live, world, personas, sessionmaker) -> Coordinate:
    await _activities_in_p(sessionmaker, world, world.objects[world.owner.slug])
    with tenant_scope(world.owner.id):
        async with sessionmaker() as session, session.begin():
            q = Programme(
                slug="q",
                name=OUTSIDE_PROGRAMME,
                type="peer_mentor",
                areas=["psykiatri"],
                policy={
                    "duration_months": {"min": 6, "max": 9},
                    "meeting_frequencies": ["weekly"],
                },
                plugins={},
                outcomes=_OUTCOMES,
            )
            session.add(q)
            await session.flush()
            text = ConsentText(programme_id=q.id, version=1, body="Tekst", created_by="t")
            session.add(text)
            await session.flush()
            outside = await _objects(live, session, q, text, None)
            await session.execute(
                update(Activity)
                .where(Activity.id == uuid.UUID(outside["{activity_id:uuid}"]))
                .values(programme_id=q.id, title=OUTSIDE_PROGRAMME)
            )
            people = select(Enrolment.person_id).where(Enrolment.programme_id == q.id)
            for number, person in enumerate(await session.scalars(people)):
                await session.execute(
                    update(Person)
                    .where(Person.id == person)
                    .values(name=f"{OUTSIDE_NAME} {number}")
                )
            shared = await _shared_and_hidden(session, world, q, text)
    grant_id = await grant_coordinate(personas, world)
    return Coordinate(world, grant_id, outside, shared)


#: The person in both programmes: her details were recorded under ``q``'s consent.
SHARED_NAME = "Begge Programmer"


async def _shared_and_hidden(session, world: World, q: Programme, text: ConsentText) -> Shared:
    """A person enrolled in ``p`` (interested, no consent) and in ``q`` (ready, with consent,
    birth year, gender and interests recorded), a failed message to her about each programme;
    and a person of ``q`` alone who is in ``p``'s activity and hold, present at both."""
    import datetime as dt

    from core.activities.models import ActivityAttendance, ActivityMember
    from core.courses.models import CourseAttendance, CourseParticipant
    from core.notifications.models import Notification
    from core.participants.models import Consent, EnrolmentRole

    p_id, _text = world.programmes[world.owner.slug]
    objects = world.objects[world.owner.slug]
    person = Person(name=SHARED_NAME, birth_year=1980, gender="kvinde", interests=["fiskeri"])
    hidden = Person(name=f"{OUTSIDE_NAME} Deltager")
    session.add_all([person, hidden])
    await session.flush()
    in_p = Enrolment(person_id=person.id, programme_id=p_id, role=EnrolmentRole.MENTEE)
    in_q = Enrolment(
        person_id=person.id, programme_id=q.id, role=EnrolmentRole.MENTEE, status="ready"
    )
    hidden_in_q = Enrolment(
        person_id=hidden.id, programme_id=q.id, role=EnrolmentRole.MENTOR, status="ready"
    )
    session.add_all([in_p, in_q, hidden_in_q])
    await session.flush()
    session.add(Consent(enrolment_id=in_q.id, consent_text_id=text.id, recorded_by="t"))
    messages = {
        programme: Notification(
            idempotency_key=f"coordinate:{uuid.uuid4()}",
            kind="meeting_reminder",
            channel="email",
            person_id=person.id,
            programme_id=programme,
            due_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC),
            status="failed",
            attempts=8,
            last_error="SMTPConnectError",
            title="Påmindelse",
            body="Hej",
            link="https://x/",
        )
        for programme in (p_id, q.id)
    }
    activity, day = uuid.UUID(objects["{activity_id:uuid}"]), matrix._DAY
    course = uuid.UUID(objects["{course_id:uuid}"])
    activity_present = ActivityAttendance(activity_id=activity, day=day, person_id=hidden.id)
    course_present = CourseAttendance(
        session_id=uuid.UUID(objects["{session_id:uuid}"]), person_id=hidden.id
    )
    session.add_all(
        [
            *messages.values(),
            ActivityMember(activity_id=activity, person_id=hidden.id),
            CourseParticipant(course_id=course, person_id=hidden.id),
            activity_present,
            course_present,
        ]
    )
    await session.flush()
    return Shared(
        person_id=str(person.id),
        p_enrolment_id=str(in_p.id),
        q_enrolment_id=str(in_q.id),
        q_message_id=str(messages[q.id].id),
        p_message_id=str(messages[p_id].id),
        hidden_id=str(hidden.id),
        hidden_activity_attendance_id=str(activity_present.id),
        hidden_course_attendance_id=str(course_present.id),
    )


def _fill(values: dict[str, Any], objects: dict[str, str], world: World) -> dict[str, Any]:
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


async def _call(http, method: str, path: str, url: str, query, body):
    if method in ("POST", "PUT", "PATCH", "DELETE") and not path.startswith("/api/"):
        return await http.request(
            method,
            url,
            params=query,
            data=body,
            headers={"x-csrftoken": http.cookies.get("makker_csrf") or ""},
        )
    return await http.request(method, url, params=query, json=body)


def _url(path: str, tenant: str, programme: str, objects: dict[str, str]) -> str:
    url = path.replace("{tenant_slug:str}", tenant).replace("{programme_slug:str}", programme)
    for placeholder, value in objects.items():
        url = url.replace(placeholder, value)
    return url


#: A page's 404 echoes its URL (sign-in and language links, the way back, the CSRF token).
_ECHOED = re.compile(
    r'href="/(sprog|auth/login)[^"]*"|name="_csrf_token" value="[^"]*"|href="/t/[a-z0-9-]+/"'
)


def _missing_objects(objects: dict[str, str]) -> dict[str, str]:
    return {
        k: (str(uuid.uuid4()) if k.endswith(":uuid}") and k not in NOT_PROGRAMME_BOUND else v)
        for k, v in objects.items()
    }


def _coordinator_status(spec: TenantRoute, is_api: bool) -> int:
    """The owner's own coordinator's status (the partner's inside the programme)."""
    return _expected(spec, "coordinator", "own", is_api)


@MODULE_LOOP
@pytest.mark.parametrize(("method", "path", "case"), CASES)
async def test_coordinate_partner_route_status(
    live, coordinate, personas, sessionmaker, method, path, case
):
    world = coordinate.world
    spec = TENANT_ROUTES[(method, path)]
    is_api = path.startswith("/api/")
    own_space = spec.under == "partner"
    inside = {
        "{person_id:uuid}": world.person_id,
        "{enrolment_id:uuid}": world.enrolment_id,
        **world.objects[world.owner.slug],
        "{grant_id:uuid}": coordinate.grant_id,
    }
    if own_space:
        expected = _expected(spec, "partner_staff", "own", is_api)
    else:
        expected = _coordinator_status(spec, is_api)
    if (
        case == "inside"
        and not own_space
        and _needs_own_objects(method, path, "coordinator", expected == spec.success)
    ):
        fresh = await _fresh_objects(live, sessionmaker, world)
        await _activities_in_p(sessionmaker, world, fresh)
        inside |= fresh
    objects, programme, tenant = inside, "p", world.owner.slug
    if own_space:
        tenant = world.partner.slug
    if (method, path) in PARTNER_REFUSED and not own_space:
        expected = 403
    if case == "outside":
        objects = {**inside, **coordinate.outside}
        programme = "q"
        expected = 403 if expected == 403 else 404
    elif case == "other_tenant":
        tenant = world.other.slug
        expected = 404
    body_spec = PARTNER_BODIES.get((method, path), spec.body)
    body = _fill(body_spec, objects, world) if body_spec is not None else None
    query = _fill(spec.query, objects, world)
    http = await _persona(personas, world)
    url = _url(path, tenant, programme, objects)
    response = await _call(http, method, path, url, query, body)
    where = f"{method} {path} ({case})"
    assert response.status_code == expected, (
        f"{where}: {response.status_code}, expected {expected}. A coordinate partner gets the "
        f"coordinator's status inside programme p and 404 outside it; if this route needs "
        f"something else from a partner, declare it in tests/test_coordinate_sweep.py. "
        f"{response.text[:300]}"
    )
    assert OUTSIDE_NAME not in response.text, where
    assert OUTSIDE_PROGRAMME not in response.text, where
    leaked = {secret for secret in coordinate.shared.secrets() if secret in response.text}
    assert leaked == set(), f"{where}: names q's rows {sorted(leaked)}"
    if case == "outside" and expected == 404:
        gone = _missing_objects(objects)
        missing = _url(path, tenant, "findes-ikke", gone)
        refusal = await _call(http, method, path, missing, _fill(spec.query, gone, world), body)
        assert refusal.status_code == 404, where
        if is_api:
            gone_body = {"status_code": 404, "detail": "Findes ikke."}
            assert response.json() == refusal.json() == gone_body, where
        else:
            assert _ECHOED.sub("", response.text) == _ECHOED.sub("", refusal.text), where


# -- what the partner sees around the sweep: banner, audit, the owner's log, revoking -----------


@MODULE_LOOP
async def test_the_partner_works_under_a_banner_and_finds_the_owner_on_the_front_page(
    coordinate, personas
):
    world = coordinate.world
    http = await _persona(personas, world)
    front = await http.get("/")
    assert f'href="/t/{world.owner.slug}/"' in front.text
    assert "Kommune - I driver tilbud sammen som partner" in front.text
    page = await http.get(f"/t/{world.owner.slug}/deltagere/{world.person_id}")
    assert page.status_code == 200
    assert "Du arbejder i Kommune As tilbud som partner (Partner)." in page.text
    # The municipality's own coordinator works without it.
    own = await personas.client(
        f"coord-own-{world.owner.slug}",
        ("coordinator",),
        (world.owner.slug,),
        browser=True,
        bearer=False,
    )
    listing = await own.get(f"/t/{world.owner.slug}/deltagere/", params={"q": OUTSIDE_NAME})
    assert "som partner" not in listing.text
    # The partner's limit ends with its request: the coordinator sees the other programme too.
    assert OUTSIDE_NAME in listing.text


@MODULE_LOOP
async def test_a_partner_must_name_the_programme_of_a_new_person_or_activity(
    coordinate, personas, sessionmaker
):
    world = coordinate.world
    http = await _persona(personas, world)
    api = f"/api/v1/t/{world.owner.slug}"
    person = await http.post(f"{api}/people", json={"name": "Uden Tilbud"})
    activity = await http.post(f"{api}/activities", json={**_ACTIVITY_IN_P, "programme": ""})
    assert (person.status_code, person.json()["errors"]) == (
        400,
        {"programme": "Vælg det tilbud, personen skrives op til."},
    )
    assert (activity.status_code, activity.json()["errors"]) == (
        400,
        {"programme": "Vælg det tilbud, aktiviteten hører til."},
    )
    with tenant_scope(world.owner.id):
        async with sessionmaker() as session:
            stored = await session.scalar(select(Person.id).where(Person.name == "Uden Tilbud"))
    assert stored is None


@MODULE_LOOP
async def test_partner_work_is_audited_with_the_grant_and_listed_for_the_owner(
    coordinate, personas, sessionmaker
):
    from core.audit.models import AuditEvent

    world = coordinate.world
    http = await _persona(personas, world)
    inside = await http.get(f"/api/v1/t/{world.owner.slug}/people/{world.person_id}")
    outside_id = coordinate.outside["{person_id:uuid}"]
    outside = await http.get(f"/api/v1/t/{world.owner.slug}/people/{outside_id}")
    assert (inside.status_code, outside.status_code) == (200, 404)
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.tenant_slug == world.owner.slug,
                    AuditEvent.object_id.in_([world.person_id]),
                    AuditEvent.action == "person.read",
                )
            )
        )
    partner_rows = [r for r in rows if r.detail.get("partner_grant")]
    assert partner_rows, "the partner's read is in the owner's audit log"
    assert {r.detail["partner_grant"] for r in partner_rows} == {coordinate.grant_id}
    assert {r.detail["partner"] for r in partner_rows} == {world.partner.slug}
    admin = await _admin(personas, world)
    log = (await admin.get(f"/api/v1/t/{world.owner.slug}/partnerships/activity")).json()
    actions = {(r["action"], r["object_id"], r["refused"]) for r in log["rows"]}
    assert ("person.read", world.person_id, None) in actions
    assert ("access_denied", None, 404) in actions
    assert {r["grant_id"] for r in log["rows"]} == {coordinate.grant_id}
    assert {r["partner"] for r in log["rows"]} == {"Partner"}
    assert log["total"] >= len(log["rows"]) > 0
    page = await (await _admin_browser(personas, world)).get(
        f"/t/{world.owner.slug}/partnerskaber/aktivitet"
    )
    assert page.status_code == 200
    assert "person.read" in page.text
    # Only the owner's tenant admins see it: the partner (a coordinator here) is refused.
    refused = await http.get(f"/api/v1/t/{world.owner.slug}/partnerships/activity")
    assert refused.status_code == 403


async def _admin_browser(personas, world: World):
    return await personas.client(
        f"coord-admin-{world.owner.slug}",
        ("tenant_admin",),
        (world.owner.slug,),
        browser=True,
        bearer=False,
    )


async def _own_coordinator(personas, world: World):
    return await personas.client(
        f"coord-own-{world.owner.slug}",
        ("coordinator",),
        (world.owner.slug,),
        browser=True,
        bearer=True,
    )


_CALENDAR_REFUSED = {
    "status_code": 403,
    "detail": "Kun kommunens egne medarbejdere kan lave eller tilbagekalde en persons "
    "kalenderlink.",
}
_ACCOUNT_REFUSED = {
    "status_code": 403,
    "detail": "Kun kommunens egne medarbejdere kan knytte eller fjerne en persons login.",
}


@MODULE_LOOP
async def test_a_partner_neither_makes_nor_revokes_a_calendar_link(coordinate, personas):
    """The feed shows all of a person's programmes and outlives the grant: the partner gets 403
    for the shared person, and the link the municipality made keeps working."""
    world, shared = coordinate.world, coordinate.shared
    own = await _own_coordinator(personas, world)
    http = await _persona(personas, world)
    path = f"/api/v1/t/{world.owner.slug}/people/{shared.person_id}/calendar-link"
    made = await own.post(path)
    assert made.status_code == 201
    feed = made.json()["url"].split("/kalender/", 1)[1]
    refused = await http.post(path)
    assert (refused.status_code, refused.json()) == (403, _CALENDAR_REFUSED)
    revoke = await http.delete(path)
    assert (revoke.status_code, revoke.json()) == (403, _CALENDAR_REFUSED)
    # Outside the programme: the same 403 (no look-up first, so no oracle).
    hidden = await http.post(
        f"/api/v1/t/{world.owner.slug}/people/{shared.hidden_id}/calendar-link"
    )
    assert (hidden.status_code, hidden.json()) == (403, _CALENDAR_REFUSED)
    # The person's own link was neither replaced nor revoked.
    still = await own.get(f"/kalender/{feed}")
    assert still.status_code == 200
    assert still.headers["content-type"].startswith("text/calendar")


@MODULE_LOOP
async def test_the_api_shows_a_shared_persons_details_only_under_a_consent_in_the_grant(
    coordinate, personas
):
    """Her birth year, gender and interests were recorded under ``q``'s consent: the partner's
    API answer has them as the person page does - not at all; her ``q`` enrolment is absent."""
    world, shared = coordinate.world, coordinate.shared
    http = await _persona(personas, world)
    own = await _own_coordinator(personas, world)
    url = f"/api/v1/t/{world.owner.slug}/people/{shared.person_id}"
    partner, coordinator = (await http.get(url)).json(), (await own.get(url)).json()
    gated = ("birth_year", "gender", "interests", "languages", "availability", "external_ref")
    assert {k: partner[k] for k in (*gated, "has_consent")} == {
        "birth_year": None,
        "gender": None,
        "interests": [],
        "languages": [],
        "availability": [],
        "external_ref": None,
        "has_consent": False,
    }
    assert [e["id"] for e in partner["enrolments"]] == [shared.p_enrolment_id]
    assert [e["programme"] for e in partner["enrolments"]] == ["p"]
    assert {k: coordinator[k] for k in ("birth_year", "gender", "interests", "has_consent")} == {
        "birth_year": 1980,
        "gender": "kvinde",
        "interests": ["fiskeri"],
        "has_consent": True,
    }
    assert {e["id"] for e in coordinator["enrolments"]} == {
        shared.p_enrolment_id,
        shared.q_enrolment_id,
    }
    page = await http.get(f"/t/{world.owner.slug}/deltagere/{shared.person_id}")
    assert page.status_code == 200
    assert "1980" not in page.text and "fiskeri" not in page.text
    # Nor does the partner set or clear her sign-in (403, the same for a person it cannot see).
    account = await http.put(f"{url}/account", json={"account": None})
    assert (account.status_code, account.json()) == (403, _ACCOUNT_REFUSED)
    hidden = await http.put(
        f"/api/v1/t/{world.owner.slug}/people/{shared.hidden_id}/account",
        json={"account": "x"},
    )
    assert (hidden.status_code, hidden.json()) == (403, _ACCOUNT_REFUSED)


@MODULE_LOOP
async def test_a_partner_sees_only_its_programmes_messages_to_a_shared_person(coordinate, personas):
    world, shared = coordinate.world, coordinate.shared
    http = await _persona(personas, world)
    own = await _own_coordinator(personas, world)
    api = f"/api/v1/t/{world.owner.slug}/notifications"
    partner = {r["id"] for r in (await http.get(f"{api}/failed")).json()}
    coordinator = {r["id"] for r in (await own.get(f"{api}/failed")).json()}
    assert shared.p_message_id in partner
    assert shared.q_message_id not in partner
    assert {shared.p_message_id, shared.q_message_id} <= coordinator
    missing = await http.post(f"{api}/{uuid.uuid4()}/retry")
    retry = await http.post(f"{api}/{shared.q_message_id}/retry")
    assert (retry.status_code, retry.json()) == (404, missing.json())
    assert missing.status_code == 404
    page = await http.get(f"/t/{world.owner.slug}/beskeder/fejlede")
    assert page.status_code == 200
    assert shared.q_message_id not in page.text
    assert shared.p_message_id in page.text


@MODULE_LOOP
async def test_a_partners_attendance_leaves_a_hidden_persons_rows(
    coordinate, personas, sessionmaker
):
    """``q``'s person in ``p``'s activity and hold: saving attendance rewrites only the rows of
    the people the partner sees; hers stay, with their ids."""
    from core.activities.models import ActivityAttendance
    from core.courses.models import CourseAttendance

    world, shared = coordinate.world, coordinate.shared
    objects = world.objects[world.owner.slug]
    http = await _persona(personas, world)
    api = f"/api/v1/t/{world.owner.slug}"
    person = objects["{person_id:uuid}"]
    activity = await http.put(
        f"{api}/activities/{objects['{activity_id:uuid}']}/occurrences/{matrix._TODAY}/attendance",
        json={"present": [person]},
    )
    course = await http.put(
        f"{api}/courses/{objects['{course_id:uuid}']}/sessions/{objects['{session_id:uuid}']}"
        "/attendance",
        json={"present": [person]},
    )
    assert (activity.status_code, course.status_code) == (200, 200), (activity.text, course.text)
    # Naming her is refused as naming nobody known, nothing changed.
    named = await http.put(
        f"{api}/activities/{objects['{activity_id:uuid}']}/occurrences/{matrix._TODAY}/attendance",
        json={"present": [shared.hidden_id]},
    )
    assert named.status_code == 400
    with tenant_scope(world.owner.id):
        async with sessionmaker() as session:
            at_activity = {
                (str(r.id), str(r.person_id))
                for r in await session.scalars(
                    select(ActivityAttendance).where(
                        ActivityAttendance.activity_id == uuid.UUID(objects["{activity_id:uuid}"]),
                        ActivityAttendance.day == matrix._DAY,
                    )
                )
            }
            at_course = {
                (str(r.id), str(r.person_id))
                for r in await session.scalars(
                    select(CourseAttendance).where(
                        CourseAttendance.session_id == uuid.UUID(objects["{session_id:uuid}"])
                    )
                )
            }
    assert (shared.hidden_activity_attendance_id, shared.hidden_id) in at_activity
    assert {p for _i, p in at_activity} == {person, shared.hidden_id}
    assert (shared.hidden_course_attendance_id, shared.hidden_id) in at_course
    assert {p for _i, p in at_course} == {person, shared.hidden_id}


@MODULE_LOOP
async def test_the_unread_count_a_page_polls_is_not_on_the_partner_log(
    coordinate, personas, sessionmaker
):
    """The header polls ``beskeder/antal`` by itself: a partner's open tab writes no
    ``partner_access`` row for it; its other requests still do."""
    from core.audit.models import AuditEvent

    world = coordinate.world
    http = await _persona(personas, world)
    polled = f"/t/{world.owner.slug}/beskeder/antal"
    assert [(await http.get(polled)).status_code for _ in range(3)] == [200, 200, 200]
    async with sessionmaker() as session:
        routes = list(
            await session.scalars(
                select(AuditEvent.route).where(
                    AuditEvent.tenant_slug == world.owner.slug,
                    AuditEvent.route == "/t/{tenant_slug:str}/beskeder/antal",
                    AuditEvent.detail["partner_grant"].as_string() == coordinate.grant_id,
                )
            )
        )
    assert routes == []


@MODULE_LOOP
async def test_revoking_refuses_the_next_request_and_the_history_stays(
    coordinate, personas, sessionmaker
):
    """Last in the module: it revokes the grant (and grants it again at the end)."""
    world = coordinate.world
    http = await _persona(personas, world)
    api = f"/api/v1/t/{world.owner.slug}"
    made = await http.post(f"{api}/people", json=_PERSON_IN_P | {"name": "Partner Oprettet"})
    assert made.status_code == 201
    person_id = made.json()["id"]
    assert (await http.get(f"{api}/people/{person_id}")).status_code == 200
    admin = await _admin_browser(personas, world)
    revoked = await admin.post(
        f"/t/{world.owner.slug}/partnerskaber/{coordinate.grant_id}/tilbagekald",
        headers={"x-csrftoken": admin.cookies.get("makker_csrf") or ""},
    )
    assert revoked.status_code == 303
    # The very next request: the owner's space is a tenant the partner is not a member of.
    after = await http.get(f"{api}/people/{person_id}")
    unknown = await http.get(f"/api/v1/t/findes-ikke/people/{person_id}")
    assert (after.status_code, after.json()) == (unknown.status_code, unknown.json())
    assert after.status_code == 404
    page = await http.get(f"/t/{world.owner.slug}/deltagere/{world.person_id}")
    assert page.status_code == 404
    # The person the partner registered is the municipality's; the history stays.
    own = await personas.client(
        f"coord-own-{world.owner.slug}",
        ("coordinator",),
        (world.owner.slug,),
        browser=True,
        bearer=True,
    )
    assert (await own.get(f"{api}/people/{person_id}")).json()["name"] == "Partner Oprettet"
    log = (await (await _admin(personas, world)).get(f"{api}/partnerships/activity")).json()
    assert ("person.create", person_id) in {(r["action"], r["object_id"]) for r in log["rows"]}
    # The refusals after the revocation name the revoked grant: they are on the owner's log.
    newest = log["rows"][:2]
    assert [(r["action"], r["refused"], r["grant_id"]) for r in newest] == [
        ("access_denied", 404, coordinate.grant_id),
        ("access_denied", 404, coordinate.grant_id),
    ]
    coordinate.grant_id = await grant_coordinate(personas, world)
