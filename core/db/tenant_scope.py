"""The ORM half of tenant isolation (the other half is PostgreSQL row-level security).

The current tenant lives in a :class:`contextvars.ContextVar`, set per request from the URL (see
:mod:`core.web.tenant_context`) or by :func:`tenant_scope` in commands and tests.

``TenantSession`` carries three listeners:

* ``do_orm_execute`` adds ``with_loader_criteria(tenant_id == current)`` to every ORM statement
  on a tenant-owned model, and **raises** :class:`TenantNotSetError` when no tenant is set, and
  :class:`UnscopedStatementError` for an ORM select whose tenant-owned table is named only in its
  WHERE clause (the criteria would not reach it);
* ``before_flush`` stamps ``tenant_id`` on new tenant-owned objects and raises
  :class:`CrossTenantWriteError` if a new, changed or deleted object belongs to another tenant;
* ``after_begin`` runs ``set_config('app.tenant_id', :t, true)`` on PostgreSQL, transaction-local,
  so row-level security sees the same tenant and a pooled connection never inherits it.

A session's transaction is bound to the tenant it began with: using it under another tenant
raises, because the PostgreSQL setting cannot follow. There is deliberately no "all tenants"
switch; cross-tenant work enters each tenant's scope through an explicitly named function:
:func:`reading_another_tenant` (one tenant) or :func:`reading_tenants` (several named tenants
at once, read only - the partner's aggregate).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, cast

from sqlalchemy import Select, Table, event, inspect, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement

from core.db.base import Base, TenantOwned

_current_tenant: ContextVar[uuid.UUID | None] = ContextVar("makker_current_tenant", default=None)
#: While :func:`reading_tenants` runs: the tenants whose rows its statements read.
_reading_tenants: ContextVar[tuple[uuid.UUID, ...] | None] = ContextVar(
    "makker_reading_tenants", default=None
)
_SESSION_TENANT_KEY = "makker_tenant_id"
_NO_TENANT = "none"


class TenantNotSetError(RuntimeError):
    """A tenant-owned model was queried or written with no tenant in context."""


class CrossTenantWriteError(RuntimeError):
    """A write touched a row of a tenant other than the current one."""


def current_tenant_id() -> uuid.UUID | None:
    """The tenant of the current request or scope, or ``None``."""
    return _current_tenant.get()


def require_tenant_id() -> uuid.UUID:
    tenant_id = _current_tenant.get()
    if tenant_id is None:
        raise TenantNotSetError("no tenant is set for this query on a tenant-owned model")
    return tenant_id


@contextmanager
def tenant_scope(tenant_id: uuid.UUID | None) -> Iterator[None]:
    """Run a block as ``tenant_id`` (``None`` means: no tenant)."""
    token = _current_tenant.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant.reset(token)


def set_current_tenant(tenant_id: uuid.UUID | None) -> None:
    """Set the tenant for the rest of the current context (used by the request middleware)."""
    _current_tenant.set(tenant_id)


class TenantSession(Session):
    """The synchronous session class behind every ``AsyncSession`` Makker opens."""


def _check_session_tenant(session: Session, tenant_id: uuid.UUID | None) -> None:
    began = session.info.get(_SESSION_TENANT_KEY)
    if began is not None and began != (tenant_id or _NO_TENANT):
        raise CrossTenantWriteError(
            "the tenant changed inside a transaction; commit or roll back before switching"
        )


_owned_cache: dict[int, frozenset[Table]] = {}


def _tenant_owned_tables() -> frozenset[Table]:
    """Tables of tenant-owned models; recomputed only when a model is added to the registry."""
    key = len(Base.registry.mappers)
    if key not in _owned_cache:
        _owned_cache.clear()
        _owned_cache[key] = frozenset(
            m.local_table
            for m in Base.registry.mappers
            if issubclass(m.class_, TenantOwned) and isinstance(m.local_table, Table)
        )
    return _owned_cache[key]


def _owned_names() -> frozenset[str]:
    return frozenset(t.name for t in _tenant_owned_tables())


def _touches_tenant_owned(state: ORMExecuteState) -> bool:
    """True if any table of a tenant-owned model appears anywhere in the statement.

    Walking the whole statement (not only its top-level entities) also catches
    ``select(func.count()).select_from(Person)``, subqueries and joins.
    """
    if any(issubclass(m.class_, TenantOwned) for m in state.all_mappers):
        return True
    owned = _tenant_owned_tables()
    return any(
        isinstance(e, Table) and e in owned
        for e in visitors.iterate(cast(ClauseElement, state.statement))
    )


class UnscopedStatementError(RuntimeError):
    """An ORM select whose tenant-owned table is only in its WHERE clause
    (``select(func.count()).where(Person.name == ...)``, ``exists().where(...)``): the loader
    criteria reach only what a select names as its entities, columns, FROM or joins, so such a
    table would be read across tenants (PostgreSQL's row-level security would still stop it;
    SQLite has none). Write ``.select_from(Person)`` or select a column of it."""


def _criteria_tables(sel: Select[Any]) -> set[str]:
    """Names of the tables the ORM applies loader criteria to in ``sel``: its entities and ORM
    columns (``count(Person.id)`` too), what it selects from and joins explicitly."""
    names: set[str] = set()
    stack: list[Any] = list(sel._raw_columns)
    while stack:
        element = stack.pop()
        if isinstance(element, Select):
            continue  # a subquery among the columns (exists(...)) names its own entities
        entity = getattr(element, "_annotations", {}).get("parententity")
        if entity is not None:
            names.add(str(entity.mapper.local_table.name))
        stack.extend(element.get_children())
    explicit: list[Any] = [*sel._from_obj, *(join[0] for join in sel._setup_joins)]
    for element in explicit:
        mapper = getattr(inspect(element, raiseerr=False), "mapper", None)
        if mapper is not None:
            names.add(str(mapper.local_table.name))
        elif isinstance(element, ClauseElement):
            names.update(e.name for e in visitors.iterate(element) if isinstance(e, Table))
    return names


#: :func:`tables_only_in_where`'s answers by the statement's structure: SQLAlchemy's cache key
#: (every table, column and clause, not the bound values) and the owned tables. Working it out
#: compiles every select of the statement (``get_final_froms``), tens of milliseconds for a
#: report's statement; a statement run again with other values has the same answer.
_where_only_cache: dict[tuple[Any, frozenset[str]], list[str]] = {}
_WHERE_ONLY_CACHE_SIZE = 2000


def tables_only_in_where(statement: Any, owned: frozenset[str]) -> list[str]:
    """Tables among ``owned`` that a select of ``statement`` (subqueries too) reads from but
    that no select of it names as an entity, column, FROM or join - out of the criteria's
    reach. A correlated subquery's outer table is named by the outer select."""
    cache_key = (
        statement._generate_cache_key() if hasattr(statement, "_generate_cache_key") else None
    )
    if cache_key is None:
        return _tables_only_in_where(statement, owned)
    key = (cache_key.key, owned)
    found = _where_only_cache.get(key)
    if found is None:
        found = _tables_only_in_where(statement, owned)
        if len(_where_only_cache) >= _WHERE_ONLY_CACHE_SIZE:
            _where_only_cache.clear()
        _where_only_cache[key] = found
    return list(found)


