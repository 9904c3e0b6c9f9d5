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
from typing import Any

from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, MetaData, Table, Uuid
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
    """Mixin: the row belongs to exactly one tenant; all access is scoped to it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            ForeignKey("tenant.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
            sort_order=-99,
        )


def tenant_owned_tables() -> list[str]:
    """Names of all tables mapped by a :class:`TenantOwned` model (for guards and migrations)."""
    names = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if issubclass(mapper.class_, TenantOwned) and isinstance(table, Table):
            names.append(table.name)
    return sorted(set(names))
