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

import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    Table,
    TextClause,
    event,
    false,
    inspect,
    select,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement

from core.db.base import Base, TenantOwned
from core.db.tenant_scope import TenantSession, tables_only_in_where
from core.errors import Forbidden
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


class NotForPartners(Forbidden):
    """What a ``coordinate`` partner may not do in the owner's space, whatever the programme:
    a person's calendar link (its feed would show all the person's programmes, and outlive the
    grant) and a person's own sign-in (the person is the municipality's). Refused before any
    look-up, so the answer is the same 403 inside and outside the programme."""


def refuse_partner(partner: object | None, message: str) -> None:
    """:raises NotForPartners: with ``message`` when the caller is a partner (``partner`` is the
    context's :class:`core.tenancy.coordinate.PartnerAccess`, or ``None``)."""
    if partner is not None:
        raise NotForPartners(message)


@dataclass(frozen=True)
class Rule:
    """How the rows of a table belong to a programme.

    ``column`` holds a programme id (``parent`` ``None``), or points at a row of the table
    ``parent`` by that table's ``parent_column`` (its id, or for a person the enrolment's
    ``person_id``); the parent's own rule then decides. ``column`` ``None``: the table belongs
    to the tenant as a whole (its members, invitations): no row is inside a programme."""

    column: str | None
    parent: str | None = None
    parent_column: str = "id"

    @property
    def checks_writes(self) -> bool:
        """A forward reference (a programme id or a parent's id) can be checked when a row is
        written; a person's belonging follows from enrolments that may come later in the
        same request (``create_person`` asks a partner for the programme)."""
        return self.parent_column == "id"


#: The tenant's own business, in no programme.
TENANT_LEVEL = Rule(None)

#: Every tenant-owned table and how its rows belong to a programme. Keyed by table name, so a
#: rule needs no import of its domain (and is ready before the domain's model lands).
RULES: dict[str, Rule] = {
    "programme": Rule("id"),
    "enrolment": Rule("programme_id"),
    "consent_text": Rule("programme_id"),
    "course": Rule("programme_id"),
    "activity": Rule("programme_id"),
    "forloeb": Rule("programme_id"),
    "savings_assumption": Rule("programme_id"),
    # The overview's meetings per programme and day (counts, kept by database triggers).
    "meeting_day_count": Rule("programme_id"),
    "person": Rule("id", "enrolment", "person_id"),
    "enrolment_event": Rule("enrolment_id", "enrolment"),
    "intake": Rule("enrolment_id", "enrolment"),
    "consent": Rule("enrolment_id", "enrolment"),
    "application": Rule("enrolment_id", "enrolment"),
    "course_session": Rule("course_id", "course"),
    "course_participant": Rule("course_id", "course"),
    "course_attendance": Rule("session_id", "course_session"),
    "activity_member": Rule("activity_id", "activity"),
    "activity_cancellation": Rule("activity_id", "activity"),
    "activity_attendance": Rule("activity_id", "activity"),
    "forloeb_event": Rule("forloeb_id", "forloeb"),
    "forloeb_pause": Rule("forloeb_id", "forloeb"),
    "meeting": Rule("forloeb_id", "forloeb"),
    "planned_meeting": Rule("forloeb_id", "forloeb"),
    "questionnaire_response": Rule("forloeb_id", "forloeb"),
    # A message belongs to the programme it is about (its course, activity, forløb), not to
    # its recipient, who may be in other programmes too: a partner sees no message of another
    # programme to a shared person, and none without a programme (the coordinators' digest, a
    # tenant-wide activity's reminder). A person's contact wishes belong to the person.
    "notification": Rule("programme_id"),
    "contact_preference": Rule("person_id", "person"),
    "legal_hold": Rule("person_id", "person"),
    "tenant_member": TENANT_LEVEL,
    "invitation": TENANT_LEVEL,
}

_models_cache: dict[int, dict[str, type[Any]]] = {}


def tenant_owned_models() -> dict[str, type[Any]]:
    """Tenant-owned models by table name (recomputed when a model is added)."""
    key = len(Base.registry.mappers)
    if key not in _models_cache:
        _models_cache.clear()
        _models_cache[key] = {
            m.local_table.name: m.class_
            for m in Base.registry.mappers
            if issubclass(m.class_, TenantOwned) and isinstance(m.local_table, Table)
        }
    return _models_cache[key]


def rule_of(model: type[Any]) -> Rule:
    rule = RULES.get(str(getattr(model, "__tablename__", "")))
    if rule is None:
        raise ProgrammeScopeMissing(
            f"{model.__name__} has no rule in core.tenancy.programme_scope.RULES"
        )
    return rule


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


def _ids_in(table: str, column: str, programmes: Any) -> Select[Any]:
    """Values of ``column`` over the rows of ``table`` inside ``programmes``."""
    model = tenant_owned_models()[table]
    return select(getattr(model, column)).where(_criterion_of(model, programmes))


def _criterion_of(cls: Any, ids: Any) -> ColumnElement[bool]:
    """The rows of ``cls`` inside the programmes ``ids``. ``cls`` is a model, or the model as
    ``with_loader_criteria`` wraps it (SQLAlchemy then adapts the result to its aliases)."""
    rule = rule_of(cls.__mapper__.class_)
    if rule.column is None:
        return cast(ColumnElement[bool], false())
    own = getattr(cls, rule.column)
    if rule.parent is None:
        return cast(ColumnElement[bool], own.in_(ids))
    return cast(ColumnElement[bool], own.in_(_ids_in(rule.parent, rule.parent_column, ids)))