def _tables_only_in_where(statement: Any, owned: frozenset[str]) -> list[str]:
    selects = [e for e in visitors.iterate(cast(ClauseElement, statement)) if isinstance(e, Select)]
    if not selects:
        return []
    covered = set().union(*(_criteria_tables(sel) for sel in selects))
    return sorted(
        {
            table.name
            for sel in selects
            for from_ in sel.get_final_froms()
            for table in visitors.iterate(from_)
            if isinstance(table, Table) and table.name in owned and table.name not in covered
        }
    )


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_orm_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
        return
    if not _touches_tenant_owned(state):
        return
    reading = _reading_tenants.get()
    if reading is not None:
        _scope_to_tenants(state, reading)
        return
    tenant_id = require_tenant_id()
    _check_session_tenant(state.session, tenant_id)
    if state.is_insert:
        return
    _refuse_where_only(state)
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
        )
    )


def _refuse_where_only(state: ORMExecuteState) -> None:
    """Raise :class:`UnscopedStatementError` for an ORM select whose tenant-owned table the
    loader criteria would not reach (:func:`tables_only_in_where`)."""
    if state.is_select and state.is_orm_statement:
        hidden = tables_only_in_where(state.statement, _owned_names())
        if hidden:
            raise UnscopedStatementError(f"{', '.join(hidden)} only in a WHERE clause")


