"""JSON API of a person's access log and data export (coordinators and tenant admins), and the
signed-in person's own access log. Adapters over :mod:`core.gdpr.commands`."""

from __future__ import annotations

import uuid

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from core.context import Context
from core.gdpr.commands import (
    entry_out,
    export_out,
    export_person,
    read_access_log,
    read_own_access_log,
)
from core.gdpr.erasure import (
    Erased,
    ErasureIn,
    LegalHoldIn,
    erase_person,
    read_legal_hold,
    set_legal_hold,
)
from core.gdpr.models import LegalHold
from core.gdpr.queries import AccessLog
from core.gdpr.schemas import AccessLogOut, ErasureOut, ExportOut, LegalHoldOut
from core.identity.guards import any_member, coordinators, tenant_admins
from core.mine.queries import my_person_or_404
from core.strict_input import StrictController
from core.web.paging import PageLimit, PageOffset
from core.web.pipeline import audits

#: Rows per page of an access log (the API's default ``limit``, the pages' page size).
LOG_PAGE = 50


def log_out(person_id: uuid.UUID, log: AccessLog) -> AccessLogOut:
    return AccessLogOut(person_id, [entry_out(e) for e in log.entries], log.total)


class PersonGdprApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}"
    tags = ["gdpr"]
    guards = [coordinators]

    @get(
        "/access-log",
        name="api_person_access_log",
        opt=audits("gdpr.access_log", "person", "person_id"),
    )
    async def access_log(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        limit: PageLimit = LOG_PAGE,
        offset: PageOffset = 0,
    ) -> AccessLogOut:
        """Who has read or changed the person's data (name and role), when and what, newest
        first; `limit` (1-500) from `offset`. Not for a partner's staff (403)."""
        return log_out(person_id, await read_access_log(ctx, person_id, limit, offset))

    @get("/export", name="api_person_export", opt=audits("gdpr.export", "person", "person_id"))
    async def export(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> ExportOut:
        """Everything held about the person (GDPR Art. 15): every row of every table that
        belongs to the person, and the access log. Not for a partner's staff (403)."""
        return export_out(ctx, person_id, await export_person(ctx, person_id))


def erased_out(erased: Erased) -> ErasureOut:
    return ErasureOut(
        person_id=erased.person_id,
        erased_at=erased.erased_at.isoformat(),
        already_erased=erased.already_erased,
        blanked=erased.blanked,
        deleted=erased.deleted,
        sessions_ended=erased.sessions_ended,
    )


def hold_out(person_id: uuid.UUID, hold: LegalHold | None) -> LegalHoldOut:
    if hold is None:
        return LegalHoldOut(person_id, False)
    return LegalHoldOut(person_id, True, hold.ends_on.isoformat(), hold.reason)


class PersonErasureApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/people/{person_id:uuid}"
    tags = ["gdpr"]
    guards = [coordinators]

    @post(
        "/erasure",
        name="api_person_erasure",
        opt=audits("person.erase", "person", "person_id"),
        status_code=200,
    )
    async def erase(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[ErasureIn],
    ) -> ErasureOut:
        """Erase the person (GDPR Art. 17): every column tagged personal data of every row about
        the person is blanked, the name becomes "Anonymiseret deltager"; the rows the reports
        count stay. `reason`: person_request, consent_withdrawn, no_longer_needed, unlawful or
        other; `confirm`: the person's name as shown, or `SLET`. Irreversible. A second call
        answers 200 with `already_erased` true. 409 under a legal hold; 403 for a partner."""
        return erased_out(await erase_person(ctx, person_id, data))

    @get(
        "/legal-hold",
        name="api_person_legal_hold",
        opt=audits("person.legal_hold_read", "person", "person_id"),
    )
    async def legal_hold(
        self, ctx: NamedDependency[Context], person_id: FromPath[uuid.UUID]
    ) -> LegalHoldOut:
        """The legal hold in force on the person, if any."""
        return hold_out(person_id, await read_legal_hold(ctx, person_id))

    @post(
        "/legal-hold",
        name="api_person_legal_hold_set",
        opt=audits("person.legal_hold", "person", "person_id"),
        status_code=200,
        guards=[tenant_admins],
    )
    async def set_hold(
        self,
        ctx: NamedDependency[Context],
        person_id: FromPath[uuid.UUID],
        data: JSONBody[LegalHoldIn],
    ) -> LegalHoldOut:
        """Set a legal hold (tenant admins): `reason` (10-500 characters) and `ends_on`, the
        last day (today up to ten years ahead). Blocks erasure and retention until then; a hold
        in force is replaced."""
        return hold_out(person_id, await set_legal_hold(ctx, person_id, data))


class MyAccessLogApiController(StrictController):
    path = "/api/v1/t/{tenant_slug:str}/me/access-log"
    tags = ["me"]
    guards = [any_member]

    @get("/", name="api_me_access_log", opt=audits("gdpr.access_log", "person"))
    async def own(
        self, ctx: NamedDependency[Context], limit: PageLimit = LOG_PAGE, offset: PageOffset = 0
    ) -> AccessLogOut:
        """Who has read or changed the caller's own data in the tenant (404 for a sign-in not
        linked to a person)."""
        person = await my_person_or_404(ctx)
        return log_out(person.id, await read_own_access_log(ctx, person.id, limit, offset))
