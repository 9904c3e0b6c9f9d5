"""Re-exports for the domains that still import the old participants service.

The participants domain is now split by sub-domain - :mod:`~core.participants.people`,
:mod:`~core.participants.consent`, :mod:`~core.participants.enrolments` and
:mod:`~core.participants.intake` - with commands that take a :class:`core.context.Context`.
New code imports those modules. The names here keep their old signatures for the importers
in other domains (forløb, courses, the demo) and their tests until they move over; none of them
notes an audit row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, at_noon
from core.context import context_for
from core.participants.consent import current_consent_text, record_consent
from core.participants.enrolments import move
from core.participants.errors import FieldErrors, NotFound
from core.participants.models import Consent, Enrolment, EnrolmentEvent
from core.plugin_api import MakkerPluginManager
from core.tenancy.models import Tenant

__all__ = ["FieldErrors", "NotFound", "current_consent_text", "give_consent", "transition"]


async def give_consent(
    session: AsyncSession, tenant: Tenant, enrolment: Enrolment, actor: str
) -> Consent:
    """Record the person's consent to the programme's current text (no audit row)."""
    return await record_consent(session, tenant, enrolment, actor)


async def transition(
    session: AsyncSession,
    pm: MakkerPluginManager,
    tenant: Tenant,
    enrolment: Enrolment,
    to: str,
    actor: str,
    today: dt.date,
    reason: str | None = None,
) -> EnrolmentEvent:
    """Move the enrolment (see :func:`core.participants.enrolments.move`; no audit row)."""
    ctx = context_for(session, tenant, pm, actor, Clock(at_noon(today)))
    return await move(ctx, enrolment, to, reason)
