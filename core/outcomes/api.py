"""Outcome measurement: the JSON API, adapters over :mod:`core.outcomes.answers` and
:mod:`core.outcomes.results` (the same commands and queries the pages use)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from core.context import Context
from core.errors import NotFound
from core.identity.guards import any_member, coordinators
from core.mine.queries import my_person_or_404
from core.outcomes import answers, results
from core.outcomes.instruments import registered_instruments
from core.outcomes.schemas import (
    AnswerIn,
    CorrectionIn,
    DueOut,
    InstrumentOut,
    OccasionOut,
    ProgrammeResultOut,
    ResponseOut,
    TrajectoryOut,
    instrument_out,
    occasion_out,
    response_out,
    result_out,
    trajectory_out,
)
from core.strict_input import StrictController
from core.web.i18n import get_locale
from core.web.pipeline import NO_PERSONAL_DATA, audits


def _english() -> bool:
    return get_locale() == "en"


def _due_out(lines: list[results.DueLine]) -> list[DueOut]:
    return [
        DueOut(
            d.row.forloeb.id, d.person.id, d.person.name, d.row.programme.slug, occasion_out(d.view)
        )
        for d in lines
    ]


class OutcomeApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}"
    tags = ["outcomes"]
    guards = [any_member]

    @get("/instruments", name="api_instruments", opt=NO_PERSONAL_DATA)
    async def instruments(self, ctx: NamedDependency[Context]) -> list[InstrumentOut]:
        """Every outcome instrument Makker knows: items, answer scale, scoring, source and terms
        of use."""
        english = _english()
        return [instrument_out(i, english) for i in registered_instruments(ctx.plugins).values()]

    @get("/instruments/{instrument_id:str}", name="api_instrument", opt=NO_PERSONAL_DATA)
    async def instrument(
        self, ctx: NamedDependency[Context], instrument_id: FromPath[str]
    ) -> InstrumentOut:
        """One instrument; 404 if no loaded plugin registers it."""
        found = registered_instruments(ctx.plugins).get(instrument_id)
        if found is None:
            raise NotFound()
        return instrument_out(found, _english())

    @get(
        "/forloeb/{forloeb_id:uuid}/questionnaires",
        name="api_forloeb_questionnaires",
        opt=audits("outcomes.read", "forloeb", "forloeb_id"),
    )
    async def of_forloeb(
        self, ctx: NamedDependency[Context], forloeb_id: FromPath[uuid.UUID]
    ) -> list[OccasionOut]:
        """The questionnaire occasions of a forløb with their status and answers: all of them
        for coordinators, only their own for the citizen or the mentor."""
        found = await answers.questionnaires(ctx, forloeb_id)
        return [occasion_out(v) for v in found.occasions]

    @put(
        "/forloeb/{forloeb_id:uuid}/questionnaires/{occasion:str}",
        name="api_questionnaire_answer",
        opt=audits("outcomes.answer", "forloeb", "forloeb_id"),
    )
    async def answer(
        self,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        occasion: FromPath[str],
        data: JSONBody[AnswerIn],
    ) -> ResponseOut:
        """Save (``submit: false``) or send the answers to an open occasion. The citizen or
        mentor answers their own; a coordinator enters answers given in a conversation.
        409 when the occasion is not open or already sent; 403 without consent."""
        return response_out(
            await answers.answer(ctx, forloeb_id, occasion, data.answers, data.submit)
        )

    @post(
        "/questionnaire-responses/{response_id:uuid}/corrections",
        name="api_questionnaire_correction",
        opt=audits("outcomes.correct", "questionnaire_response", "response_id"),
        status_code=201,
    )
    async def correct(
        self,
        ctx: NamedDependency[Context],
        response_id: FromPath[uuid.UUID],
        data: JSONBody[CorrectionIn],
    ) -> ResponseOut:
        """Correct sent answers: a new version with every item and a reason; the earlier
        version is kept."""
        return response_out(await answers.correct(ctx, response_id, data.answers, data.reason))

    @get(
        "/me/questionnaires",
        name="api_my_questionnaires",
        opt=audits("outcomes.due", "person"),
    )
    async def mine(self, ctx: NamedDependency[Context]) -> list[DueOut]:
        """The caller's own open questionnaires (404 without a linked person)."""
        person = await my_person_or_404(ctx)
        return _due_out(await results.due_for_person(ctx, person))

    @get(
        "/questionnaires/due",
        name="api_questionnaires_due",
        opt=audits("outcomes.due", "forloeb"),
        guards=[coordinators],
    )
    async def due(self, ctx: NamedDependency[Context]) -> list[DueOut]:
        """Every open questionnaire of the tenant's forløb, the soonest closing first."""
        return _due_out(await results.due_in_tenant(ctx))

    @get(
        "/people/{person_id:uuid}/outcomes",
        name="api_person_outcomes",
        opt=audits("outcomes.trajectory", "person", "person_id"),
    )
    async def trajectory(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> list[TrajectoryOut]:
        """A person's sent answers per instrument, oldest first: for coordinators and for the
        person themselves."""
        _person, found = await results.trajectory(ctx, person_id)
        return [trajectory_out(t) for t in found]

    @get(
        "/programmes/{programme_slug:str}/outcomes",
        name="api_programme_outcomes",
        opt=audits("outcomes.results", "programme"),
        guards=[coordinators],
    )
    async def programme(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        start: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        end: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> ProgrammeResultOut:
        """Paired change from baseline to end for the programme's forløb that ended in the
        period (default: the last year): n, mean change, 95 % confidence interval, how many
        improved meaningfully, and the forløb with a missing baseline or end (never imputed)."""
        return result_out(await results.programme_result(ctx, programme_slug, start, end))


__all__ = ["OutcomeApiController"]
