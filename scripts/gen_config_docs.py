"""Regenerate docs/configuration.md from the settings model."""

from pathlib import Path

from phago.config import reference_markdown

Path(__file__).resolve().parents[1].joinpath("docs/configuration.md").write_text(reference_markdown(), encoding="utf-8")
