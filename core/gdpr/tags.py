"""What Makker holds about a person, read from the model tags (GDPR export, access log, Art. 30).

A column is personal data when its model says so: ``info={"personal_data": True}``. The tables
that hold something about one person are found by walking :data:`core.db.base.Base.metadata`
from ``person`` along foreign keys: a table with a foreign key to ``person`` belongs to the
person by that key (``enrolment``, ``calendar_link``, ``questionnaire_response``...); a table
without one belongs to the person through its foreign keys to tables already found (``intake``
through ``enrolment``, ``meeting`` through ``forloeb``, ``tenant_member`` through
``invitation``). A new table with such a key is picked up without changing this module;
``tests/test_gdpr_export.py`` proves that every tagged column reaches the export.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Table

from core.db.base import Base

PERSON_TABLE = "person"
#: Tables never walked into: the tenant itself and the audit log (the access log reads it).
NOT_WALKED = frozenset({"tenant", "audit_event"})

#: Columns of a person's rows left out of the export, each with why. Everything else of a row
#: that belongs to the person is exported (tagged columns always).
NOT_EXPORTED: dict[str, str] = {
    "tenant_id": "the municipality, named once at the top of the export",
    "token_hash": "a hash of a secret calendar link; it says nothing about the person",
    "idempotency_key": "the delivery queue's key of a message",
    "lease_until": "the delivery queue's lock of a message",
}


def is_personal(column: Column) -> bool:  # type: ignore[type-arg]
    """Whether the model tags ``column`` as personal data."""
    return bool(column.info.get("personal_data"))


def personal_columns(table: Table) -> list[str]:
    """Names of the tagged columns of ``table``, in table order."""
    return [c.name for c in table.columns if is_personal(c)]


@dataclass(frozen=True)
class PersonLink:
    """How rows of ``table`` belong to a person: ``table.column`` holds an id of ``parent``."""

    table: str
    column: str
    parent: str


@dataclass(frozen=True)
class PersonTable:
    """A table holding something about a person, and its links (ORed)."""

    table: Table
    links: tuple[PersonLink, ...]

    @property
    def name(self) -> str:
        return str(self.table.name)


def person_tables(metadata: object = None) -> list[PersonTable]:
    """Every table holding something about a person, parents before children (``person``
    first, with no links). A table with a foreign key to ``person`` is linked by that key alone
    (a questionnaire answer is the respondent's, not the other party's of the same forløb)."""
    meta = metadata or Base.metadata
    tables = [t for t in meta.sorted_tables if t.name not in NOT_WALKED]  # type: ignore[attr-defined]
    found: dict[str, PersonTable] = {}
    person = next(t for t in tables if t.name == PERSON_TABLE)
    found[PERSON_TABLE] = PersonTable(person, ())
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table.name in found:
                continue
            keys = [
                fk
                for fk in table.foreign_keys
                if fk.column.table.name in found and fk.column.name == "id"
            ]
            direct = [fk for fk in keys if fk.column.table.name == PERSON_TABLE]
            chosen = direct or keys
            if chosen:
                links = tuple(
                    sorted(
                        (
                            PersonLink(table.name, fk.parent.name, fk.column.table.name)
                            for fk in chosen
                        ),
                        key=lambda link: link.column,
                    )
                )
                found[table.name] = PersonTable(table, links)
                changed = True
    order = {t.name: i for i, t in enumerate(tables)}
    return sorted(found.values(), key=lambda t: order[t.name])


def tagged_tables(metadata: object = None) -> list[Table]:
    """Every table with at least one tagged column (the Art. 30 register's categories)."""
    meta = metadata or Base.metadata
    return [t for t in meta.sorted_tables if personal_columns(t)]  # type: ignore[attr-defined]


#: Parts of a column name that suggest personal data: such a column must be tagged or be named
#: in :data:`NOT_PERSONAL` with a reason (``tests/test_gdpr_tags.py``).
LOOKS_PERSONAL = (
    "name",
    "email",
    "phone",
    "address",
    "birth",
    "note",
    "text",
    "reason",
    "answer",
    "motivation",
    "expectation",
    "wish",
    "gender",
    "hope",
    "body",
    "title",
    "place",
    "account",
    "user_id",
    "principal",
    "challenge",
)

#: ``table.column`` that look personal by name but are not personal data, with why.
NOT_PERSONAL: dict[str, str] = {
    "tenant.name": "the municipality's or partner's name",
    "programme.name": "the programme's name",
    "programme.description": "the programme's public description",
    "activity.title": "a group activity's title (shared by all who come)",
    "activity.place": "where a group activity is held",
    "activity.description": "a group activity's public description",
    "course_session.place": "where a course session is held",
    "consent_text.body": "the consent text itself, the same for everyone who gave it",
    "application.contact_consent_text": "the consent text shown on the public form",
    "notification.address": (
        "pseudonymous delivery target kept with the message; the person's e-mail and phone "
        "are tagged on the person"
    ),
    "web_session.principal": (
        "a sign-in's session (claims of the staff member or citizen signed in), deleted when it "
        "expires; not part of a person's case"
    ),
    "web_session.user_id": "the signed-in user id of a session, deleted when it expires",
    "savings_assumption.note": "a coordinator's note on a cost assumption (no person)",
    "tenant.notifications": "the tenant's contact settings for messages",
    "audit_event.detail": "ids and reasons only, never field values (core/audit)",
    "meeting_day_count.cancelled": "a count per day (no person)",
    "notification.subject_id": "the id of the object a message is about",
    "consent.consent_text_id": "which version of the consent text was given (not its content)",
    "audit_event.client_address": (
        "the caller's address (a staff member's or the citizen's own), kept with the audit row; "
        "the access log shows who and when, never an address"
    ),
}


def untagged_personal_looking(metadata: object = None) -> list[str]:
    """``table.column`` names that look personal (:data:`LOOKS_PERSONAL`), are not tagged and
    are not explained in :data:`NOT_PERSONAL` - what a test fails on."""
    meta = metadata or Base.metadata
    found = []
    for table in meta.sorted_tables:  # type: ignore[attr-defined]
        for column in table.columns:
            key = f"{table.name}.{column.name}"
            looks = any(part in column.name for part in LOOKS_PERSONAL)
            if looks and not is_personal(column) and key not in NOT_PERSONAL:
                found.append(key)
    return found
