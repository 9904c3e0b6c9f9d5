"""A posted page form becomes the same msgspec Struct the JSON API takes.

Conversion only (the commands validate): a blank field is ``None`` (it clears the value), a
``bool`` field is a checkbox (present or not), a list field is either checkboxes (``name`` once
per ticked box, with a hidden ``name:present`` so that none ticked clears the list) or a text of
comma-separated words. A value that does not convert is reported per field as the contract's
:class:`core.errors.Invalid`, with the same Danish message the command gives for that field.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar, get_args

import msgspec

from core.participants.errors import FieldErrors
from core.plugin_api import IntakeField
from core.web.i18n import gettext as _

S = TypeVar("S", bound=msgspec.Struct)

#: A form: Litestar's ``FormMultiDict`` (``get``, ``getall``, ``in``).
Form = Any


def _messages() -> dict[str, str]:
    from core.participants.intake import MAX_CAPACITY

    return {
        "birth_year": _("Write the birth year as four digits."),
        "wish_age_min": _("Write an age in whole years."),
        "wish_age_max": _("Write an age in whole years."),
        "capacity": _("Write a number of mentees between 1 and %(max)d.") % {"max": MAX_CAPACITY},
    }


def _kinds(tp: Any) -> set[Any]:
    return {getattr(a, "__origin__", a) for a in (get_args(tp) or (tp,))}


def form_to(cls: type[S], form: Form, checkboxes: Collection[str] = ()) -> S:
    """``form`` as ``cls``; fields missing from the form keep the Struct's default.

    :raises FieldErrors: naming every field whose value does not convert."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in msgspec.structs.fields(cls):
        key, kinds = f.encode_name, _kinds(f.type)
        if kinds <= {bool, msgspec.UnsetType}:
            values[key] = key in form
            continue
        if key in checkboxes:
            if key in form or f"{key}:present" in form:
                values[key] = [v for v in form.getall(key, []) if v]
            continue
        if key not in form:
            continue
        raw = form.get(key)
        if isinstance(raw, str) and raw.strip() == "" and str not in kinds:
            raw = None
        elif isinstance(raw, str) and list in kinds:
            raw = [w.strip() for w in raw.split(",") if w.strip()] or None
        try:
            values[key] = msgspec.convert(raw, f.type, strict=False)
        except msgspec.ValidationError:
            errors[f.name] = _messages().get(f.name) or _("The value is not valid.")
    if errors:
        raise FieldErrors(errors)
    try:
        return msgspec.convert(values, cls, strict=False)
    except msgspec.ValidationError:
        raise FieldErrors({"body": _("The value is not valid.")}) from None


def shown(form: Form, lists: Collection[str] = ()) -> dict[str, Any]:
    """The form's values as posted, to show a refused form again."""
    return {k: form.getall(k, []) if k in lists else form.get(k) for k in form}


def plugin_answers(form: Form, fields: list[IntakeField]) -> dict[str, Any]:
    """Form answers to plugin questions (``plugin:<key>``) as JSON values (blank clears one)."""
    values: dict[str, Any] = {}
    for f in fields:
        name = f"plugin:{f.key}"
        if f.type == "choices":
            if f"{name}:present" in form:
                chosen = [v for v in form.getall(name, []) if v]
                values[f.key] = chosen or None
            continue
        if name not in form:
            continue
        raw = str(form.get(name) or "").strip()
        if raw == "":
            values[f.key] = None
        elif f.type == "boolean":
            values[f.key] = {"ja": True, "nej": False}.get(raw, raw)
        elif f.type == "integer":
            values[f.key] = int(raw) if raw.lstrip("-").isdigit() else raw
        else:
            values[f.key] = raw
    return values
