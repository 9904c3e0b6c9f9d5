"""Outcome instruments (issue 13, part A): the declaration, the one scoring function, the
registration hook and the five built-ins, scored on worked examples. Pure: no database.

Expected totals are computed by hand in the comments, from each instrument's published scoring
rule (see the module docstrings in ``plugins/``), never with the function under test.
"""

from __future__ import annotations

import msgspec
import pytest

from core.outcomes.instruments import get_instrument, registered_instruments
from core.outcomes.scoring import AnswerError, score
from core.plugin_api import (
    DEFAULT_PLUGINS,
    Instrument,
    InstrumentError,
    InstrumentItem,
    PluginError,
    ResponseOption,
    create_plugin_manager,
    hookimpl,
)
from core.testing import PluginHarness

BUILT_IN = ("who5", "swls", "mastery", "qpr15", "makker4")


@pytest.fixture(scope="module")
def instruments() -> dict[str, Instrument]:
    return registered_instruments(create_plugin_manager())


def answers(instrument: Instrument, *values: int) -> dict[str, int]:
    """Answers in item order."""
    assert len(values) == len(instrument.items)
    return {item.key: value for item, value in zip(instrument.items, values, strict=True)}


def every(instrument: Instrument, value: int) -> dict[str, int]:
    return {item.key: value for item in instrument.items}


# -- the built-ins ----------------------------------------------------------------------------
def test_the_built_in_instruments_are_plugins_of_their_own(instruments):
    assert [(i.id, i.plugin) for i in instruments.values()] == [(b, b) for b in BUILT_IN]
    assert all(f"plugins.{b}" in DEFAULT_PLUGINS for b in BUILT_IN)


def test_who5_is_the_danish_version_scored_0_to_100(instruments):
    who5 = instruments["who5"]
    assert [o.label_da for o in who5.options] == [
        "På intet tidspunkt",
        "Lidt af tiden",
        "Lidt mindre end halvdelen af tiden",
        "Lidt mere end halvdelen af tiden",
        "Det meste af tiden",
        "Hele tiden",
    ]
    assert [o.value for o in who5.options] == [0, 1, 2, 3, 4, 5]
    assert who5.items[0].text_da == "I de sidste 2 uger har jeg været glad og i godt humør"
    assert who5.items[4].text_en == "My daily life has been filled with things that interest me"
    assert not any(i.reversed for i in who5.items)
    assert "2 uger" in who5.intro_da and "two weeks" in who5.intro_en
    assert (who5.scoring, who5.multiplier, who5.score_min, who5.score_max) == ("sum", 4, 0, 100)
    assert (who5.meaningful_change, who5.direction) == (10, "higher_is_better")
    assert "Per Bech" in who5.source and "Topp" in who5.source
    assert "frit" in who5.terms_of_use and who5.validated


def test_who5_all_of_the_time_is_100_and_at_no_time_is_0(instruments):
    who5 = instruments["who5"]
    assert score(who5, every(who5, 5)).total == 100  # 5 x 5 = 25, x 4
    assert score(who5, every(who5, 0)).total == 0


def test_who5_worked_examples(instruments):
    who5 = instruments["who5"]
    # Kommunernes Landsforening's example answer: glad 5, rolig 3, aktiv 5, frisk 5,
    # interesseret 5 -> raw 23 -> 92.
    assert score(who5, answers(who5, 5, 3, 5, 5, 5)).total == 92
    # The screening limit: raw 13 -> 52 (below 13, i.e. 50 or less, suggests screening).
    assert score(who5, answers(who5, 3, 3, 3, 2, 2)).total == 52
    result = score(who5, answers(who5, 1, 2, 3, 4, 0))  # raw 10 -> 40
    assert (result.total, result.complete, result.items["active"]) == (40, True, 3)


def test_swls_sums_five_items_from_5_to_35(instruments):
    swls = instruments["swls"]
    assert [i.text_en for i in swls.items] == [
        "In most ways my life is close to my ideal.",
        "The conditions of my life are excellent.",
        "I am satisfied with my life.",
        "So far I have gotten the important things I want in life.",
        "If I could live my life over, I would change almost nothing.",
    ]
    assert [(o.value, o.label_en) for o in swls.options][::3] == [
        (1, "Strongly disagree"),
        (4, "Neither agree nor disagree"),
        (7, "Strongly agree"),
    ]
    assert not any(i.reversed for i in swls.items)
    assert score(swls, every(swls, 1)).total == 5
    assert score(swls, every(swls, 7)).total == 35
    assert score(swls, every(swls, 4)).total == 20  # the authors' "neutral"
    assert score(swls, answers(swls, 6, 6, 7, 6, 6)).total == 31  # "extremely satisfied" starts
    assert score(swls, answers(swls, 2, 1, 3, 2, 1)).total == 9  # "extremely dissatisfied" ends
    assert "Makkers egen" in swls.translation_note and "Diener" in swls.source


