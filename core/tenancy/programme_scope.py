"""A partner's programme restriction: the third layer of tenant isolation, in one place.

A partner organisation granted ``coordinate`` on a programme works in the owner's tenant (its
requests run as the owner's tenant, under its row-level security), but sees and changes only
that programme: its people (enrolled in it or applying to it), their enrolments in it, their
før-samtaler and consents, the programme's courses, activities, forløb, meetings and answers.

The request pipeline sets the granted programmes for the request with :func:`programme_scope`.
While they are set, a ``do_orm_execute`` listener adds ``with_loader_criteria`` for every
tenant-owned model in a statement (selects, updates, deletes; joins, subqueries and relationship
loads included), each model by its :data:`RULES` entry, so no handler or query has to remember
it: another programme's person, enrolment, forløb ... is simply not found - the same 404 as an
object that does not exist. A ``before_flush`` listener refuses a new or moved row whose
programme (or parent object) lies outside.

Every tenant-owned model needs a rule. A model without one raises
:class:`ProgrammeScopeMissing` as soon as a restricted request touches it (and
``tests/test_coordinate_scope.py`` fails for it), rather than showing all its rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement

from core.activities.models import (
    Activity,
    ActivityAttendance,
    ActivityCancellation,
    ActivityMember,
)
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.base import Base, TenantOwned
from core.db.tenant_scope import TenantSession
from core.errors import Forbidden
from core.forloeb.models import Forloeb, ForloebEvent, ForloebPause, Meeting, PlannedMeeting
from core.notifications.models import ContactPreference, Notification
from core.outcomes.models import QuestionnaireResponse
from core.participants.models import (
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    Intake,
    Person,
)
from core.tenancy.models import Programme
from core.web.i18n import gettext as _

Programmes = frozenset[uuid.UUID]
_current: ContextVar[Programmes | None] = ContextVar("makker_programme_scope", default=None)


class ProgrammeScopeMissing(RuntimeError):
    """A restricted request touched a tenant-owned model that has no programme rule."""


class OutsideProgrammeError(Forbidden):
    """A restricted request wrote a row outside its programmes. Commands get no further than
    their look-ups (another programme's objects are not found), and ask a partner for the
    programme of what it creates; this is the backstop: 403, nothing stored."""

    def __init__(self) -> None:
        super().__init__(_("Your partnership does not cover this programme."))


@dataclass(frozen=True)
class Rule:
    """How a model's rows belong to a programme.

    ``column`` of the model holds a programme id (``parent`` ``None``), or points at a row of
    ``parent`` by the parent's ``parent_column`` (its id, or for a person the enrolment's
    ``person_id``); the parent's own rule then decides."""

    column: str
    parent: type[Any] | None = None
    parent_column: str = "id"

    @property
    def checks_writes(self) -> bool:
        """A forward reference (a programme id or a parent's id) can be checked when a row is
        written; a person's belonging follows from enrolments that may come later in the
        same request (``create_person`` asks a partner for the programme)."""
        return self.parent_column == "id"


#: Every tenant-owned model and how its rows belong to a programme.
RULES: dict[type[Any], Rule] = {
    Programme: Rule("id"),
    Enrolment: Rule("programme_id"),
    ConsentText: Rule("programme_id"),
    Course: Rule("programme_id"),
    Activity: Rule("programme_id"),
    Forloeb: Rule("programme_id"),
    Person: Rule("id", Enrolment, "person_id"),
    EnrolmentEvent: Rule("enrolment_id", Enrolment),
    Intake: Rule("enrolment_id", Enrolment),
    Consent: Rule("enrolment_id", Enrolment),
    CourseSession: Rule("course_id", Course),
    CourseParticipant: Rule("course_id", Course),
    CourseAttendance: Rule("session_id", CourseSession),
    ActivityMember: Rule("activity_id", Activity),
    ActivityCancellation: Rule("activity_id", Activity),
    ActivityAttendance: Rule("activity_id", Activity),
    ForloebEvent: Rule("forloeb_id", Forloeb),
    ForloebPause: Rule("forloeb_id", Forloeb),
    Meeting: Rule("forloeb_id", Forloeb),
    PlannedMeeting: Rule("forloeb_id", Forloeb),
    QuestionnaireResponse: Rule("forloeb_id", Forloeb),
    # A message belongs to its recipient (the coordinators' digest, to no person, to nobody's
    # programme: a partner does not see it); a person's contact wishes likewise.
    Notification: Rule("person_id", Person),
    ContactPreference: Rule("person_id", Person),
}