def _scope_to_tenants(state: ORMExecuteState, tenants: tuple[uuid.UUID, ...]) -> None:
    """The guard inside :func:`reading_tenants`: selects only, each limited to ``tenants``."""
    if not state.is_select:
        raise CrossTenantWriteError("a write while reading several tenants")
    _refuse_where_only(state)
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id.in_(tenants),
            include_aliases=True,
        )
    )


@event.listens_for(TenantSession, "before_flush")
def _stamp_and_check_writes(session: Session, flush_context: Any, instances: Any) -> None:
    tenant_id = current_tenant_id()
    touched = [o for o in session.new if isinstance(o, TenantOwned)]
    touched_existing = [o for o in (*session.dirty, *session.deleted) if isinstance(o, TenantOwned)]
    if not touched and not touched_existing:
        return
    if _reading_tenants.get() is not None:
        raise CrossTenantWriteError("a write while reading several tenants")
    if tenant_id is None:
        raise TenantNotSetError("no tenant is set for a write to a tenant-owned model")
    _check_session_tenant(session, tenant_id)
    for obj in touched:
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise CrossTenantWriteError("a new row names another tenant")
    for obj in touched_existing:
        history = cast(InstanceState[Any], inspect(obj)).attrs.tenant_id.history
        owners = {obj.tenant_id, *history.deleted}
        if owners != {tenant_id}:
            raise CrossTenantWriteError("a changed or deleted row belongs to another tenant")


@event.listens_for(TenantSession, "after_begin")
def _bind_transaction_to_tenant(session: Session, transaction: Any, connection: Any) -> None:
    tenant_id = current_tenant_id()
    session.info[_SESSION_TENANT_KEY] = tenant_id or _NO_TENANT
    # With no tenant nothing is set: a transaction-local setting of an earlier transaction is
    # gone already, so row-level security sees no tenant and returns no rows (fails closed).
    if tenant_id is not None and connection.dialect.name == "postgresql":
        connection.execute(_SET_TENANT, {"tenant": str(tenant_id)})


_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")


