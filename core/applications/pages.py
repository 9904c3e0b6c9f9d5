"""The public pages of a tenant's programmes and the coordinator's list of applications.

Public (no sign-in; :func:`core.web.pipeline.public_tenant` runs them in the tenant's scope):

* ``GET /offentlig/{tenant}``: the tenant's programmes that have a public page;
* ``GET /offentlig/{tenant}/tilbud/{programme}``: what the programme offers, its coming
  information meetings and the application form ("Få en mentor" / "Bliv mentor");
* ``POST`` to the same address applies (:func:`core.applications.commands.apply`): refused,
  the form again with Danish field errors (400, nothing stored); accepted - or a repeat, or a
  filled-in honeypot field - a redirect (303) to ``.../tak``. Accepted applications are limited
  per client address and tenant (``MAKKER_RATE_LIMIT_APPLICATIONS`` a clock hour): past it,
  the form again with what was written, how long to wait and the contact line (429,
  ``Retry-After``). CSRF as every form.

For coordinators: ``GET /t/{tenant}/ansoegninger`` lists the applications that wait (audited as
``application.list``), and ``GET /api/v1/t/{tenant}/applications`` answers the same as JSON.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.applications import commands, queries
from core.applications.models import Application
from core.applications.schemas import HOPE_MAX, ApplicationIn, ApplicationOut
from core.context import Context
from core.errors import Conflict, Invalid, NotFound
from core.identity.guards import coordinators
from core.participants.labels import role_label
from core.settings import Settings
from core.strict_input import StrictController
from core.tenancy.models import Programme
from core.web.forms import read_form
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits, public_tenant
from core.web.ratelimit import HOUR, client_key

#: How many coming information meetings the public page lists (the rest: a link to the feed),
#: so the form is reachable on a phone.
MEETINGS_SHOWN = 3
#: The honeypot: a field people never see (hidden from screen and screen readers); a form that
#: fills it in is a robot's. It is answered as a success and nothing is stored. Its name is one
#: no browser or password manager fills in by itself (not ``website``, ``url``, ``company`` ...).
HONEYPOT = "makker_trap"
#: Accepted applications per client address and tenant an hour (``MAKKER_RATE_LIMIT_APPLICATIONS``,
#: a fixed window of the clock hour, counted by the app's limiter - in PostgreSQL, shared by
#: every worker; :mod:`core.web.ratelimit`); then 429 (with Retry-After) until the hour is over.
#: Refused forms, repeats and the honeypot are not counted: one address may be a whole library
#: or workplace behind NAT.
RATE_LIMIT = Settings.rate_limit_applications


def _client(request: Request[Any, Any, Any]) -> str:
    """The rate limit's key: the client address the edge found (``core/web/edge.py``: the
    peer's address, or behind ``MAKKER_TRUSTED_PROXIES`` the forwarded one) and the tenant."""
    return f"{client_key(request.scope)}|{request.path_params.get('slug', '')}"


class TooMany(Exception):
    """The client's accepted applications reached the limit: wait ``seconds``."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


#: The form's labels, for the error summary's lines ("Dit navn: Skriv dit navn.").
def _labels() -> dict[str, str]:
    return {
        "role": _("What would you like?"),
        "name": _("Your name"),
        "phone": _("Phone"),
        "email": _("E-mail"),
        "hope": _("What do you hope for?"),
        "consent": _("Consent"),
    }


def summary_of(errors: dict[str, str]) -> dict[str, str]:
    """The error summary's lines: each names its field (the message beside it need not)."""
    labels = _labels()
    return {
        k: _("%(field)s: %(message)s") % {"field": labels[k], "message": m} if k in labels else m
        for k, m in errors.items()
    }


