"""Ready for Citus (issue 18), checked statically: Citus cannot be installed on these machines.

``deploy/citus/distribute.sql`` distributes every tenant-owned table of ``Base.metadata`` by
``tenant_id`` (parents first, colocated) and says what becomes of every shared table; the schema
guard lists each key that keeps the tables from being distributed (the known gap, below) and a
new one fails here; the compose file and its init script parse.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from sqlalchemy import Column, ForeignKey, ForeignKeyConstraint, MetaData, String, Table, Uuid

import core.db.models  # noqa: F401 - every model
from core.db.base import NAMING_CONVENTION, Base
from core.db.citus import statements, unclassified
from core.db.schema_guard import citus_key_gaps

CITUS = Path(__file__).resolve().parent.parent / "deploy" / "citus"

#: Keys and foreign keys that keep a table from being distributed (docs/deploy.md, "Ready for
#: Citus"): none since migration 0027. A new table must not add one silently: the test below
#: fails until the key includes tenant_id - or the line is added here with its reason.
KNOWN_GAP: dict[str, str] = {}


def test_distribute_sql_covers_every_table_in_order():
    lines = (CITUS / "distribute.sql").read_text(encoding="utf-8").splitlines()
    wanted = statements(Base.metadata)
    missing = [line for line in wanted if line not in lines]
    assert missing == [], "run: python -m core.db.citus > deploy/citus/distribute.sql"
    positions = [lines.index(line) for line in wanted]
    assert positions == sorted(positions)
    assert unclassified(Base.metadata) == []
    owned = [t for t in Base.metadata.sorted_tables if "tenant_id" in t.c]
    for table in owned:
        assert (
            f"SELECT create_distributed_table('{table.name}', 'tenant_id', colocate_with => "
            in "\n".join(lines)
        )
    # a foreign key's referred table is distributed (or a reference table) before it
    seen: set[str] = set()
    for line in lines:
        if line.startswith("SELECT create_"):
            name = line.split("('", 1)[1].split("'", 1)[0]
            table = Base.metadata.tables.get(name)
            if table is not None:
                assert {fk.column.table.name for fk in table.foreign_keys} - {name} <= seen, name
            seen.add(name)
    assert lines[-1] == "COMMIT;"


def test_the_schema_guard_lists_the_keys_that_lack_tenant_id_and_no_new_one():
    gaps = citus_key_gaps(Base.metadata)
    assert sorted(set(gaps) - set(KNOWN_GAP)) == []
    assert sorted(set(KNOWN_GAP) - set(gaps)) == []


def test_the_schema_guard_finds_each_kind_of_gap():
    """The check finds what it is for, on tables made for the purpose: a primary key, a unique
    constraint and a foreign key without the distribution column, a shared table pointing at a
    tenant-owned one that is not distributed, and one that is but whose key lacks its owner."""
    meta = MetaData(naming_convention=NAMING_CONVENTION)
    Table("tenant", meta, Column("id", Uuid, primary_key=True))
    Table(
        "parent",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("tenant_id", Uuid, ForeignKey("tenant.id"), primary_key=True),
        Column("code", String(10), unique=True),
    )
    Table(
        "child",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("tenant_id", Uuid, ForeignKey("tenant.id")),
        Column("parent_id", Uuid, ForeignKey("parent.id")),
    )
    Table(
        "good_child",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("tenant_id", Uuid, ForeignKey("tenant.id"), primary_key=True),
        Column("parent_id", Uuid),
        ForeignKeyConstraint(["parent_id", "tenant_id"], ["parent.id", "parent.tenant_id"]),
    )
    Table(
        "shared",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("parent_id", Uuid, ForeignKey("parent.id")),
    )
    Table(
        "owned_shared",
        meta,
        Column("id", Uuid, primary_key=True),
        Column("owner_tenant_id", Uuid, ForeignKey("tenant.id")),
        Column("parent_id", Uuid),
        ForeignKeyConstraint(["parent_id", "owner_tenant_id"], ["parent.id", "parent.tenant_id"]),
    )
    assert citus_key_gaps(meta, {"owned_shared": "owner_tenant_id"}) == [
        "child: primary key (id) lacks tenant_id",
        "child: foreign key (parent_id) -> parent lacks tenant_id",
        "owned_shared: primary key (id) lacks owner_tenant_id",
        "parent: unique constraint uq_parent_code (code) lacks tenant_id",
        "shared: foreign key (parent_id) -> parent: a shared table points at a tenant-owned one",
    ]


def test_the_citus_compose_file_and_its_init_script_parse():
    compose = yaml.safe_load((CITUS / "compose.yaml").read_text(encoding="utf-8"))
    assert sorted(compose["services"]) == ["coordinator", "worker-1", "worker-2"]
    for service in compose["services"].values():
        assert service["image"].startswith("citusdata/citus:")
        assert service["environment"]["POSTGRES_DB"] == "makker"
    mounts = compose["services"]["coordinator"]["volumes"]
    assert "./init/00-makker.sh:/docker-entrypoint-initdb.d/900-makker.sh:ro" in mounts
    script = CITUS / "init" / "00-makker.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    assert "citus_add_node('worker-2', 5432)" in script.read_text(encoding="utf-8")
