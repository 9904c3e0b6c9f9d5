"""\"Mit forløb\" (``GET /t/{tenant}/mit/``): any member sees the person of the tenant linked to
their sign-in; a sign-in without a linked person gets a Danish explanation, not an error.

The section "Din kalender" makes and revokes the person's own calendar link, through the same
commands as the JSON API (:mod:`core.calendar.commands`):

* ``POST /t/{tenant}/mit/kalender`` makes a link (an earlier one stops working) and answers the
  page itself with the link in it: the token is shown once and never stored in clear, so it
  cannot survive a redirect (``Cache-Control: no-store``).
* ``GET /t/{tenant}/mit/?kalender=tilbagekald`` is the confirmation step of revoking;
  ``POST /t/{tenant}/mit/kalender/tilbagekald`` revokes and redirects (303) to
  ``?kalender=tilbagekaldt``, which says so.

Both actions act on the caller's own person only; a sign-in without one gets a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.calendar import commands as calendar
from core.calendar.queries import active_link, feed_url, webcal_url
from core.context import Context
from core.errors import Invalid
from core.forloeb.labels import state_label
from core.identity.guards import any_member
from core.mine.availability import AvailabilityIn, availability_of, set_my_availability
from core.mine.queries import my_overview, my_person_or_404, not_linked_text
from core.outcomes.pages import TrajectoryView, trajectories
from core.outcomes.results import DueLine, due_for_person
from core.web.pipeline import audits

#: ``?kalender=`` on "Mit forløb": the confirmation step of revoking, and the page after it.
CONFIRM_REVOKE, REVOKED = "tilbagekald", "tilbagekaldt"
#: ``?tilgaengelighed=gemt``: the mentor's availability was just saved.
AVAILABILITY_SAVED = "gemt"


@dataclass(frozen=True)
class AvailabilityForm:
    """A refused availability form, shown again: its programme, values and errors (field names
    carry the programme's slug: ``capacity-<slug>``, ``paused_until-<slug>``)."""

    programme: str = ""
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    saved: bool = False


@dataclass(frozen=True)
class CalendarSection:
    """What "Din kalender" shows."""

    #: The link just made (shown this once), else ``""``.
    url: str = ""
    #: When the person's working link was made; ``None`` without one.
    since: dt.datetime | None = None
    #: Show the confirmation step of revoking (only with a working link).
    confirm_revoke: bool = False
    #: The link was just revoked.
    revoked: bool = False

    @property
    def webcal(self) -> str:
        return webcal_url(self.url) if self.url else ""


async def _page(
    ctx: Context,
    calendar_state: str = "",
    url: str = "",
    availability_form: AvailabilityForm | None = None,
    status_code: int = 200,
) -> Template:
    view = await my_overview(ctx)
    form = availability_form or AvailabilityForm()
    section = None
    due: list[DueLine] = []
    answered: list[TrajectoryView] = []
    if view is not None:
        # The page shows the other party of each forløb (name): on their access log (issue 15).
        for f in view.forloeb:
            ctx.audit(
                "forloeb.read",
                object_type="forloeb",
                object_id=f.row.forloeb.id,
                detail={"view": "mine"},
            )
        # The person's own open questionnaires and sent answers (never the other party's).
        due = await due_for_person(ctx, view.person)
        if due:
            ctx.audit("outcomes.due", object_type="person", object_id=view.person.id)
        answered = await trajectories(ctx, view.person.id)
        link = await active_link(ctx.session, ctx.tenant.id, view.person.id)
        since = link.created_at if link else None
        section = CalendarSection(
            url=url,
            since=since,
            confirm_revoke=calendar_state == CONFIRM_REVOKE and since is not None and not url,
            revoked=calendar_state == REVOKED and since is None,
        )
    return Template(
        "mine/index.html",
        context={
            "tenant": ctx.tenant,
            "active_nav": "mine",
            "view": view,
            "calendar": section,
            "due": due,
            "trajectories": answered,
            "state_label": state_label,
            "not_linked": not_linked_text(),
            "today": ctx.today(),
            # A mentor's own availability (issue 17): core/mine/availability.py.
            "availability": await availability_of(ctx, view.person) if view else [],
            "availability_programme": form.programme,
            "availability_values": form.values,
            "availability_errors": form.errors,
            "availability_saved": form.saved,
        },
        status_code=status_code,
        media_type=MediaType.HTML,
        # The page with a new link carries a secret: never kept by a cache or the browser.
        headers={"Cache-Control": "no-store"} if url else None,
    )


class MyPageController(Controller):
    path = "/t/{tenant_slug:str}/mit"
    include_in_schema = False
    guards = [any_member]

    @get("/", name="my_page", opt=audits("mine.read"))
    async def index(
        self,
        ctx: NamedDependency[Context],
        kalender: FromQuery[str] = "",
        tilgaengelighed: FromQuery[str] = "",
    ) -> Template:
        ctx.audit("mine.read")  # kept beside the questionnaire rows the page may note
        saved = AvailabilityForm(saved=tilgaengelighed == AVAILABILITY_SAVED)
        return await _page(ctx, kalender, availability_form=saved)

    @post(
        "/tilgaengelighed/{programme_slug:str}",
        name="my_availability_page",
        opt=audits("mine.availability", "enrolment"),
    )
    async def set_availability(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
    ) -> Any:
        """A mentor sets how many citizens they take and a pause (:mod:`core.mine.availability`);
        refused, "Mit forløb" again with the errors at the fields (400)."""
        form = await request.form()
        names = {key: f"{key}-{programme_slug}" for key in ("capacity", "paused_until")}
        raw = {key: str(form.get(name, "")).strip() for key, name in names.items()}
        capacity: Any = int(raw["capacity"]) if raw["capacity"].isdigit() else raw["capacity"]
        try:
            data = AvailabilityIn(capacity=capacity, paused_until=raw["paused_until"] or None)
            await set_my_availability(ctx, programme_slug, data)
        except Invalid as exc:
            await ctx.session.rollback()
            refused = AvailabilityForm(
                programme=programme_slug,
                values={names[k]: v for k, v in raw.items()},
                errors={names.get(k, k): m for k, m in exc.errors.items()},
            )
            return await _page(ctx, availability_form=refused, status_code=400)
        return Redirect(
            f"/t/{ctx.tenant.slug}/mit/?tilgaengelighed={AVAILABILITY_SAVED}#tilgaengelighed",
            status_code=303,
        )

    @post(
        "/kalender",
        name="my_calendar_link_create_page",
        opt=audits("calendar_link_created", "person"),
        status_code=200,
    )
    async def create_calendar_link(self, state: State, ctx: NamedDependency[Context]) -> Template:
        """Make the caller's calendar link and show it (once); an earlier link stops working."""
        person = await my_person_or_404(ctx)
        token = await calendar.make_link(ctx, person.id)
        return await _page(ctx, url=feed_url(state.settings.base_url, token))

    @post(
        "/kalender/tilbagekald",
        name="my_calendar_link_revoke_page",
        opt=audits("calendar_link_revoked", "person"),
    )
    async def revoke_calendar_link(self, ctx: NamedDependency[Context]) -> Redirect:
        """Revoke the caller's calendar link: the feed answers 404 from then on."""
        person = await my_person_or_404(ctx)
        await calendar.revoke_links(ctx, person.id)
        return Redirect(f"/t/{ctx.tenant.slug}/mit/?kalender={REVOKED}#kalender", status_code=303)
