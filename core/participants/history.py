"""An enrolment's status history: every status change is an event with actor and reason.

The primitive the participants' commands and the forløb commands both move enrolments with (a
forløb proposal, acceptance or end moves its parties' enrolments), kept apart from
:mod:`core.participants.enrolments` so neither domain has to import the other back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.participants.models import TRANSITIONS, Enrolment, EnrolmentEvent, EnrolmentStatus


def move_status(
    session: AsyncSession,
    enrolment: Enrolment,
    to: EnrolmentStatus,
    actor: str,
    reason: str | None,
) -> None:
    """Record the status change in the history and set it (no commit, no checks but the
    machine's): for services that move enrolments as part of a larger change (a forløb)."""
    if to not in TRANSITIONS[EnrolmentStatus(enrolment.status)]:
        raise ValueError(f"an enrolment cannot go from {enrolment.status} to {to.value}")
    add_event(session, enrolment, to, actor, reason)


def add_event(
    session: AsyncSession,
    enrolment: Enrolment,
    to: EnrolmentStatus,
    actor: str,
    reason: str | None,
) -> None:
    """Record the change from the enrolment's status to ``to`` and set it (no checks)."""
    session.add(
        EnrolmentEvent(
            enrolment_id=enrolment.id,
            from_status=enrolment.status,
            to_status=to.value,
            actor=actor,
            reason=reason,
        )
    )
    enrolment.status = to.value


def allowed_next(status: str) -> list[EnrolmentStatus]:
    """The statuses an enrolment in ``status`` may move to, in machine order."""
    targets = TRANSITIONS.get(EnrolmentStatus(status), frozenset())
    return [s for s in EnrolmentStatus if s in targets]
