"""Public types of matching, re-exported from :mod:`core.plugin_api` for strategy authors.

A strategy scores every mentee x mentor pair of a programme at once (:class:`Scorer.matrix`,
which may use numpy for speed) and explains a single pair in Danish (:class:`Scorer.explain`).
The core then suggests the best mentors for one mentee, or assigns the whole waiting list
(:mod:`core.matching.assignment`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from core.plugin_types import Text


@dataclass(frozen=True)
class MatchProfile:
    """What matching knows about one candidate (a mentee or a mentor) - no name, no contact."""

    key: str
    areas: frozenset[str] = frozenset()
    #: Concrete challenges the person wants to share (e.g. "angst", "kørestol").
    challenges: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    gender: str | None = None
    birth_year: int | None = None
    postal_code: str | None = None
    #: Slots like "tir-eftermiddag"; overlap means they can meet.
    availability: frozenset[str] = frozenset()
    #: The person's wish for the other party's gender, and whether it is a must.
    wish_gender: str | None = None
    wish_gender_required: bool = False
    #: Wished age span of the other party (inclusive), and whether it is a must.
    wish_age_min: int | None = None
    wish_age_max: int | None = None
    wish_age_required: bool = False
    #: How many mentees a mentor can take at once (mentors only).
    capacity: int = 1

    def age(self, today: dt.date) -> int | None:
        return None if self.birth_year is None else today.year - self.birth_year


@dataclass(frozen=True)
class Reason:
    """One scored feature: a sentence for the coordinator and the points it gave.

    ``text`` is a :data:`~core.plugin_types.Text`: Danish, or ``{"da": ..., "en": ...}``. A
    proposal stores it as given, and pages and the API show the user's language (else the
    Danish)."""

    code: str
    text: Text
    points: float


@dataclass(frozen=True)
class PairScore:
    points: float
    reasons: tuple[Reason, ...] = ()
    #: Why the pair is excluded by a must-have wish, if it is (Danish); ``None`` if allowed.
    excluded_because: str | None = None

    @property
    def allowed(self) -> bool:
        return self.excluded_because is None


@dataclass(frozen=True)
class ScoreMatrix:
    """Scores (``n_mentees x n_mentors``, all >= 0) and which pairs the hard filters allow."""

    scores: npt.NDArray[np.float64]
    allowed: npt.NDArray[np.bool_]


class Scorer(Protocol):
    """What a matching strategy implements. ``config`` is the strategy plugin's resolved
    configuration for the programme (or ``None``); both methods must agree: the points of
    ``explain`` equal the matrix entry, ``excluded_because`` is set exactly where the matrix
    disallows the pair, and an allowed pair's reasons add up to its points
    (``PluginHarness.match`` checks all three)."""

    def matrix(
        self, mentees: list[MatchProfile], mentors: list[MatchProfile], config: Any, today: dt.date
    ) -> ScoreMatrix: ...

    def explain(
        self, mentee: MatchProfile, mentor: MatchProfile, config: Any, today: dt.date
    ) -> PairScore: ...


@dataclass(frozen=True)
class Proposal:
    mentee: str
    mentor: str
    score: PairScore


@dataclass(frozen=True)
class Suggestion:
    mentor: str
    score: PairScore
    free_capacity: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
