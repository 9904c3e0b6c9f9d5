"""Ready for Citus (issue 18), checked statically: Citus cannot be installed on these machines.

``deploy/citus/distribute.sql`` distributes every tenant-owned table of ``Base.metadata`` by
``tenant_id`` (parents first, colocated) and says what becomes of every shared table; the schema
guard lists each key that keeps the tables from being distributed (the known gap, below) and a
new one fails here; the compose file and its init script parse.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

import core.db.models  # noqa: F401 - every model
from core.db.base import Base
from core.db.citus import statements, unclassified
from core.db.schema_guard import citus_key_gaps

CITUS = Path(__file__).resolve().parent.parent / "deploy" / "citus"

#: Today's keys and foreign keys without tenant_id (docs/deploy.md, "Ready for Citus": what
#: remains). Every tenant-owned table's primary key is its id alone, and its foreign keys to
#: other tenant-owned tables name the parent's id alone. A new table must not add to it
#: silently: the test below fails until the line is added here - or the key includes tenant_id.
KNOWN_GAP = {
    "activity: primary key (id) lacks tenant_id",
    "activity: foreign key (programme_id) -> programme lacks tenant_id",
    "activity_attendance: primary key (id) lacks tenant_id",
    "activity_attendance: foreign key (activity_id) -> activity lacks tenant_id",
    "activity_attendance: foreign key (person_id) -> person lacks tenant_id",
    "activity_cancellation: primary key (id) lacks tenant_id",
    "activity_cancellation: foreign key (activity_id) -> activity lacks tenant_id",
    "activity_member: primary key (id) lacks tenant_id",
    "activity_member: foreign key (activity_id) -> activity lacks tenant_id",
    "activity_member: foreign key (person_id) -> person lacks tenant_id",
    "application: primary key (id) lacks tenant_id",
    "application: foreign key (enrolment_id) -> enrolment lacks tenant_id",
    "application: foreign key (person_id) -> person lacks tenant_id",
    "calendar_link: foreign key (person_id) -> person: a shared table points at a tenant-owned one",
    "consent: primary key (id) lacks tenant_id",
    "consent: foreign key (consent_text_id) -> consent_text lacks tenant_id",
    "consent: foreign key (enrolment_id) -> enrolment lacks tenant_id",
    "consent_text: primary key (id) lacks tenant_id",
    "consent_text: foreign key (programme_id) -> programme lacks tenant_id",
    "contact_preference: primary key (id) lacks tenant_id",
    "contact_preference: foreign key (person_id) -> person lacks tenant_id",
    "course: primary key (id) lacks tenant_id",
    "course: foreign key (programme_id) -> programme lacks tenant_id",
    "course_attendance: primary key (id) lacks tenant_id",
    "course_attendance: foreign key (person_id) -> person lacks tenant_id",
    "course_attendance: foreign key (session_id) -> course_session lacks tenant_id",
    "course_participant: primary key (id) lacks tenant_id",
    "course_participant: foreign key (course_id) -> course lacks tenant_id",
    "course_participant: foreign key (person_id) -> person lacks tenant_id",
    "course_session: primary key (id) lacks tenant_id",
    "course_session: foreign key (course_id) -> course lacks tenant_id",
    "enrolment: primary key (id) lacks tenant_id",
    "enrolment: foreign key (person_id) -> person lacks tenant_id",
    "enrolment: foreign key (programme_id) -> programme lacks tenant_id",
    "enrolment_event: primary key (id) lacks tenant_id",
    "enrolment_event: foreign key (enrolment_id) -> enrolment lacks tenant_id",
    "forloeb: primary key (id) lacks tenant_id",
    "forloeb: foreign key (mentee_enrolment_id) -> enrolment lacks tenant_id",
    "forloeb: foreign key (mentor_enrolment_id) -> enrolment lacks tenant_id",
    "forloeb: foreign key (programme_id) -> programme lacks tenant_id",
    "forloeb_event: primary key (id) lacks tenant_id",
    "forloeb_event: foreign key (forloeb_id) -> forloeb lacks tenant_id",
    "forloeb_pause: primary key (id) lacks tenant_id",
    "forloeb_pause: foreign key (forloeb_id) -> forloeb lacks tenant_id",
    "intake: primary key (id) lacks tenant_id",
    "intake: foreign key (enrolment_id) -> enrolment lacks tenant_id",
    "invitation: primary key (id) lacks tenant_id",
    "invitation: foreign key (person_id) -> person lacks tenant_id",
    "legal_hold: primary key (id) lacks tenant_id",
    "legal_hold: foreign key (person_id) -> person lacks tenant_id",
    "meeting: primary key (id) lacks tenant_id",
    "meeting: foreign key (forloeb_id) -> forloeb lacks tenant_id",
    "meeting_day_count: foreign key (programme_id) -> programme lacks tenant_id",
    "notification: primary key (id) lacks tenant_id",
    "notification: foreign key (person_id) -> person lacks tenant_id",
    "notification: foreign key (programme_id) -> programme lacks tenant_id",
    "person: primary key (id) lacks tenant_id",
    "planned_meeting: primary key (id) lacks tenant_id",
    "planned_meeting: foreign key (forloeb_id) -> forloeb lacks tenant_id",
    "programme: primary key (id) lacks tenant_id",
    "programme_partnership: foreign key (programme_id) -> programme: a shared table points at "
    "a tenant-owned one",
    "questionnaire_response: primary key (id) lacks tenant_id",
    "questionnaire_response: foreign key (forloeb_id) -> forloeb lacks tenant_id",
    "questionnaire_response: foreign key (person_id) -> person lacks tenant_id",
    "savings_assumption: primary key (id) lacks tenant_id",
    "savings_assumption: foreign key (programme_id) -> programme lacks tenant_id",
    "tenant_member: primary key (id) lacks tenant_id",
    "tenant_member: foreign key (invitation_id) -> invitation lacks tenant_id",
}


def test_distribute_sql_covers_every_table_in_order():
    lines = (CITUS / "distribute.sql").read_text(encoding="utf-8").splitlines()
    wanted = statements(Base.metadata)
    missing = [line for line in wanted if line not in lines]
    assert missing == [], "run: python -m core.db.citus > deploy/citus/distribute.sql"
    positions = [lines.index(line) for line in wanted]
    assert positions == sorted(positions)
    assert unclassified(Base.metadata) == []
    owned = [t for t in Base.metadata.sorted_tables if "tenant_id" in t.c]
    for table in owned:
        assert (
            f"SELECT create_distributed_table('{table.name}', 'tenant_id', colocate_with => "
            in "\n".join(lines)
        )
    # a foreign key's referred table is distributed (or a reference table) before it
    seen: set[str] = set()
    for line in lines:
        if line.startswith("SELECT create_"):
            name = line.split("('", 1)[1].split("'", 1)[0]
            table = Base.metadata.tables.get(name)
            if table is not None:
                assert {fk.column.table.name for fk in table.foreign_keys} - {name} <= seen, name
            seen.add(name)
    assert lines[-1] == "COMMIT;"


def test_the_schema_guard_lists_the_keys_that_lack_tenant_id_and_no_new_one():
    gaps = citus_key_gaps(Base.metadata)
    assert sorted(set(gaps) - KNOWN_GAP) == []
    # The check finds what it is for: a table whose keys include tenant_id has no gap.
    assert not [g for g in gaps if g.startswith("meeting_day_count: primary key")]
    assert "person: primary key (id) lacks tenant_id" in gaps


def test_the_citus_compose_file_and_its_init_script_parse():
    compose = yaml.safe_load((CITUS / "compose.yaml").read_text(encoding="utf-8"))
    assert sorted(compose["services"]) == ["coordinator", "worker-1", "worker-2"]
    for service in compose["services"].values():
        assert service["image"].startswith("citusdata/citus:")
        assert service["environment"]["POSTGRES_DB"] == "makker"
    mounts = compose["services"]["coordinator"]["volumes"]
    assert "./init/00-makker.sh:/docker-entrypoint-initdb.d/900-makker.sh:ro" in mounts
    script = CITUS / "init" / "00-makker.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    assert "citus_add_node('worker-2', 5432)" in script.read_text(encoding="utf-8")
