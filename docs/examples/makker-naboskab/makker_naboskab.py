"""Neighbourhood mentoring: a programme type, its matching strategy (neighbours first), the
default strategy for programmes of the type, and their short mentor course."""

import datetime as dt

import numpy as np

from core.plugin_api import (
    DurationMonths,
    MatchingStrategy,
    MatchProfile,
    PairScore,
    ProgrammeType,
    Reason,
    ScoreMatrix,
    hookimpl,
)

MAKKER_PLUGIN_API = ">=1.0,<2"
TYPE = "naboskab"
STRATEGY = "naboer"
SAME_POSTAL_CODE = 2.0
SHARED_AREA = 1.0


def _excluded(mentee: MatchProfile, mentor: MatchProfile) -> str | None:
    if mentee.wish_gender_required and mentee.wish_gender not in (None, mentor.gender):
        return "borgeren ønsker en mentor af et andet køn"
    return None


class NeighbourScorer:
    """Two points for the same postal code, one per shared area; a must-have gender wish
    excludes the pair. ``matrix`` and ``explain`` compute the same numbers."""

    def explain(
        self, mentee: MatchProfile, mentor: MatchProfile, config: object, today: dt.date
    ) -> PairScore:
        reasons = []
        if mentee.postal_code and mentee.postal_code == mentor.postal_code:
            reasons.append(
                Reason("postal_code", f"bor begge i {mentee.postal_code}", SAME_POSTAL_CODE)
            )
        for area in sorted(mentee.areas & mentor.areas):
            reasons.append(Reason("area", f"begge har erfaring med {area}", SHARED_AREA))
        excluded = _excluded(mentee, mentor)
        points = 0.0 if excluded else sum(r.points for r in reasons)
        return PairScore(points, tuple(reasons), excluded)

    def matrix(
        self,
        mentees: list[MatchProfile],
        mentors: list[MatchProfile],
        config: object,
        today: dt.date,
    ) -> ScoreMatrix:
        shape = (len(mentees), len(mentors))
        scores = np.zeros(shape)
        allowed = np.ones(shape, dtype=bool)
        for i, a in enumerate(mentees):
            for j, b in enumerate(mentors):
                same = a.postal_code is not None and a.postal_code == b.postal_code
                scores[i, j] = SAME_POSTAL_CODE * same + SHARED_AREA * len(a.areas & b.areas)
                allowed[i, j] = _excluded(a, b) is None
        return ScoreMatrix(np.where(allowed, scores, 0.0), allowed)


@hookimpl
def register_programme_types():
    return ProgrammeType(
        name=TYPE,
        description={
            "da": "Naboer mødes hver uge i tre til seks måneder.",
            "en": "Neighbours meet weekly for three to six months.",
        },
        default_duration_months=DurationMonths(3, 6),
        default_meeting_frequencies=("weekly",),
    )


@hookimpl
def register_matching_strategies():
    return MatchingStrategy(
        name=STRATEGY,
        description={"da": "Naboer først.", "en": "Neighbours first."},
        scorer=NeighbourScorer(),
    )


@hookimpl
def default_matching_strategy(programme):
    # Asked of every loaded plugin: answer for programmes of this type only.
    return STRATEGY if programme.type == TYPE else None


@hookimpl
def course_completion_threshold(programme):
    # Asked of the plugins a programme enables: a naboskab course has three sessions.
    return 3 if programme.type == TYPE else None
