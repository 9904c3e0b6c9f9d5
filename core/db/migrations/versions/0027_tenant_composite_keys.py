"""Keys with the tenant: ready for Citus, and the database refuses a cross-tenant pointer (issue 18)

Every tenant-owned table's primary key becomes ``(id, tenant_id)`` and every foreign key between
tenant-owned tables ``(x_id, tenant_id) -> parent (id, tenant_id)``, same names, same ON DELETE.
The two shared tables that point at tenant-owned rows do the same with their owner column:
``calendar_link (person_id, owner_tenant_id) -> person``, ``programme_partnership
(programme_id, owner_tenant_id) -> programme``; their primary keys become ``(id,
owner_tenant_id)`` and the calendar link's unique token hash ``(token_hash, owner_tenant_id)``
(Citus distributes them by the owner, docs/deploy.md). ``tenant_member.invitation_id`` was
``ON DELETE SET NULL``; a composite key cannot null only that column (SQLite has no
``SET NULL (column)``), so it is NO ACTION and the code clears it before an invitation goes
(core/access/forget.py).

Before any key changes, the upgrade counts the rows that point at another tenant's parent
(the old one-column keys let them in) and refuses, naming each table, column and count; it
changes nothing then and deletes nothing. Fix or remove those rows and run it again.

PostgreSQL: the foreign keys are dropped and added again around the new primary keys; row-level
security, indexes and triggers stay (the tables are not rebuilt). The cross-tenant count and the
new keys' check of the existing rows run with row-level security not forced (the owner then
sees every tenant; forced again before the transaction ends).
SQLite cannot alter a constraint: every table concerned is built anew under a temporary name
from its own CREATE TABLE text with the keys replaced, filled, and renamed into place; its
indexes and the triggers (meeting_day_count's, migration 0020) are created again from their
saved text. The old tables are dropped children first, so dropping one with foreign keys on
cascades into nothing; the new ones refer to each other by their temporary names, which
SQLite's RENAME rewrites.

An expand step: older code runs on the new keys (its ORM knows the ids alone, and it sets
``tenant_id`` on every row); only its deletion of an applicant whose invitation a member
accepted would now be refused instead of clearing the member's link.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.migrate import MigrationRefused

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, its tenant column, primary key becomes (id, tenant column)?, foreign keys to
#: tenant-owned tables: (name, column, parent, ON DELETE)), parents before children.
TABLES: list[tuple[str, str, bool, list[tuple[str, str, str, str | None]]]] = [
    ("person", "tenant_id", True, []),
    ("programme", "tenant_id", True, []),
    ("activity", "tenant_id", True, [
        ("fk_activity_programme_id_programme", "programme_id", "programme", None),
    ]),
    ("calendar_link", "owner_tenant_id", True, [
        ("fk_calendar_link_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("consent_text", "tenant_id", True, [
        ("fk_consent_text_programme_id_programme", "programme_id", "programme", None),
    ]),
    ("contact_preference", "tenant_id", True, [
        ("fk_contact_preference_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("course", "tenant_id", True, [
        ("fk_course_programme_id_programme", "programme_id", "programme", None),
    ]),
    ("enrolment", "tenant_id", True, [
        ("fk_enrolment_programme_id_programme", "programme_id", "programme", None),
        ("fk_enrolment_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("invitation", "tenant_id", True, [
        ("fk_invitation_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("legal_hold", "tenant_id", True, [
        ("fk_legal_hold_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("meeting_day_count", "tenant_id", False, [
        ("fk_meeting_day_count_programme_id_programme", "programme_id", "programme", None),
    ]),
    ("notification", "tenant_id", True, [
        ("fk_notification_programme_id_programme", "programme_id", "programme", "CASCADE"),
        ("fk_notification_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("programme_partnership", "owner_tenant_id", True, [
        ("fk_programme_partnership_programme_id_programme", "programme_id", "programme", None),
    ]),
    ("savings_assumption", "tenant_id", True, [
        ("fk_savings_assumption_programme_id_programme", "programme_id", "programme", None),
    ]),
    ("activity_attendance", "tenant_id", True, [
        ("fk_activity_attendance_person_id_person", "person_id", "person", "CASCADE"),
        ("fk_activity_attendance_activity_id_activity", "activity_id", "activity", "CASCADE"),
    ]),
    ("activity_cancellation", "tenant_id", True, [
        ("fk_activity_cancellation_activity_id_activity", "activity_id", "activity", "CASCADE"),
    ]),
    ("activity_member", "tenant_id", True, [
        ("fk_activity_member_activity_id_activity", "activity_id", "activity", "CASCADE"),
        ("fk_activity_member_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("application", "tenant_id", True, [
        ("fk_application_person_id_person", "person_id", "person", "CASCADE"),
        ("fk_application_enrolment_id_enrolment", "enrolment_id", "enrolment", "CASCADE"),
    ]),
    ("consent", "tenant_id", True, [
        ("fk_consent_consent_text_id_consent_text", "consent_text_id", "consent_text", None),
        ("fk_consent_enrolment_id_enrolment", "enrolment_id", "enrolment", "CASCADE"),
    ]),
    ("course_participant", "tenant_id", True, [
        ("fk_course_participant_course_id_course", "course_id", "course", "CASCADE"),
        ("fk_course_participant_person_id_person", "person_id", "person", "CASCADE"),
    ]),
    ("course_session", "tenant_id", True, [
        ("fk_course_session_course_id_course", "course_id", "course", "CASCADE"),
    ]),
    ("enrolment_event", "tenant_id", True, [
        ("fk_enrolment_event_enrolment_id_enrolment", "enrolment_id", "enrolment", "CASCADE"),
    ]),
    ("forloeb", "tenant_id", True, [
        ("fk_forloeb_mentee_enrolment_id_enrolment", "mentee_enrolment_id", "enrolment",
         "CASCADE"),
        ("fk_forloeb_mentor_enrolment_id_enrolment", "mentor_enrolment_id", "enrolment",
         "CASCADE"),
        ("fk_forloeb_programme_id_programme", "programme_id", "programme", None),
    ]),
    ("intake", "tenant_id", True, [
        ("fk_intake_enrolment_id_enrolment", "enrolment_id", "enrolment", "CASCADE"),
    ]),
    ("tenant_member", "tenant_id", True, [
        ("fk_tenant_member_invitation_id_invitation", "invitation_id", "invitation", None),
    ]),
    ("course_attendance", "tenant_id", True, [
        ("fk_course_attendance_person_id_person", "person_id", "person", "CASCADE"),
        ("fk_course_attendance_session_id_course_session", "session_id", "course_session",
         "CASCADE"),
    ]),
    ("forloeb_event", "tenant_id", True, [
        ("fk_forloeb_event_forloeb_id_forloeb", "forloeb_id", "forloeb", "CASCADE"),
    ]),
    ("forloeb_pause", "tenant_id", True, [
        ("fk_forloeb_pause_forloeb_id_forloeb", "forloeb_id", "forloeb", "CASCADE"),
    ]),
    ("meeting", "tenant_id", True, [
        ("fk_meeting_forloeb_id_forloeb", "forloeb_id", "forloeb", "CASCADE"),
    ]),
    ("planned_meeting", "tenant_id", True, [
        ("fk_planned_meeting_forloeb_id_forloeb", "forloeb_id", "forloeb", "CASCADE"),
    ]),
    ("questionnaire_response", "tenant_id", True, [
        ("fk_questionnaire_response_forloeb_id_forloeb", "forloeb_id", "forloeb", "CASCADE"),
        ("fk_questionnaire_response_person_id_person", "person_id", "person", "CASCADE"),
    ]),
]  # fmt: skip

#: ON DELETE before this migration where it differs (the one that cannot stay).
OLD_ON_DELETE = {"fk_tenant_member_invitation_id_invitation": "SET NULL"}
#: Unique constraints that gain the owner: table -> (old name, old columns, new name, new).
UNIQUE = {
    "calendar_link": (
        "uq_calendar_link_token_hash",
        ("token_hash",),
        "uq_calendar_link_token_hash_owner_tenant_id",
        ("token_hash", "owner_tenant_id"),
    )
}
_TEMP = "_ck0027_"


class CrossTenantRows(MigrationRefused):
    """Rows point at another tenant's parent: the new keys would refuse them."""


