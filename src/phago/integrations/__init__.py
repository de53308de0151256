"""Adapters that let agent frameworks use a :class:`~phago.Colony` (each an optional extra).

- :mod:`phago.integrations.langchain` (``pip install 'phago[langchain]'``): ``PhagoRetriever`` and
  ``PhagoChatMessageHistory``.
- :mod:`phago.integrations.llamaindex` (``pip install 'phago[llamaindex]'``): ``PhagoRetriever`` and
  ``ingest_documents``.

Importing an adapter without its framework raises :class:`~phago.errors.MissingExtra` naming the extra.
The adapters use the colony's public methods only.
"""
