"""The one rule for the characters of typed text (names, titles, places, notes), shared by the
commands of people, holds and activities.

* No control characters: C0 (U+0000-U+001F), DEL and C1 (U+007F-U+009F) - an ANSI escape, a bell,
  CR or LF in a name - except a line feed in multi-line text (notes, motivation; a browser's
  CR LF counts as one line feed).
* No bidirectional embedding, override or isolate controls (U+202A-U+202E, U+2066-U+2069): they
  turn the text shown around it (``evil\\u202etxt.exe``).
* No surrogates and no Unicode non-characters (U+FDD0-U+FDEF, U+FFFE and U+FFFF of each plane).
* A name must have something to see: text made only of spaces and invisible characters
  (zero-width spaces and joiners, U+2060, the BOM U+FEFF, soft hyphens, fillers) is blank.
  Invisible characters inside visible text are left alone (a zero-width joiner is part of some
  scripts).
"""

from __future__ import annotations

import re
import unicodedata

from core.web.i18n import gettext as _

_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_OTHERS = f"\x7f-\x9f{_BIDI_CONTROLS}\ud800-\udfff{_NONCHARACTERS}"
_SINGLE_LINE = re.compile(f"[\x00-\x1f{_OTHERS}]")
_MULTI_LINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHERS}]")
#: Characters that show nothing but are not format characters (category Cf) or spaces.
_FILLERS = frozenset("\u115f\u1160\u2800\u3164\uffa0\u034f")


def line_feeds(value: str) -> str:
    """``value`` with CR LF and lone CR as LF (what a browser sends from a textarea)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def has_forbidden(value: str, multiline: bool = False) -> bool:
    """Whether ``value`` holds a character the rule above refuses (``multiline``: after
    :func:`line_feeds`, a line feed is allowed)."""
    return (_MULTI_LINE if multiline else _SINGLE_LINE).search(value) is not None


def is_visible(char: str) -> bool:
    return not (char.isspace() or unicodedata.category(char) in ("Cf", "Cc") or char in _FILLERS)


def is_blank(value: str) -> bool:
    """Whether ``value`` shows nothing: only spaces and invisible characters (or nothing)."""
    return not any(is_visible(c) for c in value)


def MULTILINE_FORBIDDEN_MESSAGE() -> str:  # noqa: N802 - a message, translated when used
    return _(
        "The text contains a control character or a character that changes the writing "
        "direction; only ordinary characters and line breaks are allowed."
    )


def SINGLE_LINE_FORBIDDEN_MESSAGE() -> str:  # noqa: N802 - a message, translated when used
    return _(
        "The text contains a control character, a line break or a character that changes the "
        "writing direction; write it on one line with ordinary characters."
    )


def check(value: str, multiline: bool = False) -> str | None:
    """The Danish message for ``value``'s forbidden characters, or ``None`` if it has none."""
    if not has_forbidden(value, multiline):
        return None
    return MULTILINE_FORBIDDEN_MESSAGE() if multiline else SINGLE_LINE_FORBIDDEN_MESSAGE()


def fault(value: str, limit: int, multiline: bool = False) -> str | None:
    """The Danish message for a typed text that breaks the rule or is longer than ``limit``
    (after stripping; never cut to fit), or ``None``."""
    message = check(line_feeds(value) if multiline else value, multiline)
    if message is None and len(value.strip()) > limit:
        message = _("The text is too long (at most %(n)s characters).") % {"n": limit}
    return message
