"""Danish (translated) texts for forløb states, meeting activities and attention items.

States, activities and attention codes are stored as codes; these render them in the request's
language (pages, JSON ``texts``, the calendar feed)."""

from __future__ import annotations

from core.forloeb.attention import Attention
from core.web.i18n import gettext as _


def state_label(state: str) -> str:
    return {
        "proposed": _("Proposed"),
        "active": _("Active"),
        "paused": _("Paused"),
        "completed": _("Completed"),
        "ended_early": _("Ended early"),
        "declined": _("Declined"),
    }.get(str(state), str(state))


def activity_label(activity: str) -> str:
    return {
        "gaatur": _("Walk"),
        "cafe": _("Café"),
        "sport": _("Sport"),
        "biograf": _("Cinema"),
        "indkoeb": _("Shopping"),
        "andet": _("Other"),
    }.get(activity, activity)


def attention_text(item: Attention) -> str:
    if item.code == "no_recent_meeting":
        return _("No meeting for %(n)d days.") % {"n": item.days}
    if item.code == "ending_soon":
        return _("Ends in %(n)d days.") % {"n": item.days}
    if item.code == "proposal_waiting":
        return _("The proposal has waited %(n)d days.") % {"n": item.days}
    if item.code == "pause_overdue":
        return _("The pause should have ended %(n)d days ago.") % {"n": item.days}
    return item.code
