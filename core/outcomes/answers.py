"""Questionnaires of a forløb: which are due, and answering, submitting and correcting them.

Who sees what (answers are Art. 9 data):

- the person who answers (the citizen or the mentor of the pair) sees and answers only their own
  occasions - never the other party's;
- coordinators and tenant admins of the tenant see every occasion of the forløb and may enter
  answers given in a conversation (``entered_as = "conversation"``);
- partners never reach a forløb (:func:`core.forloeb.access.access_forloeb` gives them 404).

Answers are taken only while the respondent's enrolment has consent, and only while the
occasion is open (see :mod:`core.outcomes.schedule`). A submitted answer is never edited: a
correction is a new version with a reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from core.context import Context
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.forloeb.access import COORDINATOR, access_forloeb
from core.forloeb.lifecycle import Pause
from core.forloeb.models import ForloebPause
from core.forloeb.rows import ForloebRow
from core.gdpr.erased_guard import refuse_erased
from core.outcomes.instruments import registered_instruments
from core.outcomes.models import CONVERSATION, DRAFT, SELF, SUBMITTED, QuestionnaireResponse
from core.outcomes.schedule import (
    ForloebDates,
    Occasion,
    OccasionStatus,
    ScheduleRule,
    occasions,
)
from core.outcomes.scoring import AnswerError, score
from core.participants import validation
from core.participants.consent import active_consent
from core.plugin_api import Instrument
from core.tenancy.models import Programme
from core.web import text as chars
from core.web.i18n import gettext as _

REASON_MAX = 1000


def answers_hidden(ctx: Context) -> bool:
    """A platform admin who is not also a coordinator of the tenant: they may open a forløb
    (operations), but questionnaire answers are for the person and the tenant's coordinators
    only - they see no occasions and reach none."""
    p = ctx.principal
    return p is not None and p.is_platform_admin and not (p.roles & {"tenant_admin", "coordinator"})


def schedule_rules(programme: Programme) -> list[ScheduleRule]:
    """The programme's ``[[programmes.outcomes]]`` as stored by ``makker tenants sync``."""
    return [ScheduleRule(**entry) for entry in programme.outcomes or []]


async def forloeb_dates(ctx: Context, row: ForloebRow) -> ForloebDates:
    pauses = await ctx.session.scalars(
        select(ForloebPause)
        .where(ForloebPause.forloeb_id == row.forloeb.id)
        .order_by(ForloebPause.starts_on)
    )
    f = row.forloeb
    return ForloebDates(
        started_on=f.started_on,
        planned_months=f.planned_months,
        pauses=tuple(Pause(p.starts_on, p.ends_on, p.planned_resume) for p in pauses),
        ended_on=f.ended_on if f.state in ("completed", "ended_early") else None,
    )


@dataclass(frozen=True)
class OccasionView:
    occasion: Occasion
    status: OccasionStatus
    instrument: Instrument
    #: The current version (the latest submitted, else the draft), if any.
    response: QuestionnaireResponse | None
    #: Every version, oldest first (corrections keep the earlier ones).
    versions: tuple[QuestionnaireResponse, ...] = ()

    @property
    def draft(self) -> QuestionnaireResponse | None:
        r = self.response
        return r if r is not None and r.status == DRAFT else None


@dataclass(frozen=True)
class ForloebQuestionnaires:
    row: ForloebRow
    #: ``coordinator``, ``mentor`` or ``mentee``.
    viewer: str
    occasions: list[OccasionView]

    def due(self) -> list[OccasionView]:
        return [o for o in self.occasions if o.status == OccasionStatus.DUE]


def _current(versions: list[QuestionnaireResponse]) -> QuestionnaireResponse | None:
    submitted = [r for r in versions if r.status == SUBMITTED]
    if submitted:
        return max(submitted, key=lambda r: r.version)
    return versions[-1] if versions else None


