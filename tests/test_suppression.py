"""Small-number suppression (core/reports/suppression.py): boundaries, secondary suppression and
differencing, checked by brute force over small tables."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from core.reports.suppression import (
    HIDDEN,
    SMALL,
    Line,
    derived_shown,
    is_small,
    show_count,
    suppress,
    table_lines,
)

TOTAL = "I alt"


def test_four_is_hidden_five_is_shown_and_zero_is_shown():
    assert [show_count(n) for n in (0, 1, 4, 5, 6, 120)] == [0, SMALL, SMALL, 5, 6, 120]
    assert [is_small(n) for n in (0, 1, 4, 5)] == [False, True, True, False]
    with pytest.raises(ValueError):
        show_count(-1)


def _table(values: Mapping[str, Sequence[int]], sums: Mapping[str, Sequence[str]] | None = None):
    """``{row: [counts by column]}`` with a total row; columns c0, c1, ..."""
    rows = list(values)
    columns = [f"c{i}" for i in range(len(next(iter(values.values()))))]
    cells: dict[tuple[Hashable, Hashable], int] = {}
    for r in rows:
        for c, v in zip(columns, values[r], strict=True):
            cells[(r, c)] = v
    for c in columns:
        cells[(TOTAL, c)] = sum(cells[(r, c)] for r in rows)
    return cells, table_lines(rows, columns, TOTAL, sums)


def test_a_column_with_one_small_cell_hides_the_next_smallest_and_keeps_the_total():
    cells, lines = _table({"Vejle": [4], "Kolding": [9], "Aarhus": [7]})
    assert suppress(cells, lines) == {
        ("Vejle", "c0"): SMALL,
        ("Kolding", "c0"): 9,
        ("Aarhus", "c0"): HIDDEN,
        (TOTAL, "c0"): 20,
    }


def test_a_column_of_fives_shows_everything():
    cells, lines = _table({"Vejle": [5], "Kolding": [5]})
    assert suppress(cells, lines) == {("Vejle", "c0"): 5, ("Kolding", "c0"): 5, (TOTAL, "c0"): 10}


def test_zeros_are_shown_and_never_hidden_as_a_complement():
    cells, lines = _table({"Vejle": [3], "Kolding": [0], "Aarhus": [12]})
    shown = suppress(cells, lines)
    # 0 cannot hide the 3: the 12 is hidden; 3 + 12 = 15 leaves the 3 anywhere in 1-4.
    assert shown == {
        ("Vejle", "c0"): SMALL,
        ("Kolding", "c0"): 0,
        ("Aarhus", "c0"): HIDDEN,
        (TOTAL, "c0"): 15,
    }


def test_a_small_total_of_one_small_cell_is_not_revealed_by_being_equal():
    cells, lines = _table({"Vejle": [3], "Kolding": [0]})
    assert suppress(cells, lines) == {
        ("Vejle", "c0"): SMALL,
        ("Kolding", "c0"): 0,
        (TOTAL, "c0"): SMALL,
    }


def test_a_complement_that_would_pin_the_small_cell_is_not_enough():
    # 1 + 5 = 6: hiding the 5 alone gives it away (an "x" is at least 5, so the "<5" is 1);
    # the 6 is hidden as well.
    cells, lines = _table({"Vejle": [1], "Kolding": [5], "Aarhus": [6]})
    shown = suppress(cells, lines)
    assert shown == {
        ("Vejle", "c0"): SMALL,
        ("Kolding", "c0"): HIDDEN,
        ("Aarhus", "c0"): HIDDEN,
        (TOTAL, "c0"): 12,
    }


def test_citizens_plus_mentors_hide_people_consistently_across_rows_and_columns():
    # columns: people = citizens + mentors
    cells, lines = _table({"Vejle": [12, 8, 4], "Kolding": [171, 102, 69]}, {"c0": ("c1", "c2")})
    shown = suppress(cells, lines)
    assert shown[("Vejle", "c2")] == SMALL
    assert shown[("Kolding", "c0")] == 171 and shown[(TOTAL, "c0")] == 183
    _assert_protected(cells, lines, shown)


def test_small_parts_that_a_small_total_would_pin_withhold_the_total():
    """The case the partner-table test found: four programmes with one forløb started each.
    Four "<5" (each at least 1) under a "<5" total (at most 4) are 1 each; the total is
    withheld as "x" (any count), and then each could be 1 to 4."""
    cells, lines = _table({f"r{i}": [1] for i in range(4)})
    shown = suppress(cells, lines)
    assert shown == {**{(f"r{i}", "c0"): SMALL for i in range(4)}, (TOTAL, "c0"): HIDDEN}
    assert _feasible_values(cells, lines, shown)[("r0", "c0")] == {1, 2, 3, 4}
    # Three 1s under a "<5" total can each be 1 or 2: nothing is withheld.
    cells, lines = _table({f"r{i}": [1] for i in range(3)})
    assert suppress(cells, lines)[(TOTAL, "c0")] == SMALL


def test_derived_figures_need_shown_counts_and_five_people():
    assert derived_shown(5, 12, people=5) is True
    assert derived_shown(5, 12, people=4) is False
    assert derived_shown(SMALL, 12) is False
    assert derived_shown(HIDDEN, people=40) is False
    assert derived_shown(7) is True


def test_lines_must_add_up():
    with pytest.raises(ValueError):
        suppress({"a": 1, "b": 2, "t": 4}, [Line("t", ("a", "b"))])


# -- differencing, by brute force ---------------------------------------------------------------


def _known_range(cells, shown, key) -> tuple[int, int]:
    """What a reader knows of a hidden cell, as ``range`` arguments: a "<5" is 1-4 (0-4 if it
    is a zero hidden to protect another cell), an "x" 5 or more - or, for a total under 5
    withheld because its parts are all "<5", any count from 1 (0 if it is 0) - and no cell
    exceeds the sum of all cells."""
    cap = sum(cells.values())
    low = min(1, cells[key])
    if shown[key] == SMALL:
        return low, 5
    return (5 if cells[key] >= 5 else low), cap + 1


def _feasible_values(cells, lines, shown) -> dict:
    """Every value each hidden cell can take, given what is shown (:func:`_known_range`) and
    that the one line holds - exhaustively, but by the sums the other cells can make together
    (a set per prefix) instead of every combination, which took minutes on a column with four
    "x" of some 40 values each."""
    (line,) = lines
    hidden = [k for k, v in shown.items() if isinstance(v, str)]
    if not hidden:
        return {}
    # The line as sum(sign * cell) == 0: the parts +1, the whole -1.
    terms = [(k, 1) for k in line.parts] + [(line.whole, -1)]

    def values(key):
        return range(*_known_range(cells, shown, key)) if key in hidden else (shown[key],)

    def sums(chosen):
        reachable = {0}
        for key, sign in chosen:
            reachable = {r + sign * v for r in reachable for v in values(key)}
        return reachable

    possible: dict = {}
    for key in hidden:
        (sign,) = [s for k, s in terms if k == key]
        others = sums([(k, s) for k, s in terms if k != key])
        possible[key] = {v for v in values(key) if -sign * v in others}
    return possible


def _assert_protected(cells, lines, shown) -> None:
    """Brute force on one column; on bigger tables the exact integer optimum (scipy's MILP) of
    each hidden cell's lowest and highest possible value, under the same knowledge."""
    hidden = [k for k, v in shown.items() if isinstance(v, str)]
    if len(lines) == 1:
        possible = _feasible_values(cells, lines, shown)
        for key, values in possible.items():
            assert cells[key] in values, key
            assert len(values) >= 2, (key, sorted(values), shown)
        return
    for key in hidden:
        low, high = _integer_range(cells, lines, shown, key)
        assert low <= cells[key] <= high, key
        assert low < high, (key, low, high, shown)


def _integer_range(cells, lines, shown, key) -> tuple[int, int]:
    """Lowest and highest value of ``key``; a cell missing from ``shown`` is unpublished
    (any count from 0)."""
    keys = list(cells)
    index = {k: i for i, k in enumerate(keys)}
    cap = sum(cells.values())
    lower, upper = [], []
    for k in keys:
        if k not in shown:
            low, high = 0, cap  # unpublished
        elif isinstance(shown[k], str):
            low, stop = _known_range(cells, shown, k)
            high = stop - 1
        else:
            low = high = shown[k]
        lower.append(low)
        upper.append(high)
    matrix = np.zeros((len(lines), len(keys)))
    for row, line in enumerate(lines):
        matrix[row, index[line.whole]] -= 1
        for p in line.parts:
            matrix[row, index[p]] += 1
    found = []
    for sign in (1, -1):
        objective = np.zeros(len(keys))
        objective[index[key]] = sign
        result = milp(
            objective,
            constraints=LinearConstraint(matrix, 0, 0),
            integrality=np.ones(len(keys)),
            bounds=Bounds(lower, upper),
        )
        assert result.success, result.message
        found.append(round(result.x[index[key]]))
    return found[0], found[1]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 9, 12]), min_size=2, max_size=2),
        min_size=2,
        max_size=3,
    )
)
def test_no_hidden_cell_can_be_recomputed_from_a_table_with_totals(grid):
    cells, lines = _table({f"r{i}": row for i, row in enumerate(grid)})
    # and the rows have totals as well: c0 + c1 = sum column
    for r in [*(f"r{i}" for i in range(len(grid))), TOTAL]:
        cells[(r, "sum")] = cells[(r, "c0")] + cells[(r, "c1")]
    lines = [*lines, *table_lines([f"r{i}" for i in range(len(grid))], ["sum"], TOTAL)]
    lines += [
        Line((r, "sum"), ((r, "c0"), (r, "c1")))
        for r in [*(f"r{i}" for i in range(len(grid))), TOTAL]
    ]
    shown = suppress(cells, lines)
    wholes = {line.whole for line in lines}
    for key, value in cells.items():
        if is_small(value):
            # "<5" - or a total withheld as "x" because its parts are all "<5"
            assert shown[key] == SMALL or (shown[key] == HIDDEN and key in wholes)
        elif shown[key] != HIDDEN:
            assert shown[key] == value or (value, shown[key]) == (0, SMALL)
    _assert_protected(cells, lines, shown)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, 4, 5, 6, 8, 11]), min_size=2, max_size=6))
