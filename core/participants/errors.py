"""The participants domain's errors, shared by the services built on it (forløb, courses).

They live apart from the participants' commands so that a domain those commands call
(:mod:`core.forloeb.commands`) can raise them without importing the commands back.
"""

from __future__ import annotations

from collections.abc import Mapping

from core import errors
from core.errors import Invalid
from core.web.i18n import gettext as _


class FieldErrors(Invalid):
    """Input is wrong; ``errors`` maps each field to a Danish message. Nothing was stored.
    (The contract's :class:`core.errors.Invalid`: uncaught, it is answered 400.)"""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(errors)


class NotFound(errors.NotFound):
    """A missing object and another tenant's look the same (answered 404 when uncaught)."""


def NUL_MESSAGE() -> str:  # noqa: N802 - a message, translated when used
    return _("The text contains a character that is not allowed.")
