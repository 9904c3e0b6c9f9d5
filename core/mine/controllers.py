"""The link from a sign-in to a person (coordinators) and the person's own page ("Mit forløb").

``PUT /api/v1/t/{tenant}/people/{id}/account`` stores or clears the linked sign-in (audited as
``person.account``, without the value). ``GET /t/{tenant}/mit/`` and ``GET /api/v1/t/{tenant}/me``
show any member the person of the tenant linked to their sign-in (``Principal.user_id``); a
sign-in without a linked person gets a Danish explanation, not an error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today
from core.forloeb.service import state_label
from core.identity.guards import any_member, coordinators, current_principal
from core.mine.service import AccountError, MyOverview, overview, person_for_account, set_account
from core.participants import service as participants
from core.tenancy.models import Tenant
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.middleware import route_template
from core.web.pipeline import audits


def not_linked_text() -> str:
    return _("Your sign-in is not linked to a participant yet. Contact your coordinator.")


class AccountIn(msgspec.Struct, forbid_unknown_fields=True):
    account: Annotated[str, msgspec.Meta(max_length=600)] | None


class AccountOut(msgspec.Struct):
    person_id: uuid.UUID
    linked: bool


class AccountErrorOut(msgspec.Struct):
    status_code: int
    detail: str
    errors: dict[str, str]


class AccountApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}/account"
    tags = ["participants"]
    guards = [coordinators]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @put("/", name="api_person_account", opt=audits("person.account", "person", "person_id"))
    async def put_account(
        self,
        request: Request[Any, Any, Any],
        state: State,
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[AccountIn],
    ) -> Response[Any]:
        """Link the person to a sign-in (the principal's user id, ``iss#sub``) or, with
        ``null``, remove the link. 400 if the sign-in is linked to another person."""
        try:
            person = await set_account(db_session, person_id, data.account)
        except AccountError as exc:
            return Response(
                AccountErrorOut(400, exc.message, {"account": exc.message}), status_code=400
            )
        if person is None:
            raise NotFoundException()
        principal = current_principal(request)
        assert principal is not None
        await participants.audit(
            state.sessionmaker,
            "person.account",
            actor=principal.subject,
            tenant=tenant,
            route=route_template(request.scope),
            person_id=person.id,
            detail={"linked": person.account is not None},
        )
        return Response(AccountOut(person.id, person.account is not None))


class OccurrenceOut(msgspec.Struct):
    day: dt.date
    starts: dt.time
    ends: dt.time
    cancelled: bool


class MyActivityOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    kind_label: str
    title: str
    place: str
    room: str
    next: list[OccurrenceOut]


class MySessionOut(msgspec.Struct):
    id: uuid.UUID
    position: int
    day: dt.date
    starts: dt.time
    ends: dt.time
    topic: str
    place: str
    attended: bool | None


class MyCourseOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    number: int
    title: str
    state: str
    attended: int
    sessions: list[MySessionOut]


class MyPersonOut(msgspec.Struct):
    id: uuid.UUID
    name: str


class MyForloebOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    state: str
    #: The caller's part: ``mentor`` or ``mentee``.
    role: str
    other_name: str
    started_on: dt.date | None
    accepted: bool


class MeOut(msgspec.Struct):
    linked: bool
    message: str | None = None
    person: MyPersonOut | None = None
    roles: list[str] = msgspec.field(default_factory=list)
    courses: list[MyCourseOut] = msgspec.field(default_factory=list)
    activities: list[MyActivityOut] = msgspec.field(default_factory=list)
    forloeb: list[MyForloebOut] = msgspec.field(default_factory=list)


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


async def _my_overview(request: Request[Any, Any, Any], session: AsyncSession) -> MyOverview | None:
    principal = current_principal(request)
    assert principal is not None
    person = await person_for_account(session, principal.user_id)
    if person is None:
        return None
    return await overview(session, person, today())


class MeApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/me"
    tags = ["me"]
    guards = [any_member]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="api_me", opt=audits("mine.read"))
    async def me(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
    ) -> MeOut:
        """The caller's own person in the tenant: holds with sessions and own attendance, and
        the activities open to them with their next occurrences."""
        return me_out(await _my_overview(request, db_session))


class MyPageController(Controller):
    path = "/t/{tenant_slug:str}/mit"
    include_in_schema = False
    guards = [any_member]
    dependencies = {"tenant": Provide(provide_tenant, sync_to_thread=False)}

    @get("/", name="my_page", opt=audits("mine.read"))
    async def index(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        db_session: NamedDependency[AsyncSession],
    ) -> Template:
        view = await _my_overview(request, db_session)
        return Template(
            "mine/index.html",
            context={
                "tenant": tenant,
                "active_nav": "mine",
                "view": view,
                "state_label": state_label,
                "not_linked": not_linked_text(),
                "today": today(),
            },
            media_type=MediaType.HTML,
        )
