"""A posted page form becomes the same Struct the JSON API takes (conversion, no rules)."""

from __future__ import annotations

import msgspec
import pytest
from litestar.datastructures import FormMultiDict

from core.participants.errors import FieldErrors
from core.participants.forms import form_to
from core.participants.schemas import IntakeIn, PersonForm, PersonIn


def _form(*pairs: tuple[str, str]) -> FormMultiDict:
    return FormMultiDict(list(pairs))


def test_blank_clears_checkboxes_are_booleans_and_lists_are_ticked_or_comma_separated():
    data = form_to(
        PersonForm,
        _form(
            ("name", "Anna"),
            ("email", ""),
            ("birth_year", ""),
            ("languages", "dansk, engelsk"),
            ("availability:present", "1"),
            ("account", ""),
        ),
        checkboxes=("availability",),
    )
    assert data.values() == {
        "name": "Anna",
        "email": "",
        "birth_year": None,
        "languages": ["dansk", "engelsk"],
        "availability": [],
    }
    assert data.account == ""
    assert data.phone is msgspec.UNSET  # not in the form: unchanged

    intake = form_to(
        IntakeIn,
        _form(("wish_age_min", "30"), ("wish_gender_required", "on"), ("lived_experience", "x")),
        checkboxes=("lived_experience",),
    )
    assert (intake.wish_age_min, intake.wish_gender_required, intake.wish_age_required) == (
        30,
        True,
        False,
    )
    assert intake.lived_experience == ["x"]


def test_values_that_do_not_convert_get_the_commands_messages_all_at_once():
    with pytest.raises(FieldErrors) as caught:
        form_to(
            IntakeIn, _form(("wish_age_min", "tredive"), ("capacity", "mange"), ("staff", "Bo"))
        )
    assert caught.value.errors == {
        "wish_age_min": "Skriv en alder i hele år.",
        "capacity": "Skriv et antal borgere mellem 1 og 10.",
    }
    with pytest.raises(FieldErrors) as caught:
        form_to(PersonIn, _form(("name", "Anna"), ("birth_year", "19x0")))
    assert caught.value.errors == {"birth_year": "Skriv fødselsåret med fire cifre."}
