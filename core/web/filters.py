"""Jinja filters for the pages (registered in :func:`core.app._configure_jinja` from
:data:`FILTERS`).

One way to write a date and a time on every page: dates as ``30.11.2026`` (``|date``), times
as ``13:05`` (``|time``), a stored timestamp as ``30.11.2026 13:05`` (``|local_time``), always in
Danish time. Who acted is shown as a person's name or a role, never an internal id (``|actor``),
a matching strategy by its description from the plugin that registers it (``|strategy``), a
plugin's text in the page's language (``|plugin_text``), and a decimal number with the
locale's decimal sign (``|decimal``: ``12,5`` in Danish), and a list joined as a sentence
(``|and_list``: ``10 og 11``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context

from core import clock
from core.plugin_types import localize
from core.web.i18n import get_locale, ngettext
from core.web.i18n import gettext as _

DATE = "%d.%m.%Y"
TIME = "%H:%M"

#: Actors that are not a person (``Context.actor`` outside a request): what a page shows.
#: ``makker-demo`` is ``core.demo.data.DEMO_ACTOR``; ``makker`` makes a programme's first consent
#: text; ``offentlig-ansoegning`` (``core.applications.commands.APPLICANT``) makes the person and
#: enrolment of an application on the public page. The labels are msgids, translated when shown.
SYSTEM_ACTORS = {
    "makker-demo": "Makker (demo)",
    "demo": "Makker (demo)",
    "makker": "Makker",
    "offentlig-ansoegning": "Application on the public page",
}


def local_time(moment: dt.datetime | None, fmt: str = f"{DATE} {TIME}") -> str:
    """A stored timestamp (UTC) as Danish time, formatted with ``fmt``; ``""`` for none.

    Use it for every timestamp a page prints: ``{{ event.at|local_time }}`` (``30.11.2026
    13:05``); ``{{ consent.given_at|date }}`` for its Danish date alone."""
    if moment is None:
        return ""
    return clock.local(moment).strftime(fmt)


def date(value: dt.date | dt.datetime | None) -> str:
    """A date as ``30.11.2026``; a datetime is first put in Danish time (naive: UTC, as
    stored); ``""`` for none."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_time(value, DATE)
    return value.strftime(DATE)


def time(value: dt.time | dt.datetime | None) -> str:
    """A time of day as ``13:05``; a datetime is first put in Danish time; ``""`` for none."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_time(value, TIME)
    return value.strftime(TIME)


def months_text(low: int, high: int | None = None) -> str:
    """A length in months: ``6 måneder``, ``1 måned``, and a range only when it is one
    (``6-9 måneder``; never ``6-6``). Also the filter ``{{ m.min|months(m.max) }}``."""
    if high is None or high == low:
        return ngettext("%(num)d month", "%(num)d months", low) % {"num": low}
    return _("%(min)d-%(max)d months") % {"min": low, "max": high}


@pass_context
def actor(context: Context, actor_id: str | None) -> str:
    """Who acted (a history row's actor, a consent's ``recorded_by``), for a page.

    Stored is the principal's ``sub`` (a pseudonymous id) or a fixed name outside a request.
    Shown: the signed-in user's own name for their own actions, ``Makker (demo)`` and the like
    for :data:`SYSTEM_ACTORS`, and otherwise the role, "koordinator" (the people who change
    enrolments, consents and før-samtaler) - never the id."""
    if not actor_id:
        return ""
    request = context.get("request")
    me = request.scope.get("user") if request is not None else None
    if me is not None and actor_id == getattr(me, "subject", None):
        return str(me.name or me.username or _("coordinator"))
    if actor_id in SYSTEM_ACTORS:
        return _(SYSTEM_ACTORS[actor_id])
    return _("coordinator")


@pass_context
def strategy(context: Context, name: str | None) -> str:
    """A matching strategy's Danish description from its registration (``shared_experience``
    -> "Fælles erfaringer, ..."); the name itself if no loaded plugin registers it."""
    if not name:
        return ""
    from core.programmes.registry import matching_strategies

    request = context.get("request")
    pm = getattr(getattr(request, "app", None), "state", {}).get("plugin_manager")
    registered = matching_strategies(pm) if pm is not None else {}
    found = registered.get(name)
    return localize(found.description).rstrip(".") if found is not None else name


def plugin_text(value: Any) -> str:
    """A plugin's text (:data:`core.plugin_api.Text`: Danish, or ``{"da": ..., "en": ...}``) in
    the page's language, falling back to Danish."""
    return localize(value) if value else ""


def decimal(value: float | None, places: int = 1) -> str:
    """``value`` with ``places`` decimals and the page language's decimal sign (Babel)."""
    if value is None:
        return "–"
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(value, format=pattern, locale=get_locale())


def and_list(items: Iterable[Any]) -> str:
    """A list as a sentence says it: ``10``, ``10 og 11``, ``9, 10 og 11`` (``and`` in the
    page's language before the last)."""
    texts = [str(i) for i in items]
    if len(texts) < 2:
        return "".join(texts)
    return f"{', '.join(texts[:-1])} {_('and')} {texts[-1]}"


FILTERS: dict[str, Any] = {
    "local_time": local_time,
    "date": date,
    "time": time,
    "actor": actor,
    "strategy": strategy,
    "months": months_text,
    "decimal": decimal,
    "plugin_text": plugin_text,
    "and_list": and_list,
}
