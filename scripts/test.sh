#!/usr/bin/env bash
# Install everything the test suite needs, then run it (lint, types, tests).
# Used by the README and by .ci/run. As root (CI), it also installs the Debian packages the browser
# tests need; elsewhere, install them yourself (`apt-get install chromium chromium-driver`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium for the dashboard's browser test (Playwright drives it; never `playwright install`).
if [ "$(id -u)" = 0 ] && ! command -v chromium >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi

python -m pip install --quiet --upgrade pip >/dev/null
python -m pip install --quiet -e '.[dev,bench,server,mcp,langchain,llamaindex,embeddings]'
# The MCP conformance suite (npm; pinned, installed into artifacts/, run offline by the tests).
if command -v npm >/dev/null; then
    bash tests/mcp/install_conformance.sh >/dev/null
else
    echo "npm not found: the MCP conformance test will skip (and fail under PHAGO_STRICT_TESTS=1)"
fi

python -m ruff check src tests bench
python -m mypy
python -m pytest -q -p no:cacheprovider "$@"
