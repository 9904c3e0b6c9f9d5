"""``limit`` and ``offset`` for the short lists of a tenant (holds, activities): checked in one
place, answered in Danish per field through the error contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from core.errors import Invalid
from core.web.i18n import gettext as _
from core.web.openapi import query

T = TypeVar("T")

#: The most rows one request may ask for, and the largest offset.
MAX_LIMIT = 500
MAX_OFFSET = 10_000_000

#: ``limit`` and ``offset`` of a handler that calls :func:`check_paging`, as the document says.
PageLimit = Annotated[int, query(minimum=1, maximum=MAX_LIMIT)]
PageOffset = Annotated[int, query(minimum=0, maximum=MAX_OFFSET)]


def check_paging(limit: int, offset: int) -> None:
    """:raises Invalid: a limit outside 1-500 or an offset outside 0-10,000,000."""
    errors = {}
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = _("Choose from 1 to 500 rows.")
    if offset < 0:
        errors["offset"] = _("The offset must be 0 or more.")
    elif offset > MAX_OFFSET:
        errors["offset"] = _("The number is too large.")
    if errors:
        raise Invalid(errors)


def page_of(items: Sequence[T], limit: int, offset: int) -> list[T]:
    """``items[offset:offset + limit]`` after :func:`check_paging`."""
    check_paging(limit, offset)
    return list(items[offset : offset + limit])