def test_mastery_reverses_items_1_2_3_5_and_7(instruments):
    mastery = instruments["mastery"]
    assert [n for n, i in enumerate(mastery.items, start=1) if i.reversed] == [1, 2, 3, 5, 7]
    assert [i.text_en for i in mastery.items][3] == (
        "I can do just about anything I really set my mind to."
    )
    assert mastery.items[5].text_en == "What happens to me in the future mostly depends on me."
    assert [(o.value, o.label_en) for o in mastery.options] == [
        (1, "Strongly disagree"),
        (2, "Disagree"),
        (3, "Agree"),
        (4, "Strongly agree"),
    ]
    assert (mastery.score_min, mastery.score_max, mastery.direction) == (
        7,
        28,
        "higher_is_better",
    )


def test_mastery_worked_examples_by_hand(instruments):
    mastery = instruments["mastery"]
    # All "Strongly agree" (4): five reversed items count 1 + 4 - 4 = 1, two count 4: 5 + 8.
    result = score(mastery, every(mastery, 4))
    assert result.total == 13
    assert result.items == {
        "cannot_solve": 1,
        "pushed_around": 1,
        "little_control": 1,
        "can_do_anything": 4,
        "helpless": 1,
        "future_depends_on_me": 4,
        "little_i_can_change": 1,
    }
    # All "Strongly disagree" (1): five reversed items count 4, two count 1: 20 + 2.
    assert score(mastery, every(mastery, 1)).total == 22
    # The most mastery: disagree strongly with the negative items, agree strongly with the
    # positive ones -> 7 x 4.
    assert score(mastery, answers(mastery, 1, 1, 1, 4, 1, 4, 1)).total == 28
    # The least: the opposite -> 7 x 1.
    assert score(mastery, answers(mastery, 4, 4, 4, 1, 4, 1, 4)).total == 7
    # Mixed: 2->3, 3->2, 2->3, 3, 1->4, 2, 4->1 = 18.
    assert score(mastery, answers(mastery, 2, 3, 2, 3, 1, 2, 4)).total == 18


def test_qpr15_sums_fifteen_items_from_0_to_60_for_both_roles(instruments):
    qpr = instruments["qpr15"]
    assert len(qpr.items) == 15 and qpr.respondents == "both"
    assert qpr.items[0].text_en == "I feel better about myself"
    assert qpr.items[-1].text_en == "I can find the time to do the things I enjoy"
    assert [o.label_en for o in qpr.options] == [
        "Disagree strongly",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Agree strongly",
    ]
    assert not any(i.reversed for i in qpr.items)
    assert "7 dage" in qpr.intro_da and "last 7 days" in qpr.intro_en
    assert score(qpr, every(qpr, 0)).total == 0
    assert score(qpr, every(qpr, 4)).total == 60
    assert score(qpr, every(qpr, 2)).total == 30
    # 4 x 3 + 5 x 2 + 6 x 1 = 12 + 10 + 6
    assert score(qpr, answers(qpr, *([3] * 4 + [2] * 5 + [1] * 6))).total == 28
    assert "Law" in qpr.source and "Makkers egen" in qpr.translation_note


def test_makker4_reports_each_item_alone_and_is_labelled_as_not_validated(instruments):
    makker4 = instruments["makker4"]
    assert [i.key for i in makker4.items] == ["hope", "control", "inclusion", "satisfaction"]
    assert (makker4.validated, makker4.scoring, makker4.score_min, makker4.score_max) == (
        False,
        "items",
        0,
        10,
    )
    assert "ikke en valideret skala" in makker4.title_da
    assert "not a validated scale" in makker4.title_en
    assert [o.value for o in makker4.options] == list(range(11))
    result = score(makker4, answers(makker4, 7, 3, 10, 0))
    assert (result.total, result.complete) == (None, True)
    assert result.items == {"hope": 7, "control": 3, "inclusion": 10, "satisfaction": 0}


@pytest.mark.parametrize("instrument_id", BUILT_IN)
def test_each_built_in_says_where_it_comes_from(instruments, instrument_id):
    instrument = instruments[instrument_id]
    assert instrument.source and instrument.terms_of_use and instrument.translation_note
    assert instrument.intro_da and instrument.intro_en and instrument.version
    assert all(i.text_da != i.text_en for i in instrument.items)


