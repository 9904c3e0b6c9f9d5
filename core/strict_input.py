"""API input taken as the OpenAPI document types it: strictly.

Litestar decodes a JSON body into plain Python values (``Request.json()``) and then converts the
handler's parameters - body and query values alike - with ``msgspec.convert(..., strict=False)``
(``litestar/_signature/model.py``). That lax mode is what a query string needs (every value is
text), but it also takes the JSON string ``"5"`` for an ``integer`` field, a ``5.0`` for one
and the query value ``1e3`` for ``1000``. Litestar has no setting for it, so the API checks its
input first, in a ``before_request`` hook (:func:`strict_input`), before Litestar converts it:

* the JSON body is decoded against the handler's ``data`` type with
  ``msgspec.json.decode(..., strict=True)``: a value of the wrong JSON type is refused (a body
  that is not JSON, or nested too deeply, is left to Litestar's own answer);
* an ``int`` query parameter must be written in digits, with an optional minus sign;
* a query parameter the handler takes as one value may be given once (``?from=..&from=..``
  was silently the last one): :func:`single_query_values`, also the ``before_request`` of the
  report pages; "Angiv kun denne værdi én gang i adressen."

A refusal is Litestar's ``ValidationException`` with msgspec's message, answered by
:mod:`core.errors` as every other: 400, the contract's body, the field named (``$.capacity`` is
``capacity``), "Værdien er ikke gyldig." Page forms are not JSON: they are converted from text
as before (:func:`core.web.forms.form_struct`).

The hook is set on every API controller by inheriting :class:`StrictController`
(``tests/test_new_user_inputs.py`` checks each ``/api/`` route has it); it could equally be
the app's ``before_request`` (``core/app.py``).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import BodyKwarg, ParameterKwarg
from litestar.typing import FieldDefinition

_DIGITS = re.compile(r"-?[0-9]+")


def _is_int(field: FieldDefinition) -> bool:
    if field.annotation is int:
        return True
    return field.is_optional and any(t.annotation is int for t in field.inner_types)


def _query_name(name: str, field: FieldDefinition) -> str | None:
    """The query parameter's name, or ``None`` for a path, header or cookie parameter."""
    kwarg = field.kwarg_definition
    if isinstance(kwarg, ParameterKwarg):
        if kwarg.header or kwarg.cookie:
            return None
        return kwarg.query or name
    return name if kwarg is None else None


def _refuse(key: str, message: str, source: str) -> ValidationException:
    return ValidationException(
        "Validation failed", extra=[{"key": key, "message": message, "source": source}]
    )


async def strict_input(request: Request[Any, Any, Any]) -> None:
    """Refuse a JSON body value or an integer query value of the wrong type, and a query
    parameter given twice (see above)."""
    await single_query_values(request)
    parameters = request.route_handler.parsed_fn_signature.parameters
    for name, field in parameters.items():
        if name == "data" or name in request.path_params or not _is_int(field):
            continue
        query = _query_name(name, field)
        if query is None:
            continue
        for raw in request.query_params.getall(query, []):
            if not _DIGITS.fullmatch(raw):
                raise _refuse(query, "Expected `int`, got `str`", "query")
    data = parameters.get("data")
    if data is None:
        return
    kwarg = data.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and kwarg.media_type != RequestEncodingType.JSON:
        return
    body = await request.body()
    if not body:
        return
    try:
        msgspec.json.decode(body, type=data.annotation, strict=True)
    except msgspec.ValidationError as exc:
        try:
            msgspec.json.decode(body)
        except (msgspec.DecodeError, RecursionError):
            return  # not JSON, or nested too deeply: Litestar answers it as before
        raise _refuse("data", str(exc), "body") from None
    except msgspec.DecodeError:
        return


#: msgspec-like message of a query parameter given more than once (:mod:`core.errors` answers
#: it in Danish, naming the parameter).
REPEATED = "Expected one value, got several"


async def single_query_values(request: Request[Any, Any, Any]) -> None:
    """Refuse a query parameter given more than once (``?fra=...&fra=...``) that the handler
    takes as one value: it would otherwise silently be the last one."""
    parameters = request.route_handler.parsed_fn_signature.parameters
    for name, field in parameters.items():
        if name == "data" or name in request.path_params or field.is_non_string_sequence:
            continue
        query = _query_name(name, field)
        kwarg = field.kwarg_definition
        if query is not None and isinstance(kwarg, ParameterKwarg) and kwarg.name:
            query = kwarg.name  # QueryParameter(name="from")
        if query is not None and len(request.query_params.getall(query, [])) > 1:
            raise _refuse(query, REPEATED, "query")


class StrictController(Controller):
    """An API controller whose input is checked by :func:`strict_input`."""

    before_request = staticmethod(strict_input)
