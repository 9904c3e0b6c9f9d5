"""The programme restriction of a ``coordinate`` partner, below HTTP (issue 21).

Every tenant-owned model has a rule, and under :func:`programme_scope` every query of every
model returns exactly the rows of the granted programme - a person enrolled in both programmes
too, but not her enrolment in the other one - and a write outside is refused. SQLite and
PostgreSQL (the app role under forced row-level security).
"""

from __future__ import annotations

import datetime as dt
import types
import uuid

import pytest
from sqlalchemy import func, select, update

from core.activities.models import Activity, ActivityKind, Recurrence
from core.db.base import Base, TenantOwned
from core.db.tenant_scope import tenant_scope
from core.participants.models import ConsentText, Enrolment, EnrolmentRole, Person
from core.tenancy.models import Programme
from core.tenancy.programme_scope import (
    OutsideProgrammeError,
    UnlimitedStatement,
    missing_rules,
    programme_scope,
    rule_of,
    tenant_owned_models,
)
from tests.test_route_matrix import _objects

_LIVE = types.SimpleNamespace(settings=types.SimpleNamespace(oidc_issuer="https://issuer"))


def test_every_tenant_owned_model_has_a_programme_rule():
    """A new tenant-owned table must say how its rows belong to a programme
    (core/tenancy/programme_scope.py, RULES); until it does, a partner touching it gets a 500."""
    assert missing_rules() == []
    owned = {m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)}
    assert set(tenant_owned_models().values()) == owned
    for model in owned:
        rule_of(model)


def _programme_models() -> list[type]:
    """The tenant-owned models whose rows lie in a programme (not the tenant's own business)."""
    return [m for m in tenant_owned_models().values() if rule_of(m).column is not None]


async def _programme(session, slug: str) -> tuple[Programme, ConsentText]:
    programme = Programme(
        slug=slug,
        name=slug.upper(),
        type="peer_mentor",
        areas=["misbrug"],
        policy={"duration_months": {"min": 6, "max": 9}, "meeting_frequencies": ["weekly"]},
        plugins={},
        outcomes=[],
    )
    session.add(programme)
    await session.flush()
    text = ConsentText(programme_id=programme.id, version=1, body="Tekst", created_by="t")
    session.add(text)
    await session.flush()
    return programme, text


@pytest.fixture
async def two_programmes(sessionmaker, tenants):
    """Programmes ``inde`` and ``ude`` of kommune A, each with the route matrix's objects (a
    mentor with consent, a hold, an activity, a waiting citizen, an active forløb and an
    answer), and a person enrolled in both."""
    with tenant_scope(tenants.a.id):
        async with sessionmaker() as session, session.begin():
            inside, inside_text = await _programme(session, "inde")
            outside, outside_text = await _programme(session, "ude")
            objects = {
                "inde": await _objects(_LIVE, session, inside, inside_text, None),
                "ude": await _objects(_LIVE, session, outside, outside_text, None),
            }
            for programme, made in ((inside, objects["inde"]), (outside, objects["ude"])):
                await _one_of_each(session, programme, made)
            both = Person(name="Begge Steder")
            session.add(both)
            await session.flush()
            session.add_all(
                Enrolment(person_id=both.id, programme_id=p.id, role=EnrolmentRole.MENTEE)
                for p in (inside, outside)
            )
    return tenants.a, inside.id, outside.id, objects, both.id


async def _one_of_each(session, programme: Programme, made: dict[str, str]) -> None:
    """The rows the route matrix's objects lack: the activity belongs to the programme, and
    an enrolment event, a før-samtale, a forløb event and pause, attendance, a cancellation, a
    planned meeting, a message and contact wishes."""
    from core.activities.models import ActivityAttendance, ActivityCancellation
    from core.courses.models import CourseAttendance
    from core.forloeb.models import ForloebEvent, ForloebPause, Meeting, PlannedMeeting
    from core.notifications.models import ContactPreference, Notification
    from core.participants.models import EnrolmentEvent, Intake

    ids = {k: uuid.UUID(v) for k, v in made.items() if k.endswith(":uuid}")}
    day = dt.date.fromisoformat(made["{day:date}"])
    activity = await session.get_one(Activity, ids["{activity_id:uuid}"])
    activity.programme_id = programme.id
    person, enrolment = ids["{person_id:uuid}"], ids["{enrolment_id:uuid}"]
    forloeb = ids["{forloeb_id:uuid}"]
    session.add_all(
        [
            EnrolmentEvent(enrolment_id=enrolment, to_status="ready", actor="t"),
            Intake(enrolment_id=enrolment, motivation="M"),
            ForloebEvent(forloeb_id=forloeb, to_state="active", actor="t"),
            ForloebPause(forloeb_id=forloeb, starts_on=day),
            Meeting(
                forloeb_id=forloeb, day=day, activity="cafe", logged_as="coordinator", logged_by="t"
            ),
            CourseAttendance(session_id=ids["{session_id:uuid}"], person_id=person),
            ActivityAttendance(activity_id=activity.id, day=day, person_id=person),
            ActivityCancellation(activity_id=activity.id, day=day + dt.timedelta(days=7)),
            PlannedMeeting(
                forloeb_id=forloeb,
                starts_at=dt.datetime(2027, 1, 6, 9, tzinfo=dt.UTC),
                place="Biblioteket",
                planned_as="coordinator",
                planned_by="t",
            ),
            ContactPreference(person_id=person),
            Notification(
                idempotency_key=f"activity:{person}",
                kind="activity",
                channel="page",
                person_id=person,
                programme_id=programme.id,
                due_at=dt.datetime(2027, 1, 6, 9, tzinfo=dt.UTC),
                title="T",
                body="B",
                link="/",
            ),
        ]
    )
    await session.flush()


