"""Public API schemas of programme rules (eligibility and intake fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from core.plugin_api import IntakeField, Verdict, localize


class VerdictOut(msgspec.Struct):
    rule: str
    outcome: str
    #: The rule's own explanation, in the caller's language (Danish unless the plugin gives
    #: English too).
    explanation: str

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictOut:
        return cls(
            rule=verdict.rule,
            outcome=verdict.outcome.value,
            explanation=localize(verdict.explanation),
        )


class EligibilityOut(msgspec.Struct):
    person_id: str
    programme: str
    role: str
    #: ``pass`` only when every rule passes; any ``fail`` gives ``fail``; else ``unknown``.
    outcome: str
    verdicts: list[VerdictOut]


class IntakeFieldOut(msgspec.Struct):
    key: str
    plugin: str
    name: str
    type: str
    label: str
    help: str
    roles: list[str]
    choices: list[str]
    not_in_future: bool
    #: A date field's earliest allowed day (else 1900-01-01).
    earliest: dt.date | None = None

    @classmethod
    def of(cls, field: IntakeField) -> IntakeFieldOut:
        return cls(
            key=field.key,
            plugin=field.plugin,
            name=field.name,
            type=field.type,
            label=localize(field.label),
            help=localize(field.help),
            roles=list(field.roles),
            choices=list(field.choices),
            not_in_future=field.not_in_future,
            earliest=field.earliest,
        )


class IntakeValuesIn(msgspec.Struct, forbid_unknown_fields=True):
    #: ``{"<plugin>.<field>": value}``; ``null`` clears an answer.
    values: dict[str, Any] = {}


class IntakeValuesOut(msgspec.Struct):
    person_id: str
    programme: str
    #: The person's stored answers to the programme's questions.
    values: dict[str, Any]
