"""Encrypt ``legal_hold.reason`` at rest (issue 15): it may describe the case (free text)

No schema change: the column stays TEXT and holds ``enc1:<key id>:<Fernet token>`` from now on
(core/db/encryption.py), like the columns of 0024. The upgrade encrypts every existing value
with the current data key, tenant by tenant (row-level security is forced on the owner too); the
downgrade decrypts them. Values already encrypted are left alone, so a run that stopped halfway
can run again. An expand step: older code reads an encrypted reason as its ciphertext (it is
shown only on the erasure page) until its pods are replaced.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from core.db.encryption import PREFIX, current_keys

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
        rows = bind.execute(sa.text("SELECT id, reason FROM legal_hold")).all()
        changed = [{"i": r[0], "v": change(r[1])} for r in rows]
        changed = [c for c, r in zip(changed, rows, strict=True) if c["v"] != r[1]]
        if changed:
            bind.execute(sa.text("UPDATE legal_hold SET reason = :v WHERE id = :i"), changed)
    if postgresql:
        bind.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))


def upgrade() -> None:
    keys = current_keys()
    _rewrite(lambda v: v if v.startswith(PREFIX) else keys.encrypt(v))


def downgrade() -> None:
    keys = current_keys()
    _rewrite(keys.decrypt)
