"""A person's data and access log, read through the ORM (so encrypted fields come back in clear).

* :func:`person_rows` walks the tables of :func:`core.gdpr.tags.person_tables` and reads the
  person's rows of each - the right of access (Art. 15) and everything built on it.
* :func:`access_log` reads the audit rows that name the person or one of the person's objects
  (``object_type`` is the table's name: ``person``, ``enrolment``, ``forloeb``,
  ``questionnaire_response``, ``application``...) and says who (a member's name and role, a
  partner's staff, the person themself) did what and when.

Both are tenant-scoped: the ORM guard limits every select to the current tenant; the audit log is
a global table and is filtered by the tenant's slug here.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, inspect, or_, select
from sqlalchemy.orm import Mapper

from core.access.models import Member
from core.audit.models import AuditEvent
from core.context import Context
from core.db.base import Base
from core.errors import NotFound
from core.gdpr.tags import NOT_EXPORTED, PERSON_TABLE, PersonTable, person_tables
from core.identity.principal import ROLES
from core.participants.models import Person
from core.tenancy.models import Tenant
from core.tenancy.programme_scope import refuse_partner
from core.web.i18n import gettext as _

#: Audit ``object_type`` names that differ from their table's name.
OBJECT_TYPE_TABLE = {"member": "tenant_member"}
#: Audit actions that read or changed nothing of the person (never on the log).
NOT_ON_THE_LOG = frozenset({"access_denied"})


def refuse_partners(ctx: Context) -> None:
    """A partner's staff (even under a ``coordinate`` grant) never sees a person's access log or
    export: both cover every programme of the person. 403 before any look-up."""
    refuse_partner(
        ctx.partner,
        _("Only the municipality's own staff can see a person's access log or data export."),
    )


def _model(table_name: str) -> Any:
    for mapper in Base.registry.mappers:
        m: Mapper[Any] = mapper
        if getattr(m.local_table, "name", None) == table_name:
            return m.class_
    raise LookupError(table_name)


def _attribute_keys(model: Any) -> dict[str, str]:
    """The mapped attribute of each column of ``model`` by column name (usually the same)."""
    mapper: Mapper[Any] = inspect(model)
    return {c.name: mapper.get_property_by_column(c).key for c in mapper.local_table.columns}


def json_value(value: Any) -> Any:
    """A column value as JSON (ids and times as text, enums by value)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


@dataclass
class TableRows:
    """The person's rows of one table: ``rows`` as ``{column: JSON value}``."""

    table: str
    columns: list[str]
    personal: list[str]
    rows: list[dict[str, Any]]


async def person_rows(ctx: Context, person_id: uuid.UUID) -> list[TableRows]:
    """Every row of every table that holds something about the person, parents first (the
    person's own row first). Columns in :data:`NOT_EXPORTED` are left out.

    :raises NotFound: no such person in the tenant."""
    ids: dict[str, set[Any]] = {}
    out: list[TableRows] = []
    for spec in person_tables():
        model = _model(spec.name)
        where = _belongs(model, spec, person_id, ids)
        rows: list[Any] = []
        if where is not None:
            order = [model.created_at, model.id] if hasattr(model, "created_at") else [model.id]
            rows = list(await ctx.session.scalars(select(model).where(where).order_by(*order)))
        if spec.name == PERSON_TABLE and not rows:
            raise NotFound()
        ids[spec.name] = {r.id for r in rows}
        columns = [c.name for c in spec.table.columns if c.name not in NOT_EXPORTED]
        personal = [c.name for c in spec.table.columns if c.info.get("personal_data")]
        keys = _attribute_keys(model)
        values = [{c: json_value(getattr(r, keys[c])) for c in columns} for r in rows]
        out.append(TableRows(spec.name, columns, personal, values))
    return out


def _belongs(model: Any, spec: PersonTable, person_id: uuid.UUID, ids: dict[str, set[Any]]) -> Any:
    """The WHERE clause of the person's rows of ``model`` (``None``: the person has none)."""
    if not spec.links:
        return model.id == person_id
    conditions = [
        getattr(model, link.column).in_(sorted(ids[link.parent], key=str))
        for link in spec.links
        if ids.get(link.parent)
    ]
    return or_(*conditions) if conditions else None


async def person_object_ids(ctx: Context, person_id: uuid.UUID) -> dict[str, set[str]]:
    """The ids of the person's rows per table (only ids: what the access log matches).

    :raises NotFound: no such person in the tenant."""
    ids: dict[str, set[Any]] = {}
    for spec in person_tables():
        model = _model(spec.name)
        where = _belongs(model, spec, person_id, ids)
        found = (
            set(await ctx.session.scalars(select(model.id).where(where)))
            if where is not None
            else set()
        )
        if spec.name == PERSON_TABLE and not found:
            raise NotFound()
        ids[spec.name] = found
    return {name: {str(i) for i in found} for name, found in ids.items() if found}


