#!/usr/bin/env bash
# Install the MCP project's conformance suite for tests/mcp/test_mcp_conformance.py (network: npm registry).
#
# The suite needs Node.js >= 22; npm's `node` package ships that runtime as a registry package, so it is
# installed beside the suite and the test runs both offline. Target folder: $PHAGO_MCP_CONFORMANCE_DIR,
# default artifacts/mcp-conformance in the repository (ignored by git).
set -euo pipefail

CONFORMANCE_VERSION=0.1.16
NODE_VERSION=22.23.3

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${PHAGO_MCP_CONFORMANCE_DIR:-$repo/artifacts/mcp-conformance}"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "node@$NODE_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION"
"$dir/node_modules/.bin/node" "$dir/node_modules/.bin/conformance" --version
