"""``python -m phago.server serve|keys ...``: the server commands without the main CLI."""

from __future__ import annotations

import sys

import click

from phago.errors import PhagoError
from phago.server.command import keys, serve


@click.group()
def cli() -> None:
    """Phago server commands."""


cli.add_command(serve)
cli.add_command(keys)

if __name__ == "__main__":
    try:
        cli(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(1)
    except PhagoError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
