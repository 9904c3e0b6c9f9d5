"""Mentor courses (hold): JSON API and pages. Another tenant's course is the same 404."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activities.recurrence import monthly_days
from core.clock import today
from core.courses.models import Course
from core.courses.service import (
    CourseDetail,
    CourseError,
    CourseView,
    SessionIn,
    add_participant,
    course_detail,
    create_course,
    get_course,
    get_session,
    list_courses,
    programme_of,
    programme_summary,
    set_attendance,
)
from core.identity.guards import any_member, coordinators, current_principal
from core.participants.models import Enrolment, EnrolmentRole, Person
from core.plugin_api import MakkerPluginManager
from core.tenancy.models import Tenant
from core.web.deps import provide_tenant
from core.web.i18n import gettext as _
from core.web.pipeline import NO_PERSONAL_DATA, audits

Text200 = Annotated[str, msgspec.Meta(max_length=200)]


def provide_plugin_manager(state: State) -> MakkerPluginManager:
    return state.plugin_manager  # type: ignore[no-any-return]


def actor(request: Request[Any, Any, Any]) -> str:
    principal = current_principal(request)
    assert principal is not None
    return principal.subject


class FieldErrorOut(msgspec.Struct):
    status_code: int
    detail: str
    field: str


def field_error(field: str, message: str) -> Response[Any]:
    return Response(FieldErrorOut(400, message, field), status_code=400)


class SessionInS(msgspec.Struct, forbid_unknown_fields=True):
    day: dt.date
    starts: dt.time
    ends: dt.time
    topic: Text200
    place: Text200 = ""


class CourseIn(msgspec.Struct, forbid_unknown_fields=True):
    programme: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    capacity: int
    sessions: list[SessionInS]
    number: int | None = None


class SessionOut(msgspec.Struct):
    id: uuid.UUID
    position: int
    day: dt.date
    starts: dt.time
    ends: dt.time
    topic: str
    place: str


class CourseOut(msgspec.Struct):
    id: uuid.UUID
    programme: str
    number: int
    state: str
    start_date: dt.date
    capacity: int
    participants: int
    sessions: list[SessionOut]


class ProgressOut(msgspec.Struct):
    person_id: uuid.UUID
    name: str
    attended: int
    completed: bool
    enrolment_status: str | None
    missing_sessions: list[int]


class CourseDetailOut(msgspec.Struct):
    course: CourseOut
    min_sessions_attended: int
    participants: list[ProgressOut]


class PersonIdIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: uuid.UUID


class PresentIn(msgspec.Struct, forbid_unknown_fields=True):
    present: list[uuid.UUID]


class AttendanceOut(msgspec.Struct):
    session_id: uuid.UUID
    present: list[uuid.UUID]
    became_ready: list[uuid.UUID]


def course_out(view: CourseView) -> CourseOut:
    c = view.course
    return CourseOut(
        id=c.id,
        programme=view.programme.slug,
        number=c.number,
        state=view.state,
        start_date=c.start_date,
        capacity=c.capacity,
        participants=view.participants,
        sessions=[
            SessionOut(s.id, s.position, s.day, s.starts, s.ends, s.topic, s.place)
            for s in view.sessions
        ],
    )


def detail_out(detail: CourseDetail) -> CourseDetailOut:
    return CourseDetailOut(
        course=course_out(detail.view),
        min_sessions_attended=detail.minimum,
        participants=[
            ProgressOut(
                p.person.id,
                p.person.name,
                p.attended,
                p.completed,
                p.status,
                [s.position for s in p.missing],
            )
            for p in detail.participants
        ],
    )


async def _course(session: AsyncSession, course_id: uuid.UUID) -> Course:
    course = await get_course(session, course_id)
    if course is None:
        raise NotFoundException()
    return course


def grouped(views: list[CourseView]) -> list[tuple[Any, str, list[CourseView]]]:
    """(programme, summary, holds) per programme."""
    groups: dict[uuid.UUID, list[CourseView]] = {}
    for v in views:
        groups.setdefault(v.programme.id, []).append(v)
    return [(vs[0].programme, programme_summary(vs), vs) for vs in groups.values()]


class CourseApiController(Controller):
    path = "/api/v1/t/{tenant_slug:str}/courses"
    tags = ["courses"]
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(provide_plugin_manager, sync_to_thread=False),
    }

    @get("/", name="api_courses", opt=audits("course.list"), guards=[any_member])
    async def list(self, db_session: NamedDependency[AsyncSession]) -> list[CourseOut]:
        """The organisation's mentor courses (hold) with their state and sessions."""
        return [course_out(v) for v in await list_courses(db_session, today())]

    @post("/", name="api_course_create", opt=NO_PERSONAL_DATA, guards=[coordinators])
    async def create(
        self, db_session: NamedDependency[AsyncSession], data: JSONBody[CourseIn]
    ) -> Response[Any]:
        """Create a hold with its sessions (`number` defaults to the next free one)."""
        programme = await programme_of(db_session, data.programme)
        if programme is None:
            return field_error("programme", _("The programme does not exist in this organisation."))
        try:
            course = await create_course(
                db_session,
                programme,
                number=data.number,
                capacity=data.capacity,
                sessions=[
                    SessionIn(s.day, s.starts, s.ends, s.topic, s.place) for s in data.sessions
                ],
            )
        except CourseError as exc:
            await db_session.rollback()
            return field_error(exc.field, exc.message)
        views = {v.course.id: v for v in await list_courses(db_session, today())}
        return Response(course_out(views[course.id]), status_code=201)

    @get(
        "/{course_id:uuid}",
        name="api_course",
        opt=audits("course.read", "course", "course_id"),
        guards=[coordinators],
    )
    async def detail(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        course_id: FromPath[uuid.UUID],
    ) -> CourseDetailOut:
        """The hold, its completion rule, and each participant's attendance and missed sessions."""
        course = await _course(db_session, course_id)
        return detail_out(await course_detail(db_session, plugin_manager, tenant, course, today()))

    @post(
        "/{course_id:uuid}/participants",
        name="api_course_participant_add",
        opt=audits("course.participant_add", "course", "course_id"),
        guards=[coordinators],
    )
    async def add(
        self,
        db_session: NamedDependency[AsyncSession],
        course_id: FromPath[uuid.UUID],
        data: JSONBody[PersonIdIn],
    ) -> Response[Any]:
        """Enrol a mentor of the course's programme (201; 200 if already enrolled)."""
        course = await _course(db_session, course_id)
        try:
            _person, added = await add_participant(db_session, course, data.person_id)
        except LookupError:
            raise NotFoundException() from None
        except CourseError as exc:
            await db_session.rollback()
            return field_error(exc.field, exc.message)
        return Response({"person_id": str(data.person_id)}, status_code=201 if added else 200)

    @put(
        "/{course_id:uuid}/sessions/{session_id:uuid}/attendance",
        name="api_course_attendance",
        opt=audits("course.attendance", "course_session", "session_id"),
        guards=[coordinators],
    )
    async def attendance(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        course_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        data: JSONBody[PresentIn],
    ) -> Response[Any]:
        """Who was present at the session (everyone else was absent). Mentors who thereby
        complete the course and pass every rule move from `eligible` to `ready`."""
        course = await _course(db_session, course_id)
        course_session = await get_session(db_session, course, session_id)
        if course_session is None:
            raise NotFoundException()
        try:
            ready = await set_attendance(
                db_session,
                plugin_manager,
                tenant,
                course,
                course_session,
                data.present,
                actor=actor(request),
                today=today(),
            )
        except CourseError as exc:
            await db_session.rollback()
            return field_error(exc.field, exc.message)
        return Response(AttendanceOut(session_id, sorted(set(data.present)), ready))


