"""The model tags GDPR is built on (issue 15): every column that looks personal is tagged or
explained, and the walk from ``person`` finds every table about a person."""

from __future__ import annotations

import core.db.models  # noqa: F401 - every model
from core.db.base import Base
from core.gdpr.tags import (
    LOOKS_PERSONAL,
    NOT_EXPORTED,
    NOT_PERSONAL,
    person_tables,
    untagged_personal_looking,
)


def test_every_column_that_looks_personal_is_tagged_or_explained():
    assert untagged_personal_looking() == []


def test_every_explanation_names_a_real_untagged_column():
    """An entry of NOT_PERSONAL for a column that is gone or now tagged is stale."""
    columns = {f"{t.name}.{c.name}": c for t in Base.metadata.sorted_tables for c in t.columns}
    stale = [
        key for key in NOT_PERSONAL if key not in columns or columns[key].info.get("personal_data")
    ]
    assert stale == []
    assert all(reason.strip() for reason in [*NOT_PERSONAL.values(), *NOT_EXPORTED.values()])


def test_the_check_catches_a_new_untagged_column():
    from sqlalchemy import Column, MetaData, String, Table, Text

    metadata = MetaData()
    Table("person", metadata, Column("id", String, primary_key=True))
    Table(
        "pet",
        metadata,
        Column("id", String, primary_key=True),
        Column("owner_phone", String),
        Column("vet_note", Text, info={"personal_data": True}),
        Column("species", String),
    )
    assert untagged_personal_looking(metadata) == ["pet.owner_phone"]
    assert {"phone", "note", "name", "email", "address", "birth", "reason", "answer"} <= set(
        LOOKS_PERSONAL
    )


def test_the_walk_links_each_table_by_its_most_direct_key():
    links = {t.name: [(lk.column, lk.parent) for lk in t.links] for t in person_tables()}
    assert links["person"] == []
    assert links["enrolment"] == [("person_id", "person")]
    assert links["intake"] == [("enrolment_id", "enrolment")]
    assert links["forloeb"] == [
        ("mentee_enrolment_id", "enrolment"),
        ("mentor_enrolment_id", "enrolment"),
    ]
    assert links["meeting"] == [("forloeb_id", "forloeb")]
    # A questionnaire answer is the respondent's, not the other party's of the same forløb.
    assert links["questionnaire_response"] == [("person_id", "person")]
    assert links["tenant_member"] == [("invitation_id", "invitation")]
    assert "audit_event" not in links and "tenant" not in links
    assert "programme" not in links and "course" not in links


def test_a_new_table_with_a_person_key_is_walked():
    from sqlalchemy import Column, ForeignKey, MetaData, String, Table, Text

    metadata = MetaData()
    Table("person", metadata, Column("id", String, primary_key=True))
    Table(
        "diary",
        metadata,
        Column("id", String, primary_key=True),
        Column("person_id", ForeignKey("person.id")),
        Column("text", Text, info={"personal_data": True}),
    )
    Table(
        "diary_line",
        metadata,
        Column("id", String, primary_key=True),
        Column("diary_id", ForeignKey("diary.id")),
    )
    assert [t.name for t in person_tables(metadata)] == ["person", "diary", "diary_line"]
