"""A small Keycloak-compatible OpenID Connect issuer for development and tests.

Mounted by the app factory only when ``MAKKER_ENV=development``; constructing it in production
raises. It serves, under ``/realms/{realm}``: the discovery document, ``certs`` (JWKS), ``auth``
(a Danish login page listing the demo users, PKCE S256 required), ``token`` (authorization code,
password, refresh token and client credentials grants), ``userinfo`` and ``logout`` - which, as
Keycloak does, sends a signed back-channel logout token to the client's
``backchannel_logout_url`` (Makker's ``/auth/backchannel-logout``); and under
``/admin/realms/{realm}`` the Admin REST subset that ``makker tenants sync --keycloak`` uses
(organizations, clients, roles). Tokens look like Keycloak's: RS256, ``typ`` Bearer/ID/Refresh,
``realm_access.roles`` and an ``organization`` claim. State is in memory: a restart signs
everybody out. Keys can be rotated (:meth:`DevIssuer.rotate_key`) to test key roll-over.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from jwcrypto import jwk, jwt

from core.identity.dev_users import DEMO_USERS, DevUser
from core.settings import DEV_KEYCLOAK_ADMIN_CLIENT_ID, DEV_KEYCLOAK_ADMIN_CLIENT_SECRET, Settings

log = logging.getLogger(__name__)

ACCESS_TOKEN_SECONDS = 300
LOGOUT_TOKEN_SECONDS = 120
INVITATION_SECONDS = 14 * 24 * 3600
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
REFRESH_TOKEN_SECONDS = 1800
CODE_SECONDS = 60
REALM_ROLES = ("platform_admin", "tenant_admin", "coordinator", "mentor", "mentee", "partner_staff")
ADMIN_ROLES = ("manage-realm", "manage-clients", "manage-users", "view-realm")


class DevIssuerRefused(RuntimeError):
    """The development issuer must never run in production."""


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass
class _Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    service_account_roles: tuple[str, ...] = ()
    #: Where the issuer POSTs a logout token when a session of this client ends.
    backchannel_logout_url: str | None = None


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    user: DevUser
    nonce: str | None
    challenge: str
    expires: float
    #: The issuer session the tokens will carry (the browser's, see :meth:`DevIssuer.sign_in`).
    sid: str | None = None


def _b64url_sha256(value: str) -> str:
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class DevIssuer:
    """In-memory issuer state: keys, users, clients, codes, sessions and admin objects."""

    def __init__(self, settings: Settings) -> None:
        if settings.is_production:
            raise DevIssuerRefused(
                "the development issuer refuses to run when MAKKER_ENV=production"
            )
        self.settings = settings
        self.realm = settings.realm
        self.issuer = settings.oidc_issuer
        self._lock = threading.Lock()
        self._keys: list[jwk.JWK] = []
        self.rotate_key()
        self.users: dict[str, DevUser] = {u.username: u for u in DEMO_USERS}
        base = settings.base_url
        self.clients: dict[str, _Client] = {
            settings.oidc_client_id: _Client(
                settings.oidc_client_id,
                settings.oidc_client_secret,
                redirect_uris=(f"{base}/auth/callback",),
                post_logout_redirect_uris=(f"{base}/",),
                backchannel_logout_url=f"{base}/auth/backchannel-logout",
            ),
            # The development service account of `makker tenants sync --keycloak`: the app's
            # settings carry no admin credential, so its values are the development ones.
            DEV_KEYCLOAK_ADMIN_CLIENT_ID: _Client(
                DEV_KEYCLOAK_ADMIN_CLIENT_ID,
                DEV_KEYCLOAK_ADMIN_CLIENT_SECRET,
                service_account_roles=ADMIN_ROLES,
            ),
        }
        self._codes: dict[str, _Code] = {}
        self._revoked_sessions: set[str] = set()
        #: Live sessions: sid -> (subject, client id), for back-channel logout.
        self.sessions: dict[str, tuple[str, str]] = {}
        #: Back-channel logout deliveries: (client id, HTTP status or None if unreachable).
        self.backchannel_deliveries: list[tuple[str, int | None]] = []
        #: Organization invitations not yet used: key -> (organization id, e-mail, expiry).
        self.invitations: dict[str, tuple[str, str, float]] = {}
        #: The development mailbox: what Keycloak would have e-mailed (to, organization, link).
        self.mailbox: list[dict[str, str]] = []
        # Admin REST objects (organizations, clients, roles), in memory.
        self.organizations: dict[str, dict[str, Any]] = {}
        self.admin_clients: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, dict[str, Any]] = {
            name: {
                "id": str(uuid.uuid4()),
                "name": name,
                "composite": False,
                "clientRole": False,
                "containerId": self.realm,
            }
            for name in REALM_ROLES
        }

    # -- keys ---------------------------------------------------------------------------------
    def rotate_key(self) -> str:
        """Add a new signing key and sign with it from now on; old keys stay published."""
        key = jwk.JWK.generate(kty="RSA", size=2048, kid=uuid.uuid4().hex, alg="RS256", use="sig")
        with self._lock:
            self._keys.append(key)
        return str(key.get("kid"))

    def remove_key(self, kid: str) -> None:
        """Stop publishing ``kid``: tokens signed with it must then be rejected."""
        with self._lock:
            self._keys = [k for k in self._keys if k.get("kid") != kid]

    @property
    def current_key(self) -> jwk.JWK:
        return self._keys[-1]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.export_public(as_dict=True) for k in self._keys]}

    def sign(self, claims: dict[str, Any], key: jwk.JWK | None = None) -> str:
        key = key or self.current_key
        token = jwt.JWT(header={"alg": "RS256", "typ": "JWT", "kid": key.get("kid")}, claims=claims)
        token.make_signed_token(key)
        return str(token.serialize())

    def _verify_own(self, token: str, typ: str) -> dict[str, Any]:
        keys = jwk.JWKSet()
        for k in self._keys:
            keys.add(k)
        try:
            parsed = jwt.JWT(
                jwt=token, key=keys, algs=["RS256"], check_claims={"iss": self.issuer, "exp": None}
            )
            claims: dict[str, Any] = jwt.json_decode(parsed.claims)
        except Exception as exc:  # noqa: BLE001 - any failure is an invalid token
            raise OAuthError("invalid_grant", "Token is not valid", 400) from exc
        if claims.get("typ") != typ or claims.get("sid") in self._revoked_sessions:
            raise OAuthError("invalid_grant", "Token is not valid", 400)
        return claims

    # -- tokens -------------------------------------------------------------------------------
    def organization_claim(self, user: DevUser) -> dict[str, Any]:
        """Keycloak 26 with ``addOrganizationId``: alias -> {"id": ...}."""
        claim = {}
        for alias in user.organizations:
            org = next((o for o in self.organizations.values() if o["alias"] == alias), None)
            claim[alias] = {"id": org["id"] if org else f"dev-org-{alias}"}
        return claim

    def issue_tokens(
        self, user: DevUser, client_id: str, nonce: str | None = None, sid: str | None = None
    ) -> dict[str, Any]:
        now = int(time.time())
        sid = sid or uuid.uuid4().hex
        self.sessions[sid] = (user.subject, client_id)
        common = {
            "iss": self.issuer,
            "sub": user.subject,
            "iat": now,
            "sid": sid,
            "azp": client_id,
            "preferred_username": user.username,
            "name": user.name,
        }
        if user.email:
            common |= {"email": user.email, "email_verified": True}
        access = {
            **common,
            "jti": uuid.uuid4().hex,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "typ": "Bearer",
            "aud": [self.settings.oidc_audience, "account"],
            "realm_access": {"roles": list(user.roles)},
            "organization": self.organization_claim(user),
            "scope": "openid profile email organization",
        }
        id_claims = {
            **common,
            "jti": uuid.uuid4().hex,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "typ": "ID",
            "aud": client_id,
        }
        if nonce:
            id_claims["nonce"] = nonce
        refresh = {
            "iss": self.issuer,
            "sub": user.subject,
            "iat": now,
            "sid": sid,
            "jti": uuid.uuid4().hex,
            "exp": now + REFRESH_TOKEN_SECONDS,
            "typ": "Refresh",
            "aud": self.issuer,
            "azp": client_id,
        }
        return {
            "access_token": self.sign(access),
            "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_expires_in": REFRESH_TOKEN_SECONDS,
            "refresh_token": self.sign(refresh),
            "id_token": self.sign(id_claims),
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": sid,
            "scope": "openid profile email organization",
        }

    def _client(self, client_id: str | None, secret: str | None) -> _Client:
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(client.secret, secret or ""):
            raise OAuthError(
                "unauthorized_client", "Invalid client or Invalid client credentials", 401
            )
        return client

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        client = self._client(client_id, secret)
        grant = form.get("grant_type")
        if grant == "password":
            user = self.users.get(form.get("username", ""))
            if user is None or not secrets.compare_digest(user.password, form.get("password", "")):
                raise OAuthError("invalid_grant", "Invalid user credentials", 401)
            return self.issue_tokens(user, client.client_id)
        if grant == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)
            if code is None or code.expires < time.time() or code.client_id != client.client_id:
                raise OAuthError("invalid_grant", "Code not valid")
            if form.get("redirect_uri") != code.redirect_uri:
                raise OAuthError("invalid_grant", "Incorrect redirect_uri")
            verifier = form.get("code_verifier") or ""
            if not secrets.compare_digest(_b64url_sha256(verifier), code.challenge):
                raise OAuthError("invalid_grant", "PKCE verification failed")
            return self.issue_tokens(code.user, client.client_id, nonce=code.nonce, sid=code.sid)
        if grant == "refresh_token":
            claims = self._verify_own(form.get("refresh_token", ""), "Refresh")
            user = next((u for u in self.users.values() if u.subject == claims["sub"]), None)
            if user is None or claims.get("azp") != client.client_id:
                raise OAuthError("invalid_grant", "Invalid refresh token")
            return self.issue_tokens(user, client.client_id, sid=claims["sid"])
        if grant == "client_credentials" and client.service_account_roles:
            now = int(time.time())
            access = {
                "iss": self.issuer,
                "sub": f"service-account-{client.client_id}",
                "iat": now,
                "exp": now + ACCESS_TOKEN_SECONDS,
                "jti": uuid.uuid4().hex,
                "typ": "Bearer",
                "azp": client.client_id,
                "aud": ["realm-management"],
                "resource_access": {
                    "realm-management": {"roles": list(client.service_account_roles)}
                },
            }
            return {
                "access_token": self.sign(access),
                "expires_in": ACCESS_TOKEN_SECONDS,
                "token_type": "Bearer",
                "scope": "profile email",
            }
        raise OAuthError("unsupported_grant_type", "Unsupported grant_type")

    # -- authorization endpoint ---------------------------------------------------------------
    def check_auth_request(self, params: dict[str, str]) -> _Client:
        client = self.clients.get(params.get("client_id", ""))
        if client is None or params.get("redirect_uri") not in client.redirect_uris:
            raise OAuthError("invalid_request", "Invalid parameter: redirect_uri")
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "Only response_type=code")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            raise OAuthError("invalid_request", "Missing parameter: code_challenge_method (S256)")
        return client

    def authorize(self, params: dict[str, str], username: str, password: str) -> str:
        """Check the login and return the redirect URL carrying ``code`` and ``state``."""
        return self.sign_in(params, username, password)[0]

    def sign_in(
        self, params: dict[str, str], username: str, password: str, browser_sid: str | None = None
    ) -> tuple[str, str]:
        """Check the login; return the redirect URL carrying ``code`` and ``state``, and the
        issuer session id (``sid``) for the browser's cookie. As Keycloak's SSO session: the
        browser's live session of the same user (``browser_sid``) is kept, else a new one."""
        client = self.check_auth_request(params)
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(user.password, password):
            raise OAuthError("invalid_grant", "Invalid username or password", 401)
        live = self.sessions.get(browser_sid or "")
        sid = browser_sid if browser_sid and live and live[0] == user.subject else None
        sid = sid or uuid.uuid4().hex
        code = secrets.token_urlsafe(32)
        self._codes[code] = _Code(
            client.client_id,
            params["redirect_uri"],
            user,
            params.get("nonce"),
            params["code_challenge"],
            time.time() + CODE_SECONDS,
            sid,
        )
        query = {"code": code, "session_state": sid}
        if params.get("state"):
            query["state"] = params["state"]
        return f"{params['redirect_uri']}?{urlencode(query)}", sid

    def userinfo(self, access_token: str) -> dict[str, Any]:
        claims = self._verify_own(access_token, "Bearer")
        return {k: claims[k] for k in ("sub", "preferred_username", "name") if k in claims}

    def logout(
        self, params: dict[str, str], browser_sid: str | None = None
    ) -> tuple[str | None, list[str]]:
        """End the session named by the id_token_hint or refresh_token, and the browser's own
        session (``browser_sid``, from its cookie) if it is live, as Keycloak ends the browser's
        SSO session; return where to go and the ended session ids (for
        :meth:`send_backchannel_logout`) - none when there was nothing to end."""
        ended: list[str] = []
        if browser_sid and browser_sid in self.sessions:
            self._revoked_sessions.add(browser_sid)
            ended.append(browser_sid)
        for field_name, typ in (("id_token_hint", "ID"), ("refresh_token", "Refresh")):
            token = params.get(field_name)
            if token:
                with contextlib.suppress(OAuthError):
                    sid = self._verify_own(token, typ)["sid"]
                    self._revoked_sessions.add(sid)
                    if sid not in ended:
                        ended.append(sid)
        target = params.get("post_logout_redirect_uri")
        allowed = {u for c in self.clients.values() for u in c.post_logout_redirect_uris}
        return (target if target in allowed else None), ended

    def logout_user(self, subject: str) -> list[str]:
        """End every session of the user ``subject`` (Keycloak's admin "sign out"); return the
        ended session ids."""
        ended = [sid for sid, (sub, _client) in self.sessions.items() if sub == subject]
        self._revoked_sessions.update(ended)
        return ended

    def logout_token(
        self, client_id: str, sub: str | None, sid: str | None, **overrides: Any
    ) -> str:
        """A signed back-channel logout token, as Keycloak sends one; ``overrides`` replace or
        (with the value ``None``) remove claims - tests use them to make bad tokens."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_SECONDS,
            "jti": uuid.uuid4().hex,
            "typ": "Logout",
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        if sub is not None:
            claims["sub"] = sub
        if sid is not None:
            claims["sid"] = sid
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return self.sign(claims)

    async def send_backchannel_logout(self, sids: list[str]) -> None:
        """POST a logout token (``sub`` and ``sid``) for each ended session to its client's
        back-channel logout URL. A failed delivery is logged and noted, as Keycloak does: the
        session has ended here either way."""
        for sid in sids:
            known = self.sessions.pop(sid, None)
            if known is None:
                continue
            subject, client_id = known
            client = self.clients.get(client_id)
            if client is None or not client.backchannel_logout_url:
                continue
            token = self.logout_token(client_id, subject, sid)
            try:
                async with httpx.AsyncClient(timeout=5) as http:
                    answer = await http.post(
                        client.backchannel_logout_url, data={"logout_token": token}
                    )
                status: int | None = answer.status_code
            except httpx.HTTPError as exc:
                log.warning("back-channel logout to %s failed: %s", client_id, type(exc).__name__)
                status = None
            self.backchannel_deliveries.append((client_id, status))

    # -- organization invitations (Keycloak 26: organizations/{id}/members/invite-...) --------
    def user_representation(self, user: DevUser) -> dict[str, Any]:
        return {
            "id": user.subject,
            "username": user.username,
            "email": user.email or None,
            "emailVerified": bool(user.email),
            "enabled": True,
            "firstName": user.name,
        }

    def find_users(self, email: str | None, exact: bool) -> list[DevUser]:
        """Keycloak's ``GET users?email=..&exact=..`` (e-mail addresses compared lower-case)."""
        users = list(self.users.values())
        if email is None:
            return users
        wanted = email.strip().lower()
        if exact:
            return [u for u in users if u.email and u.email == wanted]
        return [u for u in users if u.email and wanted in u.email]

    def invite(self, org_id: str, email: str) -> None:
        """Put an invitation link to ``org_id`` for ``email`` in the development mailbox, as
        Keycloak's invite-user / invite-existing-user e-mail it."""
        org = self.organizations.get(org_id)
        if org is None:
            raise OAuthError("not_found", "Organization not found", 404)
        if not email or "@" not in email:
            raise OAuthError("invalid_request", "Invalid email", 400)
        key = secrets.token_urlsafe(24)
        address = email.strip().lower()
        self.invitations[key] = (org_id, address, time.time() + INVITATION_SECONDS)
        link = f"{self.issuer}/login-actions/action-token?key={key}"
        self.mailbox.append({"to": address, "organization": str(org["name"]), "link": link})

    def invitation(self, key: str) -> tuple[dict[str, Any], str, DevUser | None]:
        """The organization, address and existing user (if any) of an unused invitation."""
        found = self.invitations.get(key)
        if found is None or found[2] < time.time() or found[0] not in self.organizations:
            raise OAuthError("invalid_request", "The invitation is not valid", 400)
        org_id, address, _expires = found
        users = self.find_users(address, exact=True)
        return self.organizations[org_id], address, (users[0] if users else None)

    def accept_invitation(self, key: str, name: str, password: str) -> str:
        """Join the organization (a new user is created with ``name`` and ``password``, its
        address verified by the link) and return where to go: the organization's
        ``redirectUrl``, else Makker's invitation page of the tenant."""
        org, address, user = self.invitation(key)
        alias = str(org["alias"])
        if user is None:
            if not name.strip() or not password:
                raise OAuthError("invalid_request", "Name and password are required", 400)
            user = DevUser(address, name.strip(), (), (alias,), password=password, email=address)
        elif alias not in user.organizations:
            user = dataclasses.replace(user, organizations=(*user.organizations, alias))
        self.users[user.username] = user
        del self.invitations[key]
        redirect = org.get("redirectUrl")
        return str(redirect) if redirect else f"{self.settings.base_url}/t/{alias}/invitation"

    def check_admin_token(self, authorization: str | None) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise OAuthError("unauthorized", "HTTP 401 Unauthorized", 401)
        claims = self._verify_own(authorization.removeprefix("Bearer "), "Bearer")
        roles = claims.get("resource_access", {}).get("realm-management", {}).get("roles", [])
        if "manage-realm" not in roles:
            raise OAuthError("forbidden", "HTTP 403 Forbidden", 403)

    def discovery(self) -> dict[str, Any]:
        base = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/auth",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": f"{base}/certs",
            "grant_types_supported": [
                "authorization_code",
                "password",
                "refresh_token",
                "client_credentials",
            ],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email", "organization"],
        }
