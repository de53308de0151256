"""Phago's error tree.

Every error Phago raises on purpose derives from :class:`PhagoError`; where callers
expect a builtin, the error also subclasses it::

    PhagoError
    ├── ConfigError(PhagoError, ValueError)      a setting has a bad value or a config file is malformed
    ├── InputError(PhagoError, ValueError)       a document, file or argument cannot be accepted
    │   └── SourceError                          a file on disk cannot be read as a document
    ├── NotFound(PhagoError, KeyError)           an id (document, passage, concept, agent) does not exist
    ├── StorageError(PhagoError)                 the colony file cannot be opened, read or written
    │   └── SchemaError                          the file's schema is newer than this version understands
    └── MissingExtra(PhagoError, ImportError)    an optional dependency is not installed

The CLI maps these to exit codes in one table (``phago.cli``); the server and MCP do the same.
"""

from __future__ import annotations


class PhagoError(Exception):
    """Root of every error Phago raises on purpose."""


class ConfigError(PhagoError, ValueError):
    """A setting has a bad value, or a configuration file cannot be parsed.

    The message names the key (or file), the value and what is allowed.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class InputError(PhagoError, ValueError):
    """A document, file or argument cannot be accepted."""


class SourceError(InputError):
    """A file cannot be read as a document (missing, empty, binary, too big, mis-encoded, malformed)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NotFound(PhagoError, KeyError):
    """An id does not exist in this colony."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"no {kind} with id {ident!r}")
        self.kind = kind
        self.ident = ident

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0])


class StorageError(PhagoError):
    """The colony file cannot be opened, read or written."""


class SchemaError(StorageError):
    """The colony file was written by a newer Phago whose schema this version does not know."""


class MissingExtra(PhagoError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(f"{module} is not installed; install it with: pip install 'phago[{extra}]'")
        self.extra = extra
        self.module = module
