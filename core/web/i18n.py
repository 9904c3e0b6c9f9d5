"""Danish first, English second: Babel catalogs and a per-request locale.

Catalogs live in ``core/web/locale/<lang>/LC_MESSAGES/messages.po`` and are compiled in memory
at start-up, so no compiled ``.mo`` file can drift from its source. Template strings are marked
with ``{{ _("...") }}``; ``pybabel extract -F babel.cfg`` collects them (see docs/i18n.md).
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("da", "en")
DEFAULT_LOCALE = "da"
LOCALE_COOKIE = "makker_lang"
LOCALE_NAMES = {"da": "Dansk", "en": "English"}

_current_locale: ContextVar[str] = ContextVar("makker_locale", default=DEFAULT_LOCALE)


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


@cache
def translations(locale: str) -> NullTranslations:
    """Compiled translations for ``locale`` (cached for the life of the process)."""
    if locale not in LOCALES:
        return NullTranslations()
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def get_locale() -> str:
    return _current_locale.get()


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def gettext(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


def pick_locale(cookie_value: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The locale from the language cookie, else ``default`` (Danish unless configured)."""
    return cookie_value if cookie_value in LOCALES else default
