"""Scoring one set of answers to an outcome instrument (pure: no database, no clock).

There is one scoring function, :func:`score`, for every instrument, built-in or third-party; an
instrument plugin declares *how* it is scored (:class:`core.plugin_api.Instrument`) and never
scores itself. The rules:

- A ``reversed`` item counts ``(lowest + highest option value) - answer``: on a 1-4 scale an
  answer of 4 counts 1.
- ``scoring = "sum"``: the total is the sum of the (reversed) item values times ``multiplier``
  (WHO-5: raw 0-25 x 4 = 0-100). ``scoring = "items"``: every item is reported on its own and
  there is no total.
- A missing answer (absent, or ``None``) leaves the total ``None`` and ``complete`` false; the
  other items are still reported. Nothing is ever imputed.
- An answer that is not one of the instrument's option values, or an answer to an item the
  instrument does not have, raises :class:`AnswerError` naming the instrument and the item.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from core.plugin_api import Instrument

__all__ = ["AnswerError", "Score", "score"]


class AnswerError(ValueError):
    """An answer cannot be scored; ``item`` is the key of the item it was given for."""

    def __init__(self, instrument: str, item: str, message: str) -> None:
        super().__init__(f"instrument {instrument!r}, item {item!r}: {message}")
        self.instrument = instrument
        self.item = item


class Score(msgspec.Struct, frozen=True, kw_only=True):
    """The result of scoring one set of answers."""

    instrument: str
    version: str
    #: The total (``scoring = "sum"`` with every item answered), else ``None``.
    total: int | None
    #: Each answered item's value after reversal, in the instrument's item order.
    items: dict[str, int]
    #: Every item has an answer.
    complete: bool
    #: The keys of the items without an answer, in item order.
    missing: tuple[str, ...] = ()


def score(instrument: Instrument, answers: Mapping[str, int | None]) -> Score:
    """Score ``answers`` (item key -> the chosen option's value) to ``instrument``.

    :raises AnswerError: for a value that is not one of the options (naming the item and the
        allowed range) or an answer to an unknown item.
    """
    keys = {item.key for item in instrument.items}
    for key in answers:
        if key not in keys:
            raise AnswerError(
                instrument.id, key, f"no such item (items: {', '.join(sorted(keys))})"
            )
    low, high = instrument.item_min, instrument.item_max
    values: dict[str, int] = {}
    missing: list[str] = []
    for item in instrument.items:
        answer = answers.get(item.key)
        if answer is None:
            missing.append(item.key)
            continue
        if isinstance(answer, bool) or not isinstance(answer, int) or not low <= answer <= high:
            raise AnswerError(
                instrument.id,
                item.key,
                f"{answer!r} is not an answer on the scale (expected a whole number {low}-{high})",
            )
        values[item.key] = (low + high) - answer if item.reversed else answer
    complete = not missing
    total = None
    if complete and instrument.scoring == "sum":
        total = sum(values.values()) * instrument.multiplier
    return Score(
        instrument=instrument.id,
        version=instrument.version,
        total=total,
        items=values,
        complete=complete,
        missing=tuple(missing),
    )
