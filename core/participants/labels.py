"""Danish labels of the participants domain's codes (statuses, roles, verdicts, time slots)."""

from __future__ import annotations

from core.web.i18n import gettext as _


def status_label(status: str) -> str:
    labels = {
        "applied": _("Applied"),
        "interested": _("Interested"),
        "intake": _("Før-samtale"),
        "eligible": _("Eligible"),
        "ineligible": _("Not eligible"),
        "ready": _("Ready"),
        "matched": _("Matched"),
        "active": _("In a forløb"),
        "finished": _("Finished"),
        "withdrawn": _("Withdrawn"),
    }
    return labels.get(str(status), str(status))


def role_label(role: str) -> str:
    return {"mentee": _("Citizen (mentee)"), "mentor": _("Mentor")}.get(str(role), str(role))


def outcome_label(outcome: str) -> str:
    return {"pass": _("Met"), "fail": _("Not met"), "unknown": _("Not decided")}.get(
        outcome, outcome
    )


def slot_label(slot: str) -> str:
    """``"mon_morning"`` -> "mandag formiddag" (in the current language)."""
    day, _sep, part = slot.partition("_")
    days = {
        "mon": _("Monday"),
        "tue": _("Tuesday"),
        "wed": _("Wednesday"),
        "thu": _("Thursday"),
        "fri": _("Friday"),
        "sat": _("Saturday"),
        "sun": _("Sunday"),
    }
    parts = {"morning": _("morning"), "afternoon": _("afternoon"), "evening": _("evening")}
    return f"{days.get(day, day)} {parts.get(part, part)}"