async def questionnaires_of_row(
    ctx: Context, row: ForloebRow, viewer: str
) -> ForloebQuestionnaires:
    """The occasions of a forløb the viewer may see, each with its status and answers."""
    if answers_hidden(ctx):
        return ForloebQuestionnaires(row, viewer, [])
    instruments = registered_instruments(ctx.plugins)
    rules = [r for r in schedule_rules(row.programme) if r.instrument in instruments]
    today = ctx.today()
    planned = occasions(rules, await forloeb_dates(ctx, row), today)
    if viewer != COORDINATOR:
        planned = [o for o in planned if o.role == viewer]
    stored = list(
        await ctx.session.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.forloeb_id == row.forloeb.id)
            .order_by(QuestionnaireResponse.version)
        )
    )
    by_occasion: dict[str, list[QuestionnaireResponse]] = {}
    for r in stored:
        by_occasion.setdefault(r.occasion, []).append(r)
    answered = {k for k, rs in by_occasion.items() if any(r.status == SUBMITTED for r in rs)}
    views = []
    for o in planned:
        versions = by_occasion.get(o.key, [])
        views.append(
            OccasionView(
                occasion=o,
                status=o.status(today, answered),
                instrument=instruments[o.instrument],
                response=_current(versions),
                versions=tuple(versions),
            )
        )
    return ForloebQuestionnaires(row, viewer, views)


async def questionnaires(ctx: Context, forloeb_id: uuid.UUID) -> ForloebQuestionnaires:
    """:func:`questionnaires_of_row` for a forløb the caller may reach (else 404)."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    return await questionnaires_of_row(ctx, row, viewer)


async def occasion_of(ctx: Context, forloeb_id: uuid.UUID, key: str) -> OccasionView:
    """One occasion of a forløb the caller may see.

    :raises NotFound: no such forløb or occasion for the caller."""
    found = await questionnaires(ctx, forloeb_id)
    for view in found.occasions:
        if view.occasion.key == key:
            return view
    raise NotFound()


def _check_answers(
    instrument: Instrument, answers: Mapping[str, int | None], complete: bool
) -> dict[str, int]:
    """The answers as stored, or :class:`Invalid` with a Danish message per item."""
    errors: dict[str, str] = {}
    keys = {item.key for item in instrument.items}
    for key in answers:
        if key not in keys:
            errors[key] = _("The questionnaire has no such question.")
    given = {k: v for k, v in answers.items() if k in keys and v is not None}
    for key, value in given.items():
        try:
            score(instrument, {key: value})
        except AnswerError:
            errors[key] = _("Choose one of the answers (%(low)d-%(high)d).") % {
                "low": instrument.item_min,
                "high": instrument.item_max,
            }
    if complete:
        for item in instrument.items:
            if item.key not in given and item.key not in errors:
                errors[item.key] = _("Answer this question.")
    if errors:
        raise Invalid(errors, detail=_("Some answers are missing or not valid; nothing was sent."))
    return {k: int(v) for k, v in given.items()}


async def _check_may_answer(ctx: Context, view: OccasionView, row: ForloebRow, viewer: str) -> str:
    """``self`` or ``conversation``; refuses a closed occasion or one without consent."""
    if view.status == OccasionStatus.ANSWERED:
        raise Conflict(_("The questionnaire has been sent. A correction needs a reason."))
    if view.status != OccasionStatus.DUE:
        raise Conflict(_("The questionnaire cannot be answered now: it is not open."))
    enrolment = row.mentee_enrolment if view.occasion.role == "mentee" else row.mentor_enrolment
    if await active_consent(ctx.session, enrolment.id) is None:
        raise Forbidden(_("The person has not given consent, so no answers can be recorded."))
    return CONVERSATION if viewer == COORDINATOR else SELF


async def answer(
    ctx: Context,
    forloeb_id: uuid.UUID,
    key: str,
    answers: Mapping[str, int | None],
    submit: bool,
    *,
    entered_as: str | None = None,
) -> QuestionnaireResponse:
    """Save (a draft, to be continued later) or send the answers to one open occasion: the
    respondent's own, or - by a coordinator - given in a conversation. Audited
    ``outcomes.answer``.

    In a request, who answers decides ``entered_as``. Outside a request (a context without a
    principal: the demo, an import) the caller says how the answers were given, ``self`` or
    ``conversation`` (default ``conversation``, as for a coordinator).

    :raises NotFound: no such forløb or occasion for the caller.
    :raises Conflict: the occasion is not open, or already sent.
    :raises Forbidden: no consent on the respondent's enrolment.
    :raises Invalid: a message per wrong or (when sending) missing item; nothing is stored."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    await refuse_erased(ctx.session, forloebs=[row.forloeb.id])
    found = await questionnaires_of_row(ctx, row, viewer)
    view = next((v for v in found.occasions if v.occasion.key == key), None)
    if view is None:
        raise NotFound()
    how = await _check_may_answer(ctx, view, row, viewer)
    if entered_as is not None:
        if ctx.principal is not None or entered_as not in (SELF, CONVERSATION):
            raise ValueError(f"entered_as={entered_as!r} is for the system outside a request")
        how = entered_as
    given = _check_answers(view.instrument, answers, complete=submit)
    scored = score(view.instrument, given)
    response = view.draft
    if response is None:
        o = view.occasion
        person = row.mentee if o.role == "mentee" else row.mentor
        response = QuestionnaireResponse(
            forloeb_id=row.forloeb.id,
            person_id=person.id,
            role=o.role,
            instrument=o.instrument,
            instrument_version=view.instrument.version,
            occasion=o.key,
            occasion_kind=o.kind.value,
            occasion_date=o.opens_on,
            version=1,
            entered_by=ctx.actor,
        )
        ctx.session.add(response)
    response.answers = given
    response.total = scored.total
    response.entered_as = how
    response.entered_by = ctx.actor
    if submit:
        response.status = SUBMITTED
        response.submitted_at = ctx.now()
    else:
        response.status = DRAFT
    await ctx.session.flush()
    ctx.audit("outcomes.answer", object_type="forloeb", object_id=row.forloeb.id)
    return response


