"""Policy plugins on forløb (issue 6): a veto stops a transition and stores nothing, a warning
lets it happen and is returned, events reach the plugins once per party, and a plugin's veto
on matching keeps a candidate off the waiting list with its message. Also the strategy hook:
a programme that enables ``shared_areas`` is matched by it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit.service import notes_written_to
from core.context import context_for
from core.db.tenant_scope import tenant_scope
from core.errors import Invalid
from core.forloeb import commands, proposals
from core.forloeb.models import Forloeb
from core.forloeb.schemas import AcceptIn, TransitionIn
from core.matching.waiting_list import assign, suggest, waiting_list
from core.participants.models import Enrolment
from core.plugin_api import PolicyAction, PolicyDecision, create_plugin_manager, hookimpl
from core.tenancy.models import Programme
from tests.test_forloeb import TODAY, _world

VETO = "Et forløb må ikke afbrydes uden en afslutningssamtale."
WARN = "Husk at aftale en dato for genoptagelse."
BLOCKED = "Mentoren mangler en børneattest."


class Strict:
    """A test plugin with an opinion on forløb and on who may be matched."""

    def __init__(self) -> None:
        self.blocked: set = set()
        self.events: list[tuple[str, str, str | None, str]] = []

    @hookimpl
    def forloeb_policy(self, programme, transition):
        if transition.kind == "enrolment" and transition.person.id in self.blocked:
            return PolicyDecision(rule="strict", action=PolicyAction.VETO, message=BLOCKED)
        if transition.kind != "forloeb":
            return None
        if transition.to_status == "ended_early":
            return PolicyDecision(rule="strict", action=PolicyAction.VETO, message=VETO)
        if transition.to_status == "paused" and transition.role == "mentor":
            return PolicyDecision(rule="strict", action=PolicyAction.WARN, message=WARN)
        return None

    @hookimpl
    def forloeb_event(self, programme, transition):
        self.events.append(
            (transition.kind, transition.role, transition.from_status, transition.to_status)
        )


@pytest.fixture
async def setup(sessionmaker, tenants, clock):
    clock.set(TODAY)
    ids = await _world(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            programme.plugins = {"strict": {}}
    plugin = Strict()
    pm = create_plugin_manager()
    pm.register(plugin, name="strict")
    return ids, plugin, pm


async def test_veto_stops_a_transition_and_warning_is_returned(sessionmaker, tenants, setup):
    ids, plugin, pm = setup
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            ctx = context_for(session, tenants.a, pm, "k")
            audited = notes_written_to(session, actor="k", tenant_slug=tenants.a.slug)
            programme = await session.scalar(select(Programme))
            async with audited:
                [created] = await proposals.create_proposals(
                    ctx, programme, [(ids["Anna Angst"], ids["Mette Mentor"])]
                )
                forloeb_id = created.id
                await commands.accept(ctx, forloeb_id, AcceptIn("mentee"))
                changed = await commands.accept(ctx, forloeb_id, AcceptIn("mentor"))
                assert (changed.row.forloeb.state, changed.warnings) == ("active", [])
                paused = await commands.change_state(
                    ctx, forloeb_id, TransitionIn("paused", "Ferie")
                )
                assert (paused.row.forloeb.state, paused.warnings) == ("paused", [WARN])
            await session.commit()  # commands do not commit: the caller (the pipeline) does
            with pytest.raises(Invalid) as excinfo:
                await commands.change_state(ctx, forloeb_id, TransitionIn("ended_early", "Flyttet"))
            assert excinfo.value.errors == {"to": VETO}
            await session.rollback()
        async with sessionmaker() as session:
            stored = await session.get(Forloeb, forloeb_id)
            assert stored.state == "paused"
    assert plugin.events == [
        ("forloeb", "mentee", "proposed", "active"),
        ("forloeb", "mentor", "proposed", "active"),
        ("forloeb", "mentee", "active", "paused"),
        ("forloeb", "mentor", "active", "paused"),
    ]


async def test_a_vetoed_candidate_is_excluded_with_the_plugins_message(
    sessionmaker, tenants, setup
):
    ids, plugin, pm = setup
    plugin.blocked.add(ids["person:Mette Mentor"])
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            ctx = context_for(session, tenants.a, pm, "k")
            programme = await session.scalar(select(Programme))
            waiting = await waiting_list(ctx, programme)
            assert [(c.person.name, c.excluded) for c in waiting.mentors] == [
                ("Mette Mentor", [BLOCKED]),
                ("Morten Mentor", []),
                ("Pia Pause", ["Sat på pause til 01.01.2027."]),
            ]
            assert [(p.mentee, p.mentor) for p in assign(waiting, TODAY)] == [
                (str(ids["Anna Angst"]), str(ids["Morten Mentor"])),
                (str(ids["Bent Bipolar"]), str(ids["Morten Mentor"])),
            ]
            with pytest.raises(Invalid) as excinfo:
                await proposals.create_proposals(
                    ctx, programme, [(ids["Anna Angst"], ids["Mette Mentor"])]
                )
            assert excinfo.value.errors == {"pairs.0": BLOCKED}
            await session.rollback()
            statuses = {e.id: e.status for e in await session.scalars(select(Enrolment))}
    assert statuses[ids["Mette Mentor"]] == "ready"


async def test_a_programme_enabling_shared_areas_is_matched_by_it(sessionmaker, tenants, clock):
    clock.set(TODAY)
    await _world(sessionmaker, tenants.a)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            programme = await session.scalar(select(Programme))
            programme.plugins = {"shared_areas": {}}
        async with sessionmaker() as session:
            programme = await session.scalar(select(Programme))
            pm = create_plugin_manager()
            ctx = context_for(session, tenants.a, pm, "k")
            waiting = await waiting_list(ctx, programme)
            mentee = next(c for c in waiting.mentees if c.person.name == "Anna Angst")
            suggested = suggest(waiting, mentee, dt.date(2026, 11, 23))
    assert waiting.strategy.name == "shared_areas"
    assert {(s.score.points, tuple(r.text for r in s.score.reasons)) for s in suggested} == {
        (1.0, ("begge har erfaring med psykiatri",))
    }
