import makker_netvaerk
import pytest

from core.testing import AnswerError, PluginHarness

ALL_FIVES = {"someone_to_call": 5, "often_alone": 5, "communities": 5}


def test_the_instrument_is_registered_and_checked():
    harness = PluginHarness(makker_netvaerk, name="netvaerk")
    instrument = harness.instruments()["netvaerk"]
    assert (instrument.plugin, instrument.score_min, instrument.score_max) == ("netvaerk", 3, 15)


def test_the_reversed_item_counts_the_other_way():
    harness = PluginHarness(makker_netvaerk, name="netvaerk")
    result = harness.score("netvaerk", ALL_FIVES)
    # 5 + (1 + 5 - 5) + 5, computed by hand
    assert (result.total, result.items["often_alone"]) == (11, 1)


def test_a_missing_answer_gives_no_total():
    harness = PluginHarness(makker_netvaerk, name="netvaerk")
    result = harness.score("netvaerk", {"someone_to_call": 4, "communities": 2})
    assert (result.total, result.complete, result.missing) == (None, False, ("often_alone",))


def test_an_answer_off_the_scale_is_refused_naming_the_item():
    harness = PluginHarness(makker_netvaerk, name="netvaerk")
    with pytest.raises(AnswerError, match="item 'communities'"):
        harness.score("netvaerk", {**ALL_FIVES, "communities": 6})
