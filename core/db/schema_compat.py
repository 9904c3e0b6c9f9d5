"""Which database schemas this code runs against: expand/contract (docs/deploy.md).

Readiness (``/health/ready``) and ``makker db current`` ask :func:`judge` whether this code can
serve from the database's schema. The answer is a range, not one revision:

* **older schemas** down to :data:`OLDEST_SCHEMA_REVISION` (the newest migration whose tables or
  columns the code uses; ``tests/test_schema_compat.py`` checks that every mapped column exists
  there), so new pods may start before the migration Job has finished;
* **newer schemas** this code does not know, as long as the database says they still run code
  as old as this. Old code cannot read new migration files, so every upgrade writes into the
  one-row table ``schema_compatibility`` the oldest code revision the schema still runs: the
  newest ``breaks_code_before`` declared by a *contract* migration up to the current revision
  (an *expand* migration declares nothing and keeps the value). So running the migration Job
  before the rollout keeps the old pods ready, and a rolled-back image becomes ready again -
  unless a contract step has since removed what it needs, which it then says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, String, Table, inspect, text
from sqlalchemy.engine import Connection

from core.db.base import Base

#: The oldest schema revision this code runs against. Raise it to a new migration's revision
#: as soon as the code uses what that migration adds (nearly always in the same change).
OLDEST_SCHEMA_REVISION = "0028"  # the read policy that reading_tenants needs (0025: erasure)

#: One row: the oldest code revision (a code's newest migration) this schema still runs.
schema_compatibility = Table(
    "schema_compatibility",
    Base.metadata,
    Column("oldest_code_revision", String(32), primary_key=True),
)

#: Tables the code reads only if they exist, so they need not be there at the oldest revision.
#: ``rate_limit_counter``: without it the rate limits let every request through (one warning).
OPTIONAL_TABLES = frozenset({"schema_compatibility", "rate_limit_counter"})

#: The module attribute a contract migration sets: code older than this revision stops working.
BREAKS_CODE_BEFORE = "breaks_code_before"


def _script_directory() -> Any:
    from alembic.script import ScriptDirectory

    from core.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))


@lru_cache(maxsize=1)
def known_revisions() -> tuple[str, ...]:
    """This code's migrations, oldest first (the chain is linear)."""
    script = _script_directory()
    return tuple(reversed([rev.revision for rev in script.walk_revisions("base", "heads")]))


def head() -> str:
    return known_revisions()[-1]


def oldest_code_for(revision: str, script: Any = None) -> str:
    """The oldest code revision that still runs against the schema at ``revision``: the newest
    ``breaks_code_before`` of a contract migration up to it, else the first revision.
    ``script`` is the Alembic ScriptDirectory that knows ``revision`` (default: ours)."""
    if script is None:
        script = _script_directory()
    revisions = tuple(reversed([r.revision for r in script.walk_revisions("base", "heads")]))
    oldest = revisions[0]
    for rev in revisions[: revisions.index(revision) + 1]:
        declared = getattr(script.get_revision(rev).module, BREAKS_CODE_BEFORE, None)
        if declared and revisions.index(declared) > revisions.index(oldest):
            oldest = declared
    return oldest


def record(connection: Connection, script: Any) -> None:
    """Write ``schema_compatibility`` for the revision the database is at (after an upgrade or
    downgrade, in the migration's transaction; ``script``: the migrations being run). Does
    nothing below the table's migration."""
    if not inspect(connection).has_table("schema_compatibility"):
        return
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    connection.execute(text("DELETE FROM schema_compatibility"))
    if revision is not None:
        connection.execute(
            text("INSERT INTO schema_compatibility (oldest_code_revision) VALUES (:r)"),
            {"r": oldest_code_for(revision, script)},
        )


@dataclass(frozen=True)
class Verdict:
    """Whether this code can serve from a schema, and why."""

    ready: bool
    #: ``ok``, ``migrations pending`` or ``schema too new`` (the readiness answer's field).
    database: str
    #: What the schema is to this code, e.g. ``head`` (``makker db current`` prints it).
    note: str
    revision: str | None = None

    @property
    def reason(self) -> str:
        return self.note if self.revision is None else f"schema {self.revision}: {self.note}"


def supported_range() -> str:
    oldest, newest = OLDEST_SCHEMA_REVISION, head()
    return newest if oldest == newest else f"{oldest} to {newest}"


def judge(revision: str | None, oldest_code: str | None) -> Verdict:
    """Can this code run against a schema at ``revision``, whose ``schema_compatibility``
    says ``oldest_code`` (``None``: no such table or row)?"""
    revisions = known_revisions()
    newest = revisions[-1]
    if revision is None:
        return Verdict(False, "migrations pending", "no migrations applied; run makker db upgrade")
    if revision in revisions:
        if revisions.index(revision) < revisions.index(OLDEST_SCHEMA_REVISION):
            note = f"older than this code supports ({supported_range()}); run makker db upgrade"
            return Verdict(False, "migrations pending", note, revision)
        note = "head" if revision == newest else f"supported; this code's head is {newest}"
        return Verdict(True, "ok", note, revision)
    newer = f"newer than this code's {newest}"
    if oldest_code is not None and oldest_code in revisions:
        return Verdict(True, "ok", f"{newer}; still runs code from {oldest_code} on", revision)
    if oldest_code is None:
        return Verdict(False, "schema too new", f"{newer}; says nothing of older code", revision)
    return Verdict(False, "schema too new", f"{newer}; needs code from {oldest_code} on", revision)


async def read_state(engine: Any) -> tuple[str | None, str | None]:
    """``(revision, oldest_code)`` of the database behind ``engine`` (an AsyncEngine);
    missing tables read as ``None``. Whether a table is there is asked of the catalog, so a
    failing query is never mistaken for a missing table: a connection that fails (refused,
    or a pooled one that died with the server) propagates, and readiness says "unreachable"
    rather than "migrations pending"."""
    async with engine.connect() as conn:
        if not await conn.run_sync(_has_table, "alembic_version"):
            return None, None  # never migrated
        revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        if revision is None or revision in known_revisions():
            return revision, None  # our own migrations say everything about a known revision
        if not await conn.run_sync(_has_table, "schema_compatibility"):
            return revision, None  # a schema from before the table
        oldest = await conn.scalar(text("SELECT oldest_code_revision FROM schema_compatibility"))
    return revision, oldest


def _has_table(connection: Connection, name: str) -> bool:
    return bool(inspect(connection).has_table(name))
