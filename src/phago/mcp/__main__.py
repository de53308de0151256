"""``python -m phago.mcp ARGS``: the same as ``phago mcp ARGS``."""

from __future__ import annotations

import sys

from phago.cli import main

if __name__ == "__main__":
    main(args=["mcp", *sys.argv[1:]], prog_name="phago")
