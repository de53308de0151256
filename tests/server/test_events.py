"""The live event stream: snapshot on connect, colony events, and slow clients that never block the colony."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from phago.config import Settings
from phago.events import AgentDied, TickCompleted
from phago.server import create_app
from phago.server.hub import EventHub, Subscription, encode, event_type


def test_event_encoding() -> None:
    assert event_type(TickCompleted(1, 2, 3, 4, 5, 6)) == "tick_completed"
    assert encode(AgentDied(7, 3, "digester", "forced")) == (
        '{"type":"agent_died","tick":7,"agent_id":3,"kind":"digester","cause":"forced"}'
    )


def test_a_full_queue_drops_the_oldest_and_counts() -> None:
    async def scenario() -> tuple[list[str], int, int]:
        sub = Subscription(asyncio.get_running_loop(), maxsize=3)
        for i in range(10):
            sub.push(str(i))
        items, dropped = await sub.next_batch()
        return items, dropped, sub.dropped

    items, dropped, total = asyncio.run(scenario())
    assert items == ["7", "8", "9"] and dropped == 7 and total == 7


def test_publishing_from_other_threads_never_waits_for_the_reader() -> None:
    async def scenario() -> tuple[int, int, int]:
        hub = EventHub(queue_size=5)
        drops: list[int] = []
        hub_with_counter = EventHub(queue_size=5, on_drop=drops.append)
        sub = hub_with_counter.subscribe(asyncio.get_running_loop())
        del hub

        def producer() -> None:
            for t in range(1000):
                hub_with_counter.publish(TickCompleted(t, 0, 0, 0, 0, 0))

        thread = threading.Thread(target=producer)
        thread.start()
        thread.join(timeout=10)  # nobody reads meanwhile: publishing must still finish
        assert not thread.is_alive()
        items, dropped = await sub.next_batch()
        return len(items), dropped, sum(drops)

    kept, dropped, counted = asyncio.run(scenario())
    assert kept == 5 and dropped == 995 and counted == 995


def test_snapshot_then_events(client: TestClient) -> None:
    with client.websocket_connect("/ws/events") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot" and snap["stats"]["documents"] == 0 and snap["queue_size"] == 1000
        doc = client.post("/api/documents", json={"text": "Kinases phosphorylate proteins. Kinases signal."}).json()
        doc_id = doc["ids"][0]
        assert ws.receive_json() == {"type": "document_ingested", "tick": 0, "document_id": doc_id,
                                     "title": "Kinases phosphorylate proteins. Kinases signal.", "passages": 1}
        client.post("/api/run", json={"ticks": 3})
        seen = [ws.receive_json() for _ in range(3)]
        kinds = {m["type"] for m in seen}
        assert "tick_completed" in kinds
        ws.send_text("ping")
        while (m := ws.receive_json())["type"] != "pong":
            pass
        client.delete(f"/api/documents/{doc_id}")
        while (m := ws.receive_json())["type"] != "document_forgotten":
            pass
        assert m["document_id"] == doc_id
        agent = client.get("/api/agents").json()[0]["id"]
        client.post(f"/api/agents/{agent}/apoptosis")
        while (m := ws.receive_json())["type"] != "agent_died":
            pass
        assert m["agent_id"] == agent and m["cause"] == "forced"
        ws.send_text("snapshot")
        while (m := ws.receive_json())["type"] != "snapshot":
            pass
        assert m["stats"]["deaths"] == {"forced": 1}


def test_a_slow_client_loses_events_not_ticks(
    tmp_path: Path, settings_for: Callable[..., Settings], corpus: Callable[..., list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client whose delivery is stalled for a whole 60-tick run: the run completes anyway, the client's
    queue keeps only the newest 4 events, and received + reported-dropped adds up to what was published."""
    released = threading.Event()
    original = Subscription.next_batch

    async def stalled(self: Subscription) -> tuple[list[str], int]:
        await asyncio.get_running_loop().run_in_executor(None, released.wait)
        return await original(self)

    monkeypatch.setattr(Subscription, "next_batch", stalled)
    settings = settings_for(tmp_path, **{"server.event_queue_size": 4})
    with TestClient(create_app(settings, auth=False)) as client, client.websocket_connect("/ws/events") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        client.post("/api/documents/batch", json={"documents": [{"text": t} for t in corpus(12)]})
        assert client.post("/api/run", json={"ticks": 60}).json()["ticks"] == 60  # not blocked by the client
        hub = client.app.state.phago.tenants.get("default").hub  # type: ignore[attr-defined]
        published = hub.published
        released.set()
        first = ws.receive_json()
        assert first == {"type": "dropped", "count": published - 4, "total": published - 4}
        kept = [ws.receive_json() for _ in range(4)]
        assert [m["type"] for m in kept][-1] == "tick_completed" and kept[-1]["tick"] == 60
        metrics = client.get("/metrics").text
        assert f"phago_ws_events_dropped_total {float(published - 4)}" in metrics
