"""Encrypt the Art. 9 free text at rest (issue 15): før-samtale texts, reasons, meeting notes

No schema change: the columns stay TEXT and hold ``enc1:<key id>:<Fernet token>`` from now on
(core/db/encryption.py). The upgrade encrypts every existing value with the current data key
(``MAKKER_DATA_KEYS``; development derives it), tenant by tenant, as row-level security is
forced on the owner too; the downgrade decrypts them. Values already encrypted are left alone,
so a run that stopped halfway can run again. Declared an expand step: older code keeps running
(and writes plain text, which this code reads and `makker keys rotate` encrypts), but shows an
encrypted value as its ciphertext until its pods are replaced - roll out right after.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from core.db.encryption import PREFIX, current_keys

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The columns as they are at this revision (not imported: a later change must not alter it).
COLUMNS = {
    "intake": ("motivation", "expectations", "wish_activities", "challenges", "chemistry_notes"),
    "enrolment": ("override_reason",),
    "enrolment_event": ("reason",),
    "forloeb_event": ("reason",),
    "meeting": ("note",),
    "questionnaire_response": ("correction_reason",),
    "application": ("hope",),
}


def _rewrite(change: Callable[[str], str]) -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    scopes = (
        bind.execute(sa.text("SELECT id FROM tenant")).scalars().all() if postgresql else [None]
    )
    for tenant_id in scopes:
        if postgresql:
            bind.execute(
                sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
        for table, columns in COLUMNS.items():
            for column in columns:
                rows = bind.execute(
                    sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
                ).all()
                changed = [{"i": r[0], "v": change(r[1])} for r in rows]
                changed = [c for c, r in zip(changed, rows, strict=True) if c["v"] != r[1]]
                if changed:
                    bind.execute(
                        sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :i"), changed
                    )
    if postgresql:
        bind.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))


def upgrade() -> None:
    keys = current_keys()
    _rewrite(lambda v: v if v.startswith(PREFIX) else keys.encrypt(v))


def downgrade() -> None:
    keys = current_keys()
    _rewrite(keys.decrypt)
