"""Small-number suppression: the one function for every figure a partner (or the platform) sees.

The rule (``docs/reports.md``, "Small numbers"):

* **Primary**: a count from 1 to 4 is shown as ``"<5"``. A 0 is shown: it identifies nobody -
  unless it is the only cell left to hide another one (then it is ``"<5"`` too, which is true).
* **Secondary**: no total or difference may reveal a hidden count. A table is a set of cells and
  *lines* - "this cell is the sum of those cells" (a column and its total, citizens plus mentors
  = people). As long as some hidden cell could still be worked out from what is shown, another
  cell is hidden (shown as ``"x"``): in the line that gives it away, the smallest shown cell that
  is not 0 (a part before the line's total). "Worked out" is judged as an attacker would: shown
  cells are exact, a ``"<5"`` is 1-4, an ``"x"`` is 5 or more (it would say ``"<5"`` otherwise),
  and every line holds; the bounds this gives each hidden cell are tightened line by line until
  nothing changes, and a hidden cell whose bounds meet is revealed. When every cell of the
  lines is hidden already and a ``"<5"`` total still pins its parts (four ``"<5"`` of at least 1
  under a ``"<5"`` total), that total is withheld as ``"x"``: such an ``"x"`` is any count.
* **Derived figures** (a mean, a median, a rate) are shown only when every count they come from
  is shown and at least 5 people are behind them (:func:`derived_shown`).

Pure functions: no database, no clock. ``tests/test_suppression.py`` checks the boundaries and,
by brute force and integer programming over random tables, that no hidden cell can be
recomputed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

THRESHOLD = 5
#: A count from 1 to ``THRESHOLD - 1``.
SMALL = "<5"
#: A count hidden so that a ``"<5"`` cannot be worked out from totals or differences.
HIDDEN = "x"
#: An upper bound the attacker cannot rule out (no count in Makker comes near it).
_UNBOUNDED = 10**12
#: Rounds of bound tightening; a round that changes nothing ends it earlier.
_ROUNDS = 200

K = TypeVar("K", bound=Hashable)
#: A cell as shown: the count, ``"<5"`` or ``"x"``.
Shown = int | str


@dataclass(frozen=True)
class Line(Generic[K]):
    """``whole`` is the sum of ``parts`` (e.g. a column's total and the column's cells)."""

    whole: K
    parts: tuple[K, ...]

    @property
    def cells(self) -> tuple[K, ...]:
        return (self.whole, *self.parts)


def is_small(count: int) -> bool:
    """Whether ``count`` is hidden on its own: 1 to 4 (0 is shown)."""
    return 0 < count < THRESHOLD


def show_count(count: int) -> Shown:
    """One count with no totals around it: ``"<5"`` for 1-4, the count otherwise."""
    if count < 0:
        raise ValueError("a count is never negative")
    return SMALL if is_small(count) else count


def derived_shown(*counts: Shown, people: int | None = None) -> bool:
    """Whether a figure derived from ``counts`` (a mean, a median, a rate) may be shown: every
    count it comes from is shown, and ``people`` - how many people are behind it, if given - is
    at least 5."""
    if any(isinstance(c, str) for c in counts):
        return False
    return people is None or people >= THRESHOLD


def suppress(
    cells: Mapping[K, int], lines: Iterable[Line[K]] = (), unseen: Iterable[K] = ()
) -> dict[K, Shown]:
    """Every cell as shown: the count, ``"<5"`` (1-4) or ``"x"`` (hidden so that no total or
    difference reveals a ``"<5"``; see the module's docstring).

    :param cells: every count of the table (totals too), by any hashable key.
    :param lines: the table's sums; every key in them must be in ``cells``, and they must hold.
    :param unseen: cells that are never published but tie others together - e.g. "people in
        two roles" in *people + both = citizens + mentors*, or "active" in *running = paused +
        active*: to an attacker each is some count from 0 up; they are left out of the answer.
    :raises ValueError: a negative count, an unknown key, or a line that does not add up."""
    lines = list(lines)
    unseen = set(unseen)
    for key, count in cells.items():
        if count < 0:
            raise ValueError(f"negative count in {key!r}")
    for line in lines:
        if any(k not in cells for k in line.cells):
            raise ValueError("a line names a cell that is not in the table")
        if sum(cells[p] for p in line.parts) != cells[line.whole]:
            raise ValueError(f"the parts of {line.whole!r} do not add up to it")
    small = {k for k, v in cells.items() if is_small(v) and k not in unseen}
    hidden: set[K] = set()
    while True:
        revealed = revealed_cells(cells, small, hidden, lines, unseen)
        if not revealed:
            break
        # One complement per revealed cell at a time (a wide table needs few rounds).
        complements = _complements(cells, small | hidden | unseen, revealed, lines)
        if not complements:
            # Every cell of the lines is hidden already, and a "<5" total still pins its parts
            # (four "<5" that are at least 1 each under a "<5" total are 1 each): the total
            # is withheld as "x", which then tells nothing of its size.
            withheld = _small_totals(small, revealed, lines)
            if not withheld:
                break  # pragma: no cover - a revealed cell always has a "<5" total left
            small -= withheld
            hidden |= withheld
            continue
        small |= {k for k in complements if cells[k] == 0}  # a 0 hidden is truly "<5"
        hidden |= {k for k in complements if cells[k] > 0}
    return {
        k: (SMALL if k in small else HIDDEN if k in hidden else v)
        for k, v in cells.items()
        if k not in unseen
    }


def attacker_bounds(
    cells: Mapping[K, int],
    small: set[K],
    hidden: set[K],
    lines: Sequence[Line[K]],
    unseen: set[K] | None = None,
) -> dict[K, tuple[int, int]]:
    """What someone who sees the table can tell about each hidden (or unseen) cell: its lowest
    and highest possible value, after tightening along every line until nothing changes."""
    bounds: dict[K, tuple[int, int]] = {k: (0, _UNBOUNDED) for k in unseen or ()}
    for key in small:
        # A "<5" is 1-4, or 0 when a zero had to be hidden to protect another cell.
        bounds[key] = (min(1, cells[key]), THRESHOLD - 1)
    for key in hidden:
        # An "x" is 5 or more - or a total under 5 withheld because its parts are all "<5"
        # (then it is any count from 1 up, 0 only if it is 0).
        low = THRESHOLD if cells[key] >= THRESHOLD else min(1, cells[key])
        bounds[key] = (low, _UNBOUNDED)
    if not bounds:
        return bounds
    relevant = [line for line in lines if any(k in bounds for k in line.cells)]
    for _ in range(_ROUNDS):
        changed = False
        for line in relevant:
            changed |= _tighten(line, cells, bounds)
        if not changed:
            break
    return bounds


def revealed_cells(
    cells: Mapping[K, int],
    small: set[K],
    hidden: set[K],
    lines: Sequence[Line[K]],
    unseen: set[K] | None = None,
) -> list[K]:
    """The hidden cells whose value can be worked out (lowest and highest possible are equal)."""
    bounds = attacker_bounds(cells, small, hidden, lines, unseen)
    return [k for k in cells if (k in small or k in hidden) and bounds[k][0] == bounds[k][1]]


def _tighten(line: Line[K], cells: Mapping[K, int], bounds: dict[K, tuple[int, int]]) -> bool:
    """Tighten the bounds of the line's hidden cells from ``whole - sum(parts) = 0``.

    For one equation with box bounds this is exact: each cell's possible values are the
    interval left by the others' sums (integer intervals add up to an integer interval)."""
    terms = [(k, 1) for k in line.parts] + [(line.whole, -1)]

    def span(key: K, sign: int) -> tuple[int, int]:
        low, high = bounds[key] if key in bounds else (cells[key], cells[key])
        return (low, high) if sign > 0 else (-high, -low)

    spans = [span(k, s) for k, s in terms]
    total_low, total_high = sum(s[0] for s in spans), sum(s[1] for s in spans)
    changed = False
    for (key, sign), (low, high) in zip(terms, spans, strict=True):
        if key not in bounds:
            continue
        # sign * x = -(sum of the others), the others lie in [total_low - low, total_high - high]
        others_low, others_high = total_low - low, total_high - high
        new_low, new_high = (-others_high, -others_low) if sign > 0 else (others_low, others_high)
        old_low, old_high = bounds[key]
        new_low, new_high = max(old_low, new_low), min(old_high, new_high)
        if (new_low, new_high) != (old_low, old_high) and new_low <= new_high:
            bounds[key] = (new_low, new_high)
            changed = True
    return changed


def _complements(
    cells: Mapping[K, int], suppressed: set[K], revealed: list[K], lines: Sequence[Line[K]]
) -> set[K]:
    """The next cells to hide, one per revealed cell: in a line through it (fewest hidden
    first), its smallest shown part that is not 0, else its total; if those lines have nothing
    left to hide, in the lines joined to them through hidden or unpublished cells; as a last
    resort a 0 (shown as "<5")."""
    order = {k: i for i, k in enumerate(cells)}
    through: dict[K, list[Line[K]]] = {}
    for line in lines:
        for k in line.cells:
            through.setdefault(k, []).append(line)
    chosen: set[K] = set()
    for key in revealed:
        if any(k in chosen for line in through.get(key, []) for k in line.cells):
            continue  # this round already hides another cell next to it: look again next round
        taken = suppressed | chosen
        found = _complement_near(key, cells, taken, through, order)
        if found is not None:
            chosen.add(found)
    return chosen


def _small_totals(small: set[K], revealed: list[K], lines: Sequence[Line[K]]) -> set[K]:
    """For each revealed cell, the "<5" total of a line through it (itself, if it is one)."""
    chosen: set[K] = set()
    for key in revealed:
        wholes = [line.whole for line in lines if key in line.cells and line.whole in small]
        wholes.sort(key=lambda whole: whole != key)
        if wholes:
            chosen.add(wholes[0])
    return chosen


def _complement_near(
    key: K,
    cells: Mapping[K, int],
    taken: set[K],
    through: Mapping[K, list[Line[K]]],
    order: Mapping[K, int],
) -> K | None:
    seen_lines: set[int] = set()
    frontier = [key]
    zeros: list[K] = []
    while frontier:
        nearby = [line for k in frontier for line in through.get(k, [])]
        nearby = [line for line in nearby if id(line) not in seen_lines]
        seen_lines |= {id(line) for line in nearby}
        nearby.sort(key=lambda line: sum(k in taken for k in line.cells))
        for line in nearby:
            candidates = [p for p in line.parts if p not in taken and cells[p] > 0]
            if candidates:
                return min(candidates, key=lambda p: (cells[p], order[p]))
            if line.whole not in taken and cells[line.whole] > 0:
                return line.whole
            zeros += [k for k in line.cells if k not in taken]
        frontier = [k for line in nearby for k in line.cells if k in taken and k != key]
        frontier = list(dict.fromkeys(frontier))
    # Only zeros are left to hide (shown as "<5", which is true of 0).
    return min(zeros, key=lambda k: order[k]) if zeros else None


def table_lines(
    rows: Sequence[Hashable],
    columns: Sequence[Hashable],
    total_row: Hashable,
    sums: Mapping[Hashable, Sequence[Hashable]] | None = None,
) -> list[Line[tuple[Hashable, Hashable]]]:
    """The lines of a table keyed ``(row, column)``: each column's cells add up to the column's
    cell in ``total_row``; and, within every row (the total row too), each column named in
    ``sums`` is the sum of the columns it maps to (``{"people": ("citizens", "mentors")}``)."""
    lines: list[Line[tuple[Hashable, Hashable]]] = [
        Line((total_row, c), tuple((r, c) for r in rows)) for c in columns
    ]
    for whole, parts in (sums or {}).items():
        for r in (*rows, total_row):
            lines.append(Line((r, whole), tuple((r, p) for p in parts)))
    return lines