def criterion(model: type[Any], programmes: Programmes) -> ColumnElement[bool]:
    """The rows of ``model`` that lie inside ``programmes``."""
    return _criterion_of(model, tuple(sorted(programmes)))


def missing_rules() -> list[str]:
    """Tenant-owned tables without a rule (a test asserts there are none)."""
    return sorted(set(tenant_owned_models()) - set(RULES))


async def visible_people(session: Any, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``ids`` that are people the session's caller can see: all of them, unless a
    programme limit is set (then those enrolled in, or applying to, its programmes). A command
    that rewrites a list of rows (attendance) deletes only these people's rows."""
    wanted = set(ids)
    if not wanted or _current.get() is None:
        return wanted
    person = tenant_owned_models()["person"]
    return set(await session.scalars(select(person.id).where(person.id.in_(wanted))))


def _touched_models(state: ORMExecuteState) -> set[type[Any]]:
    models = {m.class_ for m in state.all_mappers if issubclass(m.class_, TenantOwned)}
    tables = {
        e for e in visitors.iterate(cast(ClauseElement, state.statement)) if isinstance(e, Table)
    }
    for mapper in Base.registry.mappers:
        if issubclass(mapper.class_, TenantOwned) and mapper.local_table in tables:
            models.add(mapper.class_)
    return models


class UnlimitedStatement(RuntimeError):
    """A restricted request ran a statement the programme limit cannot see into: SQL text, a
    Core statement on a tenant-owned table (``Person.__table__``), one run on the connection
    past the session, or a select whose tenant-owned table is in its WHERE clause only (a
    ``count(*)`` with no FROM entity, ``exists()``). Such a statement would read or change
    other programmes' rows, so it is refused (a 500; the app runs none)."""


#: Execution option of a statement that went through :func:`_limit_to_programmes`.
_CHECKED = "makker_programme_limited"
_flushing: ContextVar[bool] = ContextVar("makker_programme_flushing", default=False)
_WORD = re.compile(r"[a-z_]+")


def _tables(clause: Any) -> Iterator[Table]:
    for element in visitors.iterate(cast(ClauseElement, clause)):
        if isinstance(element, Table):
            yield element


def _owned(table: Table) -> bool:
    return table.name in tenant_owned_models()


def _refuse_unlimited(state: ORMExecuteState) -> None:
    """:raises UnlimitedStatement: for a statement the loader criteria would not limit."""
    statement = state.statement
    if isinstance(statement, TextClause):
        raise UnlimitedStatement("SQL text under a programme limit")
    if not state.is_orm_statement:
        # Core (``Person.__table__``): no criteria reach it.
        if any(_owned(t) for t in _tables(statement)):
            raise UnlimitedStatement("a Core statement on a tenant-owned table")
        return
    hidden = tables_only_in_where(statement, frozenset(tenant_owned_models()))
    if hidden:
        raise UnlimitedStatement(f"{', '.join(hidden)} only in a WHERE clause")


@event.listens_for(TenantSession, "do_orm_execute")
def _limit_to_programmes(state: ORMExecuteState) -> None:
    programmes = _current.get()
    if programmes is None:
        return
    _refuse_unlimited(state)
    state.update_execution_options(**{_CHECKED: True})
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
    if rule.column is None:
        return False
    value = getattr(obj, rule.column)
    if rule.parent is None:
        return value in programmes
    parent = tenant_owned_models()[rule.parent]
    # The parent's ``parent_column`` points back: a row's parent by its id, a person's
    # enrolments by their ``person_id``.
    pending = [
        p for p in session.new if isinstance(p, parent) and getattr(p, rule.parent_column) == value
    ]
    if any(_inside(session, p, rule_of(parent), programmes) for p in pending):
        return True
    with session.no_autoflush:
        found = session.execute(
            select(parent.id).where(getattr(parent, rule.parent_column) == value)
        ).first()
    return found is not None


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_past_the_session(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """A statement run on the connection (``session.connection().execute(...)``) skips the
    ``do_orm_execute`` listener: under a programme limit, one that reads or changes a
    tenant-owned table is refused. The unit of work's own writes (a flush, checked by
    :func:`_check_programme_writes`) and SQL naming no tenant-owned table (``set_config``,
    an advisory lock) pass."""
    if _current.get() is None or _flushing.get():
        return
    if context is not None and context.execution_options.get(_CHECKED):
        return
    compiled = getattr(context, "compiled", None)
    clause = getattr(compiled, "statement", None)
    if clause is not None and not isinstance(clause, TextClause):
        if any(_owned(t) for t in _tables(clause)):
            raise UnlimitedStatement("a statement past the session under a programme limit")
        return
    if set(_WORD.findall(statement.lower())) & set(tenant_owned_models()):
        raise UnlimitedStatement("SQL text past the session under a programme limit")


@event.listens_for(TenantSession, "after_flush_postexec")
def _flushed(session: Session, flush_context: Any) -> None:
    _flushing.set(False)


@event.listens_for(TenantSession, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    _flushing.set(False)


@event.listens_for(TenantSession, "before_flush")
def _check_programme_writes(session: Session, flush_context: Any, instances: Any) -> None:
    programmes = _current.get()
    if programmes is None:
        return
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, TenantOwned):
            continue
        rule = rule_of(type(obj))
        if not rule.checks_writes:
            continue
        if obj not in session.new and rule.column is not None:
            history = cast(InstanceState[Any], inspect(obj)).attrs[rule.column].history
            if not history.has_changes():
                continue
        if not _inside(session, obj, rule, programmes):
            raise OutsideProgrammeError()
    # The unit of work's statements that follow are these checked writes.
    _flushing.set(True)
