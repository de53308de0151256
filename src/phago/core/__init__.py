"""Typed domain objects, text processing and Hebbian rules (stdlib and numpy only)."""
