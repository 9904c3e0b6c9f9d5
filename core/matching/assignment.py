"""Suggestions for one mentee, and the global assignment of a whole waiting list.

Global assignment maximises the total score under the mentors' capacities: a mentor of capacity
``k`` becomes ``k`` columns, forbidden pairs score 0 and are dropped afterwards (so leaving a
mentee unmatched is never worse than a forbidden pair), allowed pairs get a tiny bonus (so more
people are matched when that costs no points), and
``scipy.optimize.linear_sum_assignment`` finds the optimum. Unlike a greedy pass, the first
mentee does not take the mentor the second one needed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from core.matching.types import (
    MatchProfile,
    PairScore,
    Proposal,
    Reason,
    ScoreMatrix,
    Scorer,
    Suggestion,
)
from core.plugin_api import MatchingStrategy, PluginError, call_plugin, text_fault

ALLOWED_BONUS = 1e-6


class GuardedScorer:
    """A strategy's scorer as the core calls it: like a hook, an exception or a wrong result
    of ``matrix`` or ``explain`` raises :class:`PluginError` naming the plugin and
    ``scorer.matrix`` / ``scorer.explain`` (the summary without the exception's message), so
    that the caller can isolate it (:func:`core.plugin_api.log_failure`)."""

    def __init__(self, strategy: MatchingStrategy) -> None:
        self.strategy = strategy
        self.scorer = strategy.scorer

    def matrix(
        self, mentees: list[MatchProfile], mentors: list[MatchProfile], config: Any, today: dt.date
    ) -> ScoreMatrix:
        shape = (len(mentees), len(mentors))

        def check(plugin: str, hook: str, result: Any) -> ScoreMatrix:
            fault = _matrix_fault(result, shape)
            if fault:
                raise PluginError(
                    f"plugin {plugin!r}: {hook} of strategy {self.strategy.name!r} {fault}",
                    f"plugin {plugin!r}: hook {hook} returned a wrong result",
                )
            return result  # type: ignore[no-any-return]

        return call_plugin(  # type: ignore[no-any-return]
            self.scorer.matrix,
            self.strategy.plugin,
            "scorer.matrix",
            mentees,
            mentors,
            config,
            today,
            check=check,
        )

    def explain(
        self, mentee: MatchProfile, mentor: MatchProfile, config: Any, today: dt.date
    ) -> PairScore:
        def check(plugin: str, hook: str, result: Any) -> PairScore:
            points = getattr(result, "points", None)
            fault: str | None = None
            if not (
                isinstance(result, PairScore)
                and isinstance(points, int | float)
                and math.isfinite(points)
            ):
                fault = f"returned {type(result).__name__}; expected a PairScore with finite points"
            else:
                fault = next(filter(None, map(_reason_fault, result.reasons)), None)
            if fault:
                raise PluginError(
                    f"plugin {plugin!r}: {hook} of strategy {self.strategy.name!r} {fault}",
                    f"plugin {plugin!r}: hook {hook} returned a wrong result",
                )
            return result  # type: ignore[no-any-return]

        return call_plugin(  # type: ignore[no-any-return]
            self.scorer.explain,
            self.strategy.plugin,
            "scorer.explain",
            mentee,
            mentor,
            config,
            today,
            check=check,
        )


def _reason_fault(reason: Any) -> str | None:
    if not isinstance(reason, Reason):
        return f"returned a {type(reason).__name__} among its reasons; expected a Reason"
    fault = text_fault(reason.text)
    return f"returned a reason with a wrong text: {fault}" if fault else None


def _matrix_fault(result: Any, shape: tuple[int, int]) -> str | None:
    if not isinstance(result, ScoreMatrix):
        return f"returned {type(result).__name__}; expected a ScoreMatrix"
    try:
        scores, allowed = np.asarray(result.scores), np.asarray(result.allowed)
        if scores.shape != shape or allowed.shape != shape:
            return (
                f"returned a matrix of {scores.shape} (allowed {allowed.shape}); expected "
                f"{shape}, mentees x mentors"
            )
        if not np.all(np.isfinite(scores)) or np.any(scores < 0):
            return "returned a negative or non-finite score"
    except (TypeError, ValueError):
        return "returned scores that are not numbers"
    return None


def assign_indices(matrix: ScoreMatrix, capacities: list[int]) -> list[tuple[int, int]]:
    """Optimal (mentee index, mentor index) pairs for ``matrix`` under ``capacities``."""
    n, m = matrix.scores.shape
    if n == 0 or m == 0 or sum(capacities) == 0:
        return []
    if np.any(matrix.scores < 0):
        raise ValueError("scores must not be negative")
    owner = np.repeat(np.arange(m), capacities)
    # A tiny bonus per allowed pair: among equally good solutions, match more people (an allowed
    # pair scoring 0 beats leaving both unmatched); too small to trade away any real points.
    profit = np.where(matrix.allowed, matrix.scores + ALLOWED_BONUS, 0.0)[:, owner]
    rows, cols = linear_sum_assignment(profit, maximize=True)
    pairs = [(int(r), int(owner[c])) for r, c in zip(rows, cols, strict=True)]
    return sorted((i, j) for i, j in pairs if matrix.allowed[i, j])


def greedy_indices(matrix: ScoreMatrix, capacities: list[int]) -> list[tuple[int, int]]:
    """First come, first served: each mentee in turn takes the best free mentor (for comparison)."""
    free = list(capacities)
    pairs = []
    for i in range(matrix.scores.shape[0]):
        options = [j for j in range(len(free)) if free[j] > 0 and matrix.allowed[i, j]]
        if options:
            best = max(options, key=lambda j: matrix.scores[i, j])
            free[best] -= 1
            pairs.append((i, best))
    return pairs


def total(matrix: ScoreMatrix, pairs: list[tuple[int, int]]) -> float:
    return float(sum(matrix.scores[i, j] for i, j in pairs))


def global_assignment(
    scorer: Scorer,
    mentees: list[MatchProfile],
    mentors: list[MatchProfile],
    config: Any,
    today: dt.date,
) -> list[Proposal]:
    """Proposals for the whole waiting list, each with its explanation. Nothing is final."""
    if not mentees or not mentors:
        return []
    matrix = scorer.matrix(mentees, mentors, config, today)
    pairs = assign_indices(matrix, [max(0, m.capacity) for m in mentors])
    return [
        Proposal(
            mentees[i].key, mentors[j].key, scorer.explain(mentees[i], mentors[j], config, today)
        )
        for i, j in pairs
    ]


def suggestions(
    scorer: Scorer,
    mentee: MatchProfile,
    mentors: list[MatchProfile],
    config: Any,
    today: dt.date,
    top: int = 5,
) -> list[Suggestion]:
    """The ``top`` allowed mentors with free capacity for one mentee, best first."""
    available = [m for m in mentors if m.capacity > 0]
    if not available:
        return []
    matrix = scorer.matrix([mentee], available, config, today)
    order = sorted(
        (j for j in range(len(available)) if matrix.allowed[0, j]),
        key=lambda j: (-matrix.scores[0, j], available[j].key),
    )[:top]
    return [
        Suggestion(
            available[j].key,
            scorer.explain(mentee, available[j], config, today),
            free_capacity=available[j].capacity,
        )
        for j in order
    ]
