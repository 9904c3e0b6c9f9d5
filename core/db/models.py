"""Imports every model so that ``Base.metadata`` is complete (Alembic, schema guard)."""

from core.access.models import Invitation, Member
from core.activities.models import (
    Activity,
    ActivityAttendance,
    ActivityCancellation,
    ActivityMember,
)
from core.applications.models import Application
from core.audit.models import AuditEvent, AuditSealAnchor
from core.calendar.models import CalendarLink
from core.courses.models import Course, CourseAttendance, CourseParticipant, CourseSession
from core.db.base import Base
from core.db.schema_compat import schema_compatibility
from core.forloeb.models import Forloeb, ForloebEvent, ForloebPause, Meeting, PlannedMeeting
from core.gdpr.models import LegalHold
from core.identity.models import WebSession
from core.notifications.models import ContactPreference, Notification
from core.outcomes.models import QuestionnaireResponse
from core.participants.models import (
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentEvent,
    Intake,
    Person,
)
from core.reports.models import SavingsAssumptionVersion
from core.tenancy.models import Programme, ProgrammePartnership, Tenant
from core.web.ratelimit import rate_limit_counter

__all__ = [
    "Activity",
    "ActivityAttendance",
    "ActivityCancellation",
    "ActivityMember",
    "Application",
    "AuditEvent",
    "AuditSealAnchor",
    "Base",
    "CalendarLink",
    "Consent",
    "ConsentText",
    "ContactPreference",
    "Course",
    "CourseAttendance",
    "CourseParticipant",
    "CourseSession",
    "Enrolment",
    "Forloeb",
    "ForloebEvent",
    "ForloebPause",
    "Meeting",
    "Member",
    "Notification",
    "PlannedMeeting",
    "EnrolmentEvent",
    "Intake",
    "Invitation",
    "LegalHold",
    "Person",
    "Programme",
    "rate_limit_counter",
    "QuestionnaireResponse",
    "SavingsAssumptionVersion",
    "schema_compatibility",
    "ProgrammePartnership",
    "Tenant",
    "WebSession",
]
