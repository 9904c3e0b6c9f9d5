"""audit_event is sealed in a hash chain and insert-only for the app role (issue 15)

Two nullable columns, ``seq`` and ``hash``, set once by the sealer (core/audit/seal.py), and
``audit_seal_anchor``: where the chain continues after retention removed a whole sealed block.
On PostgreSQL a trigger refuses, for every role, any UPDATE of a sealed row, any change of a
row's content, and any DELETE of a row that no anchor closes (TRUNCATE too); the app role's
grants (core/db/roles.py) are INSERT and SELECT, and UPDATE of ``seq`` and ``hash`` only.
Existing rows stay unsealed until the sealer's first run.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSTGRESQL = [
    """
CREATE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'audit_event is insert-only: no TRUNCATE'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.seq IS NOT NULL OR OLD.hash IS NOT NULL THEN
            RAISE EXCEPTION 'audit_event row % is sealed and cannot change', OLD.seq
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (to_jsonb(NEW) - 'seq' - 'hash') IS DISTINCT FROM (to_jsonb(OLD) - 'seq' - 'hash') THEN
            RAISE EXCEPTION 'audit_event rows cannot change; they can only be sealed'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.seq IS NULL
       OR OLD.seq > (SELECT coalesce(max(through_seq), 0) FROM audit_seal_anchor) THEN
        RAISE EXCEPTION 'audit_event rows are removed only in whole sealed blocks (an '
            'audit_seal_anchor must close the block first)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END $$""",
    """CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_guard()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_guard()""",
    """
CREATE FUNCTION audit_seal_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seal_anchor is insert-only' USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE TRIGGER audit_seal_anchor_guard BEFORE UPDATE OR DELETE ON audit_seal_anchor
    FOR EACH ROW EXECUTE FUNCTION audit_seal_anchor_guard()""",
    """CREATE TRIGGER audit_seal_anchor_no_truncate BEFORE TRUNCATE ON audit_seal_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_seal_anchor_guard()""",
]


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_index("uq_audit_event_seq", ["seq"], unique=True)
        batch_op.create_index(
            "ix_audit_event_unsealed",
            ["at", "id"],
            unique=False,
            sqlite_where=sa.text("seq IS NULL"),
            postgresql_where=sa.text("seq IS NULL"),
        )
    op.create_table(
        "audit_seal_anchor",
        sa.Column("through_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("through_hash", sa.String(length=64), nullable=False),
        sa.Column("removed_rows", sa.BigInteger(), nullable=False),
        sa.Column("removed_before", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("through_seq", name=op.f("pk_audit_seal_anchor")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRESQL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_guard ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_guard()")
    op.drop_table("audit_seal_anchor")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_seal_anchor_guard()")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_unsealed")
        batch_op.drop_index("uq_audit_event_seq")
        batch_op.drop_column("hash")
        batch_op.drop_column("seq")
