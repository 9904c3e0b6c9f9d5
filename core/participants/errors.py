"""The participants domain's errors, shared by the services built on it (forløb, courses).

They live apart from :mod:`core.participants.service` so that a service the participants
service itself calls (:mod:`core.forloeb.service`) can raise them without importing it back.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.web.i18n import gettext as _


class FieldErrors(ValueError):
    """Input is wrong; ``errors`` maps each field to a Danish message. Nothing was stored."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors))  # field names only: messages may quote input
        self.errors = dict(errors)


class NotFound(LookupError):
    """A missing object and another tenant's look the same."""


def NUL_MESSAGE() -> str:  # noqa: N802 - a message, translated when used
    return _("The text contains a character that is not allowed.")
