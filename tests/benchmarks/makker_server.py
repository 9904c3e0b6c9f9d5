"""Makker as a real server for the benchmarks: ``python -m tests.benchmarks.makker_server``.

The app is built by :func:`core.app.create_app` from the ``MAKKER_*`` environment exactly as
``makker serve`` builds it, and served by one uvicorn worker on 127.0.0.1. In development mode the
embedded issuer gets one coordinator per tenant in ``BENCH_TENANTS`` (comma-separated slugs):
``bench-<slug>``, password ``pw``, member of that tenant only.
"""

from __future__ import annotations

import argparse
import os

import uvicorn

from core.app import create_app
from core.identity.dev_users import DevUser
from core.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings(default_env="development")  # the embedded issuer's users
    app = create_app(settings)
    issuer = app.state.dev_issuer
    for slug in filter(None, os.environ.get("BENCH_TENANTS", "").split(",")):
        username = f"bench-{slug}"
        issuer.users[username] = DevUser(
            username, f"Benchmark {slug}", ("coordinator",), (slug,), password="pw"
        )
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, workers=1, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
