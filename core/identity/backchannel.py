"""OpenID Connect Back-Channel Logout 1.0: the logout token and what it ends.

Keycloak (and the development issuer) POSTs ``logout_token`` to ``/auth/backchannel-logout``
when a sign-in's session ends there (logout elsewhere, an administrator signing the user out, a
session expiring). The token is a JWT signed by the issuer; it is checked as the specification
says (section 2.6), with the access tokens' key cache and back-off
(:class:`core.identity.tokens.TokenValidator`):

* ``alg`` RS256 and a known ``kid`` (keys fetched as for access tokens; an unreachable issuer is
  a 503 with ``Retry-After``, not a 400);
* ``iss`` is our realm, ``aud`` contains our client id, ``iat`` and ``exp`` are present and
  ``exp`` has not passed (small leeway), ``iat`` is not in the future, ``jti`` is present;
* ``events`` is a JSON object with the member
  ``http://schemas.openid.net/event/backchannel-logout`` whose value is a JSON object;
* it names ``sub`` or ``sid`` (or both) and carries no ``nonce`` (so an ID token is refused).

A replayed token only ends sessions that are already ended, so ``jti`` is not remembered.
"""

from __future__ import annotations

import time
from typing import Any

from core.identity.tokens import ALLOWED_ALGORITHMS, InvalidToken, TokenValidator, _header

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


async def validate_logout_token(
    validator: TokenValidator, token: str, client_id: str
) -> dict[str, Any]:
    """The claims of a valid logout token for ``client_id``.

    :raises InvalidToken: the token is not one (``reason`` for the audit log, never a claim).
    :raises IssuerUnavailable: its keys are needed and the issuer cannot be reached."""
    header = _header(token)
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise InvalidToken(f"algorithm not allowed: {header.get('alg')!r}")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidToken("no key id")
    keys = await validator._keys_for(kid)
    try:
        claims: dict[str, Any] = await validator.openid.a_decode_token(
            token,
            key=keys,
            algs=ALLOWED_ALGORITHMS,
            leeway=validator.leeway,
            # None: the claim must be there; exp is also checked against the clock.
            check_claims={
                "iss": validator.issuer,
                "aud": client_id,
                "exp": None,
                "iat": None,
                "jti": None,
            },
        )
    except Exception as exc:  # noqa: BLE001 - jwcrypto raises many types
        raise InvalidToken(f"rejected: {type(exc).__name__}") from exc
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > time.time() + validator.leeway:
        raise InvalidToken("issued in the future (iat)")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise InvalidToken("no back-channel logout event")
    if "nonce" in claims:
        raise InvalidToken("a logout token carries no nonce")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not (isinstance(sub, str) and sub) and not (isinstance(sid, str) and sid):
        raise InvalidToken("names neither sub nor sid")
    for name in ("sub", "sid"):
        if name in claims and not isinstance(claims[name], str):
            raise InvalidToken(f"{name} is not a string")
    return claims
