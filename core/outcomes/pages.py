"""Outcome pages (issue 13), phone first, on Det Fælles Designsystem's components: answering a
questionnaire, correcting sent answers, a programme's results and the instruments.

Adapters over the same commands and queries as the JSON API (:mod:`core.outcomes.answers`,
:mod:`core.outcomes.results`):

* ``GET/POST /t/{t}/forloeb/{id}/spoergeskema/{occasion}`` - one occasion's questionnaire: a
  radio group per item, "Send svarene" (every item needed) and "Gem og fortsæt senere" (a
  draft, filled in again next time). A coordinator enters answers given in a conversation. A
  success redirects (303) back to the page the person came from (``tilbage``, a path in the
  tenant; else Mit forløb or the forløb page) with ``?spoergeskema=sendt|gemt`` for its alert.
* ``GET/POST /t/{t}/forloeb/{id}/spoergeskema/{occasion}/ret`` - correct the current sent
  version: every item and a reason; a new version, the earlier kept.
* ``GET /t/{t}/resultater`` - coordinators: a programme's paired change baseline -> end.
* ``GET /t/{t}/spoergeskemaer`` - the instruments (no personal data).

Refusals: :class:`~core.errors.Invalid` shows the form again with its errors (400, nothing
stored); :class:`~core.errors.Conflict` (409) and :class:`~core.errors.Forbidden` (403) show the
page with a Danish alert instead of the form. A party sees only their own occasions; the other
party's give the same 404 as an unknown one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from core.context import Context
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.forloeb.access import COORDINATOR, access_forloeb
from core.forloeb.queries import programmes_of
from core.forloeb.rows import ForloebRow
from core.identity.guards import any_member, coordinators
from core.outcomes import answers as commands
from core.outcomes import results
from core.outcomes.answers import OccasionView, questionnaires_of_row
from core.outcomes.chart import trajectory_chart
from core.outcomes.instruments import registered_instruments
from core.outcomes.models import SUBMITTED
from core.participants.consent import active_consent
from core.participants.models import Person
from core.plugin_api import Instrument
from core.web.forms import read_form
from core.web.i18n import gettext as _
from core.web.pages import safe_next
from core.web.pipeline import NO_PERSONAL_DATA, audits

#: The page a person came from (a path in the tenant), carried through the form.
BACK = "tilbage"
#: The query value the page a person returns to shows its alert for.
FLASH = "spoergeskema"
SENT, SAVED, CORRECTED = "sendt", "gemt", "rettet"
#: A form field per item: ``q_<item key>`` (never clashes with the form's own fields).
FIELD = "q_"
#: The button pressed: ``send`` sends; anything else saves a draft.
ACTION, SEND = "handling", "send"


@dataclass(frozen=True)
class Found:
    row: ForloebRow
    #: ``coordinator``, ``mentor`` or ``mentee``.
    viewer: str
    view: OccasionView

    @property
    def coordinator(self) -> bool:
        return self.viewer == COORDINATOR

    @property
    def respondent(self) -> Person:
        return self.row.mentee if self.view.occasion.role == "mentee" else self.row.mentor


async def _found(ctx: Context, forloeb_id: uuid.UUID, key: str) -> Found:
    """The occasion ``key`` of a forløb the caller may see (a party: only their own).

    :raises NotFound: no such forløb or occasion for the caller."""
    row, viewer = await access_forloeb(ctx, forloeb_id)
    found = await questionnaires_of_row(ctx, row, viewer)
    view = next((v for v in found.occasions if v.occasion.key == key), None)
    if view is None:
        raise NotFound()
    return Found(row, viewer, view)


def back_to(ctx: Context, found: Found, given: str | None) -> str:
    """Where to go after the form: ``given`` if it is a page of this tenant, else Mit forløb
    (the person) or the forløb page (a coordinator)."""
    prefix = f"/t/{ctx.tenant.slug}/"
    target = safe_next(given) if given else ""
    if target.startswith(prefix) and len(target) <= 500 and "\\" not in target:
        return target
    if found.coordinator:
        return f"{prefix}forloeb/{found.row.forloeb.id}"
    return f"{prefix}mit/"


def with_flash(url: str, value: str) -> str:
    """``url`` with ``?spoergeskema=<value>`` (replacing an earlier one)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != FLASH] + [(FLASH, value)]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def answers_from_form(instrument: Instrument, form: dict[str, Any]) -> dict[str, Any]:
    """Each item's answer as posted: a whole number, ``None`` when not chosen, or the text
    itself when it is not a number (the command refuses it with the item's message)."""
    out: dict[str, Any] = {}
    for item in instrument.items:
        raw = str(form.get(FIELD + item.key, "")).strip()
        if not raw:
            out[item.key] = None
            continue
        try:
            out[item.key] = int(raw)
        except ValueError:
            out[item.key] = raw[:20]
    return out


