"""File loaders: turn the paths given to ``phago ingest PATH...`` into :class:`DocumentInput` items.

Supported files are UTF-8 text (a BOM is allowed): ``.txt``, ``.md``/``.markdown``, ``.html``/``.htm``,
``.json`` (one object or an array of objects) and ``.jsonl`` (one object per line). Every refusal is a
:class:`~phago.errors.SourceError` saying what is wrong with which file and what is accepted, and
:func:`load_files` tries every file before refusing, so a caller can reject a whole batch at once without
having written anything.
"""

from __future__ import annotations

import codecs
import json
import re
import stat
from collections.abc import Callable, Sequence
from html.parser import HTMLParser
from pathlib import Path

from phago.core import text as textproc
from phago.core.types import DocumentInput, JSONValue, Metadata
from phago.errors import InputError, SourceError

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".json", ".jsonl", ".html", ".htm"}
)

_FORMATS = {
    ".txt": "txt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
}
_SUPPORTED_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))
_UTF8_ONLY = "only UTF-8 text is accepted"


class SourceErrors(InputError):
    """Some of the files given to :func:`load_files` cannot be read; ``errors`` holds one per file."""

    def __init__(self, errors: Sequence[SourceError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors: list[SourceError] = list(errors)


# -- finding files -------------------------------------------------------------------------------------
def collect_files(paths: Sequence[Path]) -> list[Path]:
    """The files to load for ``paths``, in order: files as given, directories walked recursively.

    A directory's entries are visited sorted by name, skipping hidden entries (names starting with ".")
    and files with an unsupported suffix. A missing path, an explicitly named file of an unsupported type
    and a directory holding no supported file are errors (the first one found is raised). A file reached
    twice is returned once.
    """
    errors: list[SourceError] = []
    files = _collect(paths, errors)
    if errors:
        raise errors[0]
    return files


def _collect(paths: Sequence[Path], errors: list[SourceError]) -> list[Path]:
    files: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)

    for path in paths:
        if path.is_dir():
            before = len(errors)
            found = _walk(path, errors, visited={path.resolve()})
            if not found and len(errors) == before:
                errors.append(
                    SourceError(str(path), f"directory holds no supported files ({_SUPPORTED_LIST})")
                )
            for f in found:
                add(f)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                errors.append(SourceError(str(path), _unsupported(path)))
            else:
                add(path)
        elif path.exists() or path.is_symlink():
            errors.append(SourceError(str(path), "not a regular file or directory (or a broken link)"))
        else:
            errors.append(SourceError(str(path), "no such file or directory"))
    return files


def _walk(directory: Path, errors: list[SourceError], visited: set[Path]) -> list[Path]:
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        errors.append(SourceError(str(directory), f"cannot list directory ({exc.strerror or exc})"))
        return []
    out: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            key = entry.resolve()
            if key not in visited:  # a symlink back up the tree would otherwise loop forever
                visited.add(key)
                out.extend(_walk(entry, errors, visited))
        elif entry.is_file() and entry.suffix.lower() in SUPPORTED_SUFFIXES:
            out.append(entry)
    return out


def _unsupported(path: Path) -> str:
    kind = f"'{path.suffix}'" if path.suffix else "(no suffix)"
    return f"unsupported file type {kind}; supported: {_SUPPORTED_LIST}"


# -- loading -------------------------------------------------------------------------------------------
def load_files(
    paths: Sequence[Path], *, max_bytes: int, progress: Callable[[int, Path], None] | None = None
) -> list[DocumentInput]:
    """Collect and load every file under ``paths``; if any path or file fails, raise :class:`SourceErrors`
    listing every failure (all files are tried first), so nothing from the batch need be ingested.

    ``progress(total, path)`` is called before each file is read (for progress bars)."""
    errors: list[SourceError] = []
    docs: list[DocumentInput] = []
    files = _collect(paths, errors)
    for path in files:
        if progress is not None:
            progress(len(files), path)
        try:
            docs.extend(load_file(path, max_bytes=max_bytes))
        except SourceError as exc:
            errors.append(exc)
    if errors:
        raise SourceErrors(errors)
    return docs


def load_file(path: Path, *, max_bytes: int) -> list[DocumentInput]:
    """The documents in one file (one for text, Markdown and HTML; one per record for JSON and JSONL).

    Each document's ``source`` is the path as given and its metadata holds ``path`` and ``format``
    (JSON records add ``record``, JSONL records ``line``; these win over a record's keys of the same name).
    Raises :class:`SourceError` if the file is missing, larger than ``max_bytes``, empty, binary, not UTF-8
    or malformed for its format.
    """
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(str(path), _unsupported(path))
    text = _read_text(path, max_bytes)
    base: Metadata = {"path": str(path), "format": fmt}
    if fmt == "json":
        return _json_documents(path, text, base)
    if fmt == "jsonl":
        return _jsonl_documents(path, text, base)
    if fmt == "markdown":
        body, title = _markdown(text)
    elif fmt == "html":
        body, title = _html(text)
    else:
        body, title = text, ""
    _check_words(path, body)
    return [DocumentInput(body, title or path.stem, base, str(path))]


def _read_text(path: Path, max_bytes: int) -> str:
    where = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SourceError(where, "no such file or directory") from None
    except OSError as exc:
        raise SourceError(where, f"cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceError(where, "is a directory; pass it to collect_files or load_files")
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(where, "not a regular file")
    if info.st_size > max_bytes:
        raise SourceError(where, _too_big(info.st_size, max_bytes))
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as exc:
        raise SourceError(where, f"cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise SourceError(where, _too_big(len(data), max_bytes))
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SourceError(where, f"looks binary (NUL byte at offset {nul}); {_UTF8_ONLY}")
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        raise SourceError(where, f"not valid UTF-8 at byte {at} (0x{data[at]:02x}); {_UTF8_ONLY}") from None
    if not text.strip():
        raise SourceError(where, "file is empty")
    return text


def _too_big(size: int, limit: int) -> str:
    return f"file is {size} bytes; the limit is {limit} bytes (ingest.max_file_bytes)"


def _check_words(path: Path, text: str) -> None:
    if not text.strip():
        raise SourceError(str(path), "file is empty")
    if not textproc.tokenize(text):
        raise SourceError(str(path), "file has no words (only punctuation or symbols)")


# -- Markdown ------------------------------------------------------------------------------------------
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")


def _markdown(text: str) -> tuple[str, str]:
    """The text without YAML front matter, and its first ATX heading outside code fences ("" if none)."""
    text = _FRONT_MATTER_RE.sub("", text.replace("\r\n", "\n"), count=1)
    fence = ""
    for line in text.split("\n"):
        m = _FENCE_RE.match(line)
        if m:
            fence = "" if fence == m.group(1) else fence or m.group(1)
            continue
        if not fence and (h := _ATX_RE.match(line)) and h.group(1).strip("# \t"):
            return text, h.group(1).strip()
    return text, ""


# -- HTML ----------------------------------------------------------------------------------------------
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
})  # fmt: skip
_SKIPPED = frozenset({"script", "style", "template", "noscript"})
# Tags that may appear in <head>; any other start tag means the (unclosed) head has ended.
_HEAD_TAGS = frozenset({"base", "link", "meta", "noscript", "script", "style", "template", "title"})
_SPACES_RE = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page: blocks become paragraphs, <br> a line break; <head> is skipped
    except for <title>, and script/style/template/noscript contents are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.h1: list[str] = []
        self._skip = 0
        self._in_head = False
        self._in_title = False
        self._in_h1 = False
        self._h1_done = False
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag == "head":
            self._in_head = True
        elif tag == "body" or (self._in_head and tag not in _HEAD_TAGS):
            self._in_head = False
        elif tag == "title":
            self._in_title = True
        elif tag == "br":
            self.parts.append("\n")
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre":
            self._pre += 1
        if tag == "h1" and not self._h1_done:
            self._in_h1 = True
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag == "h1" and self._in_h1:
            self._in_h1 = False
            self._h1_done = bool("".join(self.h1).strip())

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title.append(data)
            return
        if self._in_head:
            return
        if self._in_h1:
            self.h1.append(data)
        self.parts.append(data if self._pre else _SPACES_RE.sub(" ", data))


def _html(source: str) -> tuple[str, str]:
    """The visible text (paragraphs separated by blank lines) and the title (<title>, else first <h1>)."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", "".join(parser.parts)):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        if para := "\n".join(line for line in lines if line):
            paragraphs.append(para)
    title = " ".join("".join(parser.title).split()) or " ".join("".join(parser.h1).split())
    return "\n\n".join(paragraphs), title


# -- JSON and JSONL ------------------------------------------------------------------------------------
def _reject_constant(name: str) -> JSONValue:
    raise ValueError(f"{name} is not allowed (JSON has no NaN or Infinity)")


def _parse_json(text: str) -> JSONValue:
    """``json.loads`` refusing NaN/Infinity, which metadata cannot store."""
    value: JSONValue = json.loads(text, parse_constant=_reject_constant)
    return value


def _json_error(exc: ValueError | RecursionError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "not valid JSON: nested too deeply"
    return f"not valid JSON: {exc}"


def _json_documents(path: Path, text: str, base: Metadata) -> list[DocumentInput]:
    try:
        value = _parse_json(text)
    except (ValueError, RecursionError) as exc:
        raise SourceError(str(path), _json_error(exc)) from None
    if isinstance(value, dict):
        records: list[JSONValue] = [value]
    elif isinstance(value, list):
        if not value:
            raise SourceError(str(path), "no records (the top-level array is empty)")
        records = value
    else:
        raise SourceError(
            str(path), f"top level must be an object or an array of objects, got {_json_type(value)}"
        )
    return [
        _record(path, rec, f"record {n}", {**base, "record": n}) for n, rec in enumerate(records, start=1)
    ]


def _jsonl_documents(path: Path, text: str, base: Metadata) -> list[DocumentInput]:
    docs = []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = _parse_json(line)
        except json.JSONDecodeError as exc:
            raise SourceError(
                str(path), f"line {n}: not valid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        except (ValueError, RecursionError) as exc:
            raise SourceError(str(path), f"line {n}: {_json_error(exc)}") from None
        docs.append(_record(path, value, f"line {n}", {**base, "line": n}))
    return docs


def _record(path: Path, value: JSONValue, where: str, provenance: Metadata) -> DocumentInput:
    """One JSON record: ``text`` (required), ``title`` and ``metadata`` (optional); other keys (such as
    BEIR's ``_id``) go into the metadata. A record without a title gets the colony's default title."""
    if not isinstance(value, dict):
        raise SourceError(str(path), f"{where}: expected a JSON object, got {_json_type(value)}")
    text = value.get("text")
    if text is not None and not isinstance(text, str):
        raise SourceError(
            str(path), f"{where}: field 'text' must be a non-empty string, got {_json_type(text)}"
        )
    if not text or not text.strip():
        raise SourceError(str(path), f"{where}: missing non-empty string field 'text'")
    if "\x00" in text:
        raise SourceError(str(path), f"{where}: field 'text' contains a NUL character; {_UTF8_ONLY}")
    if not textproc.tokenize(text):
        raise SourceError(str(path), f"{where}: field 'text' has no words (only punctuation or symbols)")
    title = value.get("title")
    if title is not None and not isinstance(title, str):
        raise SourceError(str(path), f"{where}: field 'title' must be a string, got {_json_type(title)}")
    extra = value.get("metadata")
    if extra is not None and not isinstance(extra, dict):
        raise SourceError(str(path), f"{where}: field 'metadata' must be an object, got {_json_type(extra)}")
    metadata: Metadata = {k: v for k, v in value.items() if k not in ("text", "title", "metadata")}
    metadata.update(extra or {})
    metadata.update(provenance)
    return DocumentInput(text, title or "", metadata, str(path))


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
