import datetime as dt

import makker_naboskab

from core.testing import PluginHarness

TODAY = dt.date(2026, 11, 23)
P = PluginHarness.profile
MENTEES = [
    P("anna", postal_code="6000", areas={"psykiatri"}),
    P("bo", postal_code="7100", wish_gender="mand", wish_gender_required=True),
]
MENTORS = [
    P("carl", postal_code="6000", areas={"psykiatri", "misbrug"}, gender="mand"),
    P("dorte", postal_code="7100", gender="kvinde"),
]


def harness():
    return PluginHarness(makker_naboskab, name="naboskab", programme_type="naboskab")


def test_the_matrix_agrees_with_the_explanations_and_scores_by_hand():
    matrix = harness().match("naboer", MENTEES, MENTORS, today=TODAY)
    # anna-carl: same postal code 2 + psykiatri 1; bo-dorte: excluded by bo's must-have wish
    assert matrix.scores.tolist() == [[3.0, 0.0], [0.0, 0.0]]
    assert matrix.allowed.tolist() == [[True, True], [True, False]]


def test_an_excluded_pair_says_why():
    explained = harness().explain("naboer", MENTEES[1], MENTORS[1], today=TODAY)
    assert explained.excluded_because == "borgeren ønsker en mentor af et andet køn"


def test_programmes_of_the_type_default_to_the_strategy_and_a_three_session_course():
    h = harness()
    assert h.programme_types()["naboskab"].default_duration_months.max == 6
    assert (h.default_strategy(), h.course_threshold()) == ("naboer", 3)
    other = PluginHarness(makker_naboskab, name="naboskab")  # a peer_mentor programme
    assert (other.default_strategy(), other.course_threshold()) == (None, None)
