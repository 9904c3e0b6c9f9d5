"""Texts for the outcome pages, in the request's language (Danish first, English second).

An instrument's own texts come from its plugin in both languages (``title_da``/``title_en``...);
the occasion kinds, statuses and who entered an answer are codes rendered here. Registered as
the Jinja global ``outcome`` (:func:`core.app._configure_jinja`), so any template can write
``outcome.title(instrument)`` or ``outcome.status_label(view.status)``.
"""

from __future__ import annotations

from typing import Any

from core.outcomes.models import CONVERSATION, QuestionnaireResponse
from core.plugin_api import Instrument, InstrumentItem, ResponseOption
from core.web.i18n import get_locale
from core.web.i18n import gettext as _

#: DKFDS badge variant per occasion status.
STATUS_VARIANTS = {"upcoming": "", "due": "info", "answered": "success", "missed": "warning"}
#: Below this many pairs a figure is shown with a warning to read it with care.
FEW = 5


def _english() -> bool:
    return get_locale() == "en"


def title(instrument: Instrument) -> str:
    return instrument.title_en if _english() else instrument.title_da


def intro(instrument: Instrument) -> str:
    return instrument.intro_en if _english() else instrument.intro_da


def item_text(item: InstrumentItem) -> str:
    return item.text_en if _english() else item.text_da


def option_label(option: ResponseOption) -> str:
    return option.label_en if _english() else option.label_da


def options(instrument: Instrument) -> list[tuple[str, str]]:
    """The answer scale as (value, label) pairs for the radios macro (values as the form
    sends them)."""
    return [(str(o.value), option_label(o)) for o in instrument.options]


def role_label(role: str) -> str:
    return {"mentee": _("Citizen"), "mentor": _("Mentor")}.get(role, role)


def respondents_label(respondents: str) -> str:
    return {
        "mentee": _("The citizen"),
        "mentor": _("The mentor"),
        "both": _("The citizen and the mentor"),
    }.get(respondents, respondents)


def kind_label(kind: Any, number: int = 1) -> str:
    """When in the forløb: at the start, interim number n, at the end, the follow-up."""
    value = str(getattr(kind, "value", kind))
    if value == "baseline":
        return _("At the start")
    if value == "interim":
        return _("Interim %(n)d") % {"n": number}
    if value == "end":
        return _("At the end")
    if value == "follow_up":
        return _("Follow-up")
    return value


def status_label(status: Any) -> str:
    value = str(getattr(status, "value", status))
    return {
        "upcoming": _("Upcoming"),
        "due": _("Open"),
        "answered": _("Answered"),
        "missed": _("Not answered"),
    }.get(value, value)


def status_variant(status: Any) -> str:
    return STATUS_VARIANTS.get(str(getattr(status, "value", status)), "")


def entered_label(response: QuestionnaireResponse) -> str:
    """Who gave the answers: the person on their own, or in a conversation with a
    coordinator who entered them."""
    if response.entered_as == CONVERSATION:
        return _("Entered by a coordinator from a conversation")
    if response.role == "mentor":
        return _("Answered by the mentor")
    return _("Answered by the citizen")


def number(value: float | None, places: int = 1) -> str:
    """A figure as the page's language writes it (``12,5`` in Danish); whole numbers without
    decimals; ``–`` for none."""
    if value is None:
        return "–"
    whole = float(value).is_integer() and places <= 1
    text = str(int(value)) if whole else f"{value:.{places}f}"
    if text.startswith("-"):
        text = "−" + text[1:]  # a real minus sign
    return text if _english() else text.replace(".", ",")


def decimal(value: float | None, places: int = 1) -> str:
    """A mean or a change with a fixed number of decimals (``5,0``, ``12,5``); ``–`` for
    none."""
    if value is None:
        return "–"
    shown = round(value, places) or 0.0  # never "-0,0"
    text = f"{shown:.{places}f}"
    if text.startswith("-"):
        text = "−" + text[1:]
    return text if _english() else text.replace(".", ",")


def signed(value: float | None, places: int = 1) -> str:
    """A change with its sign and fixed decimals (``+4,5``, ``−2,0``, ``0,0``)."""
    if value is None:
        return "–"
    return ("+" if round(value, places) > 0 else "") + decimal(value, places)


def score_text(instrument: Instrument, response: QuestionnaireResponse | None) -> str:
    """The score of sent answers: ``68 (0-100)``; item by item (``1: 7 · 2: 5``) for an
    instrument without a total; ``–`` when there is none."""
    if response is None:
        return "–"
    if instrument.scoring == "sum":
        if response.total is None:
            return "–"
        return _("%(score)s (of %(low)d-%(high)d)") % {
            "score": number(response.total),
            "low": instrument.score_min,
            "high": instrument.score_max,
        }
    parts = [
        f"{n}: {response.answers[item.key]}"
        for n, item in enumerate(instrument.items, 1)
        if response.answers.get(item.key) is not None
    ]
    return " · ".join(parts) or "–"


def direction_text(instrument: Instrument) -> str:
    if instrument.direction == "higher_is_better":
        return _("A higher score is better.")
    return _("A lower score is better.")


def scale_text(instrument: Instrument) -> str:
    """The score range as a sentence: of the total, or of each item."""
    if instrument.scoring == "sum":
        text = _("Score %(low)d-%(high)d.") % {
            "low": instrument.score_min,
            "high": instrument.score_max,
        }
        if instrument.multiplier != 1:
            text += " " + _("The sum of the answers is multiplied by %(n)d.") % {
                "n": instrument.multiplier
            }
        return text
    return _("Each question is reported on its own, %(low)d-%(high)d; there is no total.") % {
        "low": instrument.score_min,
        "high": instrument.score_max,
    }
