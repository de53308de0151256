"""LangChain adapters (``pip install 'phago[langchain]'``): a retriever and a chat message history.

``PhagoRetriever`` returns one ``Document`` per passage, best first, with the passage's document id,
scores and explanation in ``metadata``. ``PhagoChatMessageHistory`` keeps a conversation's turns as
memories of the colony (one document per turn, ``metadata`` = ``session_id``, ``role``, ``turn`` and the
serialised message), so turns are searchable like any memory, and returns the turns most relevant to a
new message.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from phago.core.types import QueryResult
from phago.errors import InputError, MissingExtra
from phago.facade import Colony

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.chat_history import BaseChatMessageHistory
    from langchain_core.documents import Document
    from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict, Field
except ImportError as exc:  # pragma: no cover - exercised by a test that hides langchain_core
    raise MissingExtra("langchain", "langchain-core") from exc

__all__ = ["PhagoChatMessageHistory", "PhagoRetriever", "to_document"]

MAX_K = 10_000  # the colony's largest k


def to_document(result: QueryResult) -> Document:
    """A query result as a LangChain ``Document`` (the passage text, everything else in metadata)."""
    c, e = result.components, result.explanation
    return Document(
        id=f"{result.document_id}#{result.passage_id}",
        page_content=result.text,
        metadata={
            "document_id": result.document_id,
            "passage_id": result.passage_id,
            "title": result.title,
            "start": result.start,
            "end": result.end,
            "score": result.score,
            "scores": {"lexical": c.lexical, "graph": c.graph, "dense": c.dense, "fused": c.fused},
            "explanation": {
                "matched_terms": [[term, score] for term, score in e.matched_terms],
                "query_concepts": list(e.query_concepts),
                "edges": [[a, b, w] for a, b, w in e.edges],
                "passage_concepts": list(e.passage_concepts),
            },
        },
    )


class PhagoRetriever(BaseRetriever):
    """Passages of ``colony`` that best answer a query; ``k`` may also be passed to ``invoke``.

    ``alpha`` and ``mode`` are passed to :meth:`Colony.query` (``None``: the colony's settings).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    colony: Colony
    k: int = Field(default=4, ge=1, le=MAX_K)
    alpha: float | None = Field(default=None, ge=0.0, le=1.0)
    mode: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        results = self.colony.query(query, self.k if k is None else k, alpha=self.alpha, mode=self.mode)
        return [to_document(r) for r in results]


class PhagoChatMessageHistory(BaseChatMessageHistory):
    """The turns of conversation ``session_id``, kept in ``colony``.

    Each message becomes a document (``source`` ``"chat:<session_id>"``) whose metadata holds
    ``session_id``, ``role`` (the message type), ``turn`` (1, 2, ...) and the serialised message, so
    ``messages`` returns exactly what was added. ``clear()`` forgets this session's turns only.
    Instances over the same colony and session share the history; turn numbers are assigned under a
    lock per instance, so write a session through one instance at a time.
    """

    def __init__(self, colony: Colony, session_id: str) -> None:
        if not isinstance(session_id, str) or not session_id.strip():
            raise InputError("session_id must be a non-empty string")
        self.colony = colony
        self.session_id = session_id
        self._lock = threading.Lock()

    # -- BaseChatMessageHistory --------------------------------------------------------------------------
    @property
    def messages(self) -> list[BaseMessage]:
        """This session's messages, oldest first."""
        return [message for _, message, _ in self._turns()]

    @messages.setter
    def messages(self, value: list[BaseMessage]) -> None:
        self.clear()
        self.add_messages(value)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        with self._lock:
            turn = max((t for _, _, t in self._turns()), default=0)
            for message in messages:
                turn += 1
                self._store(message, turn)

    def clear(self) -> None:
        with self._lock:
            for doc_id, _, _ in self._turns():
                self.colony.forget(doc_id)

    # -- recall -------------------------------------------------------------------------------------------
    def relevant_messages(self, message: str | BaseMessage, k: int = 4) -> list[BaseMessage]:
        """This session's ``k`` turns most relevant to ``message``, most relevant first."""
        text = message if isinstance(message, str) else message.text
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        turns = {doc_id: m for doc_id, m, _ in self._turns()}
        if not turns or not text.strip():
            return []
        fetch = min(max(8 * k, 32), MAX_K)
        while True:
            results = self.colony.query(text, fetch)
            ranked = list(dict.fromkeys(r.document_id for r in results if r.document_id in turns))
            if len(ranked) >= k or len(results) < fetch or fetch == MAX_K:
                return [turns[doc_id] for doc_id in ranked[:k]]
            fetch = min(fetch * 4, MAX_K)

    # -- storage ------------------------------------------------------------------------------------------
    def _turns(self) -> list[tuple[str, BaseMessage, int]]:
        """``(document id, message, turn)`` of this session, by turn."""
        found: list[tuple[int, str, dict[str, Any]]] = []
        for doc in self.colony.documents():
            meta = doc.metadata
            turn, message = meta.get("turn"), meta.get("message")
            if meta.get("session_id") == self.session_id and isinstance(turn, int) and isinstance(message, dict):
                found.append((turn, doc.id, message))
        found.sort(key=lambda t: t[0])
        loaded = messages_from_dict([m for _, _, m in found])
        return [(doc_id, message, turn) for (turn, doc_id, _), message in zip(found, loaded, strict=True)]

    def _store(self, message: BaseMessage, turn: int) -> None:
        role = message.type
        metadata: dict[str, Any] = {
            "session_id": self.session_id,
            "role": role,
            "turn": turn,
            "message": message_to_dict(message),
        }
        source = f"chat:{self.session_id}"
        marker = f"({role}, session {self.session_id}, turn {turn})"
        # The colony keeps one document per distinct text: a turn whose text is already stored (or that has
        # no words) is stored with a marker naming its session and turn.
        candidates = (message.text, f"{message.text}\n\n{marker}".strip())
        for attempt, text in enumerate(candidates):
            try:
                doc_id = self.colony.ingest(text, title=f"{role} turn {turn}", metadata=metadata, source=source)
            except InputError:
                if attempt == 0:
                    continue
                raise
            stored = self.colony.document(doc_id).metadata
            if stored.get("session_id") == self.session_id and stored.get("turn") == turn:
                return
        raise InputError(f"cannot store turn {turn} of session {self.session_id!r}")  # pragma: no cover