def _parse_course_form(form: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """Field errors and clean values of the page's "new hold" form."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["start"] = dt.date.fromisoformat(form.get("start", ""))
    except ValueError:
        errors["start"] = _("Enter the date of the first session.")
    try:
        count = int(form.get("count", ""))
        if not 1 <= count <= 24:
            raise ValueError
        values["count"] = count
    except ValueError:
        errors["count"] = _("Enter a number of sessions between 1 and 24.")
    try:
        values["capacity"] = int(form.get("capacity", ""))
    except ValueError:
        errors["capacity"] = _("The capacity must be between 1 and 100.")
    for key, label in (("starts", "starts"), ("ends", "ends")):
        try:
            values[key] = dt.time.fromisoformat(form.get(key, ""))
        except ValueError:
            errors[label] = _("Enter a time like 10:00.")
    values["programme"] = form.get("programme", "")
    values["place"] = form.get("place", "")[:200]
    values["topics"] = [t.strip()[:200] for t in form.get("topics", "").splitlines() if t.strip()]
    return errors, values


class CoursePagesController(Controller):
    path = "/t/{tenant_slug:str}/hold"
    include_in_schema = False
    dependencies = {
        "tenant": Provide(provide_tenant, sync_to_thread=False),
        "plugin_manager": Provide(provide_plugin_manager, sync_to_thread=False),
    }

    async def _index(
        self,
        db_session: AsyncSession,
        tenant: Tenant,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        from core.tenancy.service import list_active_programmes

        views = await list_courses(db_session, today())
        return Template(
            "courses/index.html",
            context={
                "tenant": tenant,
                "groups": grouped(views),
                "programmes": await list_active_programmes(db_session),
                "errors": errors or {},
                "form": form or {},
                "active_nav": "courses",
            },
            status_code=status_code,
            media_type=MediaType.HTML,
        )

    @get("/", name="courses_page", opt=audits("course.list"), guards=[any_member])
    async def index(
        self, db_session: NamedDependency[AsyncSession], tenant: NamedDependency[Tenant]
    ) -> Template:
        return await self._index(db_session, tenant)

    @post(
        "/",
        name="course_create_page",
        opt=NO_PERSONAL_DATA,
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
    ) -> Any:
        form = await request.form()
        errors, values = _parse_course_form(form)
        raw = {
            k: str(form.get(k, ""))
            for k in (
                "programme",
                "start",
                "count",
                "capacity",
                "starts",
                "ends",
                "place",
                "topics",
            )
        }
        programme = await programme_of(db_session, values["programme"])
        if programme is None:
            errors["programme"] = _("Choose a programme.")
        if not errors and programme is not None:
            days = monthly_days(values["start"], values["count"])
            topics = values["topics"]
            sessions = [
                SessionIn(
                    day,
                    values["starts"],
                    values["ends"],
                    topics[i] if i < len(topics) else _("Session %(number)d") % {"number": i + 1},
                    values["place"],
                )
                for i, day in enumerate(days)
            ]
            try:
                course = await create_course(
                    db_session,
                    programme,
                    number=None,
                    capacity=values["capacity"],
                    sessions=sessions,
                )
            except CourseError as exc:
                await db_session.rollback()
                errors[exc.field] = exc.message
            else:
                return Redirect(f"/t/{tenant.slug}/hold/{course.id}", status_code=303)
        return await self._index(db_session, tenant, errors, raw, 400)

    async def _detail(
        self,
        db_session: AsyncSession,
        tenant: Tenant,
        plugin_manager: MakkerPluginManager,
        course: Course,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        detail = await course_detail(db_session, plugin_manager, tenant, course, today())
        enrolled = {p.person.id for p in detail.participants}
        candidates = [
            p
            for p in await db_session.scalars(
                select(Person)
                .join(Enrolment, Enrolment.person_id == Person.id)
                .where(
                    Enrolment.programme_id == course.programme_id,
                    Enrolment.role == EnrolmentRole.MENTOR,
                    Enrolment.status.not_in(("finished", "withdrawn")),
                )
                .order_by(Person.name)
            )
            if p.id not in enrolled
        ]
        return Template(
            "courses/detail.html",
            context={
                "tenant": tenant,
                "detail": detail,
                "candidates": candidates,
                "errors": errors or {},
                "today": today(),
                "active_nav": "courses",
            },
            status_code=status_code,
            media_type=MediaType.HTML,
        )

    @get(
        "/{course_id:uuid}",
        name="course_page",
        opt=audits("course.read", "course", "course_id"),
        guards=[coordinators],
    )
    async def detail(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        course_id: FromPath[uuid.UUID],
    ) -> Template:
        course = await _course(db_session, course_id)
        return await self._detail(db_session, tenant, plugin_manager, course)

    @post(
        "/{course_id:uuid}/deltagere",
        name="course_participant_page",
        opt=audits("course.participant_add", "course", "course_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def add(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        course_id: FromPath[uuid.UUID],
    ) -> Any:
        course = await _course(db_session, course_id)
        form = await request.form()
        try:
            person_id = uuid.UUID(str(form.get("person_id", "")))
            await add_participant(db_session, course, person_id)
        except (ValueError, LookupError) as exc:
            await db_session.rollback()
            message = exc.message if isinstance(exc, CourseError) else _("Choose a mentor.")
            return await self._detail(
                db_session, tenant, plugin_manager, course, {"person_id": message}, 400
            )
        return Redirect(f"/t/{tenant.slug}/hold/{course.id}", status_code=303)

    @get(
        "/{course_id:uuid}/gange/{session_id:uuid}",
        name="course_attendance_page",
        opt=audits("course.attendance_read", "course_session", "session_id"),
        guards=[coordinators],
    )
    async def attendance_form(
        self,
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        course_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
    ) -> Template:
        course = await _course(db_session, course_id)
        course_session = await get_session(db_session, course, session_id)
        if course_session is None:
            raise NotFoundException()
        detail = await course_detail(db_session, plugin_manager, tenant, course, today())
        return Template(
            "courses/attendance.html",
            context={
                "tenant": tenant,
                "detail": detail,
                "session": course_session,
                "present": detail.present[course_session.id],
                "active_nav": "courses",
            },
        )

    @post(
        "/{course_id:uuid}/gange/{session_id:uuid}",
        name="course_attendance_save_page",
        opt=audits("course.attendance", "course_session", "session_id"),
        guards=[coordinators],
        media_type=MediaType.HTML,
    )
    async def attendance_save(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant: NamedDependency[Tenant],
        plugin_manager: NamedDependency[MakkerPluginManager],
        course_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
    ) -> Any:
        course = await _course(db_session, course_id)
        course_session = await get_session(db_session, course, session_id)
        if course_session is None:
            raise NotFoundException()
        form = await request.form()
        try:
            present = [uuid.UUID(v) for v in form.getall("present", [])]
            await set_attendance(
                db_session,
                plugin_manager,
                tenant,
                course,
                course_session,
                present,
                actor=actor(request),
                today=today(),
            )
        except (ValueError, CourseError) as exc:
            await db_session.rollback()
            message = exc.message if isinstance(exc, CourseError) else _("Choose participants.")
            return await self._detail(
                db_session, tenant, plugin_manager, course, {"present": message}, 400
            )
        return Redirect(f"/t/{tenant.slug}/hold/{course.id}", status_code=303)
