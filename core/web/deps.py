"""Dependencies shared by controllers: the current tenant (the session is the pipeline's)."""

from __future__ import annotations

from litestar import Request

from core.tenancy.models import Tenant


def provide_tenant(request: Request) -> Tenant:
    """The tenant resolved from the URL by :class:`core.web.pipeline.RequestPipelineMiddleware`."""
    return request.scope["state"]["tenant"]  # type: ignore[no-any-return]
