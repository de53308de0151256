"""``phago.__all__`` is the curated public API: sorted, and exactly what the package exports
(after httpx's ``tests/test_exported_members.py``)."""

from __future__ import annotations

import importlib.metadata
import types

import phago


def test_all_is_sorted() -> None:
    assert phago.__all__ == sorted(phago.__all__)
    assert len(set(phago.__all__)) == len(phago.__all__)


def test_all_imports_are_exported() -> None:
    # Submodules (phago.config, phago.facade, ...) become attributes of the package as a side effect of
    # being imported; they are reached as modules, not re-exported names, so they are left out here.
    included_private_members = ["__version__"]
    exported = sorted(
        name
        for name, value in vars(phago).items()
        if (not name.startswith("_") or name in included_private_members) and not isinstance(value, types.ModuleType)
    )
    assert phago.__all__ == exported


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from phago import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(phago.__all__)


def test_exported_names_resolve_and_core_names_are_present() -> None:
    for name in phago.__all__:
        assert getattr(phago, name) is not None
    assert {
        "Colony",
        "PhagoError",
        "InputError",
        "NotFound",
        "StorageError",
        "QueryResult",
        "__version__",
    } <= set(phago.__all__)


def test_version_matches_distribution_metadata() -> None:
    assert phago.__version__ == importlib.metadata.version("phago")
