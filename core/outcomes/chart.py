"""A small line chart of a person's trajectory, drawn as inline SVG (no JavaScript library).

:func:`trajectory_chart` only computes geometry - the template (``outcomes/_outcomes.html``,
macro ``trajectory``) draws it. The chart is a picture of the table beside it, which is the
accessible form of the same figures: the SVG has a title and a short description and is
labelled by them.

The x axis is time (the occasions' dates, proportionally; one answer sits in the middle), the
y axis the instrument's score range (of the total, or of each item for an instrument scored
item by item, one line per item with its own dash pattern).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.outcomes.labels import number
from core.outcomes.results import Trajectory
from core.web.filters import date

WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 14, 12, 30
#: Dash patterns told apart without colour (an instrument scored item by item).
DASHES = ("", "6 4", "2 3", "10 3 2 3", "1 5")


@dataclass(frozen=True)
class Series:
    #: ``""`` for the total; else the item's number (1, 2, ...).
    label: str
    dash: str
    points: tuple[tuple[float, float], ...]

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    series: tuple[Series, ...]
    #: (y, text) of the horizontal grid lines: the lowest, middle and highest score.
    y_ticks: tuple[tuple[float, str], ...]
    #: (x, text) of the first and last date.
    x_ticks: tuple[tuple[float, str], ...]


def _x(day: dt.date, first: dt.date, last: dt.date) -> float:
    span = (last - first).days
    inner = WIDTH - LEFT - RIGHT
    if span == 0:
        return LEFT + inner / 2
    return LEFT + inner * (day - first).days / span


def _y(value: float, low: float, high: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - (value - low) / (high - low))


def trajectory_chart(t: Trajectory) -> Chart | None:
    """The chart of ``t``; ``None`` without any answer to draw."""
    if not t.points:
        return None
    instrument = t.instrument
    low, high = float(instrument.score_min), float(instrument.score_max)
    days = [p.day for p in t.points]
    first, last = min(days), max(days)
    series: list[Series] = []
    if instrument.scoring == "sum":
        pts = tuple(
            (_x(p.day, first, last), _y(float(p.response.total), low, high))
            for p in t.points
            if p.response.total is not None
        )
        if pts:
            series.append(Series("", DASHES[0], pts))
    else:
        for n, item in enumerate(instrument.items):
            pts = tuple(
                (_x(p.day, first, last), _y(float(p.response.answers[item.key]), low, high))
                for p in t.points
                if p.response.answers.get(item.key) is not None
            )
            if pts:
                series.append(Series(str(n + 1), DASHES[n % len(DASHES)], pts))
    if not series:
        return None
    middle = (low + high) / 2
    y_ticks = tuple((_y(v, low, high), number(v)) for v in (high, middle, low))
    x_ticks: tuple[tuple[float, str], ...] = ((_x(first, first, last), date(first)),)
    if last != first:
        x_ticks += ((_x(last, first, last), date(last)),)
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, tuple(series), y_ticks, x_ticks)
