"""meeting_day_count: meetings per programme, day and afbud, kept by triggers (issue 14, speed)

The overview counted every meeting of the period (a municipality with a million meetings sums
about half a million rows for a year). This summary holds one row per programme, day and
"afbud or not" with the number of meetings and their minutes; triggers keep it in step with
``meeting`` on insert, update and delete, and a forløb's deletion takes its meetings out first.
The existing meetings are counted in, tenant by tenant (row-level security is forced, also on
the owner). RLS as on every tenant table.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPSERT = """
    INSERT INTO meeting_day_count (tenant_id, programme_id, day, cancelled, meetings, minutes)
    {source}
    ON CONFLICT (tenant_id, programme_id, day, cancelled) DO UPDATE SET
        meetings = meeting_day_count.meetings + excluded.meetings,
        minutes = meeting_day_count.minutes + excluded.minutes
"""
_BACKFILL = _UPSERT.format(
    source="""SELECT m.tenant_id, f.programme_id, m.day, m.cancelled, count(*),
           coalesce(sum(m.duration_minutes), 0)
    FROM meeting m JOIN forloeb f ON f.id = m.forloeb_id
    GROUP BY m.tenant_id, f.programme_id, m.day, m.cancelled"""
)

_POSTGRESQL = [
    """
CREATE FUNCTION meeting_day_count_add(t uuid, f uuid, d date, c boolean, n integer, mins integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE p uuid;
BEGIN
    SELECT programme_id INTO p FROM forloeb WHERE id = f;
    IF p IS NULL THEN
        RETURN;  -- the forløb is being deleted: its meetings were taken out before
    END IF;
    INSERT INTO meeting_day_count (tenant_id, programme_id, day, cancelled, meetings, minutes)
    VALUES (t, p, d, c, n, mins)
    ON CONFLICT (tenant_id, programme_id, day, cancelled) DO UPDATE SET
        meetings = meeting_day_count.meetings + excluded.meetings,
        minutes = meeting_day_count.minutes + excluded.minutes;
END $$""",
    """
CREATE FUNCTION meeting_day_count_on_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM meeting_day_count_add(OLD.tenant_id, OLD.forloeb_id, OLD.day, OLD.cancelled,
                                      -1, -coalesce(OLD.duration_minutes, 0));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM meeting_day_count_add(NEW.tenant_id, NEW.forloeb_id, NEW.day, NEW.cancelled,
                                      1, coalesce(NEW.duration_minutes, 0));
    END IF;
    RETURN NULL;
END $$""",
    """
CREATE FUNCTION meeting_day_count_on_forloeb_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meeting_day_count s SET
        meetings = s.meetings - g.n,
        minutes = s.minutes - g.mins
    FROM (SELECT day, cancelled, count(*) AS n, coalesce(sum(duration_minutes), 0) AS mins
          FROM meeting WHERE forloeb_id = OLD.id GROUP BY day, cancelled) g
    WHERE s.tenant_id = OLD.tenant_id AND s.programme_id = OLD.programme_id
      AND s.day = g.day AND s.cancelled = g.cancelled;
    RETURN OLD;
END $$""",
    """CREATE TRIGGER meeting_day_count AFTER INSERT OR UPDATE OR DELETE ON meeting
    FOR EACH ROW EXECUTE FUNCTION meeting_day_count_on_meeting()""",
    """CREATE TRIGGER meeting_day_count BEFORE DELETE ON forloeb
    FOR EACH ROW EXECUTE FUNCTION meeting_day_count_on_forloeb_delete()""",
]

_SQLITE_ADD = _UPSERT.format(
    source="""SELECT {row}.tenant_id, f.programme_id, {row}.day, {row}.cancelled, {sign},
           {sign} * coalesce({row}.duration_minutes, 0)
    FROM forloeb f WHERE f.id = {row}.forloeb_id"""
)
_SQLITE = [
    f"""CREATE TRIGGER meeting_day_count_insert AFTER INSERT ON meeting BEGIN
    {_SQLITE_ADD.format(row="NEW", sign="1")};
END""",
    f"""CREATE TRIGGER meeting_day_count_update AFTER UPDATE ON meeting BEGIN
    {_SQLITE_ADD.format(row="OLD", sign="-1")};
    {_SQLITE_ADD.format(row="NEW", sign="1")};
END""",
    f"""CREATE TRIGGER meeting_day_count_delete AFTER DELETE ON meeting BEGIN
    {_SQLITE_ADD.format(row="OLD", sign="-1")};
END""",
    """CREATE TRIGGER meeting_day_count_forloeb_delete BEFORE DELETE ON forloeb BEGIN
    UPDATE meeting_day_count SET
        meetings = meetings - (SELECT count(*) FROM meeting m WHERE m.forloeb_id = OLD.id
            AND m.day = meeting_day_count.day AND m.cancelled = meeting_day_count.cancelled),
        minutes = minutes - (SELECT coalesce(sum(m.duration_minutes), 0) FROM meeting m
            WHERE m.forloeb_id = OLD.id AND m.day = meeting_day_count.day
            AND m.cancelled = meeting_day_count.cancelled)
    WHERE tenant_id = OLD.tenant_id AND programme_id = OLD.programme_id;
END""",
]


def upgrade() -> None:
    op.create_table(
        "meeting_day_count",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_meeting_day_count_programme_id_programme"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_meeting_day_count_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "programme_id", "day", "cancelled", name=op.f("pk_meeting_day_count")
        ),
    )
    with op.batch_alter_table("meeting_day_count", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_day_count_tenant_id"), ["tenant_id"], unique=False
        )
    enable_tenant_rls("meeting_day_count")
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    for statement in _POSTGRESQL if postgresql else _SQLITE:
        op.execute(statement)
    # The meetings there are: per tenant, as row-level security is forced on the owner too.
    if postgresql:
        for (tenant_id,) in bind.execute(sa.text("SELECT id FROM tenant")).all():
            bind.execute(
                sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            bind.execute(sa.text(_BACKFILL))
        bind.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))
    else:
        bind.execute(sa.text(_BACKFILL))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS meeting_day_count ON meeting")
        op.execute("DROP TRIGGER IF EXISTS meeting_day_count ON forloeb")
        op.execute("DROP FUNCTION IF EXISTS meeting_day_count_on_meeting()")
        op.execute("DROP FUNCTION IF EXISTS meeting_day_count_on_forloeb_delete()")
        op.execute(
            "DROP FUNCTION IF EXISTS "
            "meeting_day_count_add(uuid, uuid, date, boolean, integer, integer)"
        )
    else:
        for name in ("insert", "update", "delete", "forloeb_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS meeting_day_count_{name}")
    disable_tenant_rls("meeting_day_count")
    op.drop_table("meeting_day_count")