def test_no_hidden_cell_can_be_recomputed_from_one_column_and_its_total(column):
    cells, lines = _table({f"r{i}": [v] for i, v in enumerate(column)})
    _assert_protected(cells, lines, suppress(cells, lines))


def test_the_brute_force_finds_a_revealed_cell_when_there_is_one():
    """The check is not vacuous: hiding only the small cell of a column with its total
    reveals it."""
    cells, lines = _table({"Vejle": [3], "Kolding": [9]})
    shown = {("Vejle", "c0"): SMALL, ("Kolding", "c0"): 9, (TOTAL, "c0"): 12}
    assert _feasible_values(cells, lines, shown) == {("Vejle", "c0"): {3}}
    shown = {("Vejle", "c0"): SMALL, ("Kolding", "c0"): HIDDEN, (TOTAL, "c0"): 12}
    assert _feasible_values(cells, lines, shown) == {
        ("Vejle", "c0"): {1, 2, 3, 4},
        ("Kolding", "c0"): {8, 9, 10, 11},
    }


_FIGURE = st.fixed_dictionaries(
    {
        "citizens": st.integers(0, 9),
        "mentors": st.integers(0, 9),
        "started": st.sampled_from([0, 1, 3, 4, 5, 8]),
        "matches": st.integers(0, 7),
    }
)


