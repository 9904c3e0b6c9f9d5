"""Meetings of a forløb: the pair (or a coordinator) logs a meeting, or an "afbud" (a
cancelled meeting, which may be recorded ahead of the day)."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from core.context import Context
from core.errors import Invalid
from core.forloeb.access import access_forloeb
from core.forloeb.lifecycle import ForloebState
from core.forloeb.models import ACTIVITIES, Meeting
from core.forloeb.schemas import MeetingIn
from core.gdpr.erased_guard import refuse_erased
from core.participants.validation import text
from core.web.i18n import gettext as _

NOTE_MAX = 2000
#: An "afbud" may be recorded for a planned meeting this many days ahead.
CANCEL_AHEAD_DAYS = 60


def _day(raw: str | msgspec.UnsetType) -> dt.date | None:
    """The date of ``raw`` (``YYYY-MM-DD``), or ``None`` when it is missing or not a date."""
    try:
        return dt.date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        return None


async def log_meeting(ctx: Context, forloeb_id: uuid.UUID, data: MeetingIn) -> Meeting:
    """Record a meeting or an afbud of an active forløb, logged as the caller's part
    (``coordinator``, ``mentor`` or ``mentee``); audited ``forloeb.meeting``.

    :raises NotFound: no such forløb for the caller.
    :raises Invalid: a message per wrong field; nothing is stored."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    await refuse_erased(ctx.session, forloebs=[row.forloeb.id])
    today = ctx.today()
    forloeb = row.forloeb
    if forloeb.state != ForloebState.ACTIVE.value:
        raise Invalid({"day": _("Meetings can only be logged while the forløb is active.")})
    errors: dict[str, str] = {}
    cancelled = data.cancelled
    day = _day(data.day)
    if day is None:
        errors["day"] = _("Enter the date of the meeting.")
    elif forloeb.started_on and day < forloeb.started_on:
        errors["day"] = _("The date is before the forløb started.")
    elif not cancelled and day > today:
        errors["day"] = _(
            "A meeting that has not happened yet cannot be logged; record an afbud instead."
        )
    elif day > today + dt.timedelta(days=CANCEL_AHEAD_DAYS):
        errors["day"] = _("An afbud can be recorded at most %(n)d days ahead.") % {
            "n": CANCEL_AHEAD_DAYS
        }
    activity = data.activity if isinstance(data.activity, str) else ""
    if activity not in ACTIVITIES:
        errors["activity"] = _("Choose what you did.")
    duration = data.duration_minutes
    if duration is not None and not 5 <= duration <= 720:
        errors["duration_minutes"] = _("Write the duration in minutes (5-720).")
    elif duration is None and not cancelled:
        errors["duration_minutes"] = _("Write how long the meeting lasted.")
    # Several lines allowed; control and direction-changing characters are not (as in names).
    note = text(data.note, NOTE_MAX, "note", errors, multiline=True)
    if errors:
        raise Invalid(errors)
    assert day is not None
    meeting = Meeting(
        forloeb_id=forloeb.id,
        day=day,
        activity=activity,
        duration_minutes=None if cancelled else duration,
        cancelled=cancelled,
        note=note,
        logged_as=viewer,
        logged_by=ctx.actor,
    )
    ctx.session.add(meeting)
    await ctx.session.flush()
    ctx.audit("forloeb.meeting", object_type="forloeb", object_id=forloeb.id)
    return meeting
