"""Partner grants: the owner grants, the partner sees exactly what the grant allows, all audited."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEvent
from core.db.tenant_scope import tenant_scope
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme, ProgrammePartnership


@pytest.fixture
async def owner_data(sessionmaker, tenants):
    """Kommune A with two programmes: 'psyk' (2 mentees, 1 mentor) and 'misbrug' (1 mentee)."""
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            psyk = Programme(
                slug="psyk",
                name="Psyk-makker",
                type="peer_mentor",
                areas=["psykiatri"],
                policy={},
                plugins={},
            )
            misbrug = Programme(
                slug="misbrug",
                name="Misbrugsmentor",
                type="peer_mentor",
                areas=["misbrug"],
                policy={},
                plugins={},
            )
            people = [
                Person(name=n)
                for n in ("Alma Demosen", "Bo Testrup", "Carl Prøvesen", "Dorte Fiktivsen")
            ]
            session.add_all([psyk, misbrug, *people])
            await session.flush()
            session.add_all(
                [
                    Enrolment(
                        person_id=people[0].id,
                        programme_id=psyk.id,
                        role=EnrolmentRole.MENTEE,
                        status="active",
                    ),
                    Enrolment(
                        person_id=people[1].id,
                        programme_id=psyk.id,
                        role=EnrolmentRole.MENTEE,
                        status="ready",
                    ),
                    Enrolment(
                        person_id=people[2].id,
                        programme_id=psyk.id,
                        role=EnrolmentRole.MENTOR,
                        status="active",
                    ),
                    Enrolment(
                        person_id=people[3].id,
                        programme_id=misbrug.id,
                        role=EnrolmentRole.MENTEE,
                        status="active",
                    ),
                ]
            )
    return tenants


@pytest.fixture
async def api(live, owner_data):
    t = owner_data
    users = {
        "admin_a": (("tenant_admin",), (t.a.slug,)),
        "coord_a": (("coordinator",), (t.a.slug,)),
        "admin_b": (("tenant_admin",), (t.b.slug,)),
        "staff": (("partner_staff",), (t.partner.slug,)),
        "coord_partner": (("coordinator",), (t.partner.slug,)),
    }
    clients = {}
    for key, (roles, orgs) in users.items():
        name = f"{key}-{t.a.slug}"
        live.add_user(name, roles, orgs)
        clients[key] = httpx.AsyncClient(
            base_url=live.url, headers={"Authorization": f"Bearer {await live.access_token(name)}"}
        )
    yield clients
    for client in clients.values():
        await client.aclose()


async def _grant(api, t, programme, scope):
    response = await api["admin_a"].post(
        f"/api/v1/t/{t.a.slug}/partnerships/",
        json={"programme": programme, "partner": t.partner.slug, "scope": scope},
    )
    return response


async def test_partner_sees_exactly_what_grants_allow(api, owner_data):
    t = owner_data
    psyk = await _grant(api, t, "psyk", "participants")
    misbrug = await _grant(api, t, "misbrug", "aggregate")
    assert (psyk.status_code, misbrug.status_code) == (201, 201)
    base = f"/api/v1/t/{t.partner.slug}/partnerships"
    listing = (await api["staff"].get(f"{base}/")).json()
    assert [(g["owner"], g["programme"], g["scope"]) for g in listing["received"]] == [
        (t.a.slug, "psyk", "participants"),
        (t.a.slug, "misbrug", "aggregate"),
    ]
    assert listing["granted"] == []

    summary = await api["staff"].get(f"{base}/{psyk.json()['id']}/summary")
    assert summary.json() == {"mentees": 2, "mentors": 1, "by_status": {"active": 2, "ready": 1}}
    people = await api["staff"].get(f"{base}/{psyk.json()['id']}/participants")
    assert [(p["name"], p["role"], p["status"]) for p in people.json()] == [
        ("Alma Demosen", "mentee", "active"),
        ("Bo Testrup", "mentee", "ready"),
        ("Carl Prøvesen", "mentor", "active"),
    ]

    numbers = await api["staff"].get(f"{base}/{misbrug.json()['id']}/summary")
    assert numbers.json() == {"mentees": 1, "mentors": 0, "by_status": {"active": 1}}
    refused = await api["staff"].get(f"{base}/{misbrug.json()['id']}/participants")
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "Partnerskabet giver kun adgang til tal.",
    )


async def test_partner_cannot_reach_the_owner_tenant_directly(api, owner_data):
    t = owner_data
    await _grant(api, t, "psyk", "participants")
    for path in (f"/api/v1/t/{t.a.slug}/programmes", f"/api/v1/t/{t.a.slug}/partnerships/"):
        response = await api["staff"].get(path)
        assert (response.status_code, response.json()) == (
            404,
            {"status_code": 404, "detail": "Findes ikke."},
        )


async def test_grant_of_another_partner_or_revoked_is_404(api, owner_data, sessionmaker):
    t = owner_data
    grant = (await _grant(api, t, "psyk", "participants")).json()
    base = f"/api/v1/t/{t.partner.slug}/partnerships/{grant['id']}"
    # Municipality B's admin cannot revoke A's grant (B's URL: not found; A's URL: not a member).
    assert (
        await api["admin_b"].delete(f"/api/v1/t/{t.b.slug}/partnerships/{grant['id']}")
    ).status_code == 404
    assert (
        await api["admin_b"].delete(f"/api/v1/t/{t.a.slug}/partnerships/{grant['id']}")
    ).status_code == 404
    assert (await api["staff"].get(f"{base}/summary")).status_code == 200
    revoked = await api["admin_a"].delete(f"/api/v1/t/{t.a.slug}/partnerships/{grant['id']}")
    assert revoked.status_code == 204
    assert (await api["staff"].get(f"{base}/summary")).status_code == 404
    assert (await api["staff"].get(f"{base}/participants")).status_code == 404


async def test_only_partner_staff_read_and_only_tenant_admins_grant(api, owner_data):
    t = owner_data
    grant = (await _grant(api, t, "psyk", "participants")).json()
    coord = await api["coord_a"].post(
        f"/api/v1/t/{t.a.slug}/partnerships/",
        json={"programme": "psyk", "partner": t.partner.slug, "scope": "aggregate"},
    )
    assert (coord.status_code, coord.json()["detail"]) == (
        403,
        "Din rolle giver ikke adgang til dette.",
    )
    partner_coord = await api["coord_partner"].get(
        f"/api/v1/t/{t.partner.slug}/partnerships/{grant['id']}/participants"
    )
    assert partner_coord.status_code == 403


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        (
            {"programme": "nope", "scope": "aggregate"},
            "programme",
            "Tilbuddet findes ikke i denne organisation.",
        ),
        (
            {"programme": "psyk", "scope": "everything"},
            "scope",
            "Vælg adgangen aggregate (tal), participants (deltagere) eller coordinate (driver "
            "tilbuddet sammen med kommunen).",
        ),
        (
            {"programme": "psyk", "scope": "aggregate", "partner": "ukendt"},
            "partner",
            "Der findes ingen partnerorganisation med det navn.",
        ),
    ],
)
async def test_bad_grant_requests_change_nothing(
    api, owner_data, sessionmaker, body, field, detail
):
    t = owner_data
    payload = {"partner": t.partner.slug, **body}
    response = await api["admin_a"].post(f"/api/v1/t/{t.a.slug}/partnerships/", json=payload)
    assert (response.status_code, response.json()) == (
        400,
        {"status_code": 400, "detail": detail, "errors": {field: detail}},
    )
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ProgrammePartnership)
            .where(ProgrammePartnership.owner_tenant_id == t.a.id)
        )
    assert count == 0


async def test_municipality_cannot_be_granted_as_partner(api, owner_data):
    t = owner_data
    response = await api["admin_a"].post(
        f"/api/v1/t/{t.a.slug}/partnerships/",
        json={"programme": "psyk", "partner": t.b.slug, "scope": "participants"},
    )
    assert (response.status_code, list(response.json()["errors"])) == (400, ["partner"])


async def test_grants_and_partner_reads_are_audited_without_names(api, owner_data, sessionmaker):
    t = owner_data
    grant = (await _grant(api, t, "psyk", "participants")).json()
    base = f"/api/v1/t/{t.partner.slug}/partnerships/{grant['id']}"
    await api["staff"].get(f"{base}/summary")
    await api["staff"].get(f"{base}/participants")
    await api["staff"].get(f"{base}/participants")
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.object_id == grant["id"])
                .order_by(AuditEvent.at)
            )
        )
    assert [(r.action, r.detail.get("scope")) for r in rows] == [
        ("partnership_granted", "participants"),
        ("partner_read", "aggregate"),
        ("partner_read", "participants"),
        ("partner_read", "participants"),
    ]
    assert {r.tenant_slug for r in rows[1:]} == {t.partner.slug}
    dump = repr([(r.actor, r.route, r.detail) for r in rows])
    assert "Alma" not in dump and "Demosen" not in dump
