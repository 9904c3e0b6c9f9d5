"""Access tokens: every kind of bad token is refused with 401; keys roll over without restart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest
from jwcrypto import jwk

from core.identity.principal import principal_from_claims
from core.identity.tokens import InvalidToken, TokenValidator


@pytest.fixture
async def setup(live, tenants):
    slug = tenants.a.slug
    live.add_user(f"coord-{slug}", ("coordinator",), (slug,))
    tokens = await live.tokens(f"coord-{slug}")
    return live, slug, tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(live, slug, **changes):
    now = int(time.time())
    claims = {
        "iss": live.settings.oidc_issuer,
        "sub": "dev-x",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "typ": "Bearer",
        "azp": "makker-web",
        "aud": ["makker-api"],
        "realm_access": {"roles": ["coordinator"]},
        "organization": [slug],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


async def _get(live, slug, token):
    async with httpx.AsyncClient() as client:
        return await client.get(
            f"{live.url}/api/v1/t/{slug}/programmes", headers={"Authorization": f"Bearer {token}"}
        )


async def _assert_401(live, slug, token):
    response = await _get(live, slug, token)
    assert (response.status_code, response.json()["detail"]) == (
        401,
        "Adgangsnøglen er ikke gyldig eller er udløbet.",
    )
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_valid_access_token_is_accepted(setup):
    live, slug, tokens = setup
    response = await _get(live, slug, tokens["access_token"])
    assert (response.status_code, response.json()) == (200, [])


async def test_no_token_is_401(setup):
    live, slug, _ = setup
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{live.url}/api/v1/t/{slug}/programmes")
    assert response.status_code == 401


async def test_expired_token_beyond_leeway_is_rejected(setup):
    live, slug, _ = setup
    now = int(time.time())
    token = live.issuer.sign(_claims(live, slug, iat=now - 400, exp=now - 30))
    await _assert_401(live, slug, token)


async def test_token_within_leeway_is_accepted(setup):
    live, slug, _ = setup
    token = live.issuer.sign(_claims(live, slug, exp=int(time.time()) - 3))
    assert (await _get(live, slug, token)).status_code == 200


async def test_nbf_in_the_future_is_rejected(setup):
    live, slug, _ = setup
    await _assert_401(live, slug, live.issuer.sign(_claims(live, slug, nbf=int(time.time()) + 120)))


async def test_another_realms_issuer_is_rejected(setup):
    live, slug, _ = setup
    other = live.settings.oidc_issuer.replace("/realms/makker", "/realms/other")
    await _assert_401(live, slug, live.issuer.sign(_claims(live, slug, iss=other)))


async def test_wrong_audience_is_rejected(setup):
    live, slug, _ = setup
    await _assert_401(live, slug, live.issuer.sign(_claims(live, slug, aud=["account"])))


async def test_wrong_authorized_party_is_rejected(setup):
    live, slug, _ = setup
    await _assert_401(live, slug, live.issuer.sign(_claims(live, slug, azp="some-other-client")))


async def test_alg_none_is_rejected(setup):
    live, slug, _ = setup
    header = _b64(
        json.dumps(
            {"alg": "none", "typ": "JWT", "kid": live.issuer.current_key.get("kid")}
        ).encode()
    )
    payload = _b64(json.dumps(_claims(live, slug)).encode())
    await _assert_401(live, slug, f"{header}.{payload}.")


async def test_hs256_signed_with_the_public_key_is_rejected(setup):
    live, slug, _ = setup
    key = live.issuer.current_key
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.get("kid")}).encode())
    payload = _b64(json.dumps(_claims(live, slug)).encode())
    public_pem = key.export_to_pem(private_key=False)
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    await _assert_401(live, slug, f"{header}.{payload}.{_b64(signature)}")


async def test_tampered_signature_is_rejected(setup):
    live, slug, tokens = setup
    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["realm_access"]["roles"] = ["platform_admin"]
    forged = _b64(json.dumps(claims).encode())
    await _assert_401(live, slug, f"{header}.{forged}.{signature}")


async def test_unknown_kid_is_rejected(setup):
    live, slug, _ = setup
    stranger = jwk.JWK.generate(kty="RSA", size=2048, kid="not-published")
    await _assert_401(live, slug, live.issuer.sign(_claims(live, slug), key=stranger))


async def test_id_token_is_not_an_access_token(setup):
    live, slug, tokens = setup
    await _assert_401(live, slug, tokens["id_token"])


async def test_refresh_token_is_not_an_access_token(setup):
    live, slug, tokens = setup
    await _assert_401(live, slug, tokens["refresh_token"])


async def test_rotated_key_is_accepted_and_removed_key_rejected(setup):
    live, slug, tokens = setup
    validator = live.app.state.token_validator
    old_key = live.issuer.current_key
    assert (await _get(live, slug, tokens["access_token"])).status_code == 200
    validator._last_refresh = float("-inf")  # the refresh rate limit has passed
    live.issuer.rotate_key()
    assert (await _get(live, slug, live.issuer.sign(_claims(live, slug)))).status_code == 200
    live.issuer.remove_key(old_key.get("kid"))
    validator._last_refresh = float("-inf")  # the cache is older than max_age
    await _assert_401(live, slug, live.issuer.sign(_claims(live, slug), key=old_key))


async def test_jwks_is_cached_and_refresh_is_rate_limited(live, tenants):
    validator = TokenValidator(live.settings, refresh_interval=60)
    slug = tenants.a.slug
    good = live.issuer.sign(_claims(live, slug))
    await validator.validate(good)
    await validator.validate(good)
    assert validator.refresh_count == 1
    stranger = jwk.JWK.generate(kty="RSA", size=2048, kid="nope")
    for _ in range(5):
        with pytest.raises(InvalidToken) as excinfo:
            await validator.validate(live.issuer.sign(_claims(live, slug), key=stranger))
        assert excinfo.value.reason == "unknown signing key"
    assert validator.refresh_count == 1  # unknown kids did not hammer the issuer


def test_organization_claim_as_list_or_map():
    base = {"iss": "i", "sub": "s", "realm_access": {"roles": ["mentor", "bogus"]}}
    as_list = principal_from_claims({**base, "organization": ["vejle"]})
    as_map = principal_from_claims({**base, "organization": {"vejle": {"id": "x"}}})
    assert as_list.tenants == as_map.tenants == frozenset({"vejle"})
    assert as_list.roles == frozenset({"mentor"})
