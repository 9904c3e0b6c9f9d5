"""Benchmark: global assignment with scoring and explanations.

Run:  python -m tests.benchmarks.bench_matching

Cases: 200 mentees x 100 mentors (a large real programme) and 2,000 mentees x 1,000 mentors of
capacity 2. Target: at most 2 s for the large case on a 2-core machine. Prints wall time per
phase and peak memory (tracemalloc, which numpy reports to).
"""

from __future__ import annotations

import datetime as dt
import random
import time
import tracemalloc

from core.matching.assignment import assign_indices
from core.matching.types import MatchProfile
from plugins.postcodes_dk import CENTROIDS
from plugins.shared_experience import SharedExperienceScorer

TODAY = dt.date(2026, 11, 23)
AREAS = ("psykiatri", "handicap", "misbrug")
CHALLENGES = tuple(f"udfordring-{i}" for i in range(40))
INTERESTS = tuple(f"interesse-{i}" for i in range(60))
SLOTS = tuple(
    f"{d}-{t}"
    for d in ("man", "tir", "ons", "tor", "fre", "lør", "søn")
    for t in ("formiddag", "eftermiddag", "aften")
)
POSTCODES = tuple(CENTROIDS)


def _profile(rng: random.Random, key: str, capacity: int = 1) -> MatchProfile:
    return MatchProfile(
        key=key,
        areas=frozenset(rng.sample(AREAS, rng.randint(1, 2))),
        challenges=frozenset(rng.sample(CHALLENGES, rng.randint(0, 3))),
        interests=frozenset(rng.sample(INTERESTS, rng.randint(1, 5))),
        gender=rng.choice(("kvinde", "mand", None)),
        birth_year=rng.randint(1950, 2005),
        postal_code=rng.choice(POSTCODES),
        availability=frozenset(rng.sample(SLOTS, rng.randint(1, 6))),
        wish_gender=rng.choice((None, None, "kvinde", "mand")),
        wish_gender_required=rng.random() < 0.1,
        wish_age_min=rng.choice((None, 25, 40)),
        wish_age_max=rng.choice((None, 50, 70)),
        wish_age_required=rng.random() < 0.05,
        capacity=capacity,
    )


def run(n_mentees: int, n_mentors: int, capacity: int) -> dict[str, float]:
    rng = random.Random(f"{n_mentees}x{n_mentors}")
    mentees = [_profile(rng, f"e{i}") for i in range(n_mentees)]
    mentors = [_profile(rng, f"o{j}", capacity) for j in range(n_mentors)]
    scorer = SharedExperienceScorer()
    tracemalloc.start()
    t0 = time.perf_counter()
    matrix = scorer.matrix(mentees, mentors, None, TODAY)
    t1 = time.perf_counter()
    pairs = assign_indices(matrix, [m.capacity for m in mentors])
    t2 = time.perf_counter()
    explanations = [scorer.explain(mentees[i], mentors[j], None, TODAY) for i, j in pairs]
    t3 = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(explanations) == len(pairs)
    return {
        "score_s": t1 - t0,
        "assign_s": t2 - t1,
        "explain_s": t3 - t2,
        "total_s": t3 - t0,
        "pairs": len(pairs),
        "peak_mib": peak / 2**20,
    }


def main() -> None:
    for n, m, cap in ((200, 100, 1), (2000, 1000, 2)):
        r = run(n, m, cap)
        print(
            f"{n} mentees x {m} mentors (capacity {cap}): total {r['total_s']:.2f} s "
            f"(scoring {r['score_s']:.2f} s, assignment {r['assign_s']:.2f} s, "
            f"explanations {r['explain_s']:.2f} s), {r['pairs']} proposals, "
            f"peak memory {r['peak_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
