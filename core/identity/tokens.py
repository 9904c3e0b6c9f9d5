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

When the issuer cannot be reached (:mod:`core.identity.issuer`), a token signed with a cached
key is still validated for up to ``max_stale`` seconds after the last successful fetch;
anything that needs a fetch raises :class:`IssuerUnavailable` (503 with ``Retry-After``), and
the issuer is not asked again until its back-off has passed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

from jwcrypto import jwk
from keycloak import KeycloakOpenID

from core.identity.issuer import (
    IssuerHealth,
    IssuerUnavailable,
    call_issuer,
    use_short_keepalive,
)
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
        max_stale: float = 900.0,
        timeout: int = 5,
    ) -> None:
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.allowed_azp = {settings.oidc_client_id}
        self.leeway = leeway
        self.refresh_interval = refresh_interval
        #: Keys are re-fetched after this many seconds even when no new kid appears, so a key
        #: the issuer stopped publishing is rejected within ``max_age``.
        self.max_age = max_age
        #: While the issuer cannot be reached, cached keys are used for this long after the
        #: last successful fetch (access tokens live minutes; a longer outage is a 503).
        self.max_stale = max_stale
        self.openid = KeycloakOpenID(
            server_url=settings.oidc_server_url,
            realm_name=settings.realm,
            client_id=settings.oidc_client_id,
            client_secret_key=settings.oidc_client_secret,
            timeout=timeout,
        )
        use_short_keepalive(self.openid, timeout)
        #: Back-off after a failed call to the issuer (shared with the sign-in pages).
        self.health = IssuerHealth(settings.oidc_issuer)
        self._keys: jwk.JWKSet | None = None
        self._kids: set[str] = set()
        self._last_refresh = float("-inf")
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    async def _refresh(self) -> None:
        """Fetch the issuer's keys. Any failure (unreachable, a 5xx, an answer that is not a
        key set) is noted - one warning line, then back-off - and raises
        :class:`IssuerUnavailable`: without keys no token can be checked."""
        try:
            certs = await call_issuer(self.openid.a_certs)
            keys = jwk.JWKSet()
            kids = set()
            for cert in certs.get("keys", []):
                if cert.get("kty") == "RSA" and cert.get("use", "sig") == "sig":
                    keys.add(jwk.JWK(**cert))
                    kids.add(cert["kid"])
        except Exception as exc:  # noqa: BLE001 - see the docstring
            raise self.health.failed("fetching the signing keys (JWKS)", exc) from None
        self.health.succeeded()
        self._keys, self._kids = keys, kids
        self._last_refresh = time.monotonic()
        self.refresh_count += 1

    def _stale_usable(self, kid: str) -> bool:
        """May the cached keys stand in for a fetch while the issuer is unreachable?"""
        age = time.monotonic() - self._last_refresh
        return self._keys is not None and kid in self._kids and age < self.max_stale

    async def _keys_for(self, kid: str) -> jwk.JWKSet:
        """The keys that can check a token signed with ``kid``."""
        async with self._lock:
            age = time.monotonic() - self._last_refresh
            unknown_kid = kid not in self._kids and age >= self.refresh_interval
            if self._keys is None or unknown_kid or age >= self.max_age:
                if self.health.backing_off():
                    if not self._stale_usable(kid):
                        raise self.health.unavailable()
                else:
                    try:
                        await self._refresh()
                    except IssuerUnavailable:
                        if not self._stale_usable(kid):
                            raise
        if kid not in self._kids or self._keys is None:
            raise InvalidToken("unknown signing key")
        return self._keys

    async def ensure_reachable(self) -> None:
        """Before sending a browser to the issuer: raise :class:`IssuerUnavailable` when it is
        known to be down, or when fetching keys that are due fails (fresh keys: no call)."""
        if self.health.backing_off():
            raise self.health.unavailable()
        async with self._lock:
            if self._keys is None or time.monotonic() - self._last_refresh >= self.max_age:
                await self._refresh()

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
