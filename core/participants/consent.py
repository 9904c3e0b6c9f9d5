"""Consent: the programme's consent text (versioned), giving and withdrawing consent.

A før-samtale, plugin intake answers and person fields beyond name and contact need a consent
that is given and not withdrawn. Withdrawing ends the enrolment (``withdrawn``) and its open
forløb. Commands take a :class:`core.context.Context`, flush (never commit) and note their
audit row.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.db.base import utcnow
from core.forloeb.commands import end_with_enrolment
from core.gdpr.erased_guard import refuse_erased
from core.participants.errors import FieldErrors
from core.participants.history import add_event
from core.participants.lookup import audit_enrolment, get_enrolment, get_programme
from core.participants.models import (
    FINAL_STATUSES,
    Consent,
    ConsentText,
    Enrolment,
    EnrolmentStatus,
)
from core.participants.schemas import ConsentTextIn
from core.tenancy.models import Programme, Tenant
from core.web import text as chars
from core.web.i18n import gettext as _

DEFAULT_CONSENT_TEXT = (
    "Jeg giver samtykke til, at {organisation} behandler oplysninger om mig i forbindelse med "
    "min deltagelse i {programme}. Det gælder kontaktoplysninger, oplysninger fra "
    "før-samtalen og følsomme oplysninger om helbred, fx psykisk sårbarhed, handicap eller "
    "misbrug (databeskyttelsesforordningens artikel 9, stk. 2, litra a). Oplysningerne bruges "
    "kun til at finde en passende makker, følge forløbet og lave anonyme opgørelser. Jeg kan til "
    "enhver tid trække mit samtykke tilbage ved at kontakte koordinatoren; så afsluttes min "
    "tilmelding. Tilbagetrækningen påvirker ikke lovligheden af behandlingen indtil da."
)
WITHDRAWN_REASON = "samtykke trukket tilbage"


# -- queries --------------------------------------------------------------------------------


async def active_consent(session: AsyncSession, enrolment_id: uuid.UUID) -> Consent | None:
    return await session.scalar(
        select(Consent).where(Consent.enrolment_id == enrolment_id, Consent.withdrawn_at.is_(None))
    )


async def person_has_consent(session: AsyncSession, person_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Consent.id)
        .join(Enrolment, Enrolment.id == Consent.enrolment_id)
        .where(Enrolment.person_id == person_id, Consent.withdrawn_at.is_(None))
        .limit(1)
    )
    return found is not None


async def current_consent_text(
    session: AsyncSession, tenant: Tenant, programme: Programme, actor: str = "makker"
) -> ConsentText:
    """The programme's newest consent text; version 1 is the Danish default, made on first use."""
    text = await session.scalar(
        select(ConsentText)
        .where(ConsentText.programme_id == programme.id)
        .order_by(ConsentText.version.desc())
        .limit(1)
    )
    if text is None:
        text = ConsentText(
            programme_id=programme.id,
            version=1,
            body=DEFAULT_CONSENT_TEXT.format(organisation=tenant.name, programme=programme.name),
            created_by=actor,
        )
        session.add(text)
        await session.flush()
    return text


async def consent_text(ctx: Context, programme_slug: str) -> tuple[Programme, ConsentText]:
    """The programme's current consent text (no personal data)."""
    programme = await get_programme(ctx.session, programme_slug)
    return programme, await current_consent_text(ctx.session, ctx.tenant, programme)


# -- commands -------------------------------------------------------------------------------


async def publish_consent_text(
    ctx: Context, programme_slug: str, data: ConsentTextIn
) -> ConsentText:
    """A new version of the programme's consent text (existing consents keep their version)."""
    programme = await get_programme(ctx.session, programme_slug)
    if message := chars.check(chars.line_feeds(data.body), multiline=True):
        raise FieldErrors({"body": message})
    body = chars.line_feeds(data.body).strip()
    if len(body) < 20 or len(body) > 10000:
        raise FieldErrors({"body": _("Write a consent text of 20 to 10000 characters.")})
    current = await current_consent_text(ctx.session, ctx.tenant, programme, ctx.actor)
    text = ConsentText(
        programme_id=programme.id, version=current.version + 1, body=body, created_by=ctx.actor
    )
    ctx.session.add(text)
    await ctx.session.flush()
    ctx.audit("consent_text.publish", detail={"programme": programme.slug, "version": text.version})
    return text


async def record_consent(
    session: AsyncSession, tenant: Tenant, enrolment: Enrolment, actor: str
) -> Consent:
    """Record that the person gave consent to the programme's current text (no audit row: for
    set-ups outside a request; requests use :func:`give_consent`)."""
    if enrolment.status in FINAL_STATUSES:
        raise FieldErrors({"consent": _("The enrolment has ended; start a new enrolment.")})
    if await active_consent(session, enrolment.id) is not None:
        raise FieldErrors({"consent": _("Consent has already been given.")})
    programme = await session.get_one(Programme, enrolment.programme_id)
    text = await current_consent_text(session, tenant, programme, actor)
    consent = Consent(enrolment_id=enrolment.id, consent_text_id=text.id, recorded_by=actor)
    session.add(consent)
    await session.flush()
    return consent


async def give_consent(ctx: Context, enrolment_id: uuid.UUID) -> Enrolment:
    """Record that the person gave explicit consent to the programme's current text."""
    enrolment = await get_enrolment(ctx.session, enrolment_id)
    await refuse_erased(ctx.session, enrolments=[enrolment.id])
    consent = await record_consent(ctx.session, ctx.tenant, enrolment, ctx.actor)
    audit_enrolment(ctx, "consent.give", enrolment, {"consent": str(consent.id)})
    return enrolment


async def withdraw_consent(ctx: Context, enrolment_id: uuid.UUID) -> Enrolment:
    """Record the withdrawal; the enrolment ends (``withdrawn``), with an event in its history,
    and so does its open forløb."""
    enrolment = await get_enrolment(ctx.session, enrolment_id)
    await refuse_erased(ctx.session, enrolments=[enrolment.id])
    consent = await active_consent(ctx.session, enrolment.id)
    if consent is None:
        raise FieldErrors({"consent": _("There is no consent to withdraw.")})
    consent.withdrawn_at = utcnow()
    consent.withdrawn_recorded_by = ctx.actor
    before = enrolment.status
    if enrolment.status not in FINAL_STATUSES:
        add_event(ctx.session, enrolment, EnrolmentStatus.WITHDRAWN, ctx.actor, WITHDRAWN_REASON)
        await end_with_enrolment(ctx.session, enrolment, ctx.actor, ctx.today(), WITHDRAWN_REASON)
    await ctx.session.flush()
    audit_enrolment(ctx, "consent.withdraw", enrolment, {"consent": str(consent.id)}, before)
    return enrolment
