"""Jinja filters for the pages (registered in :func:`core.app._configure_jinja`)."""

from __future__ import annotations

import datetime as dt

from core import clock


def local_time(moment: dt.datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored timestamp (UTC) as Danish time, formatted with ``fmt``; ``""`` for none.

    Use it for every timestamp a page prints: ``{{ event.at|local_time }}``, or
    ``{{ consent.given_at|local_time("%d-%m-%Y") }}`` for its Danish date."""
    if moment is None:
        return ""
    return clock.local(moment).strftime(fmt)