def _page(
    name: str,
    ctx: Context,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    return Template(
        f"applications/{name}.html",
        context={"public_tenant": ctx.tenant, "role_label": role_label, **context},
        status_code=status_code,
        headers=headers,
        media_type=MediaType.HTML,
    )


async def _programme_page(
    ctx: Context,
    programme: Programme,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    wait_seconds: int | None = None,
) -> Template:
    return _page(
        "programme",
        ctx,
        status_code,
        {"Retry-After": str(wait_seconds)} if wait_seconds else None,
        programme=programme,
        public=programme.public or {},
        roles=commands.open_roles(programme),
        meetings=await queries.coming_info_meetings(ctx.session, programme, ctx.now()),
        consent_text=await commands.consent_text_for(ctx, programme),
        values=values,
        errors=errors or {},
        summary=summary_of(errors or {}),
        hope_max=HOPE_MAX,
        honeypot=HONEYPOT,
        wait_minutes=max(1, round(wait_seconds / 60)) if wait_seconds else None,
        meetings_shown=MEETINGS_SHOWN,
    )


class PublicApplicationPages(Controller):
    path = "/offentlig"
    include_in_schema = False

    @get("/{slug:str}", name="public_programmes", opt={**NO_PERSONAL_DATA, **public_tenant()})
    async def programmes(self, ctx: NamedDependency[Context]) -> Template:
        """The tenant's programmes with a public page."""
        listed = await queries.public_programmes(ctx.session)
        return _page("programmes", ctx, programmes=listed)

    @get(
        "/{slug:str}/tilbud/{programme_slug:str}",
        name="public_programme",
        opt={**NO_PERSONAL_DATA, **public_tenant()},
    )
    async def programme(
        self,
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
        rolle: FromQuery[str] = "",
    ) -> Template:
        """What the programme offers, its information meetings and the application form
        (``?rolle=mentor`` or ``mentee`` chooses the form's role)."""
        programme = await commands.public_programme(ctx, programme_slug)
        roles = commands.open_roles(programme)
        role = rolle if rolle in roles else (roles[0] if len(roles) == 1 else "")
        return await _programme_page(ctx, programme, {"role": role})

    @post(
        "/{slug:str}/tilbud/{programme_slug:str}",
        name="public_apply",
        opt={**audits("application.create", "person"), **public_tenant()},
    )
    async def apply(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        programme_slug: FromPath[str],
    ) -> Any:
        """Apply; refused, the form again with the errors (400); else 303 to the thanks page."""
        programme = await commands.public_programme(ctx, programme_slug)
        form = await read_form(request, checks=("consent",))
        thanks = f"/offentlig/{ctx.tenant.slug}/tilbud/{programme.slug}/tak"
        if str(form.get(HONEYPOT, "")).strip():
            # A robot: answered as a success, nothing stored, one row without personal data.
            ctx.audit("application.refused", detail={"programme": programme.slug, "why": "trap"})
            return Redirect(thanks, status_code=303)
        values = {k: v for k, v in form.items() if k != HONEYPOT}
        client = _client(request)
        limit = request.app.state.settings.rate_limit_applications

        async def admit() -> None:
            limiter = getattr(request.app.state, "limiter", None)
            if limiter is None:
                return
            verdict = await limiter.hit("applications", client, limit, HOUR)
            if not verdict.allowed:
                raise TooMany(verdict.retry_after)

        data = ApplicationIn(
            role=str(form.get("role", "")),
            name=str(form.get("name", "")),
            phone=str(form.get("phone", "")),
            email=str(form.get("email", "")),
            hope=str(form.get("hope", "")),
            consent=bool(form.get("consent")),
        )
        try:
            await commands.apply(ctx, programme.slug, data, admit)
        except Invalid as exc:
            return await _programme_page(ctx, programme, values, dict(exc.errors), 400)
        except TooMany as exc:
            # Too many accepted applications from this address: the form again with what was
            # written, how long to wait, and the programme's contact line. Nothing stored.
            return await _programme_page(ctx, programme, values, None, 429, exc.seconds)
        return Redirect(thanks, status_code=303)

    @get(
        "/{slug:str}/tilbud/{programme_slug:str}/tak",
        name="public_apply_thanks",
        opt={**NO_PERSONAL_DATA, **public_tenant()},
    )
    async def thanks(
        self, ctx: NamedDependency[Context], programme_slug: FromPath[str]
    ) -> Template:
        """The receipt: what happens next (the same whatever was sent)."""
        programme = await commands.public_programme(ctx, programme_slug)
        return _page("thanks", ctx, programme=programme, public=programme.public or {})


def application_out(w: queries.Waiting) -> ApplicationOut:
    return ApplicationOut(
        id=w.application.id,
        person_id=w.person.id,
        enrolment_id=w.enrolment.id,
        programme=w.programme.slug,
        role=w.enrolment.role.value,
        name=w.person.name,
        phone=w.person.phone,
        email=w.person.email,
        hope=w.application.hope,
        received_at=w.application.created_at,
    )


class ApplicationPages(Controller):
    path = "/t/{tenant_slug:str}/ansoegninger"
    include_in_schema = False
    guards = [coordinators]

    @get("/", name="applications_page", opt=audits("application.list"))
    async def index(self, ctx: NamedDependency[Context], vist: FromQuery[str] = "") -> Template:
        """The applications that wait for a call, newest first, each with a way to the person
        and to the enrolment (where the coordinator records consent and the før-samtale)."""
        waiting = await queries.waiting_applications(ctx.session)
        ctx.audit("application.list", detail={"shown": len(waiting)})
        return _staff_page(ctx, "list", waiting=waiting, deleted=vist == "slettet")

    @get(
        "/{application_id:uuid}/slet",
        name="application_delete_confirm_page",
        opt=audits("application.read", "application", "application_id"),
    )
    async def confirm_delete(
        self, ctx: NamedDependency[Context], application_id: FromPath[uuid.UUID]
    ) -> Template:
        """The confirmation step of "Slet ansøgningen" (an application that still waits)."""
        waiting = await _waiting_or_refuse(ctx, application_id)
        others = await queries.other_enrolments(ctx.session, waiting.enrolment)
        return _staff_page(ctx, "delete", w=waiting, person_stays=others > 0)

    @post(
        "/{application_id:uuid}/slet",
        name="application_delete_page",
        opt=audits("application.delete", "application", "application_id"),
    )
    async def delete(
        self, ctx: NamedDependency[Context], application_id: FromPath[uuid.UUID]
    ) -> Redirect:
        """Delete it (:func:`core.applications.commands.delete_application`); back to the list."""
        await commands.delete_application(ctx, application_id)
        return Redirect(f"/t/{ctx.tenant.slug}/ansoegninger/?vist=slettet", status_code=303)


async def _waiting_or_refuse(ctx: Context, application_id: uuid.UUID) -> queries.Waiting:
    waiting = await queries.waiting_application(ctx.session, application_id)
    if waiting is not None:
        return waiting
    if await ctx.session.get(Application, application_id) is None:
        raise NotFound()
    raise Conflict(commands.not_waiting_message())


def _staff_page(ctx: Context, name: str, **context: Any) -> Template:
    return Template(
        f"applications/{name}.html",
        context={"tenant": ctx.tenant, "active_nav": "home", "role_label": role_label, **context},
        media_type=MediaType.HTML,
    )


class ApplicationApi(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/applications"
    tags = ["participants"]
    guards = [coordinators]

    @get("/", name="api_applications", opt=audits("application.list"))
    async def index(self, ctx: NamedDependency[Context]) -> list[ApplicationOut]:
        """Applications from the public page that wait for the coordinator (the enrolment is
        still `applied`), newest first (at most 200)."""
        waiting = await queries.waiting_applications(ctx.session)
        ctx.audit("application.list", detail={"shown": len(waiting)})
        return [application_out(w) for w in waiting]

    @delete(
        "/{application_id:uuid}",
        name="api_application_delete",
        opt=audits("application.delete", "application", "application_id"),
        status_code=204,
    )
    async def delete(
        self, ctx: NamedDependency[Context], application_id: FromPath[uuid.UUID]
    ) -> None:
        """Delete an application that still waits (`applied`, no consent recorded): the
        application and its text, the enrolment, and the person if they have no other
        enrolment. 409 once the enrolment has a consent or has moved on (withdraw it instead)."""
        await commands.delete_application(ctx, application_id)
