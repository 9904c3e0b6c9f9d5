"""Programme partnerships: the only way a partner tenant reads another tenant's data.

The owner grants a partner a scope on one programme (``aggregate``: numbers; ``participants``:
the programme's people and the numbers; ``coordinate``: the partner's staff co-run the
programme in the owner's space, see :mod:`core.tenancy.coordinate`). Every grant, revocation and
partner read is audited.
The functions that cross tenants say so in their names (``..._as_partner``) and read the owner's
tenant explicitly (:func:`core.db.tenant_scope.reading_another_tenant`), so the ORM guard and
row-level security apply as usual. Commands take a :class:`core.context.Context`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.db.tenant_scope import reading_another_tenant
from core.errors import Forbidden, Invalid, NotFound
from core.participants.models import Consent, Enrolment, EnrolmentStatus, Person
from core.tenancy.models import (
    PartnershipScope,
    Programme,
    ProgrammePartnership,
    Tenant,
    TenantKind,
)
from core.tenancy.schemas import GrantIn
from core.web.i18n import gettext as _

#: Statuses an enrolment can have without the programme's consent ever given: a `participants`
#: partner sees such an enrolment only if it has a consent (given, perhaps withdrawn since).
BEFORE_CONSENT = (
    EnrolmentStatus.APPLIED.value,
    EnrolmentStatus.INTERESTED.value,
    EnrolmentStatus.WITHDRAWN.value,
)


@dataclass(frozen=True)
class GrantView:
    id: uuid.UUID
    owner_slug: str
    owner_name: str
    programme_slug: str
    programme_name: str
    partner_slug: str
    partner_name: str
    scope: PartnershipScope


@dataclass(frozen=True)
class ProgrammeSummary:
    mentees: int
    mentors: int
    by_status: dict[str, int]


@dataclass(frozen=True)
class ParticipantView:
    person_id: uuid.UUID
    name: str
    role: str
    status: str


async def _views(session: AsyncSession, grants: list[ProgrammePartnership]) -> list[GrantView]:
    """Describe grants; each programme name is read in its owner's tenant scope."""
    tenants = {t.id: t for t in await session.scalars(select(Tenant))}
    views = []
    for grant in grants:
        owner, partner = tenants[grant.owner_tenant_id], tenants[grant.partner_tenant_id]
        async with reading_another_tenant(session, owner.id):
            programme = await session.get(Programme, grant.programme_id)
        if programme is None:
            # A partner co-running one programme sees the owner's grants on that one only.
            continue
        views.append(
            GrantView(
                grant.id,
                owner.slug,
                owner.name,
                programme.slug,
                programme.name,
                partner.slug,
                partner.name,
                grant.scope,
            )
        )
    return views


async def _active_grants(session: AsyncSession, party: Any, tenant: Tenant) -> list[GrantView]:
    stmt = (
        select(ProgrammePartnership)
        .where(party == tenant.id, ProgrammePartnership.revoked_at.is_(None))
        .order_by(ProgrammePartnership.created_at)
    )
    grants = list(await session.scalars(stmt))
    return await _views(session, grants)


async def grants_given(session: AsyncSession, owner: Tenant) -> list[GrantView]:
    """Active grants the owner tenant has given."""
    return await _active_grants(session, ProgrammePartnership.owner_tenant_id, owner)


async def grants_received(session: AsyncSession, partner: Tenant) -> list[GrantView]:
    """Active grants given to the partner tenant."""
    return await _active_grants(session, ProgrammePartnership.partner_tenant_id, partner)


async def grant_partnership(ctx: Context, data: GrantIn) -> tuple[GrantView, bool]:
    """Grant (or change the scope of) a partnership on one of the owner's programmes.

    :return: the grant and whether it is new.
    :raises Invalid: naming the field at fault; nothing is stored."""
    owner, session = ctx.tenant, ctx.session
    try:
        wanted = PartnershipScope(data.scope)
    except ValueError:
        raise _invalid(
            "scope",
            _(
                "Choose the scope aggregate (numbers), participants (people) or coordinate "
                "(co-running the programme)."
            ),
        ) from None
    programme = await session.scalar(
        select(Programme).where(Programme.slug == data.programme, Programme.archived_at.is_(None))
    )
    if programme is None:
        raise _invalid("programme", _("The programme does not exist in this organisation."))
    partner = await session.scalar(select(Tenant).where(Tenant.slug == data.partner))
    if partner is None or partner.kind != TenantKind.PARTNER:
        raise _invalid("partner", _("There is no partner organisation with that name."))
    grant = await session.scalar(
        select(ProgrammePartnership).where(
            ProgrammePartnership.owner_tenant_id == owner.id,
            ProgrammePartnership.programme_id == programme.id,
            ProgrammePartnership.partner_tenant_id == partner.id,
            ProgrammePartnership.revoked_at.is_(None),
        )
    )
    created = grant is None
    if grant is None:
        grant = ProgrammePartnership(
            owner_tenant_id=owner.id,
            programme_id=programme.id,
            partner_tenant_id=partner.id,
            scope=wanted,
            granted_by=ctx.actor,
        )
        session.add(grant)
    else:
        grant.scope = wanted
    await session.flush()
    view = GrantView(
        grant.id,
        owner.slug,
        owner.name,
        programme.slug,
        programme.name,
        partner.slug,
        partner.name,
        wanted,
    )
    ctx.audit(
        "partnership_granted",
        object_type="programme_partnership",
        object_id=view.id,
        detail={"scope": wanted.value, "partner": data.partner, "new": created},
    )
    return view, created


