"""The partner's aggregate and the platform report (issue 14), on SQLite and PostgreSQL.

Two municipalities each hold the hand-built tenant of :mod:`tests.report_world` and grant the
partner its programme ``btb`` (not ``vp``): every row is report_world's ``BTB`` figures, the
total their sum, and the suppression below is worked out by hand:

* each row: 6 people and 5 matches are shown; every other count is 1-4 ("<5");
* the total: 12 people, 6 citizens, 6 mentors, 6 running, 10 matches, 6 started and 6 finished
  holds are shown (two "<5" cells adding up to 6 can be 2+4, 3+3 or 4+2); totals under 5 are
  "<5"; meetings held (4 + 4) and mentors trained (4 + 4) total 8, which pins both cells to 4,
  so the total is hidden ("x").
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from core.audit.service import notes_written_to
from core.clock import at_noon
from core.context import context_for
from core.db.tenant_scope import tenant_scope
from core.errors import Invalid
from core.plugin_api import create_plugin_manager
from core.reports.partner import COUNTS, partner_aggregate
from core.reports.suppression import HIDDEN, SMALL
from core.tenancy.models import (
    PartnershipScope,
    Programme,
    ProgrammePartnership,
    Tenant,
    TenantKind,
)
from tests.report_world import BTB, END, START, TODAY, build

ROW = {
    **dict.fromkeys(COUNTS, SMALL),
    "people_in_forloeb": 6,
    "matches": 5,
}
TOTAL_ROW = {
    **dict.fromkeys(COUNTS, SMALL),
    "people_in_forloeb": 12,
    "citizens_in_forloeb": 6,
    "mentors_in_forloeb": 6,
    "matches": 10,
    "forloeb_started": 6,
    "courses_finished": 6,
    "meetings_held": HIDDEN,
    "mentors_trained": HIDDEN,
}


@pytest.fixture
def today(clock):
    clock.set(TODAY)
    return clock


async def _grant(sessionmaker, owner: Tenant, partner: Tenant, slug: str, scope="aggregate"):
    with tenant_scope(owner.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme).where(Programme.slug == slug))
            assert programme is not None
            grant = ProgrammePartnership(
                owner_tenant_id=owner.id,
                programme_id=programme.id,
                partner_tenant_id=partner.id,
                scope=PartnershipScope(scope),
                granted_by="t",
            )
            session.add(grant)
    return grant


async def _aggregate(sessionmaker, partner: Tenant, **filters):
    with tenant_scope(partner.id):
        async with sessionmaker() as session:
            async with notes_written_to(session, actor="t", tenant_slug=partner.slug):
                ctx = context_for(session, partner, create_plugin_manager(), "t")
                found = await partner_aggregate(
                    ctx, start=START.isoformat(), end=END.isoformat(), **filters
                )
            await session.commit()
            return found


@pytest.fixture
async def world(sessionmaker, tenants, today):
    for municipality in (tenants.a, tenants.b):
        await build(sessionmaker, municipality)
        await _grant(sessionmaker, municipality, tenants.partner, "btb")
    return tenants


async def test_the_partner_sees_every_granted_programme_suppressed_and_in_total(
    sessionmaker, world
):
    found = await _aggregate(sessionmaker, world.partner)
    rows = [(r.municipality, r.programme, r.counts) for r in found.programmes]
    assert rows == [
        (world.a.slug, "btb", ROW),
        (world.b.slug, "btb", ROW),
    ]
    assert found.total.counts == TOTAL_ROW
    # Derived figures: the median wait over 5 matches is shown; the afbud rate is not (its
    # counts are hidden); the total has no median (medians do not add up).
    assert [r.median_days_ready_to_matched for r in found.programmes] == [
        BTB["median_days_ready_to_matched"]
    ] * 2
    assert [r.cancellation_rate for r in (*found.programmes, found.total)] == [None] * 3
    assert found.total.median_days_ready_to_matched is None
    assert (found.period.start, found.period.end) == (START, END)
    # Never a person-level field: the rows hold slugs, names of the organisation and the
    # programme, counts and derived figures only.
    assert {f.name for f in dataclasses.fields(found.programmes[0])} == {
        "municipality",
        "municipality_name",
        "programme",
        "programme_name",
        "counts",
        "median_days_ready_to_matched",
        "cancellation_rate",
    }


async def test_filters_pick_a_municipality_and_refuse_what_is_not_granted(sessionmaker, world):
    found = await _aggregate(sessionmaker, world.partner, municipality=world.a.slug)
    assert [r.municipality for r in found.programmes] == [world.a.slug]
    # One row: its total is the row, suppressed the same way.
    assert found.programmes[0].counts == ROW
    assert found.total.counts == ROW
    with pytest.raises(Invalid) as refused:
        await _aggregate(sessionmaker, world.partner, programme="vp")
    assert refused.value.errors == {
        "programme": "Vælg et tilbud, som organisationen har fået adgang til."
    }


async def test_a_partner_without_a_grant_sees_nothing(sessionmaker, world):
    async with sessionmaker() as session, session.begin():
        other = Tenant(
            slug=f"{world.partner.slug}-2",
            name="Anden partner",
            kind=TenantKind.PARTNER,
            plugins={},
        )
        session.add(other)
    found = await _aggregate(sessionmaker, other)
    assert (found.programmes, found.outcomes, found.choices) == ([], [], [])
    assert found.total.counts == dict.fromkeys(COUNTS, 0)
    # A municipality calling it has received no grants either.
    mine = await _aggregate(sessionmaker, world.a)
    assert (mine.programmes, mine.total.counts) == ([], dict.fromkeys(COUNTS, 0))


async def test_a_revoked_grant_is_gone_from_the_aggregate(sessionmaker, world):
    async with sessionmaker() as session, session.begin():
        grant = await session.scalar(
            select(ProgrammePartnership).where(
                ProgrammePartnership.owner_tenant_id == world.b.id,
                ProgrammePartnership.partner_tenant_id == world.partner.id,
            )
        )
        assert grant is not None
        grant.revoked_at = at_noon(TODAY)
    found = await _aggregate(sessionmaker, world.partner)
    assert [r.municipality for r in found.programmes] == [world.a.slug]
