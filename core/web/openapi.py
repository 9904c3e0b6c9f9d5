"""What the OpenAPI document must say that Litestar's generator does not say on its own.

* A msgspec Struct with ``forbid_unknown_fields=True`` refuses a body with a field it does not
  know (400, "The field is not known."): its schema says ``additionalProperties: false``, so a
  client reading the document is not told that anything more is fine
  (:class:`StrictStructSchemaPlugin`, registered by :func:`core.app.create_app`).
* Where a command or query checks a value itself - to answer with a message of its own per
  field, several at once - the document still states what is allowed: :func:`query` for a query
  parameter, :func:`allowed` for a field of a body. They only document; the check stays where
  it is, and ``tests/test_api_contract.py`` sends values outside them and expects a 400.

The error answers of every ``/api/`` route are declared in :mod:`core.errors`; times of day are
:data:`core.clock.LocalTime`. ``tests/test_api_contract.py`` holds the app to the document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec

# Litestar's own Struct schema plugin, extended (it is not exported under a public name).
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.params import ParameterKwarg, QueryParameter

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's schema of a Struct, with ``additionalProperties: false`` when the Struct
    forbids unknown fields. An app's plugins are asked before Litestar's built-in ones."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct: type[msgspec.Struct] = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


def query(
    *,
    name: str | None = None,
    description: str | None = None,
    one_of: Iterable[str] | None = None,
    many: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
    max_length: int | None = None,
    nullable: bool = False,
) -> ParameterKwarg:
    """A query parameter whose schema states the values the handler's own check allows:
    ``one_of`` these strings (each of them if ``many``), an integer from ``minimum`` to
    ``maximum``, at most ``max_length`` characters; ``nullable`` for a ``X | None`` parameter
    (Litestar reads ``null`` as ``None``)."""
    value: dict[str, Any] = {"type": "integer" if minimum is not None else "string"}
    if one_of is not None:
        value["enum"] = [str(v) for v in one_of]
    if minimum is not None:
        value["minimum"] = minimum
    if maximum is not None:
        value["maximum"] = maximum
    if max_length is not None:
        value["maxLength"] = max_length
    if many:
        extra: dict[str, Any] = {"oneOf": None, "type": "array", "items": value}
    elif nullable:
        extra = {"oneOf": [value, {"type": "null"}]}
    else:
        extra = {"oneOf": None, **value}
    return QueryParameter(name=name, description=description, schema_extra=extra)


def allowed(values: Iterable[str], *, optional: bool = False) -> msgspec.Meta:
    """For a body field, ``Annotated[str, allowed(...)]``: the document lists the values the
    command accepts (``null`` too if ``optional``); the command checks them, with its message."""
    enum: list[str | None] = [str(v) for v in values]
    if optional:
        enum.append(None)
    return msgspec.Meta(extra_json_schema={"extra": {"enum": enum}})
