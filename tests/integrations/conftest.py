"""Fixtures for the LangChain and LlamaIndex adapter tests.

The rule for missing components is the MCP tests' (``tests/mcp/strict_mode.py``): skip with a reason
locally, fail when ``PHAGO_STRICT_TESTS=1``. It is loaded here by path and registered as ``strict_mode``
so test modules import it the same way in both folders.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from biology_notes import biology_colony

from phago import Colony

if "strict_mode" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("strict_mode", Path(__file__).parents[1] / "mcp" / "strict_mode.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["strict_mode"] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def colony() -> Iterator[Colony]:
    with biology_colony() as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
