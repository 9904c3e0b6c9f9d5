"""msgspec Structs in and out of the outcome commands and queries (JSON API and pages)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from core.outcomes.answers import OccasionView
from core.outcomes.models import QuestionnaireResponse
from core.outcomes.results import Change, InstrumentResult, ProgrammeResult, Trajectory
from core.plugin_api import Instrument

#: Item key -> the chosen option's value (``null``: not answered yet).
Answers = Annotated[dict[str, int | None], msgspec.Meta(max_length=200)]

# -- in ------------------------------------------------------------------------------------


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    answers: Answers
    #: ``false`` saves a draft to continue later; ``true`` sends (every item answered).
    submit: bool = False


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Every item, as it should have been answered.
    answers: Answers
    #: Why the answers are corrected (shown in the history).
    reason: Annotated[str, msgspec.Meta(max_length=1000)]


# -- out -----------------------------------------------------------------------------------


class OptionOut(msgspec.Struct):
    value: int
    label: str


class ItemOut(msgspec.Struct):
    key: str
    text: str
    original: str
    reversed: bool


class InstrumentOut(msgspec.Struct):
    id: str
    version: str
    title: str
    intro: str
    respondents: str
    scoring: str
    score_min: int
    score_max: int
    direction: str
    meaningful_change: float | None
    validated: bool
    source: str
    terms_of_use: str
    translation_note: str
    items: list[ItemOut]
    options: list[OptionOut]


def instrument_out(i: Instrument, english: bool = False) -> InstrumentOut:
    return InstrumentOut(
        id=i.id,
        version=i.version,
        title=i.title_en if english else i.title_da,
        intro=i.intro_en if english else i.intro_da,
        respondents=i.respondents,
        scoring=i.scoring,
        score_min=i.score_min,
        score_max=i.score_max,
        direction=i.direction,
        meaningful_change=i.meaningful_change,
        validated=i.validated,
        source=i.source,
        terms_of_use=i.terms_of_use,
        translation_note=i.translation_note,
        items=[
            ItemOut(it.key, it.text_en if english else it.text_da, it.text_en, it.reversed)
            for it in i.items
        ],
        options=[OptionOut(o.value, o.label_en if english else o.label_da) for o in i.options],
    )


class ResponseOut(msgspec.Struct):
    id: uuid.UUID
    version: int
    status: str
    answers: dict[str, int]
    #: ``null`` while an item is unanswered, and for instruments scored item by item.
    total: float | None
    entered_as: str
    submitted_at: dt.datetime | None
    correction_reason: str | None


def response_out(r: QuestionnaireResponse) -> ResponseOut:
    return ResponseOut(
        r.id,
        r.version,
        r.status,
        {k: int(v) for k, v in r.answers.items()},
        r.total,
        r.entered_as,
        r.submitted_at,
        r.correction_reason,
    )


class OccasionOut(msgspec.Struct):
    key: str
    instrument: str
    role: str
    kind: str
    number: int
    opens_on: dt.date
    closes_on: dt.date
    #: ``upcoming``, ``due``, ``answered`` or ``missed``.
    status: str
    response: ResponseOut | None
    versions: list[ResponseOut]


def occasion_out(v: OccasionView) -> OccasionOut:
    o = v.occasion
    return OccasionOut(
        o.key,
        o.instrument,
        o.role,
        o.kind.value,
        o.number,
        o.opens_on,
        o.closes_on,
        v.status.value,
        response_out(v.response) if v.response else None,
        [response_out(r) for r in v.versions],
    )


class DueOut(msgspec.Struct):
    forloeb_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    programme: str
    occasion: OccasionOut


class PointOut(msgspec.Struct):
    day: dt.date
    occasion: str
    kind: str
    total: float | None
    answers: dict[str, int]
    entered_as: str
    version: int


class TrajectoryOut(msgspec.Struct):
    instrument: str
    role: str
    points: list[PointOut]


def trajectory_out(t: Trajectory) -> TrajectoryOut:
    return TrajectoryOut(
        t.instrument.id,
        t.role,
        [
            PointOut(
                p.day,
                p.response.occasion,
                p.response.occasion_kind,
                p.response.total,
                {k: int(v) for k, v in p.response.answers.items()},
                p.response.entered_as,
                p.response.version,
            )
            for p in t.points
        ],
    )


class ChangeOut(msgspec.Struct):
    #: ``total``, or an item key for an instrument scored item by item.
    measure: str
    n: int
    mean_change: float | None
    ci95_low: float | None
    ci95_high: float | None
    meaningful_improvement: int | None
    mean_baseline: float | None
    mean_end: float | None


class InstrumentResultOut(msgspec.Struct):
    instrument: str
    role: str
    ended: int
    missing_baseline: int
    missing_end: int
    changes: list[ChangeOut]


class ProgrammeResultOut(msgspec.Struct):
    programme: str
    start: dt.date
    end: dt.date
    results: list[InstrumentResultOut]


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def change_out(c: Change) -> ChangeOut:
    return ChangeOut(
        c.measure,
        c.n,
        _r(c.mean_change),
        _r(c.ci_low),
        _r(c.ci_high),
        c.improved,
        _r(c.mean_baseline),
        _r(c.mean_end),
    )


def result_out(r: ProgrammeResult) -> ProgrammeResultOut:
    return ProgrammeResultOut(
        r.programme_slug,
        r.start,
        r.end,
        [
            InstrumentResultOut(
                x.instrument.id,
                x.role,
                x.ended,
                x.missing_baseline,
                x.missing_end,
                [change_out(c) for c in x.changes],
            )
            for x in r.results
            if isinstance(x, InstrumentResult)
        ],
    )