def _invalid(field: str, message: str) -> Invalid:
    return Invalid({field: message}, detail=message)


async def revoke_partnership(ctx: Context, grant_id: uuid.UUID) -> None:
    """Revoke one of the owner's active grants. :raises NotFound: no such active grant."""
    grant = await ctx.session.get(ProgrammePartnership, grant_id)
    if grant is None or grant.owner_tenant_id != ctx.tenant.id or grant.revoked_at is not None:
        raise NotFound()
    grant.revoked_at, grant.revoked_by = ctx.now(), ctx.actor
    await ctx.session.flush()
    ctx.audit("partnership_revoked", object_type="programme_partnership", object_id=grant_id)


async def _grant_for_partner(ctx: Context, grant_id: uuid.UUID) -> ProgrammePartnership:
    grant = await ctx.session.get(ProgrammePartnership, grant_id)
    if grant is None or grant.partner_tenant_id != ctx.tenant.id or grant.revoked_at is not None:
        raise NotFound()
    return grant


async def read_summary_as_partner(ctx: Context, grant_id: uuid.UUID) -> ProgrammeSummary:
    """Numbers for the granted programme (any scope), read in the owner's tenant; audited.

    :raises NotFound: no such active grant for this partner."""
    grant = await _grant_for_partner(ctx, grant_id)
    async with reading_another_tenant(ctx.session, grant.owner_tenant_id):
        rows = list(
            await ctx.session.execute(
                select(Enrolment.role, Enrolment.status).where(
                    Enrolment.programme_id == grant.programme_id
                )
            )
        )
    ctx.audit(
        "partner_read",
        object_type="programme_partnership",
        object_id=grant.id,
        detail={"scope": "aggregate"},
    )
    roles = Counter(str(r.role.value if hasattr(r.role, "value") else r.role) for r in rows)
    return ProgrammeSummary(
        mentees=roles["mentee"],
        mentors=roles["mentor"],
        by_status=dict(sorted(Counter(r.status for r in rows).items())),
    )


async def read_participants_as_partner(ctx: Context, grant_id: uuid.UUID) -> list[ParticipantView]:
    """The granted programme's people, read in the owner's tenant; audited. A ``participants``
    grant lists only enrolments whose person has given the programme's consent (a status that
    needs one, or a consent row: never an applicant); a ``coordinate`` partner co-runs the
    programme and sees everybody, applicants too.

    :raises NotFound: no such active grant for this partner.
    :raises Forbidden: the grant is for numbers only (recorded as a refusal)."""
    grant = await _grant_for_partner(ctx, grant_id)
    if grant.scope not in (PartnershipScope.PARTICIPANTS, PartnershipScope.COORDINATE):
        raise Forbidden(_("The partnership gives access to numbers only."))
    query = (
        select(Person.id, Person.name, Enrolment.role, Enrolment.status)
        .join(Enrolment, Enrolment.person_id == Person.id)
        .where(Enrolment.programme_id == grant.programme_id)
        .order_by(Person.name)
    )
    if grant.scope == PartnershipScope.PARTICIPANTS:
        # Only people who have given the programme's consent: not an applicant (``applied``:
        # they agreed only to be contacted by the owner, and applying to a psychiatry or misbrug
        # programme says something about their health), nor anyone ``interested`` or
        # ``withdrawn`` without a consent ever given. The numbers still count them.
        consented = select(Consent.id).where(Consent.enrolment_id == Enrolment.id).exists()
        query = query.where(
            or_(Enrolment.status.not_in(BEFORE_CONSENT), consented),
        )
    async with reading_another_tenant(ctx.session, grant.owner_tenant_id):
        rows = list(await ctx.session.execute(query))
    ctx.audit(
        "partner_read",
        object_type="programme_partnership",
        object_id=grant.id,
        detail={"scope": "participants", "rows": len(rows)},
    )
    return [
        ParticipantView(r.id, r.name, str(getattr(r.role, "value", r.role)), r.status) for r in rows
    ]


async def co_runners(session: AsyncSession, programme: Programme) -> list[str]:
    """The names of the partner organisations that co-run ``programme`` (an active
    ``coordinate`` grant), by name: the public form's consent to be contacted names them."""
    names = await session.scalars(
        select(Tenant.name)
        .join(ProgrammePartnership, ProgrammePartnership.partner_tenant_id == Tenant.id)
        .where(
            ProgrammePartnership.programme_id == programme.id,
            ProgrammePartnership.owner_tenant_id == programme.tenant_id,
            ProgrammePartnership.scope == PartnershipScope.COORDINATE,
            ProgrammePartnership.revoked_at.is_(None),
        )
        .order_by(Tenant.name)
    )
    return list(names)
