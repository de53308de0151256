"""Retrieval: the lexical BM25 index over passages (graph, dense and fusion arrive with issue #3)."""
