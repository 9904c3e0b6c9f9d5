"""``shared_experience``: the built-in matching strategy.

"We try to find people with common traits": shared lived-experience areas and challenges weigh
most, then shared interests, the mentee's wishes (gender, age span), distance between postal
codes and overlapping availability. Weights are set per programme in the tenant file::

    [programmes.plugins.shared_experience.weights]
    challenges = 4.0

A wish marked as a must (``wish_gender_required``, ``wish_age_required``) is a hard filter, on
both sides. Every point comes with a Danish sentence the coordinator sees.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

import msgspec
import numpy as np
import numpy.typing as npt

from core.plugin_api import (
    MatchingStrategy,
    MatchProfile,
    PairScore,
    Reason,
    ScoreMatrix,
    hookimpl,
)
from plugins.postcodes_dk import CENTROIDS

#: The Makker plugin API versions this plugin supports (see docs/plugins.md).
MAKKER_PLUGIN_API = ">=1.0,<2"

Weight = Annotated[float, msgspec.Meta(ge=0, le=100)]
MAX_INTERESTS = 3
AREA_NAMES = {"psykiatri": "psykisk sårbarhed", "handicap": "handicap", "misbrug": "misbrug"}
GENDER_NAMES = {"kvinde": "kvinde", "mand": "mand", "andet": "andet køn"}


class Weights(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    areas: Weight = 3.0
    challenges: Weight = 2.0
    interests: Weight = 1.0
    gender_wish: Weight = 1.0
    age_wish: Weight = 1.0
    distance: Weight = 2.0
    availability: Weight = 1.0


class SharedExperienceConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    weights: Weights = Weights()
    #: Beyond this distance the distance feature gives no points.
    max_distance_km: Annotated[float, msgspec.Meta(gt=0, le=500)] = 30.0


def distance_km(a: str | None, b: str | None) -> float | None:
    if a not in CENTROIDS or b not in CENTROIDS:
        return None
    (lat1, lon1), (lat2, lon2) = CENTROIDS[a], CENTROIDS[b]  # type: ignore[index]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _wish_ok(wisher: MatchProfile, other: MatchProfile, today: dt.date) -> tuple[bool, bool]:
    """(gender wish met, age wish met) - a wish not made counts as not met (no points)."""
    gender = wisher.wish_gender is not None and other.gender == wisher.wish_gender
    age = other.age(today)
    has_span = wisher.wish_age_min is not None or wisher.wish_age_max is not None
    in_span = (
        has_span
        and age is not None
        and (
            (wisher.wish_age_min is None or age >= wisher.wish_age_min)
            and (wisher.wish_age_max is None or age <= wisher.wish_age_max)
        )
    )
    return gender, in_span


def _exclusion(wisher: MatchProfile, other: MatchProfile, today: dt.date, who: str) -> str | None:
    gender, age = _wish_ok(wisher, other, today)
    if wisher.wish_gender_required and not gender:
        return f"{who} ønsker en {GENDER_NAMES.get(wisher.wish_gender or '', 'anden')} som makker"
    if wisher.wish_age_required and not age:
        span = f"{wisher.wish_age_min or ''}-{wisher.wish_age_max or ''}"
        return f"{who} ønsker en makker på {span} år"
    return None


_WORD = (1 << 64) - 1


def _bits(values: frozenset[str], index: dict[str, int]) -> int:
    """``values`` as a bit mask over ``index`` (extended with values not seen yet)."""
    mask = 0
    for value in values:
        mask |= 1 << index.setdefault(value, len(index))
    return mask


class SharedExperienceScorer:
    """Scores with numpy over all pairs; explains one pair in Danish with the same numbers."""

    def _config(self, config: object) -> SharedExperienceConfig:
        return config if isinstance(config, SharedExperienceConfig) else SharedExperienceConfig()

    def explain(
        self, mentee: MatchProfile, mentor: MatchProfile, config: object, today: dt.date
    ) -> PairScore:
        cfg = self._config(config)
        w = cfg.weights
        reasons: list[Reason] = []
        for area in sorted(mentee.areas & mentor.areas):
            reasons.append(
                Reason("area", f"begge har erfaring med {AREA_NAMES.get(area, area)}", w.areas)
            )
        for challenge in sorted(mentee.challenges & mentor.challenges):
            reasons.append(Reason("challenge", f"begge har erfaring med {challenge}", w.challenges))
        interests = sorted(mentee.interests & mentor.interests)
        if interests:
            counted = min(len(interests), MAX_INTERESTS)
            reasons.append(
                Reason(
                    "interests", "fælles interesser: " + ", ".join(interests), w.interests * counted
                )
            )
        gender, age = _wish_ok(mentee, mentor, today)
        if gender:
            reasons.append(
                Reason(
                    "gender_wish",
                    f"mentor er {GENDER_NAMES.get(mentor.gender or '', mentor.gender)}, som ønsket",
                    w.gender_wish,
                )
            )
        if age:
            reasons.append(
                Reason("age_wish", f"mentor er {mentor.age(today)} år, som ønsket", w.age_wish)
            )
        km = distance_km(mentee.postal_code, mentor.postal_code)
        if km is not None and km < cfg.max_distance_km:
            reasons.append(
                Reason(
                    "distance",
                    f"bor {round(km)} km fra hinanden",
                    w.distance * (1 - km / cfg.max_distance_km),
                )
            )
        slots = sorted(mentee.availability & mentor.availability)
        if slots:
            reasons.append(
                Reason("availability", "kan begge mødes " + ", ".join(slots), w.availability)
            )
        excluded = _exclusion(mentee, mentor, today, "borgeren") or _exclusion(
            mentor, mentee, today, "mentoren"
        )
        points = float(sum(r.points for r in reasons))
        return PairScore(points if excluded is None else 0.0, tuple(reasons), excluded)

    def matrix(
        self,
        mentees: list[MatchProfile],
        mentors: list[MatchProfile],
        config: object,
        today: dt.date,
    ) -> ScoreMatrix:
        cfg = self._config(config)
        w = cfg.weights
        n, m = len(mentees), len(mentors)

        def shared(attr: str) -> npt.NDArray[np.float64]:
            """How many values of ``attr`` each pair shares: every profile's set as bit masks
            (64 values a word), counted with AND and popcount. No BLAS call: its thread pool
            makes a small product cost milliseconds on a busy 2-core server."""
            index: dict[str, int] = {}
            bits_a = [_bits(getattr(p, attr), index) for p in mentees]
            bits_b = [_bits(getattr(p, attr), index) for p in mentors]
            counts = np.zeros((n, m), dtype=np.float64)
            for word in range(0, len(index), 64):
                a = np.array([(x >> word) & _WORD for x in bits_a], dtype=np.uint64)
                b = np.array([(x >> word) & _WORD for x in bits_b], dtype=np.uint64)
                counts += np.bitwise_count(a[:, None] & b[None, :])
            return counts

        scores = w.areas * shared("areas") + w.challenges * shared("challenges")
        scores += w.interests * np.minimum(shared("interests"), MAX_INTERESTS)
        scores += w.availability * (shared("availability") > 0)

        def column(values: list[object]) -> npt.NDArray[np.float64]:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        mentor_age = column([p.age(today) for p in mentors])[None, :]
        mentee_age = column([p.age(today) for p in mentees])[:, None]
        allowed = np.ones((n, m), dtype=bool)
        codes: dict[str, int] = {}
        for wishers, others, others_age, transpose in (
            (mentees, mentors, mentor_age, False),
            (mentors, mentees, mentee_age, True),
        ):
            # Genders as integer codes (comparing object arrays is a Python call per pair);
            # no wish (-1) never equals no gender (-2).
            wish = np.array(
                [
                    codes.setdefault(p.wish_gender, len(codes)) if p.wish_gender else -1
                    for p in wishers
                ]
            )
            gender = np.array(
                [codes.setdefault(p.gender, len(codes)) if p.gender else -2 for p in others]
            )
            lo = column([p.wish_age_min for p in wishers])
            hi = column([p.wish_age_max for p in wishers])
            has_span = ~(np.isnan(lo) & np.isnan(hi))
            if transpose:  # wishers are the columns (mentors), others the rows (mentees)
                g_ok = wish[None, :] == gender[:, None]
                a_ok = (
                    has_span[None, :]
                    & ~np.isnan(others_age)
                    & (np.isnan(lo)[None, :] | (others_age >= lo[None, :]))
                    & (np.isnan(hi)[None, :] | (others_age <= hi[None, :]))
                )
                g_req = np.array([p.wish_gender_required for p in wishers], dtype=bool)[None, :]
                a_req = np.array([p.wish_age_required for p in wishers], dtype=bool)[None, :]
            else:
                g_ok = wish[:, None] == gender[None, :]
                a_ok = (
                    has_span[:, None]
                    & ~np.isnan(others_age)
                    & (np.isnan(lo)[:, None] | (others_age >= lo[:, None]))
                    & (np.isnan(hi)[:, None] | (others_age <= hi[:, None]))
                )
                g_req = np.array([p.wish_gender_required for p in wishers], dtype=bool)[:, None]
                a_req = np.array([p.wish_age_required for p in wishers], dtype=bool)[:, None]
                scores += w.gender_wish * g_ok + w.age_wish * a_ok
            allowed &= ~(g_req & ~g_ok) & ~(a_req & ~a_ok)

        coords_a = np.array(
            [CENTROIDS.get(p.postal_code or "", (np.nan, np.nan)) for p in mentees],
            dtype=np.float64,
        ).reshape(n, 2)
        coords_b = np.array(
            [CENTROIDS.get(p.postal_code or "", (np.nan, np.nan)) for p in mentors],
            dtype=np.float64,
        ).reshape(m, 2)
        lat1, lon1 = np.radians(coords_a[:, 0])[:, None], np.radians(coords_a[:, 1])[:, None]
        lat2, lon2 = np.radians(coords_b[:, 0])[None, :], np.radians(coords_b[:, 1])[None, :]
        h = (
            np.sin((lat2 - lat1) / 2) ** 2
            + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        )
        km = 2 * 6371.0 * np.arcsin(np.sqrt(h))
        near = np.nan_to_num(np.clip(1 - km / cfg.max_distance_km, 0, None), nan=0.0)
        scores += w.distance * np.where(km < cfg.max_distance_km, near, 0.0)
        return ScoreMatrix(np.where(allowed, scores, 0.0), allowed)


@hookimpl
def plugin_config_schema() -> type[SharedExperienceConfig]:
    return SharedExperienceConfig


@hookimpl(trylast=True)
def default_matching_strategy() -> str:
    return "shared_experience"


@hookimpl
def register_matching_strategies() -> MatchingStrategy:
    return MatchingStrategy(
        name="shared_experience",
        description="Fælles erfaringer, interesser, ønsker, afstand og tidspunkter.",
        scorer=SharedExperienceScorer(),
    )