async def bind_session_to_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Bind ``session``'s open transaction (begun with no tenant, e.g. to look the tenant up)
    to ``tenant_id``: the request pipeline does this once per request, in the same transaction.

    A transaction that is not open yet needs nothing: it binds itself when it begins."""
    if not session.in_transaction():
        return
    began = session.info.get(_SESSION_TENANT_KEY)
    if began == tenant_id:
        return
    if began not in (None, _NO_TENANT):
        raise CrossTenantWriteError("the transaction already belongs to another tenant")
    if session.new or session.dirty or session.deleted:
        raise CrossTenantWriteError("unflushed changes made with no tenant")
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(_SET_TENANT, {"tenant": str(tenant_id)})
    session.info[_SESSION_TENANT_KEY] = tenant_id


@event.listens_for(TenantSession, "after_transaction_end")
def _release_tenant(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_SESSION_TENANT_KEY, None)


@asynccontextmanager
async def reading_another_tenant(
    session: AsyncSession, tenant_id: uuid.UUID
) -> AsyncIterator[None]:
    """Read ``tenant_id``'s rows in the request's own transaction, then return to its tenant.

    The one way for a request to cross tenants (a partner reading what a grant gives it, a
    calendar token naming its tenant): explicitly named, read-only - pending changes before or
    after the block raise :class:`CrossTenantWriteError` - and the PostgreSQL setting follows,
    so row-level security still applies to every statement."""
    if _reading_tenants.get() is not None:
        raise CrossTenantWriteError("reading another tenant while reading several tenants")
    if session.new or session.dirty or session.deleted:
        raise CrossTenantWriteError("pending changes before reading another tenant")
    connection = await session.connection()
    began = session.info.get(_SESSION_TENANT_KEY)
    previous = current_tenant_id()
    postgres = connection.dialect.name == "postgresql"
    token = _current_tenant.set(tenant_id)
    session.info[_SESSION_TENANT_KEY] = tenant_id
    if postgres:
        await connection.execute(_SET_TENANT, {"tenant": str(tenant_id)})
    try:
        yield
        if session.new or session.dirty or session.deleted:
            raise CrossTenantWriteError("a write while reading another tenant")
    finally:
        _current_tenant.reset(token)
        session.info[_SESSION_TENANT_KEY] = began
        if postgres:
            await connection.execute(_SET_TENANT, {"tenant": str(previous) if previous else ""})


_READ_TENANTS = text(
    "SELECT set_config('app.tenant_id', '', true), set_config('app.read_tenants', :tenants, true)"
)
_END_READING = text(
    "SELECT set_config('app.read_tenants', '', true), set_config('app.tenant_id', :tenant, true)"
)


@asynccontextmanager
async def reading_tenants(
    session: AsyncSession, tenant_ids: Collection[uuid.UUID]
) -> AsyncIterator[None]:
    """Read the rows of the named tenants - several at once - in the request's own transaction,
    then return to its tenant. The partner's aggregate reads every municipality that granted it
    a programme this way: one statement over all of them instead of a round of statements in
    each municipality's scope (docs/reports.md, "Speed").

    Read only, like :func:`reading_another_tenant`, and more strictly: pending changes before
    or after raise :class:`CrossTenantWriteError`, every ORM statement that is not a select
    raises it, a flush of a tenant-owned row raises it; every select gets the criteria
    ``tenant_id IN tenant_ids``. On PostgreSQL ``app.read_tenants`` names the tenants for the
    read policy and ``app.tenant_id`` is emptied, so row-level security admits reads of exactly
    these tenants and refuses every write (core/db/rls.py). Not nested; not with
    :func:`reading_another_tenant` inside."""
    ids = tuple(dict.fromkeys(tenant_ids))
    if not ids:
        raise ValueError("reading_tenants needs at least one tenant")
    if _reading_tenants.get() is not None:
        raise CrossTenantWriteError("reading_tenants is already reading other tenants")
    if session.new or session.dirty or session.deleted:
        raise CrossTenantWriteError("pending changes before reading other tenants")
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    previous = current_tenant_id()
    token = _reading_tenants.set(ids)
    if postgres:
        await connection.execute(
            _READ_TENANTS, {"tenants": "{" + ",".join(str(i) for i in ids) + "}"}
        )
    try:
        yield
        if session.new or session.dirty or session.deleted:
            raise CrossTenantWriteError("a write while reading several tenants")
    except BaseException:
        # The block failed (a database error leaves the transaction unusable, a cancelled task
        # must stay cancelled): the settings are transaction-local, so the rollback that follows
        # clears them; resetting them here would only replace the real error with another.
        _reading_tenants.reset(token)
        _forget_other_tenants(session, previous)
        raise
    _reading_tenants.reset(token)
    _forget_other_tenants(session, previous)
    if postgres:
        await connection.execute(_END_READING, {"tenant": str(previous) if previous else ""})


def _forget_other_tenants(session: AsyncSession, tenant_id: uuid.UUID | None) -> None:
    """Take the rows of other tenants read in the block out of the session, so that a later
    ``session.get`` in the request's own tenant cannot answer one from memory."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, TenantOwned) and obj.tenant_id != tenant_id:
            session.expunge(obj)


@event.listens_for(TenantSession, "before_commit")
def _no_commit_while_reading(session: Session) -> None:
    """A commit inside :func:`reading_tenants` would end its transaction-local settings and
    begin the next transaction in the request's own tenant while the block still runs."""
    if _reading_tenants.get() is not None:
        raise CrossTenantWriteError("a commit while reading several tenants")
