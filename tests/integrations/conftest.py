"""Fixtures for the LangChain and LlamaIndex adapter tests (missing packages: ``tests/strict_mode.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from biology_notes import biology_colony

from phago import Colony


@pytest.fixture
def colony() -> Iterator[Colony]:
    with biology_colony() as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
