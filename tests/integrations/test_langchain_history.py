"""``phago.integrations.langchain.PhagoChatMessageHistory``: turns kept as memories per session.

langchain-tests has no standard suite for chat message histories; these tests check the
``BaseChatMessageHistory`` contract (add, read back exactly, clear, async variants) and Phago's
additions (sessions kept apart, persistence, relevant turns)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strict_mode import require_module

require_module("langchain_core", "pip install 'phago[langchain]'")

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage  # noqa: E402

from phago import Colony, InputError  # noqa: E402
from phago.integrations.langchain import PhagoChatMessageHistory  # noqa: E402

pytestmark = pytest.mark.anyio

CONVERSATION = [
    SystemMessage("You are a biology tutor."),
    HumanMessage("What do mitochondria produce?"),
    AIMessage("Mitochondria produce ATP by oxidative phosphorylation.", additional_kwargs={"model": "fake"}),
    HumanMessage("And what do chloroplasts do?"),
    AIMessage("Chloroplasts capture light energy for photosynthesis."),
]


def test_messages_come_back_exactly_and_in_order(colony: Colony) -> None:
    history = PhagoChatMessageHistory(colony, "s1")
    assert history.messages == []
    history.add_messages(CONVERSATION[:2])
    history.add_message(CONVERSATION[2])
    history.add_user_message(CONVERSATION[3].text)
    history.add_ai_message(CONVERSATION[4].text)
    assert history.messages == CONVERSATION


def test_turns_are_memories_with_session_metadata(colony: Colony) -> None:
    before = len(colony.documents())
    history = PhagoChatMessageHistory(colony, "tutoring")
    history.add_messages(CONVERSATION)
    turns = [d for d in colony.documents() if d.metadata.get("session_id") == "tutoring"]
    assert len(colony.documents()) == before + len(CONVERSATION)
    assert sorted((d.metadata["turn"], d.metadata["role"]) for d in turns) == [
        (1, "system"),
        (2, "human"),
        (3, "ai"),
        (4, "human"),
        (5, "ai"),
    ]
    assert {d.source for d in turns} == {"chat:tutoring"}
    hits = colony.query("chloroplasts light", k=10)
    assert any(h.document_id in {d.id for d in turns} for h in hits)


def test_repeated_and_empty_messages_are_separate_turns(colony: Colony) -> None:
    history = PhagoChatMessageHistory(colony, "s1")
    other = PhagoChatMessageHistory(colony, "s2")
    other.add_user_message("ok")
    messages = [HumanMessage("ok"), AIMessage("ok"), HumanMessage("ok"), AIMessage(""), HumanMessage("?")]
    history.add_messages(messages)
    assert history.messages == messages
    assert other.messages == [HumanMessage("ok")]


def test_clear_forgets_this_session_only(colony: Colony) -> None:
    mine, theirs = PhagoChatMessageHistory(colony, "mine"), PhagoChatMessageHistory(colony, "theirs")
    mine.add_messages(CONVERSATION)
    theirs.add_messages(CONVERSATION[1:3])
    mine.clear()
    assert mine.messages == []
    assert theirs.messages == CONVERSATION[1:3]
    mine.add_user_message("A fresh start.")
    assert [m.text for m in mine.messages] == ["A fresh start."]


def test_assigning_messages_replaces_the_history(colony: Colony) -> None:
    history = PhagoChatMessageHistory(colony, "s1")
    history.add_messages(CONVERSATION)
    history.messages = CONVERSATION[:1]
    assert history.messages == CONVERSATION[:1]


def test_relevant_messages_come_from_this_session_best_first(colony: Colony) -> None:
    history = PhagoChatMessageHistory(colony, "s1")
    history.add_messages(CONVERSATION)
    PhagoChatMessageHistory(colony, "s2").add_user_message("Mitochondria and ATP again and again.")
    relevant = history.relevant_messages(HumanMessage("Tell me more about ATP and mitochondria"), k=2)
    assert relevant[0] == CONVERSATION[2]
    assert len(relevant) <= 2 and all(m in CONVERSATION for m in relevant)
    assert history.relevant_messages("photosynthesis", k=1) == [CONVERSATION[4]]
    assert PhagoChatMessageHistory(colony, "empty").relevant_messages("ATP") == []
    with pytest.raises(InputError):
        history.relevant_messages("ATP", k=0)


def test_history_persists_in_the_colony_file(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    with Colony.open(db) as colony:
        PhagoChatMessageHistory(colony, "s1").add_messages(CONVERSATION)
    with Colony.open(db) as colony:
        assert PhagoChatMessageHistory(colony, "s1").messages == CONVERSATION


def test_tool_messages_round_trip(colony: Colony) -> None:
    history = PhagoChatMessageHistory(colony, "tools")
    call = AIMessage("", tool_calls=[{"name": "recall", "args": {"query": "ATP"}, "id": "call-1"}])
    result = ToolMessage("ATP is made in mitochondria.", tool_call_id="call-1")
    history.add_messages([call, result])
    assert history.messages == [call, result]


async def test_async_methods(colony: Colony) -> None:
    history = PhagoChatMessageHistory(colony, "async")
    await history.aadd_messages(CONVERSATION[:2])
    assert await history.aget_messages() == CONVERSATION[:2]
    await history.aclear()
    assert await history.aget_messages() == []


def test_session_id_must_be_given(colony: Colony) -> None:
    with pytest.raises(InputError):
        PhagoChatMessageHistory(colony, "  ")
