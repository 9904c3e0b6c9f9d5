"""Dependencies shared by controllers: the database session and the current tenant."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenancy.models import Tenant


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """A session for this request. Handlers commit explicitly; anything else is rolled back."""
    async with state.sessionmaker() as session:
        yield session


def provide_tenant(request: Request) -> Tenant:
    """The tenant resolved from the URL by :class:`core.web.middleware.TenantContextMiddleware`."""
    return request.scope["state"]["tenant"]  # type: ignore[no-any-return]
