"""Every UI string is in the Danish catalog (translated) and in the English one."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.web.i18n import catalog_path, translations

REPO = Path(__file__).resolve().parent.parent


def _extracted() -> set[str]:
    method_map = [("core/**/templates/**.html", "jinja2"), ("core/**.py", "python")]
    options = {"core/**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO), method_map=method_map, options_map=options
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str):
    with catalog_path(locale).open("rb") as f:
        return read_po(f, locale=locale)


def test_templates_have_strings_to_translate():
    assert {"Programmes", "Front page", "Page not found"} <= _extracted()


@pytest.mark.parametrize("locale", ["da", "en"])
def test_catalog_has_every_string(locale):
    catalog = _catalog(locale)
    missing = sorted(m for m in _extracted() if m not in catalog or not catalog[m].string)
    assert missing == []


def test_danish_plural_rule():
    catalog = _catalog("da")
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    t = translations("da")
    assert [t.ngettext("%(num)d month", "%(num)d months", n) % {"num": n} for n in (1, 6)] == [
        "1 måned",
        "6 måneder",
    ]
