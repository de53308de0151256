"""A small corpus of cell-biology notes shared by the adapter tests."""

from __future__ import annotations

from phago import Colony

NOTES = {
    "Mitochondria": "Mitochondria produce ATP through oxidative phosphorylation. "
    "The electron transport chain pumps protons across the inner membrane.",
    "Photosynthesis": "Chloroplasts capture light energy. "
    "Photosynthesis fixes carbon dioxide into sugar and releases oxygen.",
    "Ribosomes": "Ribosomes translate messenger RNA into protein. Transfer RNA brings amino acids to the ribosome.",
    "Glycolysis": "Glycolysis splits glucose into pyruvate and yields a little ATP and NADH.",
    "Krebs cycle": "The Krebs cycle oxidises acetyl-CoA in the mitochondria and feeds NADH to the electron "
    "transport chain, which makes most of the cell's ATP.",
}


def biology_colony() -> Colony:
    """A small in-memory colony, digested: five notes on cell biology."""
    colony = Colony()
    for title, text in NOTES.items():
        colony.ingest(text, title=title)
    colony.digest()
    return colony