def _forget_empty_counts(bind: sa.engine.Connection) -> None:
    """``meeting_day_count`` rows are derived (migration 0020's triggers keep them): a row
    counting no meeting is what the triggers leave when the meetings it counted are gone. One
    under another tenant than its programme's (left by a meeting that was corrected or
    removed) would block the new keys for nothing: it goes."""
    bind.execute(
        sa.text(
            "DELETE FROM meeting_day_count WHERE meetings = 0 AND minutes = 0 AND EXISTS "
            "(SELECT 1 FROM programme p WHERE p.id = meeting_day_count.programme_id "
            "AND p.tenant_id <> meeting_day_count.tenant_id)"
        )
    )


def cross_tenant_rows(bind: sa.engine.Connection) -> list[str]:
    """One line per foreign key with rows whose parent belongs to another tenant."""
    found = []
    for table, owner, _pk, fks in TABLES:
        for _name, column, parent, _ondelete in fks:
            count = bind.execute(
                sa.text(
                    f'SELECT count(*) FROM "{table}" c JOIN "{parent}" p ON p.id = c.{column} '
                    f"WHERE p.tenant_id <> c.{owner}"
                )
            ).scalar_one()
            if count:
                found.append(
                    f"{table}.{column}: {count} rows point at a {parent} of another tenant"
                )
    return found


