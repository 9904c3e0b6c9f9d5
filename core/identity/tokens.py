"""Access-token validation with python-keycloak, hardened.

python-keycloak alone fetches the keys on every call and checks only signature and expiry, so a
token of another realm passes. Here:

* the JWKS is cached; it is refreshed when a token names an unknown ``kid`` - at most once per
  ``refresh_interval`` seconds, so garbage tokens cannot make us hammer the issuer - and when
  the cache is older than ``max_age``, so a removed key stops working;
* the header must say ``alg: RS256`` (no ``none``, no HS256 signed with the public key);
* ``iss`` must be our realm, ``aud`` must contain our audience, ``azp`` must be an allowed client,
  ``exp`` is checked with a small leeway and a future ``nbf`` is refused;
* ``typ`` must be ``Bearer``: an ID token or a refresh token is not an access token.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from jwcrypto import jwk
from keycloak import KeycloakOpenID

from core.settings import Settings

ALLOWED_ALGORITHMS = ["RS256"]


class InvalidToken(Exception):
    """The token is not acceptable. ``reason`` is for the audit log; clients see a fixed text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".")[0]
        padded = segment + "=" * (-len(segment) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
    except Exception as exc:  # noqa: BLE001 - anything unparsable is simply invalid
        raise InvalidToken("malformed token") from exc
    if not isinstance(header, dict):
        raise InvalidToken("malformed token")
    return header


class TokenValidator:
    """Validates Keycloak access tokens for one realm and audience."""

    def __init__(
        self,
        settings: Settings,
        *,
        leeway: int = 10,
        refresh_interval: float = 5.0,
        max_age: float = 300.0,
    ) -> None:
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.allowed_azp = {settings.oidc_client_id}
        self.leeway = leeway
        self.refresh_interval = refresh_interval
        #: Keys are re-fetched after this many seconds even when no new kid appears, so a key
        #: the issuer stopped publishing is rejected within ``max_age``.
        self.max_age = max_age
        self.openid = KeycloakOpenID(
            server_url=settings.oidc_server_url,
            realm_name=settings.realm,
            client_id=settings.oidc_client_id,
            client_secret_key=settings.oidc_client_secret,
            timeout=10,
        )
        self._keys: jwk.JWKSet | None = None
        self._kids: set[str] = set()
        self._last_refresh = float("-inf")
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    async def _refresh(self) -> None:
        certs = await self.openid.a_certs()
        keys = jwk.JWKSet()
        kids = set()
        for cert in certs.get("keys", []):
            if cert.get("kty") == "RSA" and cert.get("use", "sig") == "sig":
                keys.add(jwk.JWK(**cert))
                kids.add(cert["kid"])
        self._keys, self._kids = keys, kids
        self._last_refresh = time.monotonic()
        self.refresh_count += 1

    async def _keys_for(self, kid: str) -> jwk.JWKSet:
        async with self._lock:
            age = time.monotonic() - self._last_refresh
            unknown_kid = kid not in self._kids and age >= self.refresh_interval
            if self._keys is None or unknown_kid or age >= self.max_age:
                await self._refresh()
        if kid not in self._kids or self._keys is None:
            raise InvalidToken("unknown signing key")
        return self._keys

    async def validate(self, token: str) -> dict[str, Any]:
        """Return the claims of a valid access token, else raise :class:`InvalidToken`."""
        header = _header(token)
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise InvalidToken(f"algorithm not allowed: {header.get('alg')!r}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("no key id")
        keys = await self._keys_for(kid)
        try:
            claims: dict[str, Any] = await self.openid.a_decode_token(
                token,
                key=keys,
                algs=ALLOWED_ALGORITHMS,
                leeway=self.leeway,
                check_claims={"iss": self.issuer, "aud": self.audience, "exp": None},
            )
        except Exception as exc:  # noqa: BLE001 - jwcrypto raises many types
            raise InvalidToken(f"rejected: {type(exc).__name__}") from exc
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and nbf > time.time() + self.leeway:
            raise InvalidToken("not valid yet (nbf)")
        if claims.get("typ") != "Bearer":
            raise InvalidToken(f"not an access token (typ {claims.get('typ')!r})")
        if claims.get("azp") not in self.allowed_azp:
            raise InvalidToken("token was issued to another client (azp)")
        return claims
