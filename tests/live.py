"""A real Makker server on 127.0.0.1 in a background thread, and helpers to sign in to it.

The app's development issuer is the identity provider, reached over real HTTP through
python-keycloak, exactly as in ``makker demo``. Tests add users to the issuer in-process.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn
from keycloak import KeycloakOpenID
from litestar import Litestar

from core.app import create_app
from core.identity.dev_issuer import DevIssuer
from core.identity.dev_users import DevUser
from core.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    app: Litestar
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.settings.base_url

    @property
    def issuer(self) -> DevIssuer:
        return self.app.state.dev_issuer  # type: ignore[no-any-return]

    def add_user(self, username: str, roles: tuple[str, ...], tenants: tuple[str, ...]) -> DevUser:
        user = DevUser(username, f"Test {username}", roles, tenants, password="pw")
        self.issuer.users[username] = user
        return user

    def openid(self) -> KeycloakOpenID:
        return KeycloakOpenID(
            server_url=self.settings.oidc_server_url,
            realm_name=self.settings.realm,
            client_id=self.settings.oidc_client_id,
            client_secret_key=self.settings.oidc_client_secret,
        )

    async def tokens(self, username: str) -> dict[str, Any]:
        """Tokens for ``username`` through the password grant, over HTTP."""
        return await self.openid().a_token(username, "pw")

    async def access_token(self, username: str) -> str:
        return str((await self.tokens(username))["access_token"])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_live_server(settings: Settings) -> LiveServer:
    app = create_app(settings)
    port = int(settings.base_url.rsplit(":", 1)[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    return LiveServer(app, settings, server, thread)


async def browser_sign_in(
    client: httpx.AsyncClient, live: LiveServer, username: str, next_path: str = "/"
) -> httpx.Response:
    """Walk the authorization-code + PKCE flow like a browser; return the final redirect."""
    start = await client.get(f"{live.url}/auth/login", params={"next": next_path})
    assert start.status_code == 303
    auth_url = start.headers["location"]
    page = await client.get(auth_url)
    assert page.status_code == 200
    params = {k: v[0] for k, v in parse_qs(urlsplit(auth_url).query).items()}
    form = {**params, "username": username, "password": "pw"}
    submitted = await client.post(auth_url.split("?")[0], data=form)
    assert submitted.status_code == 303, submitted.text
    return await client.get(submitted.headers["location"])


def csrf_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return unescape(match[1])


#: One TLS context for every test client: building one per client costs ~50 ms (certifi).
_TLS = httpx.create_ssl_context()
#: Idle connections are dropped before uvicorn's 5 s keep-alive, which would race a reuse.
KEEPALIVE = httpx.Limits(keepalive_expiry=2)


def client_for(live: LiveServer, **kwargs: Any) -> httpx.AsyncClient:
    """An HTTP client for the live server (cheap to make: the TLS context is shared)."""
    return httpx.AsyncClient(base_url=live.url, verify=_TLS, **kwargs)
