"""Update the da/en message catalogs from the templates and Python sources.

    python tools/catalogs.py            # extract, merge, fill English, list Danish gaps
    python tools/catalogs.py --check    # exit 1 if any Danish translation is missing

New message ids get an empty Danish ``msgstr`` (translate them in
``core/web/locale/da/LC_MESSAGES/messages.po``); English gets ``msgstr = msgid``. Obsolete ids
are dropped. Headers (Plural-Forms) are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parent.parent
LOCALE_DIR = REPO / "core" / "web" / "locale"
METHOD_MAP = [("core/**/templates/**.html", "jinja2"), ("core/**.py", "python")]
OPTIONS = {"core/**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract() -> Catalog:
    template = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(REPO), method_map=METHOD_MAP, options_map=OPTIONS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def update(locale: str, template: Catalog) -> list[str]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if locale == "en" and not message.string:
            message.string = message.id
        empty = not message.string or (
            isinstance(message.string, tuple) and not all(message.string)
        )
        if empty:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    with path.open("wb") as f:
        write_po(f, catalog, no_location=True, width=100, omit_header=False)
    return missing


def main() -> int:
    template = extract()
    check = "--check" in sys.argv
    missing = {loc: update(loc, template) for loc in ("da", "en")}
    for locale, ids in missing.items():
        for message_id in ids:
            print(f"{locale}: missing translation: {message_id}")
    return 1 if check and any(missing.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
