"""Matching: optimal global assignment, explanations that match the scores, weights, filters."""

from __future__ import annotations

import datetime as dt
import itertools

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.matching.assignment import (
    assign_indices,
    global_assignment,
    greedy_indices,
    suggestions,
    total,
)
from core.matching.types import MatchProfile, ScoreMatrix
from plugins.shared_areas import SharedAreasScorer
from plugins.shared_experience import SharedExperienceConfig, SharedExperienceScorer, Weights

TODAY = dt.date(2026, 11, 23)


def _brute_force(matrix: ScoreMatrix, capacities: list[int]) -> float:
    """The best total over every way of giving each mentee one allowed mentor or none."""
    n, m = matrix.scores.shape
    best = 0.0
    for choice in itertools.product([None, *range(m)], repeat=n):
        used = [0] * m
        ok = True
        value = 0.0
        for i, j in enumerate(choice):
            if j is None:
                continue
            used[j] += 1
            if used[j] > capacities[j] or not matrix.allowed[i, j]:
                ok = False
                break
            value += matrix.scores[i, j]
        if ok:
            best = max(best, value)
    return best


@st.composite
def problems(draw):
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 3))
    scores = np.array(
        draw(
            st.lists(st.lists(st.integers(0, 10), min_size=m, max_size=m), min_size=n, max_size=n)
        ),
        dtype=np.float64,
    )
    allowed = np.array(
        draw(st.lists(st.lists(st.booleans(), min_size=m, max_size=m), min_size=n, max_size=n)),
        dtype=bool,
    )
    capacities = draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))
    return ScoreMatrix(scores, allowed), capacities


@settings(max_examples=300, deadline=None)
@given(problems())
def test_global_assignment_equals_brute_force_optimum(problem):
    matrix, capacities = problem
    pairs = assign_indices(matrix, capacities)
    assert total(matrix, pairs) == _brute_force(matrix, capacities)
    assert all(matrix.allowed[i, j] for i, j in pairs)
    assert len({i for i, _ in pairs}) == len(pairs)  # a mentee at most once
    for j, capacity in enumerate(capacities):
        assert sum(1 for _, jj in pairs if jj == j) <= capacity


def test_global_assignment_beats_greedy_on_a_crafted_case():
    # Both mentees like mentor A best; only the first also likes B. Greedy gives A to the
    # first mentee and leaves the second with B (0 points); the optimum swaps them.
    matrix = ScoreMatrix(np.array([[10.0, 9.0], [10.0, 0.0]]), np.ones((2, 2), dtype=bool))
    optimal, greedy = assign_indices(matrix, [1, 1]), greedy_indices(matrix, [1, 1])
    assert (optimal, total(matrix, optimal)) == ([(0, 1), (1, 0)], 19.0)
    assert (greedy, total(matrix, greedy)) == ([(0, 0), (1, 1)], 10.0)


def test_a_mentor_of_capacity_two_takes_two_mentees():
    matrix = ScoreMatrix(np.array([[5.0], [4.0], [3.0]]), np.ones((3, 1), dtype=bool))
    assert assign_indices(matrix, [2]) == [(0, 0), (1, 0)]


ANNA = MatchProfile(
    "anna",
    areas=frozenset({"psykiatri"}),
    challenges=frozenset({"angst"}),
    interests=frozenset({"gåture", "café", "strik", "film"}),
    gender="kvinde",
    birth_year=1990,
    postal_code="6000",
    availability=frozenset({"tir-eftermiddag"}),
    wish_gender="kvinde",
    wish_age_min=30,
    wish_age_max=50,
)
BIRGIT = MatchProfile(
    "birgit",
    areas=frozenset({"psykiatri", "misbrug"}),
    challenges=frozenset({"angst", "ensomhed"}),
    interests=frozenset({"gåture", "café", "strik", "film"}),
    gender="kvinde",
    birth_year=1982,
    postal_code="6000",
    availability=frozenset({"tir-eftermiddag", "tor-formiddag"}),
)
CARL = MatchProfile(
    "carl",
    areas=frozenset({"handicap"}),
    interests=frozenset({"fodbold"}),
    gender="mand",
    birth_year=1960,
    postal_code="7100",
)


def test_explanation_lists_each_scored_feature_in_danish():
    score = SharedExperienceScorer().explain(ANNA, BIRGIT, None, TODAY)
    assert [(r.code, r.text, round(r.points, 2)) for r in score.reasons] == [
        ("area", "begge har erfaring med psykisk sårbarhed", 3.0),
        ("challenge", "begge har erfaring med angst", 2.0),
        ("interests", "fælles interesser: café, film, gåture, strik", 3.0),
        ("gender_wish", "mentor er kvinde, som ønsket", 1.0),
        ("age_wish", "mentor er 44 år, som ønsket", 1.0),
        ("distance", "bor 0 km fra hinanden", 2.0),
        ("availability", "kan begge mødes tir-eftermiddag", 1.0),
    ]
    assert score.points == 13.0 and score.allowed


def test_distance_is_explained_in_km():
    far = MatchProfile("f", areas=frozenset({"psykiatri"}), postal_code="7100")
    near = MatchProfile("n", areas=frozenset({"psykiatri"}), postal_code="6000")
    score = SharedExperienceScorer().explain(near, far, None, TODAY)
    (distance,) = [r for r in score.reasons if r.code == "distance"]
    assert distance.text == "bor 25 km fra hinanden"
    assert distance.points == pytest.approx(2.0 * (1 - 24.6 / 30), abs=0.05)