# -- scoring rules ----------------------------------------------------------------------------
def test_a_missing_answer_gives_no_total_and_nothing_is_imputed(instruments):
    who5 = instruments["who5"]
    given = every(who5, 4)
    del given["rested"]
    result = score(who5, given)
    assert (result.total, result.complete, result.missing) == (None, False, ("rested",))
    assert result.items == {"cheerful": 4, "calm": 4, "active": 4, "interested": 4}


def test_an_answer_of_none_is_missing(instruments):
    swls = instruments["swls"]
    result = score(swls, {**every(swls, 5), "satisfied": None})
    assert (result.total, result.missing) == (None, ("satisfied",))


def test_no_answers_at_all(instruments):
    mastery = instruments["mastery"]
    result = score(mastery, {})
    assert (result.total, result.complete, result.items, len(result.missing)) == (
        None,
        False,
        {},
        7,
    )


@pytest.mark.parametrize("value", [6, -1, True, "3", 2.5])
def test_an_answer_off_the_scale_is_refused_naming_the_item(instruments, value):
    who5 = instruments["who5"]
    with pytest.raises(AnswerError) as caught:
        score(who5, {**every(who5, 3), "calm": value})
    assert str(caught.value) == (
        f"instrument 'who5', item 'calm': {value!r} is not an answer on the scale (expected a "
        "whole number 0-5)"
    )
    assert (caught.value.instrument, caught.value.item) == ("who5", "calm")
    assert isinstance(caught.value, ValueError)


def test_a_reversed_item_is_checked_against_the_scale_before_it_is_turned(instruments):
    mastery = instruments["mastery"]
    with pytest.raises(AnswerError, match="item 'cannot_solve': 0 is not an answer"):
        score(mastery, {"cannot_solve": 0})  # 1 + 4 - 0 would be 5


def test_an_answer_to_an_unknown_item_is_refused(instruments):
    with pytest.raises(AnswerError, match="item 'sleepy': no such item"):
        score(instruments["who5"], {"sleepy": 3})


def test_the_score_carries_the_instrument_and_its_version(instruments):
    result = score(instruments["swls"], every(instruments["swls"], 3))
    assert (result.instrument, result.version, result.total) == ("swls", "1", 15)


# -- declaring an instrument ------------------------------------------------------------------
def _options(*values: int) -> tuple[ResponseOption, ...]:
    return tuple(ResponseOption(value=v, label_da=f"da {v}", label_en=f"en {v}") for v in values)


def _instrument(**changes) -> Instrument:
    fields = {
        "id": "demo",
        "version": "1",
        "title_da": "Demo",
        "title_en": "Demo",
        "intro_da": "Svar.",
        "intro_en": "Answer.",
        "items": (
            InstrumentItem(key="first", text_da="Første", text_en="First"),
            InstrumentItem(key="second", text_da="Anden", text_en="Second", reversed=True),
            InstrumentItem(key="third", text_da="Tredje", text_en="Third"),
        ),
        "options": _options(1, 2, 3, 4, 5),
        "respondents": "mentee",
        "score_min": 3,
        "score_max": 15,
        "direction": "higher_is_better",
        "scoring": "sum",
        "source": "A test.",
        "terms_of_use": "A test.",
        "validated": False,
    }
    return Instrument(**{**fields, **changes})