def _field_errors(instrument: Instrument, errors: dict[str, str]) -> dict[str, str]:
    """The command's errors (by item key) as the form's fields, in the order of the items."""
    ordered = {FIELD + i.key: errors[i.key] for i in instrument.items if i.key in errors}
    keys = {i.key for i in instrument.items}
    return ordered | {k: m for k, m in errors.items() if k not in keys}


def summary_of(instrument: Instrument, errors: dict[str, str]) -> dict[str, str]:
    """The error summary's lines: each item's message names its question's number (the
    message beside the item does not need to)."""
    numbers = {FIELD + item.key: n for n, item in enumerate(instrument.items, 1)}
    return {
        k: _("Question %(n)d: %(message)s") % {"n": numbers[k], "message": m} if k in numbers else m
        for k, m in errors.items()
    }


def _values(instrument: Instrument, answers: dict[str, Any]) -> dict[str, str]:
    return {
        FIELD + i.key: str(answers[i.key])
        for i in instrument.items
        if answers.get(i.key) is not None
    }


async def _has_consent(ctx: Context, found: Found) -> bool:
    row, role = found.row, found.view.occasion.role
    enrolment = row.mentee_enrolment if role == "mentee" else row.mentor_enrolment
    return await active_consent(ctx.session, enrolment.id) is not None


def _page(name: str, ctx: Context, status_code: int = 200, **context: Any) -> Template:
    return Template(
        f"outcomes/{name}.html",
        context={"tenant": ctx.tenant, "outcome_summary": summary_of, **context},
        status_code=status_code,
        media_type=MediaType.HTML,
    )


