"""The application form and the coordinator's list of applications: msgspec Structs."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

#: The longest text about what the applicant hopes for.
HOPE_MAX = 1000


class ApplicationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the public form sends: ``role`` is ``mentee`` ("Få en mentor") or ``mentor``
    ("Bliv mentor"); a phone number or an e-mail address (at least one); ``hope`` at most
    1,000 characters; ``consent`` must be given (the consent to be contacted, whose text the
    form shows). The command checks every field and names each fault in Danish."""

    role: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    hope: str = ""
    consent: bool = False


class ApplicationOut(msgspec.Struct):
    """One application that waits for the coordinator (its enrolment is still ``applied``)."""

    id: uuid.UUID
    person_id: uuid.UUID
    enrolment_id: uuid.UUID
    programme: str
    role: str
    name: str
    phone: str | None
    email: str | None
    hope: str | None
    received_at: dt.datetime
