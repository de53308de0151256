"""The one rule for components a machine may lack (an extra, Chromium, the npm conformance suite): a test
that needs one skips with the reason locally; with ``PHAGO_STRICT_TESTS=1`` (as CI sets it) the same absence
fails the test.

``tests/`` is on ``sys.path`` (pytest puts the folder of the top-level ``conftest.py`` there), so any test
module or conftest imports this by its name: ``from strict_mode import require``.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

STRICT = os.environ.get("PHAGO_STRICT_TESTS") == "1"


def require(available: bool, reason: str) -> None:
    """Skip (or, in strict mode, fail) the calling test unless ``available``."""
    if available:
        return
    if STRICT:
        pytest.fail(f"PHAGO_STRICT_TESTS=1 and a required component is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def require_module(name: str, install: str) -> ModuleType:
    """Import ``name`` for a whole test module, or skip the module (fail it in strict mode)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        reason = f"{name} is not installed ({install})"
        if STRICT:
            pytest.fail(f"PHAGO_STRICT_TESTS=1 and a required component is missing: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
        raise  # unreachable: skip raises
