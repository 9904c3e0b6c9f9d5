"""The enrolment status machine: every allowed transition works and records an event; every
other one is refused with its message and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.audit.service import notes_written_to
from core.clock import Clock, at_noon
from core.context import context_for
from core.db.tenant_scope import tenant_scope
from core.participants import enrolments
from core.participants.errors import FieldErrors
from core.participants.labels import status_label
from core.participants.models import (
    FINAL_STATUSES,
    TRANSITIONS,
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    EnrolmentRole,
    EnrolmentStatus,
    Intake,
    Person,
)
from core.participants.schemas import EnrolIn, TransitionIn
from core.plugin_api import create_plugin_manager
from core.tenancy.models import Programme

TODAY = dt.date(2026, 11, 23)
S = EnrolmentStatus
PAIRS = [(a, b) for a in EnrolmentStatus for b in EnrolmentStatus]


def test_the_machine_is_the_documented_one():
    assert {a.value: sorted(b.value for b in t) for a, t in TRANSITIONS.items()} == {
        "applied": ["intake", "interested", "withdrawn"],
        "interested": ["intake", "withdrawn"],
        "intake": ["eligible", "ineligible", "withdrawn"],
        "eligible": ["ready", "withdrawn"],
        "ineligible": ["intake", "withdrawn"],
        "ready": ["matched", "withdrawn"],
        "matched": ["active", "ready", "withdrawn"],
        "active": ["finished", "ready", "withdrawn"],
        "finished": [],
        "withdrawn": [],
    }
    open_states = [s for s in EnrolmentStatus if s not in FINAL_STATUSES]
    assert all(S.WITHDRAWN in TRANSITIONS[s] for s in open_states)


async def _enrolment(sessionmaker, tenant, status: str, *, consent=True, intake=True):
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            programme = Programme(
                slug="p",
                name="Program",
                type="peer_mentor",
                areas=["psykiatri"],
                policy={},
                plugins={},
            )
            person = Person(name="Maskine Demosen")
            session.add_all([programme, person])
            await session.flush()
            enrolment = Enrolment(
                person_id=person.id,
                programme_id=programme.id,
                role=EnrolmentRole.MENTEE,
                status=status,
            )
            text = ConsentText(programme_id=programme.id, version=1, body="Tekst", created_by="t")
            session.add_all([enrolment, text])
            await session.flush()
            if consent:
                session.add(
                    Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by="t")
                )
            if intake:
                session.add(Intake(enrolment_id=enrolment.id, lived_experience=[]))
        return enrolment.id


async def _state(sessionmaker, tenant, enrolment_id):
    with tenant_scope(tenant.id):
        async with sessionmaker() as session:
            status = await session.scalar(
                select(Enrolment.status).where(Enrolment.id == enrolment_id)
            )
            events = await session.scalar(select(func.count()).select_from(EnrolmentEvent))
            return status, events


def _context(session, tenant):
    clock = Clock(at_noon(TODAY))
    return context_for(session, tenant, create_plugin_manager(), "koordinator-1", clock)


async def _move(sessionmaker, tenant, enrolment_id, to, reason=None):
    with tenant_scope(tenant.id):
        # The command does not commit; the caller's transaction (a request's, here this one) does.
        async with sessionmaker() as session, session.begin():
            ctx = _context(session, tenant)
            async with notes_written_to(session, actor=ctx.actor, tenant_slug=tenant.slug):
                enrolment = await enrolments.transition(ctx, enrolment_id, TransitionIn(to, reason))
            return (await enrolments.history(session, enrolment.id))[-1]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
async def test_transition(sessionmaker, tenants, source, target):
    enrolment_id = await _enrolment(sessionmaker, tenants.a, source.value)
    if target in TRANSITIONS[source]:
        event = await _move(sessionmaker, tenants.a, enrolment_id, target.value, "fordi")
        assert (event.from_status, event.to_status, event.actor, event.reason) == (
            source.value,
            target.value,
            "koordinator-1",
            "fordi",
        )
        assert await _state(sessionmaker, tenants.a, enrolment_id) == (target.value, 1)
    else:
        with pytest.raises(FieldErrors) as caught:
            await _move(sessionmaker, tenants.a, enrolment_id, target.value)
        labels = {s: status_label(s.value) for s in EnrolmentStatus}
        assert caught.value.errors == {
            "to": f"Status kan ikke skifte fra {labels[source]} til {labels[target]}."
        }
        assert await _state(sessionmaker, tenants.a, enrolment_id) == (source.value, 0)


async def test_unknown_status_is_refused(sessionmaker, tenants):
    enrolment_id = await _enrolment(sessionmaker, tenants.a, "interested")
    with pytest.raises(FieldErrors) as caught:
        await _move(sessionmaker, tenants.a, enrolment_id, "paused")
    assert caught.value.errors == {"to": "Ukendt status."}
    assert await _state(sessionmaker, tenants.a, enrolment_id) == ("interested", 0)


@pytest.mark.parametrize(
    ("source", "target", "consent", "intake", "message"),
    [
        ("interested", "intake", False, False, "Registrér først personens samtykke."),
        ("applied", "intake", False, False, "Registrér først personens samtykke."),
        ("intake", "eligible", True, False, "Registrér først før-samtalen."),
        ("intake", "ineligible", False, True, "Registrér først personens samtykke."),
    ],
)
async def test_conditions_of_a_transition(
    sessionmaker, tenants, source, target, consent, intake, message
):
    enrolment_id = await _enrolment(sessionmaker, tenants.a, source, consent=consent, intake=intake)
    with pytest.raises(FieldErrors) as caught:
        await _move(sessionmaker, tenants.a, enrolment_id, target)
    assert caught.value.errors == {"to": message}
    assert await _state(sessionmaker, tenants.a, enrolment_id) == (source, 0)


async def test_withdrawing_needs_no_consent(sessionmaker, tenants):
    enrolment_id = await _enrolment(sessionmaker, tenants.a, "interested", consent=False)
    await _move(sessionmaker, tenants.a, enrolment_id, "withdrawn")
    assert await _state(sessionmaker, tenants.a, enrolment_id) == ("withdrawn", 1)


async def test_an_application_moves_to_interested_without_consent(sessionmaker, tenants):
    """The coordinator has called an applicant who wants to go on later: no consent yet."""
    enrolment_id = await _enrolment(sessionmaker, tenants.a, "applied", consent=False)
    await _move(sessionmaker, tenants.a, enrolment_id, "interested")
    assert await _state(sessionmaker, tenants.a, enrolment_id) == ("interested", 1)


async def test_the_database_refuses_an_unknown_status(sessionmaker, tenants):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        await _enrolment(sessionmaker, tenants.a, "paused")


async def test_a_duplicate_enrolment_that_slips_past_the_check_is_a_clear_error(
    sessionmaker, tenants, monkeypatch
):
    """Two simultaneous requests: both pass the check, the unique index stops the second."""
    enrolment_id = await _enrolment(sessionmaker, tenants.a, "interested")
    monkeypatch.setattr(enrolments, "_open_enrolment_exists", _no_open_enrolment)
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session:
            existing = await enrolments.get_enrolment(session, enrolment_id)
            ctx = _context(session, tenants.a)
            with pytest.raises(FieldErrors) as excinfo:
                await enrolments.enrol(ctx, existing.person_id, EnrolIn("p", "mentee"))
        async with sessionmaker() as session:
            count = await session.scalar(select(func.count()).select_from(Enrolment))
    assert excinfo.value.errors == {
        "programme": "Personen er allerede tilmeldt tilbuddet i denne rolle."
    }
    assert count == 1


async def _no_open_enrolment(*_args):
    return False
