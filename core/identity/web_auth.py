"""Web sign-in: authorization code + PKCE against the issuer, a server-side session, sign-out,
and the issuer's back-channel logout (:mod:`core.identity.backchannel`)."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from jwcrypto import jwt
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from core.identity.backchannel import validate_logout_token
from core.identity.issuer import IssuerUnavailable, call_issuer, is_outage
from core.identity.principal import principal_from_claims
from core.identity.sessions import (
    LOGIN_STATE_SECONDS,
    create_session,
    end_session,
    end_web_sessions,
    login_cookie_name,
    read_state,
    session_cookie_name,
    sign_state,
)
from core.identity.tokens import InvalidToken
from core.settings import Settings
from core.web.pages import safe_next
from core.web.pipeline import audits, request_context

log = logging.getLogger(__name__)

CALLBACK_PATH = "/auth/callback"


def _cookie(settings: Settings, key: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=settings.is_production,
        samesite="lax",
    )


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AuthController(Controller):
    path = "/auth"
    include_in_schema = False

    @get("/login", name="auth_login")
    async def login(
        self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None
    ) -> Redirect:
        """Send the browser to the issuer's login page with state, nonce and a PKCE challenge.

        An issuer known to be down (or whose due keys cannot be fetched) gets a Danish 503 page
        instead of a browser sent to a dead address."""
        settings: Settings = request.app.state.settings
        await request.app.state.token_validator.ensure_reachable()
        verifier, challenge = _pkce_pair()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        query = {
            "client_id": settings.oidc_client_id,
            "redirect_uri": settings.base_url + CALLBACK_PATH,
            "response_type": "code",
            "scope": "openid profile email organization",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        cookie_value = sign_state(
            settings.secret_key,
            {"state": state, "nonce": nonce, "verifier": verifier, "next": safe_next(next)},
        )
        return Redirect(
            path=f"{settings.oidc_issuer}/protocol/openid-connect/auth?{urlencode(query)}",
            status_code=303,
            cookies=[
                _cookie(settings, login_cookie_name(settings), cookie_value, LOGIN_STATE_SECONDS)
            ],
        )

    @get("/callback", name="auth_callback")
    async def callback(self, request: Request[Any, Any, Any]) -> Any:
        """Exchange the code (with the PKCE verifier), validate the tokens, start a session."""
        app = request.app
        ctx = request_context(request)
        code = request.query_params.get("code")
        state = request.query_params.get("state")
        settings: Settings = app.state.settings
        pending = read_state(settings.secret_key, request.cookies.get(login_cookie_name(settings)))
        failure = Template(
            "identity/sign_in_failed.html", status_code=400, media_type=MediaType.HTML
        )
        if (
            not pending
            or not code
            or not state
            or not secrets.compare_digest(pending["state"], state)
        ):
            ctx.audit_whatever_happens("sign_in_failed", detail={"reason": "state mismatch"})
            return failure
        validator = app.state.token_validator
        try:
            if validator.health.backing_off():
                raise validator.health.unavailable()
            try:
                tokens = await call_issuer(
                    lambda: validator.openid.a_token(
                        grant_type="authorization_code",
                        code=code,
                        redirect_uri=settings.base_url + CALLBACK_PATH,
                        code_verifier=pending["verifier"],
                    )
                )
            except Exception as exc:  # noqa: BLE001 - sorted below: outage or refusal
                if is_outage(exc):
                    raise validator.health.failed("exchanging the sign-in code", exc) from None
                raise
            claims = await validator.validate(tokens["access_token"])
            keys = await validator._keys_for(
                jwt.JWT(jwt=tokens["id_token"]).token.jose_header["kid"]
            )
            id_claims = await validator.openid.a_decode_token(
                tokens["id_token"],
                key=keys,
                algs=["RS256"],
                leeway=validator.leeway,
                check_claims={
                    "iss": settings.oidc_issuer,
                    "aud": settings.oidc_client_id,
                    "exp": None,
                    "nonce": pending["nonce"],
                },
            )
            if id_claims.get("sub") != claims.get("sub"):
                raise InvalidToken("ID token and access token name different people")
        except IssuerUnavailable:
            # 503 with Retry-After and the Danish page (core.identity.issuer); no session.
            reason = "identity provider unreachable"
            ctx.audit_whatever_happens("sign_in_failed", detail={"reason": reason})
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: no session
            reason = exc.reason if isinstance(exc, InvalidToken) else type(exc).__name__
            ctx.audit_whatever_happens("sign_in_failed", detail={"reason": reason})
            return failure
        principal = principal_from_claims(claims)
        sid = id_claims.get("sid")
        raw = await create_session(
            ctx.session,
            principal,
            tokens.get("id_token"),
            settings.session_hours,
            ctx.clock.now(),
            sid=sid if isinstance(sid, str) else None,
        )
        ctx.actor = principal
        ctx.audit("sign_in")
        target = pending["next"]
        if target == "/" and len(principal.tenants) == 1:
            target = f"/t/{next(iter(principal.tenants))}/"
        return Redirect(
            path=target,
            status_code=303,
            cookies=[
                _cookie(
                    settings, session_cookie_name(settings), raw, settings.session_hours * 3600
                ),
                _cookie(settings, login_cookie_name(settings), "", 0),
            ],
        )

    @post("/logout", name="auth_logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session here and at the issuer."""
        app = request.app
        ctx = request_context(request)
        settings: Settings = app.state.settings
        raw = request.cookies.get(session_cookie_name(settings))
        id_token = None
        if raw:
            id_token = await end_session(ctx.session, raw)
            ctx.audit("sign_out")
        query = {
            "client_id": settings.oidc_client_id,
            "post_logout_redirect_uri": settings.base_url + "/",
        }
        if id_token:
            query["id_token_hint"] = id_token
        return Redirect(
            path=f"{settings.oidc_issuer}/protocol/openid-connect/logout?{urlencode(query)}",
            status_code=303,
            cookies=[_cookie(settings, session_cookie_name(settings), "", 0)],
        )

    @post(
        "/backchannel-logout",
        name="auth_backchannel_logout",
        status_code=200,
        opt=audits("sign_out.backchannel", "sign_in"),
    )
    async def backchannel_logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """OpenID Connect Back-Channel Logout 1.0: the issuer says a session ended there.

        Form field ``logout_token`` (a JWT, :func:`validate_logout_token`). A valid token ends
        the Makker web sessions of its ``sid`` (and ``sub``, when it names both), or every
        session of its ``sub`` when it names no ``sid`` - effective at the holder's next
        request - and is answered 200; anything else is a 400 with a JSON error and ends
        nothing. Both answers say ``Cache-Control: no-store``.
        Audited with the subject (a pseudonymous id) and how many sessions ended; nothing of
        the token is logged. A refused POST writes no audit row (anybody can send one, so a
        row each would let them fill the audit log); it is logged as a warning with the reason
        only - never a claim or the token - and is in the access log."""
        app = request.app
        ctx = request_context(request)
        settings: Settings = app.state.settings
        form = await request.form()
        token = form.get("logout_token")
        no_store = {"Cache-Control": "no-store"}
        try:
            if not isinstance(token, str) or not token:
                raise InvalidToken("no logout_token")
            claims = await validate_logout_token(
                app.state.token_validator, token, settings.oidc_client_id
            )
        except InvalidToken as exc:
            log.warning("back-channel logout refused: %s", exc.reason[:120])
            return Response(
                {
                    "status_code": 400,
                    "detail": "The logout token is not valid.",
                    "error": "invalid_request",
                },
                status_code=400,
                headers=no_store,
            )
        sub, sid = claims.get("sub"), claims.get("sid")
        user_id = f"{claims['iss']}#{sub}" if sub else None
        # Both named: the session of that sid and sign-in; one named: every session of it.
        ended = await end_web_sessions(ctx.session, user_id=user_id, sid=sid)
        ctx.audit(
            object_type="sign_in",
            object_id=sub,
            detail={"sessions_ended": ended, "by": "sid" if sid else "sub"},
        )
        return Response(None, status_code=200, headers=no_store)