def test_a_valid_declaration():
    demo = _instrument()
    assert (demo.item_min, demo.item_max, demo.item("second").reversed) == (1, 5, True)
    assert score(demo, {"first": 5, "second": 5, "third": 5}).total == 11  # 5 + 1 + 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "items": (
                    InstrumentItem(key="first", text_da="a", text_en="a"),
                    InstrumentItem(key="first", text_da="b", text_en="b"),
                ),
                "score_min": 2,
                "score_max": 10,
            },
            "instrument 'demo': item 'first' is declared twice",
        ),
        (
            {"items": (InstrumentItem(key="First item", text_da="a", text_en="a"),)},
            "instrument 'demo': item 'First item': the key must be lower-case letters, digits "
            "and _ (2-60 characters)",
        ),
        (
            {"items": (InstrumentItem(key="first", text_da="", text_en="a"),)},
            "instrument 'demo': item 'first': text_da and text_en must not be empty",
        ),
        ({"items": ()}, "instrument 'demo': it has no items"),
        (
            {"options": _options(0, 1, 3), "score_min": 0, "score_max": 9},
            "instrument 'demo': the options must be an ordinal scale - whole numbers in "
            "ascending order without gaps - so that items can be scored and reversed; got "
            "[0, 1, 3]",
        ),
        (
            {"options": _options(5, 4, 3, 2, 1)},
            "instrument 'demo': the options must be an ordinal scale - whole numbers in "
            "ascending order without gaps - so that items can be scored and reversed; got "
            "[5, 4, 3, 2, 1]",
        ),
        (
            {"options": _options(1)},
            "instrument 'demo': the answer scale needs at least two options",
        ),
        (
            {"score_max": 20},
            "instrument 'demo': the score range 3-20 does not match its declaration: 3 items x "
            "options 1-5 gives 3-15",
        ),
        (
            {"multiplier": 4},
            "instrument 'demo': the score range 3-15 does not match its declaration: 3 items x "
            "options 1-5 x 4 gives 12-60",
        ),
        (
            {"scoring": "items"},
            "instrument 'demo': the score range 3-15 does not match its declaration: scoring "
            "'items' (each item reported alone) on options 1-5 gives 1-5",
        ),
        (
            {"scoring": "items", "multiplier": 2, "score_min": 1, "score_max": 5},
            "instrument 'demo': a multiplier applies only to scoring 'sum'",
        ),
        ({"multiplier": 0}, "instrument 'demo': multiplier must be a whole number of at least 1"),
        (
            {"meaningful_change": 20},
            "instrument 'demo': meaningful_change must be above 0 and at most the score range "
            "(12); got 20",
        ),
        (
            {"respondents": "coordinator"},
            "instrument 'demo': respondents must be one of mentee, mentor, both",
        ),
        (
            {"direction": "up"},
            "instrument 'demo': direction must be one of higher_is_better, lower_is_better",
        ),
        ({"scoring": "mean"}, "instrument 'demo': scoring must be one of sum, items"),
        ({"source": " "}, "instrument 'demo': source must not be empty"),
        ({"terms_of_use": ""}, "instrument 'demo': terms_of_use must not be empty"),
        (
            {"id": "WHO-5"},
            "instrument 'WHO-5': the id must be lower-case letters, digits and _ (2-60 characters)",
        ),
    ],
)
def test_a_wrong_declaration_is_refused_naming_the_instrument_and_item(changes, message):
    with pytest.raises(InstrumentError) as caught:
        _instrument(**changes)
    assert str(caught.value) == message


def test_a_declaration_read_from_data_is_checked_the_same_way():
    data = msgspec.to_builtins(_instrument())
    data["score_max"] = 16
    with pytest.raises(msgspec.ValidationError, match="the score range 3-16 does not match"):
        msgspec.convert(data, type=Instrument)


# -- registration -----------------------------------------------------------------------------
class Copycat:
    @hookimpl
    def register_instruments(self):
        return [_instrument(id="who5")]


class WrongType:
    @hookimpl
    def register_instruments(self):
        return {"id": "who5"}


class Broken:
    @hookimpl
    def register_instruments(self):
        return _instrument(score_max=99)


def test_two_plugins_registering_one_id_is_an_error_naming_both():
    pm = create_plugin_manager()
    pm.register(Copycat(), name="copycat")
    with pytest.raises(PluginError) as caught:
        registered_instruments(pm)
    assert str(caught.value) == "plugins 'who5' and 'copycat' both register the instrument 'who5'"


def test_a_plugin_returning_the_wrong_type_gets_the_hooks_error():
    harness = PluginHarness(WrongType(), name="wrong")
    with pytest.raises(PluginError) as caught:
        harness.instruments()
    assert str(caught.value) == (
        "plugin 'wrong': hook register_instruments returned dict; expected Instrument, a list "
        "of Instrument, or None"
    )


def test_a_wrong_declaration_in_the_hook_is_an_error_naming_the_plugin():
    harness = PluginHarness(Broken(), name="broken")
    with pytest.raises(PluginError) as caught:
        harness.instruments()
    assert str(caught.value) == (
        "plugin 'broken' failed in hook register_instruments: InstrumentError: instrument "
        "'demo': the score range 3-99 does not match its declaration: 3 items x options 1-5 "
        "gives 3-15"
    )


def test_get_instrument_names_the_registered_ones_when_it_has_none_such():
    pm = create_plugin_manager()
    assert get_instrument(pm, "mastery").title_en == "Pearlin Mastery Scale"
    with pytest.raises(LookupError) as caught:
        get_instrument(pm, "phq9")
    assert str(caught.value) == (
        "no loaded plugin registers the instrument 'phq9' (registered: makker4, mastery, "
        "qpr15, swls, who5)"
    )


def test_the_harness_scores_a_plugins_instrument():
    class Demo:
        @hookimpl
        def register_instruments(self):
            return _instrument()

    harness = PluginHarness(Demo(), name="demo_plugin")
    assert list(harness.instruments()) == ["demo"]
    assert harness.instruments()["demo"].plugin == "demo_plugin"
    assert harness.score("demo", {"first": 1, "second": 1, "third": 1}).total == 7  # 1 + 5 + 1
