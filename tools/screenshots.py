"""Phone screenshots of Makker's main pages, from the demo, for ``docs/screenshots/``.

    python tools/screenshots.py [--out docs/screenshots]

Starts ``makker demo`` on a fresh SQLite database in a temporary directory, signs in through the
development identity provider as the demo users a real municipality would have (coordinator,
mentor, citizen, partner), and saves each page at 390 x 844 CSS pixels (an iPhone 12-15 class
phone; device scale 1 keeps the files small) as PNG. Needs Chromium at ``/usr/bin/chromium``
and the ``test`` extra (Playwright). The pages and who sees them are listed in :data:`SHOTS`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.async_api import async_playwright

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}

#: (file name, demo user or None for anonymous, path, what is shown): in this order.
SHOTS: list[tuple[str, str | None, str, str]] = [
    ("01-forside.png", None, "/", "The front page before signing in"),
    ("02-log-ind.png", None, "/auth/login", "Signing in (development identity provider)"),
    ("03-koordinator-forside.png", "kolding-koordinator", "/t/kolding/", "Kolding's front page"),
    ("04-deltagere.png", "kolding-koordinator", "/t/kolding/deltagere/", "Participants"),
    ("05-ny-person-fejl.png", "kolding-koordinator", "/t/kolding/deltagere/ny", "Form errors"),
    ("06-forloeb.png", "kolding-koordinator", "/t/kolding/forloeb/", "Forløb, filtered"),
    ("07-opmaerksomhed.png", "kolding-koordinator", "/t/kolding/forloeb/opmaerksomhed", "Care"),
    ("08-hold.png", "kolding-koordinator", "/t/kolding/hold/", "Mentor courses"),
    ("09-matchning.png", "vejle-koordinator", "/t/vejle/matchning/", "Matching"),
    ("10-mit-forloeb-mentor.png", "kolding-mentor", "/t/kolding/mit/", "Mit forløb"),
    ("11-partner.png", "psykiatrifonden-medarbejder", "/t/psykiatrifonden/partnerskaber/", "-"),
    ("12-menu.png", "kolding-koordinator", "/t/kolding/", "The menu opened on a phone"),
    ("13-rapporter.png", "kolding-koordinator", "/t/kolding/rapporter/", "The report"),
    (
        "14-besparelse.png",
        "kolding-admin",
        "/t/kolding/rapporter/besparelse/borger-til-borger",
        "The savings assumptions and their history",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (localhost only)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the demo did not answer at {url} within {seconds:.0f} s")


async def _shoot(base: str, out: Path) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM)
        contexts: dict[str | None, object] = {}
        try:
            for name, user, path, _what in SHOTS:
                context = contexts.get(user)
                if context is None:
                    context = await browser.new_context(
                        viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True
                    )
                    contexts[user] = context
                    if user:
                        page = await context.new_page()  # type: ignore[attr-defined]
                        await page.goto(f"{base}/auth/login?next=/")
                        await page.click(f'button[data-user="{user}"]')
                        await page.wait_for_load_state("networkidle")
                        await page.close()
                page = await context.new_page()  # type: ignore[attr-defined]
                await page.goto(f"{base}{path}")
                if name.startswith("05-"):
                    await page.fill("#f-email", "bo@")
                    await page.click("main button[type=submit]")
                    await page.wait_for_selector(".error-summary")
                if name.startswith("12-"):
                    await page.click(".js-menu-open")
                    await page.wait_for_timeout(400)
                await page.screenshot(path=str(out / name), full_page=not name.startswith("12-"))
                await page.close()
                print(f"{name}: {path}")
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MAKKER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/demo.sqlite3"}
        server = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "demo", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait(f"http://127.0.0.1:{port}/health/ready")
            asyncio.run(_shoot(f"http://127.0.0.1:{port}", args.out))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
