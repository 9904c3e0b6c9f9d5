"""Nothing new is recorded about an erased person (issue 15): one check for every write.

A ``before_flush`` listener on every session looks at the rows a flush writes (new, or changed)
in the tables about a person (:data:`GUARDED`): the person row itself, their enrolments and
what hangs on them (status history, før-samtale, consent, application), their forløb and what
hangs on those (history, pauses, meetings, planned meetings, questionnaire answers), course and
activity membership and attendance, contact preferences and calendar links. When one of them
is about a person whose ``erased_at`` is set - directly (``person_id``), through an enrolment
or through a forløb with an erased party - the flush is refused with :class:`Erased` (409,
"Personens oplysninger er slettet; der kan ikke registreres nyt om personen."), before
anything is written. So no command has to remember it, and a new command is covered too.

Erasure and retention themselves (:func:`core.gdpr.erasure.anonymise`) write within
:func:`erasing`. Rows deleted are not checked, nor the outbox (a message being delivered
is marked sent), invitations and legal holds (their commands check ``erased_at``).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Select, event, inspect, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState, Session

from core.db.tenant_scope import TenantSession, current_tenant_id, tenant_scope
from core.errors import Conflict
from core.web.i18n import gettext as _

#: The tables whose new or changed rows are checked.
GUARDED = frozenset(
    {
        "person",
        "enrolment",
        "enrolment_event",
        "intake",
        "consent",
        "application",
        "forloeb",
        "forloeb_event",
        "forloeb_pause",
        "meeting",
        "planned_meeting",
        "questionnaire_response",
        "course_participant",
        "course_attendance",
        "activity_member",
        "activity_attendance",
        "contact_preference",
        "calendar_link",
    }
)
_ERASING = "gdpr_erasing"


class Erased(Conflict):
    """A write about a person whose data is erased (409)."""

    def __init__(self) -> None:
        super().__init__(
            _("The person's data has been erased; nothing new can be recorded about the person.")
        )


@contextmanager
def erasing(session: AsyncSession | Session) -> Iterator[None]:
    """Erasure's and retention's own writes about the person (not refused)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    before = sync.info.get(_ERASING, False)
    sync.info[_ERASING] = True
    try:
        yield
    finally:
        sync.info[_ERASING] = before


def _person_already_erased(obj: Any) -> bool:
    history = cast(InstanceState[Any], inspect(obj)).attrs["erased_at"].history
    if history.deleted and history.deleted[0] is not None:
        return True  # un-erasing is a write about an erased person too
    if history.added:
        return False  # being erased now (only within erasing(), or a test set-up)
    return obj.erased_at is not None


@event.listens_for(TenantSession, "before_flush")
def _refuse_writes_about_erased_people(
    session: Session, flush_context: Any, instances: Any
) -> None:
    if session.info.get(_ERASING):
        return
    people: set[uuid.UUID] = set()
    enrolments: set[uuid.UUID] = set()
    forloebs: set[uuid.UUID] = set()
    for obj in (*session.new, *session.dirty):
        table = getattr(obj, "__tablename__", None)
        if table not in GUARDED:
            continue
        new = obj in session.new
        if not new and not session.is_modified(obj, include_collections=False):
            continue
        if table == "person":
            if not new and _person_already_erased(obj):
                raise Erased()
            continue
        if table == "forloeb":
            enrolments.update(
                i for i in (obj.mentee_enrolment_id, obj.mentor_enrolment_id) if i is not None
            )
            continue
        for attribute, ids in (
            ("person_id", people),
            ("enrolment_id", enrolments),
            ("forloeb_id", forloebs),
        ):
            value = getattr(obj, attribute, None)
            if value is not None:
                ids.add(value)
    if not (people or enrolments or forloebs):
        return
    scope: Any = contextlib.nullcontext()
    if current_tenant_id() is None:
        # A write outside a tenant's scope (a shared table such as calendar_link written by a
        # command or a test): ask in the tenant of the rows written - all one tenant, else the
        # rows are not about one person's tenant and are left to their commands' own checks.
        owners = {
            getattr(obj, "tenant_id", None) or getattr(obj, "owner_tenant_id", None)
            for obj in (*session.new, *session.dirty)
            if getattr(obj, "__tablename__", None) in GUARDED
        }
        if len(owners) != 1 or None in owners:
            return
        scope = tenant_scope(owners.pop())
    with session.no_autoflush, scope:
        erased = session.execute(_erased(people, enrolments, forloebs)).first()
    if erased is not None:
        raise Erased()


def _erased(
    people: Iterable[uuid.UUID], enrolments: Iterable[uuid.UUID], forloebs: Iterable[uuid.UUID]
) -> Select[Any]:
    """One erased person among ``people``, the people of ``enrolments`` and both parties of
    ``forloebs`` (a query of one row at most)."""
    from core.forloeb.models import Forloeb
    from core.participants.models import Enrolment, Person

    forloebs = list(forloebs)
    parties = union(
        select(Forloeb.mentee_enrolment_id).where(Forloeb.id.in_(forloebs)),
        select(Forloeb.mentor_enrolment_id).where(Forloeb.id.in_(forloebs)),
    )
    of_enrolments = select(Enrolment.person_id).where(
        or_(Enrolment.id.in_(list(enrolments)), Enrolment.id.in_(parties))
    )
    return (
        select(Person.id)
        .where(
            Person.erased_at.is_not(None),
            or_(Person.id.in_(list(people)), Person.id.in_(of_enrolments)),
        )
        .limit(1)
    )


async def refuse_erased(
    session: AsyncSession,
    *,
    people: Iterable[uuid.UUID] = (),
    enrolments: Iterable[uuid.UUID] = (),
    forloebs: Iterable[uuid.UUID] = (),
) -> None:
    """The same check at the start of a write command, before its own checks, so a write about
    an erased person is a 409 and not, say, a 400 for an ended enrolment.

    :raises Erased: one of them is (or is a party of a forløb with) an erased person."""
    if (await session.execute(_erased(people, enrolments, forloebs))).first() is not None:
        raise Erased()
