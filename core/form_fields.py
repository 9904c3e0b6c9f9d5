"""Errors in the order a form shows its fields (the error summary lists them so): used by the
commands that check a form's fields and by the pages that show them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def in_order(errors: Mapping[str, str], order: Iterable[str]) -> dict[str, str]:
    """``errors`` in the order of the fields in ``order`` (fields not in it last, as given)."""
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], len(rank))))
