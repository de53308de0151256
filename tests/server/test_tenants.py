"""Tenant bookkeeping: tenant files, and the budget that keeps community detection off the hot path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from phago import Colony
from phago.config import Settings
from phago.errors import InputError, NotFound
from phago.server.hub import EventHub
from phago.server.tenants import COMMUNITY_MIN_INTERVAL, Tenant, Tenants


def test_tenant_files_and_names(tmp_path: Path, settings_for: Callable[..., Settings]) -> None:
    multi = Tenants(settings_for(tmp_path), data_dir=tmp_path / "d", default_db=None)
    assert multi.path_for("team-a") == tmp_path / "d" / "tenants" / "team-a.db"
    with pytest.raises(InputError, match="invalid tenant name"):
        multi.path_for("../etc")
    single = Tenants(settings_for(tmp_path), data_dir=tmp_path / "d", default_db=tmp_path / "one.db")
    assert single.path_for("default") == tmp_path / "one.db"
    with pytest.raises(NotFound):
        single.path_for("other")
    assert single.get("default") is single.get("default")
    single.close()
    multi.close()


def test_communities_are_recomputed_within_a_time_budget(corpus: Callable[..., list[str]]) -> None:
    now = [100.0]
    colony = Colony()
    for text in corpus(12):
        colony.ingest(text)
    colony.digest()
    tenant = Tenant("t", colony, EventHub(10), clock=lambda: now[0])
    first = tenant.communities()
    assert first.modularity is not None and first.membership
    assert tenant.communities() is first  # nothing changed
    colony.run(3)  # the graph changes (events bump the version) ...
    assert tenant.communities() is first  # ... but too soon to recompute
    now[0] += COMMUNITY_MIN_INTERVAL + 0.1
    second = tenant.communities()
    assert second is not first and second.version == tenant.version
    assert tenant.view().community == second.membership
    tenant.close()
