"""Intake fields declared by plugins: collected per programme, validated, stored as typed JSON.

Values live in ``Person.attributes`` under ``"<plugin>.<field>"``. JSON forms: a date is
``"YYYY-MM-DD"``, a boolean ``true``/``false``, an integer a number, text a string, a choice one
of the field's choices, choices a list of distinct choices. Rules get them back typed
(:func:`decode_attributes`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dateutil.relativedelta import relativedelta

from core.plugin_api import (
    IntakeField,
    IntakeValidationError,
    MakkerPluginManager,
    PluginError,
    ProgrammeContext,
    Role,
)
from core.programmes.registry import programme_hook
from core.web import text as chars
from core.web.i18n import gettext as _


def intake_fields(
    pm: MakkerPluginManager, programme: ProgrammeContext, role: Role | None = None
) -> list[IntakeField]:
    """The fields the programme's enabled plugins ask, optionally only those for ``role``.

    A plugin whose hook raises or answers wrongly is logged and left out (its questions are
    not asked; its rule then finds no answers); the others' fields are returned."""
    hook = programme_hook(pm, "intake_fields", programme)
    fields = [
        f
        for _plugin, items in pm.call_isolated(hook, programme=programme)
        if not isinstance(items, PluginError)
        for f in items
    ]
    return [f for f in fields if role is None or role in f.roles]


#: No date a plugin asks about (sober since, a course completed) lies before this day.
EARLIEST_DATE = dt.date(1900, 1, 1)
#: How far ahead a date field that may be in the future may lie.
YEARS_AHEAD = 10


def plugin_date_fault(field: IntakeField, date: dt.date, today: dt.date) -> str | None:
    """The one rule for a plugin's date field: from :data:`EARLIEST_DATE` or the field's own
    later ``earliest``, and at most today (``not_in_future``) or :data:`YEARS_AHEAD` years
    ahead."""
    earliest = max(EARLIEST_DATE, field.earliest or EARLIEST_DATE)
    if date < earliest:
        return _("The date must be %(date)s or later.") % {"date": earliest.strftime("%d.%m.%Y")}
    if field.not_in_future and date > today:
        return _("The date must not be in the future.")
    latest = today + relativedelta(years=YEARS_AHEAD)
    if date > latest:
        return _("The date must be %(date)s or earlier.") % {"date": latest.strftime("%d.%m.%Y")}
    return None


def _check(field: IntakeField, value: Any, today: dt.date) -> Any:
    """The JSON value to store for ``value``; raises ``ValueError`` with a user message."""
    if field.type == "date":
        if not isinstance(value, str):
            raise ValueError(_("Expected a date (YYYY-MM-DD)."))
        try:
            date = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(_("Expected a date (YYYY-MM-DD).")) from None
        if len(value) != 10:
            raise ValueError(_("Expected a date (YYYY-MM-DD)."))
        fault = plugin_date_fault(field, date, today)
        if fault:
            raise ValueError(fault)
        return date.isoformat()
    if field.type == "boolean":
        if not isinstance(value, bool):
            raise ValueError(_("Expected true or false."))
        return value
    if field.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_("Expected a whole number."))
        return value
    if field.type == "text":
        if not isinstance(value, str):
            raise ValueError(_("Expected text."))
        if message := chars.check(value):  # one line, no control characters (as names)
            raise ValueError(message)
        if len(value) > field.max_length:
            raise ValueError(_("The text is too long."))
        return value
    if field.type == "choice":
        if value not in field.choices:
            raise ValueError(
                _("Expected one of: %(choices)s.") % {"choices": ", ".join(field.choices)}
            )
        return value
    # choices
    if (
        not isinstance(value, list)
        or any(v not in field.choices for v in value)
        or len(set(value)) != len(value)
    ):
        raise ValueError(
            _("Expected a list of distinct values from: %(choices)s.")
            % {"choices": ", ".join(field.choices)}
        )
    return list(value)


def validate_intake_values(
    fields: list[IntakeField], values: Mapping[str, Any], today: dt.date
) -> dict[str, Any]:
    """Check ``values`` (``{key: value}``; ``None`` clears an answer) against ``fields``.

    :return: the JSON values to store (``None`` for answers to remove).
    :raises IntakeValidationError: listing every wrong field; nothing should then be stored.
    """
    by_key = {f.key: f for f in fields}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        field = by_key.get(key)
        if field is None:
            errors[key] = _("This programme does not ask this question.")
            continue
        if value is None:
            clean[key] = None
            continue
        try:
            clean[key] = _check(field, value, today)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise IntakeValidationError(errors)
    return clean


def apply_intake_values(attributes: Mapping[str, Any], clean: Mapping[str, Any]) -> dict[str, Any]:
    """A new attributes dict with ``clean`` applied (``None`` removes the answer)."""
    result = dict(attributes)
    for key, value in clean.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def decode_attributes(fields: list[IntakeField], attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Stored JSON answers as typed values (dates become ``datetime.date``).

    Only the answers to ``fields`` are returned: a rule sees the questions its programme asks.
    """
    typed: dict[str, Any] = {}
    for field in fields:
        if field.key not in attributes:
            continue
        value = attributes[field.key]
        if field.type == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        elif field.type == "choices" and isinstance(value, list):
            value = list(value)
        typed[field.key] = value
    return typed