def current_programmes() -> Programmes | None:
    """The programmes the current request is limited to, or ``None`` (not limited)."""
    return _current.get()


@contextmanager
def programme_scope(programmes: Programmes | None) -> Iterator[None]:
    """Limit every query of the block to ``programmes`` (``None``: no limit)."""
    token = _current.set(programmes)
    try:
        yield
    finally:
        _current.reset(token)


def _ids_in(model: type[Any], column: str, programmes: Programmes) -> Select[Any]:
    """Values of ``model.column`` over the rows of ``model`` inside ``programmes``."""
    return select(getattr(model, column)).where(criterion(model, programmes))


def criterion(model: type[Any], programmes: Programmes) -> ColumnElement[bool]:
    """The rows of ``model`` that lie inside ``programmes``."""
    rule = RULES.get(model)
    if rule is None:
        raise ProgrammeScopeMissing(f"{model.__name__} has no rule in core.tenancy.programme_scope")
    own = getattr(model, rule.column)
    if rule.parent is None:
        return cast(ColumnElement[bool], own.in_(programmes))
    return cast(ColumnElement[bool], own.in_(_ids_in(rule.parent, rule.parent_column, programmes)))


def _criterion_of(cls: Any, ids: Any) -> ColumnElement[bool]:
    """:func:`criterion` for a model or an alias of it (``with_loader_criteria`` passes either)."""
    # ``cls`` is the mapped class, wrapped by SQLAlchemy (which adapts the result to aliases).
    model = cls.__mapper__.class_
    rule = RULES.get(model)
    if rule is None:
        raise ProgrammeScopeMissing(f"{model.__name__} has no rule in core.tenancy.programme_scope")
    own = getattr(cls, rule.column)
    if rule.parent is None:
        return cast(ColumnElement[bool], own.in_(ids))
    return cast(ColumnElement[bool], own.in_(_ids_in(rule.parent, rule.parent_column, ids)))


def missing_rules() -> list[str]:
    """Tenant-owned models without a rule (a test asserts there are none)."""
    return sorted(
        m.class_.__name__
        for m in Base.registry.mappers
        if issubclass(m.class_, TenantOwned) and m.class_ not in RULES
    )


def _touched_models(state: ORMExecuteState) -> set[type[Any]]:
    models = {m.class_ for m in state.all_mappers if issubclass(m.class_, TenantOwned)}
    tables = {
        e for e in visitors.iterate(cast(ClauseElement, state.statement)) if isinstance(e, Table)
    }
    for mapper in Base.registry.mappers:
        if issubclass(mapper.class_, TenantOwned) and mapper.local_table in tables:
            models.add(mapper.class_)
    return models


@event.listens_for(TenantSession, "do_orm_execute")
def _limit_to_programmes(state: ORMExecuteState) -> None:
    programmes = _current.get()
    if programmes is None:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    ids = tuple(sorted(programmes))
    options = [
        # A lambda, so that aliases (a forløb's two enrolments) get the criterion adapted;
        # ``ids`` becomes its bound parameter (part of no cached statement).
        with_loader_criteria(model, lambda cls: _criterion_of(cls, ids), include_aliases=True)
        for model in sorted(_touched_models(state), key=lambda m: m.__name__)
    ]
    if options:
        state.statement = state.statement.options(*options)


def _inside(session: Session, obj: Any, rule: Rule, programmes: Programmes) -> bool:
    """Whether a row being written lies inside ``programmes``: its programme, or its parent -
    one written in the same flush (a new enrolment's first event) or one already stored."""
    value = getattr(obj, rule.column)
    if rule.parent is None:
        return value in programmes
    for pending in session.new:
        if isinstance(pending, rule.parent) and pending.id == value:
            return _inside(session, pending, RULES[rule.parent], programmes)
    with session.no_autoflush:
        found = session.execute(select(rule.parent.id).where(rule.parent.id == value)).first()
    return found is not None


@event.listens_for(TenantSession, "before_flush")
def _check_programme_writes(session: Session, flush_context: Any, instances: Any) -> None:
    programmes = _current.get()
    if programmes is None:
        return
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, TenantOwned):
            continue
        rule = RULES.get(type(obj))
        if rule is None:
            raise ProgrammeScopeMissing(f"{type(obj).__name__} has no programme rule")
        if not rule.checks_writes:
            continue
        if obj not in session.new:
            history = cast(InstanceState[Any], inspect(obj)).attrs[rule.column].history
            if not history.has_changes():
                continue
        if not _inside(session, obj, rule, programmes):
            raise OutsideProgrammeError()