async def _answer_page(
    ctx: Context,
    found: Found,
    back: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Template:
    view = found.view
    draft = view.draft
    return _page(
        "answer",
        ctx,
        status_code,
        row=found.row,
        found=found,
        view=view,
        occasion=view.occasion,
        instrument=view.instrument,
        coordinator=found.coordinator,
        respondent=found.respondent,
        consent=await _has_consent(ctx, found),
        values=values
        if values is not None
        else _values(view.instrument, draft.answers)
        if draft
        else {},
        draft=draft,
        errors=errors or {},
        problem=problem,
        back=back,
        today=ctx.today(),
        active_nav="forloeb" if found.coordinator else "mine",
    )


async def _correction_page(
    ctx: Context,
    found: Found,
    back: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Template:
    view = found.view
    current = view.response if view.response and view.response.status == SUBMITTED else None
    if values is None:
        values = _values(view.instrument, current.answers) if current else {}
    return _page(
        "correct",
        ctx,
        status_code,
        row=found.row,
        found=found,
        view=view,
        occasion=view.occasion,
        instrument=view.instrument,
        coordinator=found.coordinator,
        respondent=found.respondent,
        current=current,
        values=values,
        errors=errors or {},
        problem=problem,
        back=back,
        active_nav="forloeb" if found.coordinator else "mine",
    )


def _period(raw: str | None, name: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = _("Write a date (YYYY-MM-DD).")
        return None


_OCCASION = "/forloeb/{forloeb_id:uuid}/spoergeskema/{occasion:str}"


class OutcomePagesController(Controller):
    path = "/t/{tenant_slug:str}"
    include_in_schema = False

    @get(
        _OCCASION,
        name="questionnaire_page",
        opt=audits("outcomes.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def questionnaire(
        self,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        occasion: FromPath[str],
        tilbage: FromQuery[str | None] = None,
    ) -> Template:
        """The questionnaire of one occasion: the form while it is open (a saved draft filled
        in), else what has happened to it."""
        found = await _found(ctx, forloeb_id, occasion)
        return await _answer_page(ctx, found, back_to(ctx, found, tilbage))

    @post(
        _OCCASION,
        name="questionnaire_answer_page",
        opt=audits("outcomes.answer", "forloeb", "forloeb_id"),
        guards=[any_member],
        media_type=MediaType.HTML,
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        occasion: FromPath[str],
    ) -> Any:
        """Send the answers, or save them as a draft to continue later."""
        form = await read_form(request)
        found = await _found(ctx, forloeb_id, occasion)
        back = back_to(ctx, found, form.get(BACK))
        instrument = found.view.instrument
        given = answers_from_form(instrument, form)
        submit = form.get(ACTION) == SEND
        try:
            await commands.answer(ctx, forloeb_id, occasion, given, submit)
        except Invalid as exc:
            await ctx.session.rollback()
            found = await _found(ctx, forloeb_id, occasion)
            shown = {FIELD + k: str(v) for k, v in given.items() if v is not None}
            errors = _field_errors(instrument, exc.errors)
            return await _answer_page(ctx, found, back, shown, errors, status_code=400)
        except (Conflict, Forbidden) as exc:
            await ctx.session.rollback()
            found = await _found(ctx, forloeb_id, occasion)
            return await _answer_page(
                ctx, found, back, problem=exc.detail, status_code=exc.status_code
            )
        return Redirect(with_flash(back, SENT if submit else SAVED), status_code=303)

    @get(
        f"{_OCCASION}/ret",
        name="questionnaire_correction_form_page",
        opt=audits("outcomes.read", "forloeb", "forloeb_id"),
        guards=[any_member],
    )
    async def correction_form(
        self,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        occasion: FromPath[str],
        tilbage: FromQuery[str | None] = None,
    ) -> Template:
        """Correct sent answers: every item filled in as sent, and a reason."""
        found = await _found(ctx, forloeb_id, occasion)
        return await _correction_page(ctx, found, back_to(ctx, found, tilbage))

    @post(
        f"{_OCCASION}/ret",
        name="questionnaire_correction_page",
        opt=audits("outcomes.correct", "forloeb", "forloeb_id"),
        guards=[any_member],
        media_type=MediaType.HTML,
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        occasion: FromPath[str],
    ) -> Any:
        """A new version of the current sent answers, with the reason; the earlier is kept.
        The form names the version it corrects: if another correction came first, 409."""
        form = await read_form(request)
        found = await _found(ctx, forloeb_id, occasion)
        back = back_to(ctx, found, form.get(BACK))
        instrument = found.view.instrument
        given = answers_from_form(instrument, form)
        reason = str(form.get("reason", ""))
        shown = {FIELD + k: str(v) for k, v in given.items() if v is not None}
        shown["reason"] = reason
        current = found.view.response
        try:
            if current is None or current.status != SUBMITTED:
                raise Conflict(
                    _("Only a sent questionnaire can be corrected; a draft can be changed.")
                )
            if form.get("version") != str(current.version):
                raise Conflict(
                    _(
                        "The answers have been corrected in the meantime. See the latest "
                        "version and correct that one if needed."
                    )
                )
            await commands.correct(ctx, current.id, given, reason)
        except Invalid as exc:
            await ctx.session.rollback()
            found = await _found(ctx, forloeb_id, occasion)
            errors = _field_errors(instrument, exc.errors)
            return await _correction_page(ctx, found, back, shown, errors, status_code=400)
        except (Conflict, Forbidden) as exc:
            await ctx.session.rollback()
            found = await _found(ctx, forloeb_id, occasion)
            return await _correction_page(
                ctx, found, back, problem=exc.detail, status_code=exc.status_code
            )
        return Redirect(with_flash(back, CORRECTED), status_code=303)

    @get(
        "/resultater",
        name="outcome_results_page",
        opt=audits("outcomes.results", "programme"),
        guards=[coordinators],
    )
    async def results_page(
        self,
        ctx: NamedDependency[Context],
        programme: FromQuery[str | None] = None,
        start: Annotated[str | None, QueryParameter(name="fra")] = None,
        end: Annotated[str | None, QueryParameter(name="til")] = None,
    ) -> Template:
        """A programme's paired change from baseline to end for the forløb that ended in the
        period (default: the year up to today)."""
        listed = await programmes_of(ctx)
        errors: dict[str, str] = {}
        chosen = next((p for p in listed if p.slug == programme), None)
        if programme and chosen is None:
            errors["programme"] = _("Choose one of the programmes.")
        if chosen is None and not programme:
            chosen = next((p for p in listed if p.outcomes), listed[0] if listed else None)
        first, last = _period(start, "fra", errors), _period(end, "til", errors)
        found = None
        if chosen is not None and not errors:
            try:
                found = await results.programme_result(ctx, chosen.slug, first, last)
            except Invalid as exc:
                errors = {"fra" if k == "from" else k: m for k, m in exc.errors.items()}
        values = {
            "programme": chosen.slug if chosen else (programme or ""),
            "fra": (found.start.isoformat() if found else start) or "",
            "til": (found.end.isoformat() if found else end) or "",
        }
        return _page(
            "results",
            ctx,
            400 if errors else 200,
            programmes=listed,
            programme=chosen,
            result=found,
            values=values,
            errors=errors,
            active_nav="results",
        )

    @get(
        "/spoergeskemaer",
        name="instruments_page",
        opt=NO_PERSONAL_DATA,
        guards=[any_member],
    )
    async def instruments(self, ctx: NamedDependency[Context]) -> Template:
        """Every questionnaire Makker knows: what it asks, its scale, source and terms."""
        return _page(
            "instruments",
            ctx,
            instruments=list(registered_instruments(ctx.plugins).values()),
            active_nav="results",
        )


# -- sections of other pages -------------------------------------------------------------------


@dataclass(frozen=True)
class TrajectoryView:
    trajectory: results.Trajectory
    chart: Any

    @property
    def instrument(self) -> Instrument:
        return self.trajectory.instrument


async def trajectories(ctx: Context, person_id: uuid.UUID) -> list[TrajectoryView]:
    """A person's trajectories with their charts (for coordinators and the person); notes an
    ``outcomes.trajectory`` audit row when there are answers to show."""
    person, found = await results.trajectory(ctx, person_id)
    if found:
        ctx.audit("outcomes.trajectory", object_type="person", object_id=person.id)
    return [TrajectoryView(t, trajectory_chart(t)) for t in found]


async def forloeb_questionnaires(ctx: Context, row: ForloebRow, viewer: str) -> list[OccasionView]:
    """The occasions of a forløb the viewer may see (coordinators all, a party their own),
    for the forløb page; notes an ``outcomes.read`` audit row when there are any."""
    found = await questionnaires_of_row(ctx, row, viewer)
    if found.occasions:
        ctx.audit("outcomes.read", object_type="forloeb", object_id=row.forloeb.id)
    return found.occasions


__all__ = [
    "OutcomePagesController",
    "forloeb_questionnaires",
    "trajectories",
]