async def correct(
    ctx: Context,
    response_id: uuid.UUID,
    answers: Mapping[str, int | None],
    reason: str,
) -> QuestionnaireResponse:
    """Correct a sent answer: a new version with every item and a written reason; the earlier
    version stays. By a coordinator, or by the person who answered. Audited
    ``outcomes.correct``.

    :raises NotFound: no such answer for the caller.
    :raises Conflict: the answer is a draft, or a later version exists.
    :raises Invalid: a missing reason, or a message per wrong or missing item."""
    original = await ctx.session.get(QuestionnaireResponse, response_id)
    if original is None:
        raise NotFound()
    row, viewer = await access_forloeb(ctx, original.forloeb_id)
    if viewer not in (COORDINATOR, original.role):
        raise NotFound()
    if answers_hidden(ctx):
        raise NotFound()
    if original.status != SUBMITTED:
        raise Conflict(_("Only a sent questionnaire can be corrected; a draft can be changed."))
    enrolment = row.mentee_enrolment if original.role == "mentee" else row.mentor_enrolment
    if await active_consent(ctx.session, enrolment.id) is None:
        raise Forbidden(_("The person has not given consent, so no answers can be recorded."))
    later = await ctx.session.scalar(
        select(QuestionnaireResponse.id).where(
            QuestionnaireResponse.forloeb_id == original.forloeb_id,
            QuestionnaireResponse.occasion == original.occasion,
            QuestionnaireResponse.version > original.version,
        )
    )
    if later is not None:
        raise Conflict(_("A later correction exists; correct that one."))
    instrument = registered_instruments(ctx.plugins).get(original.instrument)
    if instrument is None:
        raise Conflict(_("The questionnaire is no longer available in Makker."))
    errors: dict[str, str] = {}
    # Several lines allowed; control and direction-changing characters are not (as in names).
    text = validation.text(reason, REASON_MAX, "reason", errors, multiline=True) or ""
    if "reason" not in errors and chars.is_blank(text):
        errors["reason"] = _("Write why the answers are corrected.")
    try:
        given = _check_answers(instrument, answers, complete=True)
    except Invalid as exc:
        raise Invalid({**exc.errors, **errors}, detail=exc.detail) from None
    if errors:
        raise Invalid(errors)
    corrected = QuestionnaireResponse(
        forloeb_id=original.forloeb_id,
        person_id=original.person_id,
        role=original.role,
        instrument=original.instrument,
        instrument_version=instrument.version,
        occasion=original.occasion,
        occasion_kind=original.occasion_kind,
        occasion_date=original.occasion_date,
        answers=given,
        total=score(instrument, given).total,
        status=SUBMITTED,
        version=original.version + 1,
        correction_reason=text,
        entered_as=CONVERSATION if viewer == COORDINATOR else SELF,
        entered_by=ctx.actor,
        submitted_at=ctx.now(),
    )
    ctx.session.add(corrected)
    await ctx.session.flush()
    ctx.audit("outcomes.correct", object_type="forloeb", object_id=row.forloeb.id)
    return corrected


def window_left(view: OccasionView, today: dt.date) -> int:
    """Days left to answer an open occasion (0 on its last day)."""
    return (view.occasion.closes_on - today).days
