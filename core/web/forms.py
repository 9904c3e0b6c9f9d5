"""Forms for page handlers: a posted form becomes the same msgspec Struct the JSON API takes.

A page handler is an adapter: it reads the form (:func:`read_form`), converts it with
:func:`form_struct` - every field at fault is reported at once, as the contract's
:class:`core.errors.Invalid` - calls the command, and on ``Invalid`` renders the form again with
``errors`` and status 400 (:func:`page`). The request pipeline rolls the transaction back for
any status >= 400, after the page is rendered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Annotated, Any, TypeVar, get_args, get_origin

import msgspec
from litestar import Request
from litestar.enums import MediaType
from litestar.response import Template

from core.errors import Invalid
from core.web.i18n import gettext as _

S = TypeVar("S", bound=msgspec.Struct)


async def read_form(
    request: Request[Any, Any, Any], lists: Collection[str] = (), checks: Collection[str] = ()
) -> dict[str, Any]:
    """The posted form as a dict: one string per field, a list for the fields in ``lists`` and
    ``True``/``False`` for the checkboxes in ``checks`` (ticked or not)."""
    form = await request.form()
    data: dict[str, Any] = {k: str(v) for k, v in form.items() if k not in lists}
    for key in lists:
        data[key] = [str(v) for v in form.getall(key, [])]
    for key in checks:
        data[key] = key in form
    return data


def form_struct(
    data: Mapping[str, Any], cls: type[S], messages: Mapping[str, str] | None = None
) -> S:
    """Convert form values to ``cls`` (strings to dates, times, numbers, UUIDs...); an empty
    field that has a default gets the default.

    :raises Invalid: naming every field whose value does not convert or is missing, with the
        message from ``messages`` (else a general one); unknown form fields are ignored."""
    messages = messages or {}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for f in msgspec.structs.fields(cls):
        if data.get(f.encode_name, "") == "" and not f.required:
            continue
        if f.encode_name not in data:
            if f.required:
                errors[f.name] = messages.get(f.name) or _("The value is not valid.")
            continue
        try:
            values[f.encode_name] = msgspec.convert(
                _as_browsers_send(data[f.encode_name], f.type), f.type, strict=False
            )
        except msgspec.ValidationError:
            errors[f.name] = messages.get(f.name) or _("The value is not valid.")
    if errors:
        raise Invalid(errors)
    try:
        return msgspec.convert(values, cls, strict=False)
    except msgspec.ValidationError as exc:  # a rule of the Struct as a whole
        raise Invalid({"body": str(exc)}) from None


def convert_fields(
    data: Mapping[str, Any], cls: type[msgspec.Struct], messages: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values converted to ``cls``'s field types, field by field, as
    :func:`form_struct` converts them (an empty field with a default gets the
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


def _as_browsers_send(value: Any, type_: Any) -> Any:
    """A time input sends ``10:00``; msgspec wants seconds (``10:00:00``)."""
    if _is_time(type_) and isinstance(value, str) and len(value) == 5:
        return f"{value}:00"
    return value


def _is_time(type_: Any) -> bool:
    """``dt.time``, also optional or annotated (:data:`core.clock.LocalTime`)."""
    for t in (type_, *get_args(type_)):
        if t is dt.time or (get_origin(t) is Annotated and get_args(t)[0] is dt.time):
            return True
    return False


def page(template: str, status_code: int = 200, **context: Any) -> Template:
    """An HTML page (a form shown again after :class:`Invalid` gets ``status_code=400``)."""
    return Template(template, context=context, status_code=status_code, media_type=MediaType.HTML)
