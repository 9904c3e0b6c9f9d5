"""The notifications JSON API: the caller's messages and choices, the coordinators' failed
deliveries, and planned meetings of a forløb - adapters over :mod:`core.notifications.commands`
and :mod:`core.forloeb.planned`."""

from __future__ import annotations

import uuid

from litestar import get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from core.context import Context
from core.forloeb import planned
from core.forloeb.access import access_forloeb
from core.forloeb.models import PlannedMeeting
from core.identity.guards import any_member, coordinators
from core.notifications import commands
from core.notifications.models import Notification
from core.notifications.outbox import Links
from core.notifications.schemas import (
    ChoicesIn,
    ChoicesOut,
    FailedOut,
    NotificationOut,
    PlannedMeetingOut,
)
from core.strict_input import StrictController
from core.web.pipeline import audits


def notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(n.id, n.kind, n.title, n.body, n.link, n.sent_at, n.read_at is not None)


def planned_out(p: PlannedMeeting) -> PlannedMeetingOut:
    return PlannedMeetingOut(
        p.id, p.forloeb_id, p.starts_at, p.place, p.planned_as, p.cancelled_at is not None
    )


class NotificationApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/notifications"
    tags = ["notifications"]

    @get("/", name="api_notifications", opt=audits("notifications.list"), guards=[any_member])
    async def list_mine(self, ctx: NamedDependency[Context]) -> list[NotificationOut]:
        """The caller's messages on the page, newest first (empty without a linked person)."""
        _person, rows = await commands.my_messages(ctx)
        return [notification_out(n) for n in rows]

    @post(
        "/read",
        name="api_notifications_read",
        opt=audits("notifications.read"),
        guards=[any_member],
        status_code=204,
    )
    async def read(self, ctx: NamedDependency[Context]) -> None:
        """Mark every message of the caller read. 404 without a linked person."""
        await commands.mark_read(ctx)

    @get(
        "/choices",
        name="api_notification_choices",
        opt=audits("notifications.choices"),
        guards=[any_member],
    )
    async def choices(self, ctx: NamedDependency[Context]) -> ChoicesOut:
        """The caller's consent to be contacted, channel per kind and quiet hours."""
        _person, out = await commands.my_choices(ctx)
        return out

    @put(
        "/choices",
        name="api_notification_choices_save",
        opt=audits("notifications.choices_saved"),
        guards=[any_member],
    )
    async def save(self, ctx: NamedDependency[Context], data: JSONBody[ChoicesIn]) -> ChoicesOut:
        """Store the caller's choices; 400 names each wrong field, nothing stored."""
        return await commands.save_choices(ctx, data)

    @get(
        "/failed",
        name="api_notifications_failed",
        opt=audits("notifications.failed"),
        guards=[coordinators],
    )
    async def failed(self, ctx: NamedDependency[Context]) -> list[FailedOut]:
        """Messages that failed, or that a stopped worker may have sent (not sent again)."""
        return [
            FailedOut(
                n.id,
                n.kind,
                n.channel,
                n.status,
                n.person_id,
                n.attempts,
                n.last_error,
                n.updated_at,
            )
            for n, _p in await commands.failed_deliveries(ctx)
        ]

    @post(
        "/{notification_id:uuid}/retry",
        name="api_notification_retry",
        opt=audits("notifications.retry", "notification", "notification_id"),
        guards=[coordinators],
        status_code=204,
    )
    async def retry(
        self, ctx: NamedDependency[Context], notification_id: FromPath[uuid.UUID]
    ) -> None:
        """Send a failed or uncertain message again."""
        await commands.retry_delivery(ctx, notification_id)


class PersonChoicesApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/notification-choices"
    tags = ["notifications"]
    guards = [coordinators]

    @get(
        "/",
        name="api_person_notification_choices",
        opt=audits("notifications.choices", "person", "person_id"),
    )
    async def choices(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> ChoicesOut:
        """A person's consent to be contacted and choices (coordinators)."""
        _person, out = await commands.person_choices(ctx, person_id)
        return out

    @put(
        "/",
        name="api_person_notification_choices_save",
        opt=audits("notifications.choices_saved", "person", "person_id"),
    )
    async def save(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[ChoicesIn],
    ) -> ChoicesOut:
        """Record what the person said (e.g. at the før-samtale): consent, channels, quiet
        hours. 400 names each wrong field; nothing stored."""
        return await commands.save_person_choices(ctx, person_id, data)


class PlannedMeetingApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/forloeb/{forloeb_id:uuid}/planned-meetings"
    tags = ["forloeb"]
    guards = [any_member]

    @get("/", name="api_planned_meetings", opt=audits("forloeb.read", "forloeb", "forloeb_id"))
    async def list_planned(
        self, ctx: NamedDependency[Context], forloeb_id: FromPath[uuid.UUID]
    ) -> list[PlannedMeetingOut]:
        """The forløb's planned meetings from yesterday on, soonest first."""
        row, _viewer = await access_forloeb(ctx, forloeb_id)
        return [planned_out(p) for p in await planned.upcoming(ctx, row.forloeb.id)]

    @post(
        "/",
        name="api_planned_meeting_create",
        opt=audits("forloeb.plan_meeting", "forloeb", "forloeb_id"),
        status_code=201,
    )
    async def create(
        self,
        state: State,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        data: JSONBody[planned.PlannedMeetingIn],
    ) -> PlannedMeetingOut:
        """Plan the next meeting (Danish date and time, place); both parties are reminded the
        day before at 17:00."""
        links = Links(state.settings.base_url, ctx.tenant.slug)
        return planned_out(await planned.plan_meeting(ctx, forloeb_id, data, links))

    @post(
        "/{planned_id:uuid}/cancel",
        name="api_planned_meeting_cancel",
        opt=audits("forloeb.cancel_meeting", "forloeb", "forloeb_id"),
        status_code=200,
    )
    async def cancel(
        self,
        state: State,
        ctx: NamedDependency[Context],
        forloeb_id: FromPath[uuid.UUID],
        planned_id: FromPath[uuid.UUID],
    ) -> PlannedMeetingOut:
        """An afbud: the meeting is cancelled and the other party told."""
        links = Links(state.settings.base_url, ctx.tenant.slug)
        return planned_out(await planned.cancel_meeting(ctx, forloeb_id, planned_id, links))
