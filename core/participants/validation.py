"""Checks shared by the participants commands: text and word lists, with Danish messages.

Each check adds its message to ``errors`` (field -> message) and returns the clean value, so a
command reports every field at fault at once and raises :class:`FieldErrors` before writing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.participants.errors import NUL_MESSAGE
from core.web.i18n import gettext as _

#: Longest free text (motivation, notes ...).
TEXT_MAX = 4000


def text(value: Any, limit: int, key: str, errors: dict[str, str]) -> str | None:
    """``value`` stripped (blank is ``None``), or a message in ``errors[key]``."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors[key] = _("Expected text.")
        return None
    if "\x00" in value:
        errors[key] = NUL_MESSAGE()
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
    items = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(items) > 30 or any(len(v) > 60 for v in items):
        errors[key] = _("At most 30 items of at most 60 characters each.")
        return []
    if allowed and any(v not in allowed for v in items):
        errors[key] = _("Choose from the listed values.")
        return []
    return items
