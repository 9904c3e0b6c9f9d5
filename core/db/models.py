"""Imports every model so that ``Base.metadata`` is complete (Alembic, schema guard)."""

from core.db.base import Base
from core.participants.models import Person
from core.tenancy.models import Programme, Tenant

__all__ = ["Base", "Person", "Programme", "Tenant"]
