"""HTTP routes of the development issuer (see :mod:`core.identity.dev_issuer`)."""

from __future__ import annotations

import base64
import functools
import uuid
from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, post, put
from litestar.datastructures import Cookie
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, JSONBody
from litestar.response import Redirect, Template

from core.identity.dev_issuer import DevIssuer, OAuthError
from core.web.pipeline import request_context

OIDC = "/realms/{realm:str}/protocol/openid-connect"
#: The browser's session at the issuer (Keycloak: KEYCLOAK_SESSION): its ``sid``, so that a
#: logout without ``id_token_hint`` ends the session it says it ends.
SESSION_COOKIE = "dev_issuer_session"
ADMIN = "/admin/realms/{realm:str}"
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
AUTH_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def _issuer(request: Request[Any, Any, Any], realm: str) -> DevIssuer:
    issuer: DevIssuer = request.app.state.dev_issuer
    if realm != issuer.realm:
        raise NotFoundException()
    return issuer


def _oauth_error(exc: OAuthError) -> Response[dict[str, str]]:
    return Response(
        {"error": exc.error, "error_description": exc.description}, status_code=exc.status
    )


def _basic_auth(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    return user, password


@get("/realms/{realm:str}/.well-known/openid-configuration", name="dev_discovery")
async def discovery(request: Request[Any, Any, Any], realm: FromPath[str]) -> dict[str, Any]:
    return _issuer(request, realm).discovery()


@get("/realms/{realm:str}", name="dev_realm")
async def realm_info(request: Request[Any, Any, Any], realm: FromPath[str]) -> dict[str, Any]:
    issuer = _issuer(request, realm)
    return {
        "realm": issuer.realm,
        "token-service": f"{issuer.issuer}/protocol/openid-connect",
        "account-service": f"{issuer.issuer}/account",
        "tokens-not-before": 0,
    }


@get(f"{OIDC}/certs", name="dev_certs")
async def certs(request: Request[Any, Any, Any], realm: FromPath[str]) -> dict[str, Any]:
    return _issuer(request, realm).jwks()


@post(f"{OIDC}/token", name="dev_token", status_code=200)
async def token(request: Request[Any, Any, Any], realm: FromPath[str], data: Form) -> Response[Any]:
    try:
        return Response(_issuer(request, realm).token(data, _basic_auth(request)))
    except OAuthError as exc:
        return _oauth_error(exc)


def _login_page(issuer: DevIssuer, params: dict[str, str], error: bool = False) -> Template:
    return Template(
        "identity/dev_login.html",
        context={
            "users": list(issuer.users.values()),
            "params": params,
            "hidden": {k: params[k] for k in AUTH_PARAMS if params.get(k)},
            "error": error,
            "realm": issuer.realm,
        },
        media_type=MediaType.HTML,
        status_code=401 if error else 200,
    )


@get(f"{OIDC}/auth", name="dev_auth")
async def auth_page(request: Request[Any, Any, Any], realm: FromPath[str]) -> Any:
    issuer = _issuer(request, realm)
    params = dict(request.query_params)
    try:
        issuer.check_auth_request(params)
    except OAuthError as exc:
        return _oauth_error(exc)
    return _login_page(issuer, params)


@post(f"{OIDC}/auth", name="dev_auth_submit", status_code=200)
async def auth_submit(request: Request[Any, Any, Any], realm: FromPath[str], data: Form) -> Any:
    issuer = _issuer(request, realm)
    params = {k: data[k] for k in AUTH_PARAMS if k in data}
    try:
        target, sid = issuer.sign_in(
            params,
            data.get("username", ""),
            data.get("password", ""),
            request.cookies.get(SESSION_COOKIE),
        )
    except OAuthError as exc:
        if exc.status == 401:
            return _login_page(issuer, params, error=True)
        return _oauth_error(exc)
    cookie = Cookie(
        key=SESSION_COOKIE,
        value=sid,
        path=f"/realms/{issuer.realm}",
        httponly=True,
        samesite="lax",
        secure=issuer.issuer.startswith("https://"),
    )
    return Redirect(path=target, status_code=303, cookies=[cookie])


@get(f"{OIDC}/userinfo", name="dev_userinfo")
async def userinfo(request: Request[Any, Any, Any], realm: FromPath[str]) -> Response[Any]:
    header = request.headers.get("authorization", "")
    try:
        return Response(_issuer(request, realm).userinfo(header.removeprefix("Bearer ")))
    except OAuthError as exc:
        return _oauth_error(OAuthError("invalid_token", exc.description, 401))


async def _logout(request: Request[Any, Any, Any], realm: str, params: dict[str, str]) -> Any:
    issuer = _issuer(request, realm)
    target, ended = issuer.logout(params, request.cookies.get(SESSION_COOKIE))
    # The request pipeline read the browser's Makker session (its cookie is sent here too): end
    # that read before Makker's back channel writes (on SQLite a reader blocks the writer).
    await request_context(request).session.rollback()
    # As Keycloak: the clients hear of it (back-channel) before the browser is sent on.
    await issuer.send_backchannel_logout(ended)
    response: Response[Any]
    if target:
        response = Redirect(path=target, status_code=303)
    elif request.method == "POST":
        response = Response(None, status_code=204)
    else:
        # Says what happened: "signed out" only when a session ended (and with it, through
        # the back channel, the Makker sessions it signed in).
        response = Template(
            "identity/dev_logged_out.html",
            context={"ended": len(ended)},
            media_type=MediaType.HTML,
        )
    response.delete_cookie(SESSION_COOKIE, path=f"/realms/{issuer.realm}")
    return response


@get(f"{OIDC}/logout", name="dev_logout")
async def logout_get(request: Request[Any, Any, Any], realm: FromPath[str]) -> Any:
    return await _logout(request, realm, dict(request.query_params))


@post(f"{OIDC}/logout", name="dev_logout_post", status_code=200)
async def logout_post(request: Request[Any, Any, Any], realm: FromPath[str], data: Form) -> Any:
    return await _logout(request, realm, data)


# -- Admin REST subset ------------------------------------------------------------------------
def _admin(request: Request[Any, Any, Any], realm: str) -> DevIssuer:
    issuer = _issuer(request, realm)
    issuer.check_admin_token(request.headers.get("authorization"))
    return issuer


def _admin_call(fn: Any) -> Any:
    """Translate OAuth errors of admin calls into Keycloak-like JSON errors."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except OAuthError as exc:
            return Response({"error": exc.description}, status_code=exc.status)

    return wrapper


def _page(request: Request[Any, Any, Any], items: list[Any]) -> list[Any]:
    """Keycloak's ``first``/``max`` paging (python-keycloak pages until an empty page)."""
    first = int(request.query_params.get("first", 0))
    size = request.query_params.get("max")
    return items[first:] if size is None else items[first : first + int(size)]


def _created(request: Request[Any, Any, Any], object_id: str) -> Response[None]:
    return Response(
        None, status_code=201, headers={"Location": f"{str(request.url).rstrip('/')}/{object_id}"}
    )


@get(f"{ADMIN}/organizations", name="dev_admin_orgs")
@_admin_call
async def list_organizations(request: Request[Any, Any, Any], realm: FromPath[str]) -> Any:
    issuer = _admin(request, realm)
    search = request.query_params.get("search")
    orgs = [
        o for o in issuer.organizations.values() if not search or search in (o["alias"], o["name"])
    ]
    return _page(request, sorted(orgs, key=lambda o: o["alias"]))


@post(f"{ADMIN}/organizations", name="dev_admin_orgs_create")
@_admin_call
async def create_organization(
    request: Request[Any, Any, Any], realm: FromPath[str], data: JSONBody[dict[str, Any]]
) -> Any:
    issuer = _admin(request, realm)
    alias = data.get("alias") or data.get("name")
    if any(
        o["alias"] == alias or o["name"] == data.get("name") for o in issuer.organizations.values()
    ):
        return Response(
            {"errorMessage": "A organization with the same name already exists."}, status_code=409
        )
    org_id = str(uuid.uuid4())
    issuer.organizations[org_id] = {
        "id": org_id,
        "name": data.get("name"),
        "alias": alias,
        "enabled": data.get("enabled", True),
        "description": data.get("description"),
        "attributes": data.get("attributes", {}),
        "domains": data.get("domains", []),
        "redirectUrl": data.get("redirectUrl"),
    }
    return _created(request, org_id)


@get(f"{ADMIN}/organizations/{{org_id:str}}", name="dev_admin_org")
@_admin_call
async def get_organization(
    request: Request[Any, Any, Any], realm: FromPath[str], org_id: FromPath[str]
) -> Any:
    org = _admin(request, realm).organizations.get(org_id)
    if org is None:
        return Response({"error": "Organization not found"}, status_code=404)
    return org


@put(f"{ADMIN}/organizations/{{org_id:str}}", name="dev_admin_org_update")
@_admin_call
async def update_organization(
    request: Request[Any, Any, Any],
    realm: FromPath[str],
    org_id: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> Any:
    orgs = _admin(request, realm).organizations
    if org_id not in orgs:
        return Response({"error": "Organization not found"}, status_code=404)
    orgs[org_id].update({k: v for k, v in data.items() if k != "id"})
    return Response(None, status_code=204)


@delete(f"{ADMIN}/organizations/{{org_id:str}}", name="dev_admin_org_delete", status_code=200)
@_admin_call
async def delete_organization(
    request: Request[Any, Any, Any], realm: FromPath[str], org_id: FromPath[str]
) -> Any:
    _admin(request, realm).organizations.pop(org_id, None)
    return Response(None, status_code=204)


@get(f"{ADMIN}/clients", name="dev_admin_clients")
@_admin_call
async def list_clients(request: Request[Any, Any, Any], realm: FromPath[str]) -> Any:
    issuer = _admin(request, realm)
    wanted = request.query_params.get("clientId")
    clients = [c for c in issuer.admin_clients.values() if not wanted or c["clientId"] == wanted]
    return _page(request, clients)


@post(f"{ADMIN}/clients", name="dev_admin_clients_create")
@_admin_call
async def create_client(
    request: Request[Any, Any, Any], realm: FromPath[str], data: JSONBody[dict[str, Any]]
) -> Any:
    issuer = _admin(request, realm)
    if any(c["clientId"] == data.get("clientId") for c in issuer.admin_clients.values()):
        return Response(
            {"errorMessage": f"Client {data.get('clientId')} already exists"}, status_code=409
        )
    client_id = str(uuid.uuid4())
    issuer.admin_clients[client_id] = {**data, "id": client_id}
    return _created(request, client_id)


@put(f"{ADMIN}/clients/{{client_uuid:str}}", name="dev_admin_client_update")
@_admin_call
async def update_client(
    request: Request[Any, Any, Any],
    realm: FromPath[str],
    client_uuid: FromPath[str],
    data: JSONBody[dict[str, Any]],
) -> Any:
    clients = _admin(request, realm).admin_clients
    if client_uuid not in clients:
        return Response({"error": "Client not found"}, status_code=404)
    clients[client_uuid].update({k: v for k, v in data.items() if k != "id"})
    return Response(None, status_code=204)


@get(f"{ADMIN}/roles", name="dev_admin_roles")
@_admin_call
async def list_roles(request: Request[Any, Any, Any], realm: FromPath[str]) -> Any:
    return _page(request, sorted(_admin(request, realm).roles.values(), key=lambda r: r["name"]))


@post(f"{ADMIN}/roles", name="dev_admin_roles_create")
@_admin_call
async def create_role(
    request: Request[Any, Any, Any], realm: FromPath[str], data: JSONBody[dict[str, Any]]
) -> Any:
    issuer = _admin(request, realm)
    name = str(data.get("name"))
    if name in issuer.roles:
        return Response({"errorMessage": f"Role with name {name} already exists"}, status_code=409)
    issuer.roles[name] = {
        "id": str(uuid.uuid4()),
        "name": name,
        "composite": False,
        "clientRole": False,
        "containerId": issuer.realm,
        "description": data.get("description"),
    }
    return _created(request, name)


@post(f"{ADMIN}/users/{{user_id:str}}/logout", name="dev_admin_user_logout", status_code=200)
@_admin_call
async def logout_user(
    request: Request[Any, Any, Any], realm: FromPath[str], user_id: FromPath[str]
) -> Any:
    """Keycloak's admin "sign out" of a user (python-keycloak ``a_user_logout``): every session
    ends and each client with a back-channel logout URL is told."""
    issuer = _admin(request, realm)
    await issuer.send_backchannel_logout(issuer.logout_user(user_id))
    return Response(None, status_code=204)


@get(f"{ADMIN}/users", name="dev_admin_users")
@_admin_call
async def list_users(request: Request[Any, Any, Any], realm: FromPath[str]) -> Any:
    """Keycloak's user search, the part python-keycloak's ``a_get_users`` uses (``email``,
    ``exact``, paging)."""
    issuer = _admin(request, realm)
    exact = request.query_params.get("exact", "false").lower() == "true"
    users = issuer.find_users(request.query_params.get("email"), exact)
    return _page(request, [issuer.user_representation(u) for u in users])


@post(
    f"{ADMIN}/organizations/{{org_id:str}}/members/invite-user",
    name="dev_admin_org_invite_user",
    status_code=200,
)
@_admin_call
async def invite_user(
    request: Request[Any, Any, Any], realm: FromPath[str], org_id: FromPath[str], data: Form
) -> Any:
    """Keycloak 26: e-mail an invitation to register and join the organization."""
    _admin(request, realm).invite(org_id, data.get("email", ""))
    return Response(None, status_code=204)


@post(
    f"{ADMIN}/organizations/{{org_id:str}}/members/invite-existing-user",
    name="dev_admin_org_invite_existing_user",
    status_code=200,
)
@_admin_call
async def invite_existing_user(
    request: Request[Any, Any, Any], realm: FromPath[str], org_id: FromPath[str], data: Form
) -> Any:
    """Keycloak 26: e-mail an existing user (form field ``id``) an invitation to join."""
    issuer = _admin(request, realm)
    user = next((u for u in issuer.users.values() if u.subject == data.get("id")), None)
    if user is None or not user.email:
        return Response({"error": "User not found"}, status_code=404)
    issuer.invite(org_id, user.email)
    return Response(None, status_code=204)


def _invitation_page(
    issuer: DevIssuer, key: str, error: str = "", status_code: int = 200
) -> Template:
    org, address, user = issuer.invitation(key)
    return Template(
        "identity/dev_invitation.html",
        context={"organization": org["name"], "address": address, "user": user, "error": error},
        media_type=MediaType.HTML,
        status_code=status_code,
    )


@get("/realms/{realm:str}/dev-mailbox", name="dev_mailbox")
async def mailbox(request: Request[Any, Any, Any], realm: FromPath[str]) -> Template:
    """What Keycloak would have e-mailed (invitation links), newest first: development only."""
    issuer = _issuer(request, realm)
    return Template(
        "identity/dev_mailbox.html",
        context={"mails": list(reversed(issuer.mailbox))},
        media_type=MediaType.HTML,
    )


@get("/realms/{realm:str}/login-actions/action-token", name="dev_invitation")
async def invitation_page(request: Request[Any, Any, Any], realm: FromPath[str]) -> Any:
    """The invitation link of the e-mail: join (a new user chooses a name and a password)."""
    issuer = _issuer(request, realm)
    try:
        return _invitation_page(issuer, request.query_params.get("key", ""))
    except OAuthError as exc:
        return _oauth_error(exc)


@post("/realms/{realm:str}/login-actions/action-token", name="dev_invitation_accept")
async def invitation_accept(
    request: Request[Any, Any, Any], realm: FromPath[str], data: Form
) -> Any:
    issuer = _issuer(request, realm)
    key = request.query_params.get("key", "")
    try:
        target = issuer.accept_invitation(key, data.get("name", ""), data.get("password", ""))
    except OAuthError as exc:
        if exc.status == 400 and key in issuer.invitations:
            return _invitation_page(issuer, key, exc.description, status_code=400)
        return _oauth_error(exc)
    return Redirect(path=target, status_code=303)


@get(f"{ADMIN}/roles/{{role_name:str}}", name="dev_admin_role")
@_admin_call
async def get_role(
    request: Request[Any, Any, Any], realm: FromPath[str], role_name: FromPath[str]
) -> Any:
    role = _admin(request, realm).roles.get(role_name)
    if role is None:
        return Response({"error": "Could not find role"}, status_code=404)
    return role


def dev_issuer_router() -> Router:
    """All development-issuer routes (excluded from the OpenAPI schema)."""
    return Router(
        path="/",
        include_in_schema=False,
        route_handlers=[
            discovery,
            realm_info,
            certs,
            token,
            auth_page,
            auth_submit,
            userinfo,
            logout_get,
            logout_post,
            list_organizations,
            create_organization,
            get_organization,
            update_organization,
            delete_organization,
            list_clients,
            create_client,
            update_client,
            list_roles,
            create_role,
            get_role,
            logout_user,
            list_users,
            invite_user,
            invite_existing_user,
            invitation_page,
            invitation_accept,
            mailbox,
        ],
    )
