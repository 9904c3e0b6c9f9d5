"""A page form checked field by field, so one submit reports every field at fault.

:func:`core.web.forms.form_struct` converts a whole form or refuses it, naming the fields that do
not convert; a command then checks the rest. A page whose command also checks fields (a text too
long, an end before its start) would show the conversion errors alone, and the command's only
on the next submit. :func:`convert_fields` converts what converts and names the rest, so the
command's checks run on the fields that did convert, in the same submit; :func:`in_order` puts
the messages in the order the form shows its fields (the error summary lists them so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from core.web.forms import _as_browsers_send
from core.web.i18n import gettext as _


def convert_fields(
    data: Mapping[str, Any], cls: type[msgspec.Struct], messages: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values converted to ``cls``'s field types, field by field, as
    :func:`core.web.forms.form_struct` converts them (an empty field with a default gets the
    default), and a message per field that does not convert or is missing (from ``messages``,
    else a general one). A field at fault is left out of the values."""
    messages = messages or {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in msgspec.structs.fields(cls):
        raw = data.get(f.encode_name, "")
        if raw == "" and not f.required:
            default = f.default
            values[f.name] = f.default_factory() if default is msgspec.NODEFAULT else default
            continue
        if f.encode_name not in data:
            errors[f.name] = messages.get(f.name) or _("The value is not valid.")
            continue
        try:
            values[f.name] = msgspec.convert(_as_browsers_send(raw, f.type), f.type, strict=False)
        except msgspec.ValidationError:
            errors[f.name] = messages.get(f.name) or _("The value is not valid.")
    return values, errors


def in_order(errors: Mapping[str, str], order: Iterable[str]) -> dict[str, str]:
    """``errors`` in the order of the fields in ``order`` (fields not in it last, as given)."""
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], len(rank))))