#: The tables the fixture puts rows in, in both programmes.
FILLED = frozenset(
    {
        "programme",
        "person",
        "enrolment",
        "enrolment_event",
        "intake",
        "consent_text",
        "consent",
        "course",
        "course_session",
        "course_participant",
        "course_attendance",
        "activity",
        "activity_member",
        "activity_cancellation",
        "activity_attendance",
        "forloeb",
        "forloeb_event",
        "forloeb_pause",
        "meeting",
        "planned_meeting",
        "questionnaire_response",
        "notification",
        "contact_preference",
    }
)


async def _visible(session, model) -> set[uuid.UUID]:
    return set(await session.scalars(select(model.id)))


async def test_every_model_shows_only_the_granted_programmes_rows(sessionmaker, two_programmes):
    tenant, inside, outside, objects, both = two_programmes
    models = [m for m in _programme_models() if m.__tablename__ in FILLED]
    assert len(models) == len(FILLED)
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            everything = {model: await _visible(session, model) for model in models}
            with programme_scope(frozenset({inside})):
                limited = {model: await _visible(session, model) for model in models}
            with programme_scope(frozenset({outside})):
                other = {model: await _visible(session, model) for model in models}
    for model in models:
        # Every model has rows in both programmes, and the two limits split them.
        assert limited[model] and other[model], model.__name__
        shared = limited[model] & other[model]
        assert shared == ({both} if model is Person else set()), model.__name__
        assert limited[model] | other[model] == everything[model], model.__name__
    assert limited[Programme] == {inside}
    assert uuid.UUID(objects["inde"]["{person_id:uuid}"]) in limited[Person]
    assert uuid.UUID(objects["ude"]["{person_id:uuid}"]) not in limited[Person]


async def test_joins_counts_and_bulk_changes_are_limited_too(sessionmaker, two_programmes):
    tenant, inside, outside, objects, both = two_programmes
    with tenant_scope(tenant.id), programme_scope(frozenset({inside})):
        async with sessionmaker() as session, session.begin():
            # The person in both programmes: her enrolment in the other one does not exist.
            joined = list(
                await session.execute(
                    select(Person.name, Programme.slug)
                    .join(Enrolment, Enrolment.person_id == Person.id)
                    .join(Programme, Programme.id == Enrolment.programme_id)
                    .where(Person.id == both)
                )
            )
            assert [tuple(r) for r in joined] == [("Begge Steder", "inde")]
            counted = await session.scalar(select(func.count()).select_from(Enrolment))
            # A mentor, a waiting citizen, the pair, an applicant, and Begge Steder.
            assert counted == 6
            result = await session.execute(
                update(Enrolment).where(Enrolment.programme_id == outside).values(status="ready")
            )
            assert result.rowcount == 0  # type: ignore[attr-defined]
            assert await session.get(Programme, outside) is None


async def test_a_row_written_outside_the_programme_is_refused(sessionmaker, two_programmes):
    tenant, inside, outside, objects, both = two_programmes
    with tenant_scope(tenant.id), programme_scope(frozenset({inside})):
        async with sessionmaker() as session:
            async with session.begin():
                session.add(
                    Activity(
                        kind=ActivityKind.CAFE,
                        title="Uden tilbud",
                        first_on=objects["inde"]["{day:date}"],
                        starts="17:00",
                        ends="19:00",
                        recurrence=Recurrence.NONE,
                    )
                )
                with pytest.raises(OutsideProgrammeError):
                    await session.flush()
                await session.rollback()
            async with session.begin():
                enrolment = await session.get_one(
                    Enrolment, uuid.UUID(objects["inde"]["{enrolment_id:uuid}"])
                )
                enrolment.programme_id = outside
                with pytest.raises(OutsideProgrammeError):
                    await session.flush()
                await session.rollback()


