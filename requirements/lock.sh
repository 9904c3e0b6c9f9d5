#!/bin/sh
# Makes the lock files from pyproject.toml (and build.in), with a hash for every file:
#   runtime.txt  the app's dependencies            (deploy/Dockerfile: pip --require-hashes)
#   dev.txt      + the test and dev extras           (.ci/run, developers)
#   build.txt    what building the wheel needs       (deploy/Dockerfile's build stage)
# Pins already in a lock file are kept while they satisfy pyproject.toml; to move to newer
# releases: requirements/lock.sh --upgrade (or --upgrade-package NAME), then run the tests.
# uv comes with the dev extra (pip install -e '.[dev]'); docs/deploy.md says why uv.
set -eu
cd "$(dirname "$0")/.."
common="--universal --python-version 3.11 --generate-hashes --no-header --quiet"
uv pip compile $common "$@" pyproject.toml -o requirements/runtime.txt
uv pip compile $common "$@" pyproject.toml --extra test --extra dev -o requirements/dev.txt
uv pip compile $common "$@" requirements/build.in -o requirements/build.txt