@settings(max_examples=80, deadline=None)
@given(st.lists(_FIGURE, min_size=1, max_size=4))
def test_no_hidden_count_of_the_partner_table_can_be_recomputed(rows):
    """The partner's table (core/reports/partner.py): columns and their totals, and people =
    citizens + mentors in every row."""
    from core.reports.overview import Figures
    from core.reports.partner import count_table

    figures = []
    for r in rows:
        figures.append(
            Figures(
                people_in_forloeb=r["citizens"] + r["mentors"],
                citizens_in_forloeb=r["citizens"],
                mentors_in_forloeb=r["mentors"],
                forloeb_started=r["started"],
                matches=r["matches"],
            )
        )
    cells, lines = count_table(figures)
    _assert_protected(cells, lines, suppress(cells, lines))


def test_an_unpublished_remainder_ties_cells_without_being_shown():
    """running = paused + active, "active" never published: a paused count of 3 under 6 running
    stays hidden (it could be 1-4), and the remainder is not in the answer."""
    cells = {"running": 6, "paused": 3, "active": 3}
    shown = suppress(cells, [Line("running", ("paused", "active"))], unseen=["active"])
    assert shown == {"running": 6, "paused": SMALL}


# -- the partner's filters: a filtered view shows the very cells of the whole table (issue 14) --


def _grants(rows):
    """``rows`` as (municipality slug, programme slug, meetings cancelled, citizens, mentors):
    the partner's granted programmes and their figures."""
    from core.reports.overview import Figures
    from core.reports.partner import _Granted
    from core.tenancy.models import Programme, Tenant, TenantKind

    out = []
    for owner, programme, cancelled, citizens, mentors in rows:
        out.append(
            (
                _Granted(
                    Tenant(slug=owner, name=owner.title(), kind=TenantKind.MUNICIPALITY),
                    Programme(slug=programme, name=programme.title()),
                ),
                Figures(
                    people_in_forloeb=citizens + mentors,
                    citizens_in_forloeb=citizens,
                    mentors_in_forloeb=mentors,
                    meetings_cancelled=cancelled,
                ),
            )
        )
    return out


