"""Pages: erasing a person (a confirmation page that says what is removed and what kept, then
done) and the person's legal hold. The same commands as the JSON API
(:mod:`core.gdpr.erasure`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.context import Context
from core.errors import Conflict, Invalid
from core.gdpr.erasure import (
    ERASED_NAME,
    ErasureIn,
    LegalHoldIn,
    erase_person,
    read_legal_hold,
    set_legal_hold,
    what_erasure_removes,
)
from core.gdpr.labels import N_, table_label
from core.identity.guards import coordinators, tenant_admins
from core.participants.forms import form_to
from core.participants.lookup import get_person
from core.strict_input import StrictController
from core.web.i18n import gettext as _
from core.web.pipeline import audits

RequestT = Request[Any, Any, Any]

#: The reasons offered on the page, in the order shown.
REASON_LABELS = (
    ("person_request", N_("The person asked for it (GDPR article 17)")),
    ("consent_withdrawn", N_("The person withdrew consent")),
    ("no_longer_needed", N_("The data is no longer needed")),
    ("unlawful", N_("The data was processed unlawfully")),
    ("other", N_("Another reason")),
)


def _page(name: str, ctx: Context, status: int = 200, **context: Any) -> Template:
    return Template(
        f"gdpr/{name}.html",
        context={"tenant": ctx.tenant, **context},
        media_type=MediaType.HTML,
        status_code=status,
    )


class PersonErasurePagesController(StrictController):
    path = "/t/{tenant_slug:str}/deltagere/{person_id:uuid}"
    include_in_schema = False
    guards = [coordinators]

    async def _erasure_page(
        self,
        ctx: Context,
        person_id: uuid.UUID,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        problem: str | None = None,
    ) -> Template:
        counts = await what_erasure_removes(ctx, person_id)
        person = await get_person(ctx.session, person_id)
        hold = await read_legal_hold(ctx, person_id)
        return _page(
            "erasure",
            ctx,
            status,
            person=person,
            erased_name=ERASED_NAME,
            removed=[(table_label(t), n) for t, n in counts.items()],
            hold=hold,
            # A hold lapses by itself the day after its last day: the form is back then.
            erasable_from=hold.ends_on + dt.timedelta(days=1) if hold else None,
            reasons=[(v, _(label)) for v, label in REASON_LABELS],
            errors=errors or {},
            values=values or {},
            problem=problem,
        )

    @get(
        "/sletning",
        name="person_erasure_page",
        opt=audits("person.erase_preview", "person", "person_id"),
    )
    async def erasure(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Template:
        """What an erasure removes and keeps, and the form to confirm it (or: done)."""
        ctx.audit("person.erase_preview", object_type="person", object_id=person_id)
        return await self._erasure_page(ctx, person_id)

    @post(
        "/sletning",
        name="person_erasure_submit",
        opt=audits("person.erase", "person", "person_id"),
    )
    async def erase(
        self, request: RequestT, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await request.form()
        try:
            await erase_person(ctx, person_id, form_to(ErasureIn, form))
        except Invalid as exc:
            await ctx.session.rollback()
            values = {"reason": form.get("reason"), "confirm": form.get("confirm")}
            return await self._erasure_page(ctx, person_id, 400, exc.errors, values)
        except Conflict as exc:  # a legal hold in force: the page says so, in Danish
            await ctx.session.rollback()
            return await self._erasure_page(ctx, person_id, 409, problem=exc.detail)
        return Redirect(f"/t/{ctx.tenant.slug}/deltagere/{person_id}/sletning", status_code=303)

    @get(
        "/retligt-stop",
        name="person_legal_hold_page",
        opt=audits("person.legal_hold_read", "person", "person_id"),
    )
    async def legal_hold(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Template:
        """The legal hold in force, and (for a tenant admin) the form to set one."""
        return await self._hold_page(ctx, person_id)

    async def _hold_page(
        self,
        ctx: Context,
        person_id: uuid.UUID,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        problem: str | None = None,
    ) -> Template:
        hold = await read_legal_hold(ctx, person_id)
        person = await get_person(ctx.session, person_id)
        return _page(
            "legal_hold",
            ctx,
            status,
            person=person,
            hold=hold,
            may_set=bool(ctx.principal and ctx.principal.has_any_role("tenant_admin")),
            errors=errors or {},
            values=values or {},
            problem=problem,
        )

    @post(
        "/retligt-stop",
        name="person_legal_hold_submit",
        opt=audits("person.legal_hold", "person", "person_id"),
        guards=[tenant_admins],
    )
    async def set_hold(
        self, request: RequestT, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await request.form()
        try:
            await set_legal_hold(ctx, person_id, form_to(LegalHoldIn, form))
        except Invalid as exc:
            await ctx.session.rollback()
            values = {"reason": form.get("reason"), "ends_on": form.get("ends_on")}
            return await self._hold_page(ctx, person_id, 400, exc.errors, values)
        except Conflict as exc:  # the person is already erased
            await ctx.session.rollback()
            return await self._hold_page(ctx, person_id, 409, problem=exc.detail)
        return Redirect(f"/t/{ctx.tenant.slug}/deltagere/{person_id}/retligt-stop", status_code=303)
