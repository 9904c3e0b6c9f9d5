"""Pages: the caller's messages (``/t/{t}/beskeder/``, linked from the header) and choices
(``.../beskeder/valg``, the link every message ends with), the coordinators' failed deliveries
(``.../beskeder/fejlede``), planning a meeting and giving an afbud (``/t/{t}/forloeb/{id}/
planlaeg``, ``.../planlagt/{pm}``: the reminder's link), and in development only the mailbox
(``/t/{t}/udvikling/postkasse``). Adapters over the same commands as the API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.clock import local
from core.context import Context
from core.errors import Invalid
from core.forloeb import planned
from core.forloeb.access import access_forloeb, is_coordinator
from core.identity.guards import any_member, coordinators
from core.notifications import commands
from core.notifications.outbox import Links
from core.notifications.preferences import PERSON_KINDS
from core.notifications.schedule import reminder_time
from core.notifications.schemas import ChoicesIn
from core.notifications.setup import mailbox_enabled
from core.web.forms import form_struct, read_form
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits

KIND_LABELS = {
    "meeting_reminder": "Reminder the day before a planned meeting",
    "meeting_cancelled": "An afbud to a planned meeting",
    "proposal_waiting": "A proposal waiting for your yes",
    "questionnaire_due": "A questionnaire to fill in",
    "course_session": "Reminder the day before teaching on your course",
    "activity": "Reminder the day before an activity you take part in",
    "digest": "The coordinators' weekly digest",
}
CHOICE_LABELS = {
    "email": "E-mail",
    "sms": "SMS",
    "page": "Only here in Makker",
    "off": "Not at all",
}


def _labels() -> dict[str, Any]:
    return {
        "kind_label": lambda k: _(KIND_LABELS.get(k) or str(k)),
        "choice_label": lambda c: _(CHOICE_LABELS.get(c) or str(c)),
    }


def _page(name: str, context: dict[str, Any], status_code: int = 200) -> Template:
    return Template(
        name, context={**_labels(), **context}, status_code=status_code, media_type=MediaType.HTML
    )


class NotificationPagesController(Controller):
    path = "/t/{tenant_slug:str}/beskeder"
    include_in_schema = False

    @get("/", name="notifications_page", opt=audits("notifications.list"), guards=[any_member])
    async def inbox(self, state: State, ctx: NamedDependency[Context]) -> Template:
        person, rows = await commands.my_messages(ctx)
        coordinator = is_coordinator(ctx.principal)
        return _page(
            "notifications/inbox.html",
            {
                "tenant": ctx.tenant,
                "person": person,
                "rows": rows,
                # coordinators: the messages that did not go out, and in development the mailbox
                "coordinator": coordinator,
                "mailbox": coordinator and mailbox_enabled(state.settings),
                "active_nav": "messages",
            },
        )

    @get(
        "/antal",
        name="notifications_unread_fragment",
        opt=NO_PERSONAL_DATA,
        guards=[any_member],
        media_type=MediaType.HTML,
    )
    async def unread(self, ctx: NamedDependency[Context]) -> Template:
        """The header's count of unread messages (an htmx fragment; empty when none)."""
        count = await commands.unread_count(ctx)
        return _page("notifications/_unread.html", {"count": count})

    @post(
        "/laest",
        name="notifications_read_page",
        opt=audits("notifications.read"),
        guards=[any_member],
        media_type=MediaType.HTML,
    )
    async def read(self, ctx: NamedDependency[Context]) -> Redirect:
        await commands.mark_read(ctx)
        return Redirect(f"/t/{ctx.tenant.slug}/beskeder/", status_code=303)

    @get(
        "/valg",
        name="notification_choices_page",
        opt=audits("notifications.choices"),
        guards=[any_member],
    )
    async def choices(self, ctx: NamedDependency[Context]) -> Template:
        person, out = await commands.my_choices(ctx)
        return _choices_page(ctx, person, _values(out), {})

    @post(
        "/valg",
        name="notification_choices_save_page",
        opt=audits("notifications.choices_saved"),
        guards=[any_member],
        media_type=MediaType.HTML,
    )
    async def save(self, request: Request[Any, Any, Any], ctx: NamedDependency[Context]) -> Any:
        form = await read_form(request, checks=("consent",))
        try:
            await commands.save_choices(ctx, _choices_in(form))
        except Invalid as exc:
            await ctx.session.rollback()
            person, _out = await commands.my_choices(ctx)
            return _choices_page(ctx, person, dict(form), _field_errors(exc), 400)
        return Redirect(f"/t/{ctx.tenant.slug}/beskeder/valg?gemt=1", status_code=303)

    @get(
        "/person/{person_id:uuid}",
        name="person_notification_choices_page",
        opt=audits("notifications.choices", "person", "person_id"),
        guards=[coordinators],
    )
    async def person_choices(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> Template:
        person, out = await commands.person_choices(ctx, person_id)
        return _choices_page(ctx, person, _values(out), {}, for_person=True)

    @post(
        "/person/{person_id:uuid}",
        name="person_notification_choices_save_page",
        opt=audits("notifications.choices_saved", "person", "person_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def save_person(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
    ) -> Any:
        form = await read_form(request, checks=("consent",))
        try:
            await commands.save_person_choices(ctx, person_id, _choices_in(form))
        except Invalid as exc:
            await ctx.session.rollback()
            person, _out = await commands.person_choices(ctx, person_id)
            return _choices_page(ctx, person, dict(form), _field_errors(exc), 400, True)
        return Redirect(f"/t/{ctx.tenant.slug}/beskeder/person/{person_id}?gemt=1", status_code=303)

    @get(
        "/fejlede",
        name="notifications_failed_page",
        opt=audits("notifications.failed"),
        guards=[coordinators],
    )
    async def failed(self, ctx: NamedDependency[Context]) -> Template:
        return _page(
            "notifications/failed.html",
            {
                "tenant": ctx.tenant,
                "rows": await commands.failed_deliveries(ctx),
                "active_nav": "forloeb",
            },
        )

    @post(
        "/fejlede/{notification_id:uuid}/igen",
        name="notification_retry_page",
        opt=audits("notifications.retry", "notification", "notification_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def retry(
        self, ctx: NamedDependency[Context], notification_id: FromPath[uuid.UUID]
    ) -> Redirect:
        await commands.retry_delivery(ctx, notification_id)
        return Redirect(f"/t/{ctx.tenant.slug}/beskeder/fejlede?igen=1", status_code=303)


def _choices_in(form: dict[str, Any]) -> ChoicesIn:
    """The choices form as the API's Struct (the same command behind both).

    :raises Invalid: a time that is not HH:MM, in Danish."""
    messages = {
        "quiet_from": _("Enter the time as HH:MM, e.g. 22:00."),
        "quiet_to": _("Enter the time as HH:MM, e.g. 07:00."),
    }
    data = form_struct(
        {
            "consent": form.get("consent", False),
            "quiet_from": form.get("quiet_from", ""),
            "quiet_to": form.get("quiet_to", ""),
            "language": form.get("language") or None,
        },
        ChoicesIn,
        messages,
    )
    channels = {k: form.get(f"channel_{k}", "") for k in PERSON_KINDS}
    data.channels = {k: v for k, v in channels.items() if v}
    return data


def _field_errors(exc: Invalid) -> dict[str, str]:
    """The command's ``channels.<kind>`` are the form's ``channel_<kind>``."""
    return {k.replace("channels.", "channel_"): v for k, v in exc.errors.items()}


def _values(out: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "consent": out.consent,
        "quiet_from": out.quiet_from or "",
        "quiet_to": out.quiet_to or "",
        "language": out.language,
    }
    for k in PERSON_KINDS:
        values[f"channel_{k}"] = out.channels.get(k) or ""
    return values


def _choices_page(
    ctx: Context,
    person: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    for_person: bool = False,
) -> Template:
    return _page(
        "notifications/choices.html",
        {
            "tenant": ctx.tenant,
            "person": person,
            # a coordinator recording what the person said, or the person's own page
            "for_person": for_person,
            "action": f"/t/{ctx.tenant.slug}/beskeder/person/{person.id}"
            if for_person
            else f"/t/{ctx.tenant.slug}/beskeder/valg",
            "values": values,
            "errors": errors,
            "kinds": PERSON_KINDS,
            "available": commands.available_channels(person),
            "active_nav": "participants" if for_person else "messages",
        },
        status,
    )


class PlannedMeetingPagesController(Controller):
    path = "/t/{tenant_slug:str}/forloeb/{forloeb_id:uuid}"
    include_in_schema = False
    guards = [any_member]

    @get(
        "/planlaeg",
        name="planned_meeting_form_page",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
    )
    async def form(
        self, ctx: NamedDependency[Context], forloeb_id: FromPath[uuid.UUID]
    ) -> Template:
        row, viewer = await access_forloeb(ctx, forloeb_id)
        tomorrow = ctx.today() + dt.timedelta(days=7)
        values = {"day": tomorrow.isoformat(), "time": "14:00", "place": ""}
        return _plan_page(ctx, row, viewer, values, {})

    @post(
        "/planlaeg",
        name="planned_meeting_page",
        opt=audits("forloeb.plan_meeting", "forloeb", "forloeb_id"),
        media_type=MediaType.HTML,
    )
    async def plan(
        self,
        state: State,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
    ) -> Any:
        values = await read_form(request)
        try:
            data = form_struct(values, planned.PlannedMeetingIn)
            links = Links(state.settings.base_url, ctx.tenant.slug)
            await planned.plan_meeting(ctx, forloeb_id, data, links)
        except Invalid as exc:
            await ctx.session.rollback()
            row, viewer = await access_forloeb(ctx, forloeb_id)
            return _plan_page(ctx, row, viewer, values, exc.errors, 400)
        return Redirect(f"/t/{ctx.tenant.slug}/forloeb/{forloeb_id}?planlagt=1", status_code=303)

    @get(
        "/planlagt/{planned_id:uuid}",
        name="planned_meeting_detail_page",
        opt=audits("forloeb.read", "forloeb", "forloeb_id"),
    )
    async def detail(
        self,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        planned_id: FromPath[uuid.UUID],
    ) -> Template:
        row, viewer, meeting = await planned.planned_meeting(ctx, forloeb_id, planned_id)
        return _detail(ctx, row, viewer, meeting, {})

    @post(
        "/planlagt/{planned_id:uuid}/afbud",
        name="planned_meeting_cancel_page",
        opt=audits("forloeb.cancel_meeting", "forloeb", "forloeb_id"),
        media_type=MediaType.HTML,
    )
    async def cancel(
        self,
        state: State,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        planned_id: FromPath[uuid.UUID],
    ) -> Any:
        try:
            links = Links(state.settings.base_url, ctx.tenant.slug)
            await planned.cancel_meeting(ctx, forloeb_id, planned_id, links)
        except Invalid as exc:
            await ctx.session.rollback()
            row, viewer, meeting = await planned.planned_meeting(ctx, forloeb_id, planned_id)
            return _detail(ctx, row, viewer, meeting, exc.errors, 400)
        return Redirect(
            f"/t/{ctx.tenant.slug}/forloeb/{forloeb_id}/planlagt/{planned_id}?afbud=1",
            status_code=303,
        )


def _plan_page(
    ctx: Context, row: Any, viewer: str, values: Any, errors: dict[str, str], status: int = 200
) -> Template:
    return _page(
        "notifications/plan.html",
        {
            "tenant": ctx.tenant,
            "row": row,
            "viewer": viewer,
            "values": values,
            "errors": errors,
            # the tenant's reminder time (its file's reminder_time, default 17:00)
            "reminder_at": reminder_time(ctx.tenant).strftime("%H:%M"),
            "active_nav": "forloeb" if viewer == "coordinator" else "mine",
        },
        status,
    )


def _detail(
    ctx: Context, row: Any, viewer: str, meeting: Any, errors: dict[str, str], status: int = 200
) -> Template:
    return _page(
        "notifications/planned.html",
        {
            "tenant": ctx.tenant,
            "row": row,
            "viewer": viewer,
            "meeting": meeting,
            "starts": local(meeting.starts_at),
            "past": meeting.starts_at <= ctx.now(),
            "errors": errors,
            "active_nav": "forloeb" if viewer == "coordinator" else "mine",
        },
        status,
    )


class DevelopmentMailboxController(Controller):
    """Development only (mounted only then; production answers 404): every e-mail and SMS that
    would have gone out."""

    path = "/t/{tenant_slug:str}/udvikling/postkasse"
    include_in_schema = False

    @get(
        "/",
        name="development_mailbox_page",
        opt=audits("notifications.mailbox"),
        guards=[coordinators],
    )
    async def mailbox(self, ctx: NamedDependency[Context]) -> Template:
        return _page(
            "notifications/mailbox.html",
            {"tenant": ctx.tenant, "rows": await commands.mailbox(ctx), "active_nav": ""},
        )
