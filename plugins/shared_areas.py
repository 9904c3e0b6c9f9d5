"""``shared_areas``: a deliberately simple matching strategy - one point per shared area.

It exists to show (and test) that matching strategies are plugins: a programme that enables
``[programmes.plugins.shared_areas]`` is matched by it instead of ``shared_experience``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from core.plugin_api import (
    MatchingStrategy,
    MatchProfile,
    PairScore,
    Reason,
    ScoreMatrix,
    hookimpl,
)

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"


class SharedAreasScorer:
    def explain(
        self, mentee: MatchProfile, mentor: MatchProfile, config: object, today: dt.date
    ) -> PairScore:
        reasons = tuple(
            Reason("area", f"begge har erfaring med {a}", 1.0)
            for a in sorted(mentee.areas & mentor.areas)
        )
        return PairScore(float(len(reasons)), reasons)

    def matrix(
        self,
        mentees: list[MatchProfile],
        mentors: list[MatchProfile],
        config: object,
        today: dt.date,
    ) -> ScoreMatrix:
        scores = np.array(
            [[float(len(a.areas & b.areas)) for b in mentors] for a in mentees], dtype=np.float64
        ).reshape(len(mentees), len(mentors))
        return ScoreMatrix(scores, np.ones(scores.shape, dtype=bool))


@hookimpl
def register_matching_strategies() -> MatchingStrategy:
    return MatchingStrategy(
        name="shared_areas", description="Kun fælles områder tæller.", scorer=SharedAreasScorer()
    )
