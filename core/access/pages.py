"""Invitations and members: the pages (adapters of :mod:`core.access.commands`).

Tenant admins, under ``/t/{tenant}/medlemmer``: the members page (who has access with which
role, open invitations), inviting (``/inviter``, optionally ``?person=<id>``), changing a role,
removing access (a confirmation step first) and revoking an invitation. The invited person,
under ``/t/{tenant}/invitation``: their open invitations and accepting one (Keycloak sends them
here after they joined the organization)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from core.access import commands, queries
from core.access.api import INVITATION_ROUTE, signed_in
from core.access.schemas import INVITE_ROLES, MEMBER_ROLES, InvitationIn, MemberRoleIn
from core.context import Context
from core.errors import Invalid, NotFound
from core.identity.dev_users import role_label
from core.identity.guards import tenant_admins
from core.participants.models import Person
from core.web.forms import form_struct, page, read_form
from core.web.i18n import gettext as _
from core.web.pipeline import audits

RequestT = Request[Any, Any, Any]


def _invite_messages() -> dict[str, str]:
    return {
        "email": _("Write the e-mail address the invitation is sent to."),
        "role": _("Choose coordinator, mentor or citizen."),
        "person_id": _("Choose a person of this organisation."),
    }


def _context(ctx: Context, **more: Any) -> dict[str, Any]:
    return {"tenant": ctx.tenant, "role_label": role_label, "active_nav": "members", **more}


async def _members_page(
    ctx: Context, status_code: int = 200, errors: dict[str, str] | None = None, **more: Any
) -> Template:
    invitations = await queries.invitations(ctx)
    return page(
        "access/members.html",
        status_code,
        **_context(
            ctx,
            members=await queries.members(ctx),
            invitations=invitations,
            invitation_people=await queries.invitation_people(ctx, invitations),
            member_roles=[(r, role_label(r)) for r in MEMBER_ROLES],
            errors=errors or {},
            **more,
        ),
    )


async def _invite_page(
    ctx: Context,
    values: dict[str, Any],
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Template:
    person = None
    if values.get("person_id"):
        try:
            wanted = uuid.UUID(str(values["person_id"]))
        except ValueError:
            wanted = None
        if wanted:
            person = await ctx.session.scalar(select(Person).where(Person.id == wanted))
    return page(
        "access/invite.html",
        status_code,
        **_context(
            ctx,
            values=values,
            person=person,
            errors=errors or {},
            roles=[(r, role_label(r)) for r in INVITE_ROLES],
        ),
    )


class MemberPagesController(Controller):
    path = "/t/{tenant_slug:str}/medlemmer"
    include_in_schema = False
    guards = [tenant_admins]

    @get("/", name="members_page", opt=audits("member.list"))
    async def index(self, ctx: NamedDependency[Context], vist: FromQuery[str] = "") -> Template:
        return await _members_page(ctx, shown=vist)

    @get("/inviter", name="invite_page", opt=audits("invitation.form", "person"))
    async def invite_form(
        self, ctx: NamedDependency[Context], person: FromQuery[uuid.UUID | None] = None
    ) -> Template:
        values: dict[str, Any] = {"role": "mentor" if person else ""}
        if person:
            found = await ctx.session.scalar(select(Person).where(Person.id == person))
            if found is not None:
                values |= {"person_id": str(found.id), "email": found.email or ""}
        return await _invite_page(ctx, values)

    @post("/inviter", name="invite_submit", opt=audits("invitation.create", "invitation"))
    async def invite(self, request: RequestT, ctx: NamedDependency[Context]) -> Any:
        form = await read_form(request)
        form.setdefault("role", "")  # no role chosen: the command names it with the others
        try:
            await commands.invite(ctx, form_struct(form, InvitationIn, _invite_messages()))
        except Invalid as exc:
            await ctx.session.rollback()
            return await _invite_page(ctx, form, 400, exc.errors)
        return Redirect(f"/t/{ctx.tenant.slug}/medlemmer/?vist=inviteret", status_code=303)

    @post(
        "/{member_id:uuid}/rolle",
        name="member_role_page",
        opt=audits("member.role", "member", "member_id"),
    )
    async def change_role(
        self, request: RequestT, ctx: NamedDependency[Context], member_id: FromPath[uuid.UUID]
    ) -> Any:
        form = await read_form(request)
        try:
            data = form_struct(form, MemberRoleIn, {"role": _("Choose one of the roles.")})
            await commands.change_role(ctx, member_id, data)
        except Invalid as exc:
            await ctx.session.rollback()
            errors = {f"role-{member_id}": m for m in exc.errors.values()}
            return await _members_page(ctx, 400, errors)
        return Redirect(f"/t/{ctx.tenant.slug}/medlemmer/?vist=rolle", status_code=303)

    @get(
        "/{member_id:uuid}/fjern",
        name="member_remove_confirm_page",
        opt=audits("member.read", "member", "member_id"),
    )
    async def confirm_remove(
        self, ctx: NamedDependency[Context], member_id: FromPath[uuid.UUID]
    ) -> Template:
        views = {v.member.id: v for v in await queries.members(ctx)}
        view = views.get(member_id)
        if view is None or view.member.removed_at is not None:
            raise NotFound()
        return page("access/remove.html", **_context(ctx, view=view))

    @post(
        "/{member_id:uuid}/fjern",
        name="member_remove_page",
        opt=audits("member.remove", "member", "member_id"),
    )
    async def remove(self, ctx: NamedDependency[Context], member_id: FromPath[uuid.UUID]) -> Any:
        try:
            await commands.remove_member(ctx, member_id)
        except Invalid as exc:
            await ctx.session.rollback()
            return await _members_page(ctx, 400, {f"role-{member_id}": exc.detail})
        return Redirect(f"/t/{ctx.tenant.slug}/medlemmer/?vist=fjernet", status_code=303)

    @post(
        "/invitationer/{invitation_id:uuid}/tilbagekald",
        name="invitation_revoke_page",
        opt=audits("invitation.revoke", "invitation", "invitation_id"),
    )
    async def revoke(
        self, ctx: NamedDependency[Context], invitation_id: FromPath[uuid.UUID]
    ) -> Any:
        try:
            await commands.revoke_invitation(ctx, invitation_id)
        except Invalid as exc:
            await ctx.session.rollback()
            return await _members_page(ctx, 400, {"invitations": exc.detail})
        return Redirect(f"/t/{ctx.tenant.slug}/medlemmer/?vist=tilbagekaldt", status_code=303)


class InvitationPagesController(Controller):
    path = "/t/{tenant_slug:str}/invitation"
    include_in_schema = False
    guards = [signed_in]

    @get(
        "/",
        name="my_invitations_page",
        opt={**audits("invitation.read_own"), **INVITATION_ROUTE},
    )
    async def mine(self, ctx: NamedDependency[Context]) -> Template:
        return page(
            "access/invitations.html",
            **_context(
                ctx,
                invitations=await commands.my_invitations(ctx),
                email=ctx.principal.email if ctx.principal else "",
                active_nav="",
            ),
        )

    @post(
        "/{invitation_id:uuid}",
        name="invitation_accept_page",
        opt={**audits("invitation.accept", "invitation", "invitation_id"), **INVITATION_ROUTE},
    )
    async def accept(
        self, ctx: NamedDependency[Context], invitation_id: FromPath[uuid.UUID]
    ) -> Any:
        await commands.accept_invitation(ctx, invitation_id)
        return Redirect(f"/t/{ctx.tenant.slug}/", status_code=303)