def _check(bind: sa.engine.Connection) -> None:
    _forget_empty_counts(bind)
    found = cross_tenant_rows(bind)
    if found:
        derived = [line for line in found if line.startswith("meeting_day_count.")]
        raise CrossTenantRows(
            "Migration 0027 refused: rows point at another tenant's parent, which the new "
            "keys with tenant_id do not allow. Nothing was changed; correct or remove these "
            "rows and upgrade again: "
            + "; ".join(found)
            + (
                ". meeting_day_count holds derived counts of meetings: correct or remove the "
                "meetings counted there first; a count left at 0 is removed by the migration"
                if derived
                else ""
            )
        )


def _on_delete(ondelete: str | None) -> str:
    return f" ON DELETE {ondelete}" if ondelete else ""


def _clauses(
    table: str, owner: str, pk: bool, fks: list, composite: bool, target: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The wanted key clauses by constraint name: (primary key and unique ones, foreign keys).
    ``target``: how a parent's name is written (the temporary one while SQLite rebuilds)."""
    keys: dict[str, str] = {}
    if pk:
        columns = f"id, {owner}" if composite else "id"
        keys[f"pk_{table}"] = f"CONSTRAINT pk_{table} PRIMARY KEY ({columns})"
    if table in UNIQUE:
        old, old_columns, new, new_columns = UNIQUE[table]
        name, unique = (new, new_columns) if composite else (old, old_columns)
        keys[name] = f"CONSTRAINT {name} UNIQUE ({', '.join(unique)})"
    foreign: dict[str, str] = {}
    for name, column, parent, ondelete in fks:
        if composite:
            clause = (
                f"CONSTRAINT {name} FOREIGN KEY({column}, {owner}) "
                f"REFERENCES {target}{parent} (id, tenant_id){_on_delete(ondelete)}"
            )
        else:
            clause = (
                f"CONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {target}{parent} (id)"
                f"{_on_delete(OLD_ON_DELETE.get(name, ondelete))}"
            )
        foreign[name] = clause
    return keys, foreign


def _postgresql(composite: bool) -> None:
    bind = op.get_bind()
    owned = [t for t, owner, _pk, _fks in TABLES if owner == "tenant_id"]
    # The owner sees every tenant for the count and the new keys' check of the rows there
    # (FORCE'd again at the end, in the same transaction).
    for table in owned:
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    if composite:
        _check(bind)
    for table, _owner, _pk, fks in reversed(TABLES):
        for name, *_rest in fks:
            op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT {name}')
    for table, owner, pk, fks in TABLES:
        keys, _foreign = _clauses(table, owner, pk, fks, composite, "")
        if pk:
            op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT pk_{table}')
        if table in UNIQUE:
            old, _cols, new, _new_cols = UNIQUE[table]
            op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT {new if not composite else old}')
        for clause in keys.values():
            op.execute(f'ALTER TABLE "{table}" ADD {clause}')
    for table, owner, pk, fks in TABLES:
        _keys, foreign = _clauses(table, owner, pk, fks, composite, "")
        for clause in foreign.values():
            op.execute(f'ALTER TABLE "{table}" ADD {clause}')
    for table in owned:
        op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')


def _replace(sql: str, pattern: str, clause: str, what: str) -> str:
    new, count = re.subn(pattern, lambda _m: clause, sql)
    if count != 1:
        raise RuntimeError(f"Migration 0027: {what} found {count} times in its CREATE TABLE")
    return new


def _sqlite(composite: bool) -> None:
    bind = op.get_bind()
    if composite:
        _check(bind)
    names = [t for t, *_rest in TABLES]
    saved = bind.execute(
        sa.text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
        )
    ).all()
    # Triggers of any table that name a rebuilt table in their body go and come back too.
    mentioned = re.compile(r"\b(" + "|".join(names) + r")\b")
    again = [r for r in saved if r[2] in names or (r[0] == "trigger" and mentioned.search(r[3]))]
    for kind, name, _table, _sql in again:
        if kind == "trigger":
            op.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    tables: dict[str, str] = {
        r[0]: r[1]
        for r in bind.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    }
    for table, owner, pk, fks in TABLES:
        sql = tables[table]
        sql = _replace(sql, rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {_TEMP}{table} (",
                       f"the head of {table}")  # fmt: skip
        keys, foreign = _clauses(table, owner, pk, fks, composite, _TEMP)
        for name, clause in keys.items():
            kind = "PRIMARY KEY" if name.startswith("pk_") else "UNIQUE"
            pattern = rf'CONSTRAINT "?\w+"? {kind} \([^)]*\)'
            if kind == "UNIQUE":
                old, _cols, new, _new_cols = UNIQUE[table]
                pattern = rf'CONSTRAINT "?({old}|{new})"? UNIQUE \([^)]*\)'
            sql = _replace(sql, pattern, clause, f"{table}'s {kind.lower()}")
        for name, clause in foreign.items():
            pattern = (
                rf'CONSTRAINT "?{name}"? FOREIGN KEY\([^)]*\) REFERENCES [^(]+\([^)]*\)'
                r"(?: ON DELETE (?:SET NULL|SET DEFAULT|NO ACTION|CASCADE|RESTRICT))?"
            )
            sql = _replace(sql, pattern, clause, f"{table}'s {name}")
        op.execute(sql)
        op.execute(f'INSERT INTO {_TEMP}{table} SELECT * FROM "{table}"')
    for table in reversed(names):  # children first: nothing left to cascade into
        op.execute(f'DROP TABLE "{table}"')
    for table in names:  # SQLite rewrites the other tables' REFERENCES to the new name
        op.execute(f'ALTER TABLE {_TEMP}{table} RENAME TO "{table}"')
    for _kind, _name, _table, sql in sorted(again, key=lambda r: r[0]):  # indexes first
        op.execute(sql)
    problems = bind.execute(sa.text("PRAGMA foreign_key_check")).all()
    if problems:
        raise RuntimeError(f"Migration 0027: {len(problems)} rows break a foreign key")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql(composite=True)
    else:
        _sqlite(composite=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql(composite=False)
    else:
        _sqlite(composite=False)