async def test_aliases_are_limited_too(sessionmaker, two_programmes):
    """A forløb's two enrolments are aliases of one table: each gets the criterion."""
    from sqlalchemy.orm import aliased

    from core.forloeb.models import Forloeb

    tenant, inside, outside, objects, both = two_programmes
    mentee, mentor = aliased(Enrolment), aliased(Enrolment)
    people = aliased(Person)
    stmt = (
        select(Forloeb.id, people.name)
        .join(mentee, mentee.id == Forloeb.mentee_enrolment_id)
        .join(mentor, mentor.id == Forloeb.mentor_enrolment_id)
        .join(people, people.id == mentee.person_id)
    )
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            with programme_scope(frozenset({inside})):
                rows = [tuple(r) for r in await session.execute(stmt)]
    assert rows == [(uuid.UUID(objects["inde"]["{forloeb_id:uuid}"]), "Matrix Makker")]


async def test_a_new_persons_row_is_inside_through_her_new_enrolment(sessionmaker, two_programmes):
    """A person, her enrolment and her contact wishes written together: the wishes are inside
    through the pending enrolment's ``person_id`` (not its ``id``), outside without one."""
    from core.notifications.models import ContactPreference
    from core.tenancy.programme_scope import _inside

    tenant, inside, outside, objects, both = two_programmes
    limit = frozenset({inside})
    rule = rule_of(ContactPreference)

    def written(session, programme: uuid.UUID | None) -> bool:
        person = Person(id=uuid.uuid4(), name="Ny Sammen")
        session.add(person)
        if programme is not None:
            session.add(
                Enrolment(person_id=person.id, programme_id=programme, role=EnrolmentRole.MENTEE)
            )
        wishes = ContactPreference(person_id=person.id)
        session.add(wishes)
        try:
            return _inside(session, wishes, rule, limit)
        finally:
            session.expunge_all()

    with tenant_scope(tenant.id), programme_scope(limit):
        async with sessionmaker() as session, session.begin():
            results = [await session.run_sync(written, p) for p in (inside, outside, None)]
    assert results == [True, False, False]


def _shapes(outside: uuid.UUID) -> dict[str, object]:
    """Statements the loader criteria cannot limit (the app runs none of them)."""
    from sqlalchemy import exists, text

    people = Person.__table__
    return {
        "text": text("select count(*) from person"),
        "core select": select(func.count()).select_from(people),
        "core columns": select(people.c.id, people.c.name),
        "count with no FROM entity": select(func.count()).where(Enrolment.programme_id == outside),
        "correlated exists": select(Person.id).where(
            exists().where(Enrolment.person_id == Person.id, Enrolment.programme_id == outside)
        ),
        "core update": update(people).values(name="Ændret"),
    }


@pytest.mark.parametrize(
    "shape",
    [
        "text",
        "core select",
        "core columns",
        "count with no FROM entity",
        "correlated exists",
        "core update",
    ],
)
async def test_a_statement_the_limit_cannot_see_into_is_refused(
    sessionmaker, two_programmes, shape
):
    from core.db.tenant_scope import UnscopedStatementError

    tenant, inside, outside, objects, both = two_programmes
    statement = _shapes(outside)[shape]
    # A table only in a WHERE clause is refused by the tenant guard already, limit or not.
    where_only = shape in ("count with no FROM entity", "correlated exists")
    refused = UnscopedStatementError if where_only else UnlimitedStatement
    with tenant_scope(tenant.id):
        async with sessionmaker() as session, session.begin():
            with programme_scope(frozenset({inside})):
                with pytest.raises(refused):
                    await session.execute(statement)  # type: ignore[call-overload]
                # Past the session, on its connection: refused too.
                connection = await session.connection()
                with pytest.raises(UnlimitedStatement):
                    await connection.execute(statement)  # type: ignore[arg-type]
            if where_only:
                with pytest.raises(UnscopedStatementError):
                    await session.execute(statement)  # type: ignore[call-overload]
            # Without a limit (the municipality's own staff) the others run as before.
            elif shape != "core update":
                assert (await session.execute(statement)).first() is not None  # type: ignore[call-overload]
            names = set(await session.scalars(select(Person.name)))
    assert "Ændret" not in names


async def test_limited_counts_and_exists_keep_working(sessionmaker, two_programmes):
    """The shapes the app uses: a count of an entity's column, an exists() over an ORM select,
    a subquery - limited by the criteria."""
    from sqlalchemy import exists

    tenant, inside, outside, objects, both = two_programmes
    with tenant_scope(tenant.id), programme_scope(frozenset({inside})):
        async with sessionmaker() as session, session.begin():
            counted = await session.scalar(
                select(func.count(Enrolment.id)).where(Enrolment.programme_id == outside)
            )
            found = await session.scalar(
                select(func.count(Person.id)).where(
                    exists(
                        select(Enrolment.id).where(
                            Enrolment.person_id == Person.id, Enrolment.programme_id == outside
                        )
                    )
                )
            )
            inside_count = await session.scalar(
                select(func.count(Enrolment.id)).where(Enrolment.programme_id == inside)
            )
        async with sessionmaker() as session:
            with programme_scope(None):
                stored = set(
                    await session.scalars(
                        select(Enrolment.id).where(Enrolment.programme_id == inside)
                    )
                )
    assert (counted, found, inside_count) == (0, 0, len(stored))
    assert len(stored) >= 5
