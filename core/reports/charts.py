"""Bar charts of the report, drawn as inline SVG on the server (no JavaScript library).

:func:`bar_chart` only computes geometry; the template (``reports/_charts.html``, macro
``bars``) draws it, with ``role="img"``, a title and a description, and the same figures in a
table beside it - the table is the accessible form. Horizontal bars, one per figure, with the
label above the bar and the value after it, fit a 390 px phone; a negative value (a savings
estimate below zero) is drawn left of the zero line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 320
LABEL_HEIGHT, BAR_HEIGHT, GAP = 16, 16, 10
LEFT, RIGHT = 4, 70
#: Bar colours of DKFDS's palette, told apart also by their labels (never by colour alone).
COLOURS = ("#004993", "#2f6f3e", "#8a4f00", "#6b2d7a")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    #: The value as the table shows it (e.g. "1.234" or "12,5").
    text: str
    x: float
    width: float
    y: float
    label_y: float
    colour: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    zero_x: float
    bars: tuple[Bar, ...]

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars)


def bar_chart(items: Sequence[tuple[str, float | None, str]]) -> BarChart:
    """A horizontal bar per ``(label, value, text)``; a missing value is drawn as 0."""
    values = [float(v or 0) for _, v, _ in items]
    high = max([0.0, *values])
    low = min([0.0, *values])
    span = (high - low) or 1.0
    inner = WIDTH - LEFT - RIGHT
    zero_x = LEFT + inner * (-low / span)
    bars = []
    y = 0.0
    for n, ((label, _value, text), value) in enumerate(zip(items, values, strict=True)):
        length = inner * abs(value) / span
        x = zero_x if value >= 0 else zero_x - length
        bars.append(
            Bar(
                label,
                value,
                text,
                round(x, 1),
                round(length, 1),
                round(y + LABEL_HEIGHT, 1),
                round(y + LABEL_HEIGHT - 4, 1),
                COLOURS[n % len(COLOURS)],
            )
        )
        y += LABEL_HEIGHT + BAR_HEIGHT + GAP
    return BarChart(WIDTH, int(y), round(zero_x, 1), tuple(bars))
