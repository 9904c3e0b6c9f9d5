"""Imports every model so that ``Base.metadata`` is complete (Alembic, schema guard)."""

from core.audit.models import AuditEvent
from core.db.base import Base
from core.identity.models import WebSession
from core.participants.models import Enrolment, Person
from core.tenancy.models import Programme, ProgrammePartnership, Tenant

__all__ = [
    "AuditEvent",
    "Base",
    "Enrolment",
    "Person",
    "Programme",
    "ProgrammePartnership",
    "Tenant",
    "WebSession",
]
