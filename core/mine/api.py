"""The sign-in link (coordinators) and the caller's own overview: the JSON API.

``PUT /api/v1/t/{tenant}/people/{id}/account`` stores or clears the linked sign-in (audited as
``person.account``, without the value); ``GET /api/v1/t/{tenant}/me`` shows any member the
person of the tenant linked to their sign-in - a sign-in without a linked person gets a Danish
explanation, not an error. ``POST``/``DELETE /api/v1/t/{tenant}/me/calendar-link`` make and
revoke that person's own calendar link (the same commands as a coordinator's
``.../people/{id}/calendar-link`` and the page "Mit forløb"); without a linked person: 404."""

from __future__ import annotations

import uuid

from litestar import delete, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from core.calendar import commands as calendar
from core.calendar.queries import feed_url
from core.calendar.schemas import CalendarLinkOut
from core.context import Context
from core.identity.guards import any_member, coordinators
from core.mine import commands
from core.mine.queries import MyOverview, my_overview, my_person_or_404, not_linked_text
from core.mine.schemas import (
    AccountIn,
    AccountOut,
    MeOut,
    MyActivityOut,
    MyCourseOut,
    MyForloebOut,
    MyPersonOut,
    MySessionOut,
    OccurrenceOut,
)
from core.strict_input import StrictController
from core.web.pipeline import audits


class AccountApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/account"
    tags = ["participants"]
    guards = [coordinators]

    @put("/", name="api_person_account", opt=audits("person.account", "person", "person_id"))
    async def put_account(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[AccountIn],
    ) -> AccountOut:
        """Link the person to a sign-in (the principal's user id, ``iss#sub``) or, with
        ``null``, remove the link. 400 if the sign-in is linked to another person."""
        person = await commands.link_account(ctx, person_id, data)
        return AccountOut(person.id, person.account is not None)


def me_out(view: MyOverview | None) -> MeOut:
    if view is None:
        return MeOut(linked=False, message=not_linked_text())
    return MeOut(
        linked=True,
        person=MyPersonOut(view.person.id, view.person.name),
        roles=view.roles,
        courses=[
            MyCourseOut(
                id=c.course.id,
                programme=c.programme.slug,
                number=c.course.number,
                title=c.title,
                state=c.state,
                attended=c.attended,
                sessions=[
                    MySessionOut(
                        id=s.session.id,
                        position=s.session.position,
                        day=s.session.day,
                        starts=s.session.starts,
                        ends=s.session.ends,
                        topic=s.session.topic,
                        place=s.session.place,
                        attended=s.attended,
                    )
                    for s in c.sessions
                ],
            )
            for c in view.courses
        ],
        activities=[
            MyActivityOut(
                id=a.activity.id,
                kind=a.activity.kind.value,
                kind_label=a.kind_label,
                title=a.activity.title,
                place=a.activity.place,
                room=a.activity.room,
                next=[
                    OccurrenceOut(o.day, a.activity.starts, a.activity.ends, o.cancelled)
                    for o in a.next
                ],
            )
            for a in view.activities
        ],
        forloeb=[
            MyForloebOut(
                id=f.row.forloeb.id,
                programme=f.row.programme.slug,
                state=f.row.forloeb.state,
                role=f.role,
                other_name=f.other.name,
                started_on=f.row.forloeb.started_on,
                accepted=getattr(f.row.forloeb, f"{f.role}_accepted_at") is not None,
            )
            for f in view.forloeb
        ],
    )


class MeApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/me"
    tags = ["me"]
    guards = [any_member]

    @get("/", name="api_me", opt=audits("mine.read"))
    async def me(self, ctx: NamedDependency[Context]) -> MeOut:
        """The caller's own person in the tenant: holds with sessions and own attendance, and
        the activities open to them with their next occurrences."""
        view = await my_overview(ctx)
        ctx.audit("mine.read")
        # The other party of each forløb (name) is shown: on their access log (issue 15).
        for f in view.forloeb if view else []:
            ctx.audit(
                "forloeb.read",
                object_type="forloeb",
                object_id=f.row.forloeb.id,
                detail={"view": "mine"},
            )
        return me_out(view)

    @post(
        "/calendar-link",
        name="api_me_calendar_link_create",
        opt=audits("calendar_link_created", "person"),
        status_code=201,
    )
    async def create_calendar_link(
        self, state: State, ctx: NamedDependency[Context]
    ) -> CalendarLinkOut:
        """A new link to the caller's own .ics feed (shown once; an earlier link stops
        working). 404 if the sign-in is not linked to a person of the tenant."""
        person = await my_person_or_404(ctx)
        token = await calendar.make_link(ctx, person.id)
        return CalendarLinkOut(feed_url(state.settings.base_url, token))

    @delete(
        "/calendar-link",
        name="api_me_calendar_link_revoke",
        opt=audits("calendar_link_revoked", "person"),
        status_code=204,
    )
    async def revoke_calendar_link(self, ctx: NamedDependency[Context]) -> None:
        """Revoke the caller's own calendar link (its feed answers 404 from then on)."""
        person = await my_person_or_404(ctx)
        await calendar.revoke_links(ctx, person.id)
