"""Calendar links: the msgspec Structs out of the API."""

from __future__ import annotations

import msgspec


class CalendarLinkOut(msgspec.Struct):
    url: str
