"""Checks shared by the participants commands: text and word lists, with Danish messages.

Each check adds its message to ``errors`` (field -> message) and returns the clean value, so a
command reports every field at fault at once and raises :class:`FieldErrors` before writing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dateutil.relativedelta import relativedelta

from core.participants.errors import NUL_MESSAGE
from core.web import text as chars
from core.web.i18n import gettext as _

#: Longest free text (motivation, notes ...).
TEXT_MAX = 4000
#: How far back a før-samtale may be dated.
INTAKE_YEARS_BACK = 5
#: How far ahead a pause may be planned to end.
PAUSE_MONTHS_AHEAD = 12
#: How far back and ahead the first date of a hold or an activity may lie.
START_YEARS_BACK = 5
START_YEARS_AHEAD = 2


def text(
    value: Any, limit: int, key: str, errors: dict[str, str], multiline: bool = False
) -> str | None:
    """``value`` stripped (blank is ``None``), or a message in ``errors[key]``.

    One line unless ``multiline`` (notes, motivation: line feeds allowed, a browser's CR LF
    stored as LF); control and bidi-override characters are refused (:mod:`core.web.text`)."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors[key] = _("Expected text.")
        return None
    if "\x00" in value:
        errors[key] = NUL_MESSAGE()
        return None
    if multiline:
        value = chars.line_feeds(value)
    fault = chars.check(value, multiline)
    if fault:
        errors[key] = fault
        return None
    value = value.strip()
    if len(value) > limit:
        errors[key] = _("The text is too long (at most %(n)s characters).") % {"n": limit}
        return None
    return value or None


def word_list(
    value: Any, key: str, errors: dict[str, str], allowed: Sequence[str] = ()
) -> list[str]:
    """A list of short words (a comma-separated text is split), without repeats."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in (s.strip() for s in value.split(",")) if v]
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        errors[key] = _("Expected a list of words.")
        return []
    if any(chars.has_forbidden(v) for v in value):
        errors[key] = chars.SINGLE_LINE_FORBIDDEN_MESSAGE()
        return []
    items = list(dict.fromkeys(v.strip() for v in value if not chars.is_blank(v)))
    if len(items) > 30 or any(len(v) > 60 for v in items):
        errors[key] = _("At most 30 items of at most 60 characters each.")
        return []
    if allowed and any(v not in allowed for v in items):
        errors[key] = _("Choose from the listed values.")
        return []
    return items


# -- dates: one rule per kind ---------------------------------------------------------------


def intake_date_fault(day: dt.date, today: dt.date) -> str | None:
    """A før-samtale's date: today or within :data:`INTAKE_YEARS_BACK` years back."""
    if day > today:
        return _("The date must not be in the future.")
    earliest = today - relativedelta(years=INTAKE_YEARS_BACK)
    if day < earliest:
        return _("The før-samtale must be dated within the last %(n)d years (from %(date)s).") % {
            "n": INTAKE_YEARS_BACK,
            "date": earliest.strftime("%d.%m.%Y"),
        }
    return None


def pause_end_fault(day: dt.date, today: dt.date) -> str | None:
    """The end of a pause (a mentor's "not before", a forløb's planned resume): from today
    and at most :data:`PAUSE_MONTHS_AHEAD` months ahead (calendar months)."""
    latest = today + relativedelta(months=PAUSE_MONTHS_AHEAD)
    if day < today:
        return _("The pause cannot end in the past.")
    if day > latest:
        return _("A pause can last at most a year (until %(date)s).") % {
            "date": latest.strftime("%d.%m.%Y")
        }
    return None


def start_date_fault(day: dt.date, today: dt.date) -> str | None:
    """The first date of a hold or an activity: from :data:`START_YEARS_BACK` years back to
    :data:`START_YEARS_AHEAD` years ahead (calendar years) - never year 1 or 9999."""
    earliest = today - relativedelta(years=START_YEARS_BACK)
    latest = today + relativedelta(years=START_YEARS_AHEAD)
    if day < earliest:
        return _("The date must be %(date)s or later.") % {"date": earliest.strftime("%d.%m.%Y")}
    if day > latest:
        return _("The date must be %(date)s or earlier.") % {"date": latest.strftime("%d.%m.%Y")}
    return None


def not_yet_fault(day: dt.date, today: dt.date) -> str | None:
    """Attendance of an occurrence or a session: registered from its day on, never ahead (as a
    meeting is logged only once it has happened)."""
    if day > today:
        return _("Attendance can be registered from the day itself, not before.")
    return None