def _views(figures):
    """The unfiltered view and one per filter (programme, municipality, both) as
    (the filter, its rows' keys, rows, total)."""
    from core.reports.partner import suppressed_rows

    owners = sorted({g.owner.slug for g, _f in figures})
    programmes = sorted({g.programme.slug for g, _f in figures})
    filters = [(None, p) for p in programmes] + [(m, None) for m in owners]
    filters += [(m, p) for m in owners for p in programmes]
    views = []
    for m, p in filters:

        def picked(g, m=m, p=p):
            return (m is None or g.owner.slug == m) and (p is None or g.programme.slug == p)

        chosen = [k for k, (g, _f) in enumerate(figures) if picked(g)]
        rows, total = suppressed_rows(figures, picked)
        views.append(((m, p), chosen, rows, total))
    return views


def test_the_reviewers_filter_no_longer_tells_a_hidden_count():
    """Unfiltered: afbud 10 in total, Peer-to-Peer "x", misbrug "<5". Filtered to Peer-to-Peer
    the table used to be suppressed on its own and said 6, so misbrug was 4."""
    from core.reports.partner import suppressed_rows

    figures = _grants([("kolding", "peer-to-peer", 6, 9, 9), ("kolding", "misbrug", 4, 9, 9)])
    rows, total = suppressed_rows(figures)
    assert [r.counts["meetings_cancelled"] for r in rows] == [HIDDEN, SMALL]
    assert total.counts["meetings_cancelled"] == 10
    for (_m, p), _chosen, filtered, filtered_total in _views(figures):
        assert [r.counts for r in filtered] == [
            r.counts for r in rows if p is None or r.programme == p
        ]
        # One row: its total is its cell ("x" or "<5"), never the count behind it; both rows
        # (kolding): the whole table's total.
        expected = filtered[0].counts if len(filtered) == 1 else total.counts
        assert filtered_total.counts == expected
    by_filter = {f: total for f, _chosen, _rows, total in _views(figures)}
    assert by_filter[(None, "peer-to-peer")].counts["meetings_cancelled"] == HIDDEN
    assert by_filter[(None, "misbrug")].counts["meetings_cancelled"] == SMALL


def test_a_filtered_total_of_several_rows_is_hidden_when_a_part_is():
    from core.reports.partner import suppressed_rows

    figures = _grants(
        [("kolding", "btb", 6, 9, 9), ("vejle", "btb", 3, 9, 9), ("vejle", "vp", 20, 9, 9)]
    )
    rows, _total = suppressed_rows(figures)
    btb, btb_total = suppressed_rows(figures, lambda g: g.programme.slug == "btb")
    assert [r.counts for r in btb] == [r.counts for r in rows[:2]]
    assert btb_total.counts["meetings_cancelled"] == HIDDEN
    assert btb_total.counts["citizens_in_forloeb"] == 18
    assert btb_total.cancellation_rate is None


_PARTNER_ROW = st.tuples(
    st.sampled_from(["kolding", "vejle"]),
    st.sampled_from(["btb", "vp"]),
    st.sampled_from([0, 1, 2, 4, 5, 6, 9]),
    st.sampled_from([0, 1, 3, 5, 7]),
    st.sampled_from([0, 2, 4, 6]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_PARTNER_ROW, min_size=1, max_size=4, unique_by=lambda r: (r[0], r[1])))
def test_no_filtered_view_next_to_the_whole_table_pins_a_hidden_count(rows):
    """Every filtered view shows the whole table's cells for its rows, and its total is worked
    out from them; the exact integer range of every hidden cell, knowing the whole table *and*
    every filtered total (a shown one is one more line; an "x" one tells nothing), still holds
    at least two values."""
    from core.reports.partner import COUNTS, count_table, filtered_total
    from core.reports.partner import TOTAL as PARTNER_TOTAL

    figures = _grants(rows)
    cells, lines = count_table([f for _g, f in figures])
    shown = suppress(cells, lines)
    everything = dict(cells)
    known = dict(shown)
    lines = list(lines)
    for (m, p), chosen, filtered, total in _views(figures):
        for k, row in zip(chosen, filtered, strict=True):
            assert row.counts == {c: shown[(k, c)] for c in COUNTS}
        for c in COUNTS:
            parts = [shown[(k, c)] for k in chosen]
            if len(chosen) == len(figures):
                assert total.counts[c] == shown[(PARTNER_TOTAL, c)]  # the filter picks every row
            else:
                assert total.counts[c] == (filtered_total(parts) if chosen else 0)
            if len(chosen) < 2 or len(chosen) == len(figures):
                continue  # one row's cell, or the whole table's total
            key = ("filter", m, p, c)
            everything[key] = sum(cells[(k, c)] for k in chosen)
            lines.append(Line(key, tuple((k, c) for k in chosen)))
            if not isinstance(total.counts[c], str):
                known[key] = total.counts[c]
    for key, value in known.items():
        if isinstance(value, str):
            low, high = _integer_range(everything, lines, known, key)
            assert low < high, (key, low, high, known)