@dataclass(frozen=True)
class AccessEntry:
    at: dt.datetime
    #: Who, as people know them: a member's name, "the person themself", a partner's staff.
    who: str
    #: The role code (``coordinator``, ``mentor``...), ``None`` when not known.
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    #: The partner (slug) whose staff member acted under a ``coordinate`` grant, if any.
    partner: str | None


@dataclass(frozen=True)
class AccessLog:
    entries: list[AccessEntry]
    total: int


def _conditions(objects: dict[str, set[str]]) -> list[Any]:
    types = {t: t for t in objects} | {
        alias: table for alias, table in OBJECT_TYPE_TABLE.items() if table in objects
    }
    return [
        and_(AuditEvent.object_type == audit_type, AuditEvent.object_id.in_(sorted(objects[t])))
        for audit_type, t in sorted(types.items())
    ]


async def access_log(
    ctx: Context, person_id: uuid.UUID, limit: int, offset: int, *, own: bool = False
) -> AccessLog:
    """Who read or changed the person's data, newest first (``limit`` rows from ``offset``).

    ``own``: the person reads their own log ("Mit forløb": rows by the person are "you").

    :raises NotFound: no such person."""
    person = await ctx.session.scalar(select(Person).where(Person.id == person_id))
    if person is None:
        raise NotFound()
    objects = await person_object_ids(ctx, person_id)
    where = (
        AuditEvent.tenant_slug == ctx.tenant.slug,
        AuditEvent.action.not_in(sorted(NOT_ON_THE_LOG)),
        or_(*_conditions(objects)),
    )
    total = await ctx.session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
    events = list(
        await ctx.session.scalars(
            select(AuditEvent)
            .where(*where)
            .order_by(AuditEvent.at.desc(), AuditEvent.id)
            .limit(limit)
            .offset(offset)
        )
    )
    namer = await _actor_namer(ctx, person, own)
    entries = [
        AccessEntry(
            at=e.at,
            who=namer.who(e),
            role=namer.role(e),
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            partner=_partner(e),
        )
        for e in events
    ]
    return AccessLog(entries, int(total or 0))


def _partner(event: AuditEvent) -> str | None:
    value = (event.detail or {}).get("partner")
    return str(value) if value else None


def _subject(user_id: str | None) -> str | None:
    """The ``sub`` of a user id ``iss#sub`` (audit rows name actors by ``sub``)."""
    return user_id.rsplit("#", 1)[-1] if user_id else None


@dataclass
class _ActorNamer:
    members: dict[str, Member]
    own_subject: str | None
    own: bool
    partners: dict[str, str]

    def who(self, event: AuditEvent) -> str:
        partner = _partner(event)
        if partner is not None:
            return _("Staff at %(partner)s") % {"partner": self.partners.get(partner, partner)}
        if event.actor is None:
            return _("Without sign-in (the public page)")
        if self.own_subject is not None and event.actor == self.own_subject:
            return _("You") if self.own else _("The person themself")
        member = self.members.get(event.actor)
        if member is None:
            return _("Someone not on the members list")
        return member.name or _("A member without a name")

    def role(self, event: AuditEvent) -> str | None:
        if _partner(event) is not None:
            return "partner_staff"
        member = self.members.get(event.actor or "")
        if member is None:
            return None
        if member.role:
            return member.role
        known = [r for r in member.keycloak_roles if r in ROLES]
        return known[0] if known else None


async def _actor_namer(ctx: Context, person: Person, own: bool) -> _ActorNamer:
    members = {str(_subject(m.user_id)): m for m in await ctx.session.scalars(select(Member))}
    partners = {
        t.slug: t.name
        for t in await ctx.session.scalars(select(Tenant).where(Tenant.kind == "partner"))
    }
    return _ActorNamer(members, _subject(person.account), own, partners)


#: Columns that hold who did something (a sign-in's ``sub`` or ``iss#sub``): the export page
#: shows the member's name instead.
def is_staff_column(column: str) -> bool:
    return column == "actor" or column.endswith("_by")


async def member_names(ctx: Context) -> dict[str, str]:
    """The tenant's members' names by ``sub`` and by user id (``iss#sub``)."""
    names: dict[str, str] = {}
    for member in await ctx.session.scalars(select(Member)):
        if member.name:
            names[member.user_id] = member.name
            names[str(_subject(member.user_id))] = member.name
    return names
