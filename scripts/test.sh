#!/usr/bin/env bash
# Install everything the test suite needs, then run it (lint, types, tests).
# Used by the README and by .ci/run. As root (CI), it also installs the Debian packages the browser
# tests need; elsewhere, install them yourself (`apt-get install chromium chromium-driver`).
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --upgrade pip >/dev/null
python -m pip install --quiet -e '.[dev,bench]'

python -m ruff check src tests bench
python -m mypy
python -m pytest -q -p no:cacheprovider "$@"
