"""The context every command runs in: one session, the tenant, who acts, the clock, the plugins.

A command is one async function per action, ``async def do_x(ctx: Context, data: XIn) -> ...``:
it validates (raising :class:`core.errors.Invalid` with a message per field), reads and writes
through ``ctx.session``, notes its audit row with :meth:`Context.audit`, and never commits - the
request pipeline commits the request's one transaction on success (with the audit rows) and
rolls it back on any error. The JSON handler and the page handler are adapters over the same
command: they convert the body or the form into the same msgspec Struct, call the command and
shape its result.

Outside a request (the demo, the CLI, tests) build a context with :func:`context_for` and commit
yourself; audit notes are then written by :func:`core.audit.service.notes_written_to`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import note
from core.clock import Clock, get_clock
from core.identity.principal import Principal
from core.plugin_api import MakkerPluginManager
from core.tenancy.coordinate import PartnerAccess
from core.tenancy.models import Tenant

# (Imported at run time, not only for type checking: Litestar reads a dependency's type hints.)


@dataclass
class Context:
    """What a command needs. Built per request by the pipeline (dependency ``ctx``)."""

    session: AsyncSession
    tenant: Tenant
    #: Who acts, as stored in histories and audit rows: the principal's ``sub`` (a pseudonymous
    #: id), or a fixed name such as ``demo`` outside a request.
    actor: str
    plugins: MakkerPluginManager
    clock: Clock = field(default_factory=get_clock)
    principal: Principal | None = None
    #: A partner's staff member working in this tenant under ``coordinate`` grants: every
    #: query is limited to the granted programmes already (the request pipeline); commands use
    #: it only to ask for a programme where one is otherwise optional.
    partner: PartnerAccess | None = None

    def today(self) -> dt.date:
        """Today in Europe/Copenhagen."""
        return self.clock.today()

    def now(self) -> dt.datetime:
        """Now, in UTC."""
        return self.clock.now()

    @property
    def user_id(self) -> str | None:
        """The signed-in user's ``iss#sub`` (links a sign-in to a person), if any."""
        return self.principal.user_id if self.principal else None

    def audit(
        self,
        action: str,
        *,
        object_type: str | None = None,
        object_id: uuid.UUID | str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Note one audit row (ids and criteria, never field values); written in the same
        transaction as the command's changes."""
        note(action, object_type=object_type, object_id=object_id, detail=detail)


def context_for(
    session: AsyncSession,
    tenant: Tenant,
    plugins: MakkerPluginManager,
    actor: str,
    clock: Clock | None = None,
) -> Context:
    """A context outside a request (demo, CLI, tests)."""
    return Context(session, tenant, actor, plugins, clock or get_clock())