@pytest.mark.parametrize("scorer", [SharedExperienceScorer(), SharedAreasScorer()])
def test_explanations_agree_with_the_score_matrix(scorer):
    people = [
        ANNA,
        BIRGIT,
        CARL,
        MatchProfile(
            "d",
            areas=frozenset({"misbrug"}),
            gender="mand",
            birth_year=2000,
            wish_gender="mand",
            wish_gender_required=True,
            postal_code="7080",
        ),
        MatchProfile("e", wish_age_min=60, wish_age_required=True, birth_year=1970),
    ]
    matrix = scorer.matrix(people, people, None, TODAY)
    for i, a in enumerate(people):
        for j, b in enumerate(people):
            explained = scorer.explain(a, b, None, TODAY)
            assert matrix.scores[i, j] == pytest.approx(explained.points)
            assert bool(matrix.allowed[i, j]) == explained.allowed


def test_must_have_wishes_are_hard_filters_on_both_sides():
    wants_man = MatchProfile("w", wish_gender="mand", wish_gender_required=True)
    old_only = MatchProfile(
        "o", gender="kvinde", birth_year=1980, wish_age_min=60, wish_age_required=True
    )
    scorer = SharedExperienceScorer()
    assert scorer.explain(wants_man, BIRGIT, None, TODAY).excluded_because == (
        "borgeren ønsker en mand som makker"
    )
    assert scorer.explain(wants_man, CARL, None, TODAY).allowed
    assert scorer.explain(ANNA, old_only, None, TODAY).excluded_because == (
        "mentoren ønsker en makker på 60- år"
    )
    proposals = global_assignment(scorer, [wants_man], [BIRGIT], None, TODAY)
    assert proposals == []


def test_weights_from_config_change_the_ranking():
    mentee = MatchProfile("m", areas=frozenset({"psykiatri"}), interests=frozenset({"film"}))
    same_area = MatchProfile("area", areas=frozenset({"psykiatri"}))
    same_hobby = MatchProfile("hobby", interests=frozenset({"film"}))
    scorer = SharedExperienceScorer()
    default = suggestions(scorer, mentee, [same_hobby, same_area], None, TODAY)
    hobbies = SharedExperienceConfig(weights=Weights(interests=10.0))
    weighted = suggestions(scorer, mentee, [same_hobby, same_area], hobbies, TODAY)
    assert [s.mentor for s in default] == ["area", "hobby"]
    assert [s.mentor for s in weighted] == ["hobby", "area"]


def test_weights_come_from_the_tenant_file_schema():
    config = msgspec.convert({"weights": {"interests": 10, "areas": 0}}, SharedExperienceConfig)
    assert (config.weights.interests, config.weights.areas, config.weights.challenges) == (
        10.0,
        0.0,
        2.0,
    )
    with pytest.raises(msgspec.ValidationError) as excinfo:
        msgspec.convert({"weights": {"areas": -1}}, SharedExperienceConfig)
    assert str(excinfo.value) == "Expected `float` >= 0.0 - at `$.weights.areas`"


def test_a_mentor_at_capacity_is_not_suggested():
    full = MatchProfile("full", areas=frozenset({"psykiatri"}), capacity=0)
    free = MatchProfile("free", areas=frozenset({"handicap"}), capacity=1)
    result = suggestions(SharedExperienceScorer(), ANNA, [full, free], None, TODAY)
    assert [s.mentor for s in result] == ["free"]


def test_the_second_strategy_ranks_by_areas_only():
    mentee = MatchProfile(
        "m", areas=frozenset({"psykiatri", "misbrug"}), interests=frozenset({"film"})
    )
    two_areas = MatchProfile("two", areas=frozenset({"psykiatri", "misbrug"}))
    hobby_and_area = MatchProfile(
        "one",
        areas=frozenset({"psykiatri"}),
        interests=frozenset({"film"}),
        challenges=frozenset({"x"}),
    )
    result = suggestions(SharedAreasScorer(), mentee, [hobby_and_area, two_areas], None, TODAY)
    assert [(s.mentor, s.score.points) for s in result] == [("two", 2.0), ("one", 1.0)]


def test_an_allowed_pair_with_no_points_is_still_proposed():
    matrix = ScoreMatrix(np.array([[0.0], [0.0]]), np.array([[False], [True]]))
    assert assign_indices(matrix, [1]) == [(1, 0)]


@pytest.mark.parametrize("scorer", [SharedExperienceScorer(), SharedAreasScorer()])
def test_an_empty_side_scores_to_an_empty_matrix_and_no_proposals(scorer):
    """Kolding's waiting list can be empty while mentors have free places (and vice versa)."""
    mentors = [MatchProfile("a", wish_gender="mand", wish_gender_required=True), BIRGIT]
    assert scorer.matrix([], mentors, None, TODAY).scores.shape == (0, 2)
    assert scorer.matrix([ANNA], [], None, TODAY).allowed.shape == (1, 0)
    assert global_assignment(scorer, [], mentors, None, TODAY) == []
    assert suggestions(scorer, ANNA, [], None, TODAY) == []
