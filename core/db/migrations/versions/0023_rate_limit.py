"""rate_limit_counter: the rate limits' fixed-window counters (issue 18)

One row per limited key and window: ``key`` is a SHA-256 of the bucket and the user or client
address (no address or user in the database), ``window_start``/``window_end`` in seconds since
the epoch, ``n`` the requests counted. Every worker counts with one atomic upsert
(``core/web/ratelimit.py``). UNLOGGED on PostgreSQL: not written to the WAL (no replication,
no cost in the log); a crash empties it, which only resets the limits. Not tenant-owned, no
row-level security (the app role needs no tenant to count). SQLite keeps the counters in
memory; the table exists there only so models and migrations agree.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_counter")),
        prefixes=["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else [],
    )
    op.create_index(op.f("ix_rate_limit_counter_window_end"), "rate_limit_counter", ["window_end"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_counter_window_end"), table_name="rate_limit_counter")
    op.drop_table("rate_limit_counter")
