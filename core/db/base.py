"""Declarative base and the mixins every Makker model is built from.

A model becomes tenant-owned in one line::

    class Person(TenantOwned, Model):
        __tablename__ = "person"

``TenantOwned`` adds ``tenant_id NOT NULL`` (FK to ``tenant.id``) with an index leading with it.
The ORM guard in :mod:`core.db.tenant_scope` scopes every query on such a model to the current
tenant, and the migration helper :func:`core.db.rls.enable_tenant_rls` adds PostgreSQL row-level
security. ``tests/test_schema_guard.py`` fails for a tenant-owned table that lacks any of these.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, ForeignKeyConstraint, MetaData, Table, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from core import clock

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current moment in UTC, from the one clock (:func:`core.clock.now`)."""
    return clock.now()


class Base(DeclarativeBase):
    """Root of all Makker models (one metadata, one naming convention)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: Uuid,
        dt.datetime: DateTimeUTC(timezone=True),
        dict[str, Any]: JsonB,
        list[str]: JsonB,
    }


class Model(Base):
    """Abstract model with a UUID primary key and creation/update timestamps."""

    __abstract__ = True

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-100)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, sort_order=3000)
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, sort_order=3001
    )


class TenantOwned:
    """Mixin: the row belongs to exactly one tenant; all access is scoped to it.

    On a :class:`Model` the table's primary key is ``(id, tenant_id)`` (ready for Citus, which
    distributes the table by ``tenant_id``: every key must include it; docs/deploy.md), while
    the ORM's identity stays ``id`` alone (the mapper's ``primary_key``), so ``session.get``,
    updates and deletes address a row by its id as before. ``id`` comes first in the key: a
    lookup by id alone uses its index; ``tenant_id`` has its own. Foreign keys between
    tenant-owned tables are :func:`tenant_fk`: ``(x_id, tenant_id)`` -> the parent's
    ``(id, tenant_id)``, so the database refuses a child whose parent is another tenant's.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            ForeignKey("tenant.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
            primary_key=issubclass(cast(type, cls), Model),
            sort_order=-99,
        )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"primary_key": ["id"]} if issubclass(cast(type, cls), Model) else {}


def tenant_fk(
    column: str, parent: str, *, ondelete: str | None = None, owner: str = "tenant_id"
) -> ForeignKeyConstraint:
    """The foreign key from ``column`` to the tenant-owned table ``parent``, with the row's
    tenant: ``(column, owner)`` -> ``parent (id, tenant_id)``. Named by the naming convention
    after ``column`` (``fk_<table>_<column>_<parent>``), as the one-column key it replaces.
    ``owner`` is the referring table's tenant column (``owner_tenant_id`` on a shared table)."""
    return ForeignKeyConstraint(
        [column, owner], [f"{parent}.id", f"{parent}.tenant_id"], ondelete=ondelete
    )


def tenant_owned_tables() -> list[str]:
    """Names of all tables mapped by a :class:`TenantOwned` model (for guards and migrations)."""
    names = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if issubclass(mapper.class_, TenantOwned) and isinstance(table, Table):
            names.append(table.name)
    return sorted(set(names))
