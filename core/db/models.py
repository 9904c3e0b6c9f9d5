"""Imports every model so that ``Base.metadata`` is complete (Alembic, schema guard)."""

from core.audit.models import AuditEvent
from core.db.base import Base
from core.identity.models import WebSession
from core.participants.models import (
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    Intake,
    Person,
)
from core.tenancy.models import Programme, ProgrammePartnership, Tenant

__all__ = [
    "AuditEvent",
    "Base",
    "Consent",
    "ConsentText",
    "Enrolment",
    "EnrolmentEvent",
    "Intake",
    "Person",
    "Programme",
    "ProgrammePartnership",
    "Tenant",
    "WebSession",
]
