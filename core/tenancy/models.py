"""Tenant (global) and Programme (tenant-owned) models."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Model, TenantOwned, tenant_fk


class TenantKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    PARTNER = "partner"


class Tenant(Model):
    """A municipality or partner organisation. Not tenant-owned: it *is* the tenant.

    Rows are written only by ``makker tenants sync`` from ``tenants/*.toml``.
    """

    __tablename__ = "tenant"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TenantKind] = mapped_column(
        Enum(
            TenantKind,
            name="tenant_kind",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    #: Enabled plugins with their tenant-level configuration: ``{plugin: {key: value}}``.
    plugins: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The organisation's published accessibility statement (https), linked from every footer.
    accessibility_statement_url: Mapped[str | None] = mapped_column(String(500))
    #: ``[notifications]`` of the tenant file: the contact line every message ends with, the
    #: coordinators' digest address and the SMS gateway (docs/notifications.md).
    notifications: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Programme(TenantOwned, Model):
    """A programme (tilbud/ordning) such as Borger til Borger, owned by one tenant."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)

    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    #: Programme type, registered by a plugin (e.g. ``peer_mentor``).
    type: Mapped[str] = mapped_column(String(60))
    #: Areas of lived experience: ``psykiatri``, ``handicap``, ``misbrug``.
    areas: Mapped[list[str]] = mapped_column(default=list)
    #: Forløb policy: ``duration_months`` {min, max} and ``meeting_frequencies``.
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Programme-level plugin configuration, overriding the tenant's.
    plugins: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Outcome questionnaire schedules (``[[programmes.outcomes]]`` of the tenant file).
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    description: Mapped[str | None] = mapped_column(String(2000))
    #: The public page and its application form (``[programmes.public]`` of the tenant file:
    #: intro, offers, mentee, mentor, contact); ``None``: the programme has no public page.
    public: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    #: Set when the programme disappears from the tenant file; rows are never deleted.
    archived_at: Mapped[dt.datetime | None] = mapped_column()


class PartnershipScope(enum.StrEnum):
    #: Numbers only (counts by role and status).
    AGGREGATE = "aggregate"
    #: The programme's people (names, roles, statuses) - and the numbers.
    PARTICIPANTS = "participants"
    #: Co-running: the partner's staff act as coordinators inside the programme (its people,
    #: enrolments, før-samtaler, consent, courses, matching, forløb, meetings, activities), in
    #: the owner's space and tenant - and the list and the numbers.
    COORDINATE = "coordinate"


class ProgrammePartnership(Model):
    """A grant by the owning tenant to a partner tenant on one programme.

    Global table (not tenant-owned): the owner and the partner both need to find it, each only
    through the explicitly named functions in :mod:`core.tenancy.partnerships`.
    """

    __tablename__ = "programme_partnership"
    __table_args__ = (
        Index("ix_programme_partnership_owner", "owner_tenant_id", "programme_id"),
        Index("ix_programme_partnership_partner", "partner_tenant_id"),
        tenant_fk("programme_id", "programme", owner="owner_tenant_id"),
    )
    # The row's key includes its owner (Citus distributes the table by owner_tenant_id,
    # docs/deploy.md); the ORM identity is the id alone.
    __mapper_args__ = {"primary_key": ["id"]}

    owner_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column()
    partner_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"))
    scope: Mapped[PartnershipScope] = mapped_column(
        Enum(
            PartnershipScope,
            name="partnership_scope",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    granted_by: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_by: Mapped[str | None] = mapped_column(String(255))
