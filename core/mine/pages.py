"""\"Mit forløb\" (``GET /t/{tenant}/mit/``): any member sees the person of the tenant linked to
their sign-in; a sign-in without a linked person gets a Danish explanation, not an error."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Template

from core.context import Context
from core.forloeb.labels import state_label
from core.identity.guards import any_member
from core.mine.queries import my_overview, not_linked_text
from core.web.forms import page
from core.web.pipeline import audits


class MyPageController(Controller):
    path = "/t/{tenant_slug:str}/mit"
    include_in_schema = False
    guards = [any_member]

    @get("/", name="my_page", opt=audits("mine.read"))
    async def index(self, ctx: NamedDependency[Context]) -> Template:
        return page(
            "mine/index.html",
            tenant=ctx.tenant,
            active_nav="mine",
            view=await my_overview(ctx),
            state_label=state_label,
            not_linked=not_linked_text(),
            today=ctx.today(),
        )
