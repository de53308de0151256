"""Request bodies: size limits and multipart file uploads.

Uploaded files are written to a private temporary folder first (each under its own sub-folder, keeping
its original name so the loader sees the right suffix and title), then read with
:func:`phago.sources.load_file`. Every file is loaded before anything is ingested, so a bad file refuses
the whole upload and nothing is half-written.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phago.core.types import DocumentInput
from phago.errors import InputError, SourceError
from phago.server.errors import BodyTooLarge, error_response

_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\- ]+")
MAX_FILES = 1000


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes: at once from Content-Length, else while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit:
                    response = error_response(413, "too_large", self._message(declared))
                    await response(scope, receive, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self._message(seen))
            return message

        await self.app(scope, limited, send)

    def _message(self, size: int) -> str:
        return f"request body of {size} bytes exceeds server.max_upload_bytes ({self.limit} bytes)"


def safe_filename(name: str | None, index: int) -> str:
    """The upload's base name (no folders), restricted to word characters, dots, dashes and spaces."""
    raw = name or ""
    base = PureWindowsPath(PurePosixPath(raw).name).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:200] or f"upload-{index}"


async def read_uploads(request: Request, *, max_file_bytes: int) -> list[DocumentInput]:
    """The documents in a multipart request's file parts (any field name), in order."""
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    try:
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not files:
            raise InputError("the multipart body holds no files; send each file as a 'files' part")
        with tempfile.TemporaryDirectory(prefix="phago-upload-") as tmp:
            saved: list[tuple[str, Path]] = []
            for i, upload in enumerate(files):
                name = safe_filename(upload.filename, i)
                folder = Path(tmp) / f"{i:04d}"
                folder.mkdir()
                path = folder / name
                await _save(upload, path, name, max_file_bytes)
                saved.append((name, path))
            return await run_in_threadpool(_load_all, saved, max_file_bytes)
    finally:
        await form.close()


async def _save(upload: UploadFile, path: Path, name: str, limit: int) -> None:
    written = 0
    with path.open("wb") as fh:
        while chunk := await upload.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise SourceError(name, f"file is larger than ingest.max_file_bytes ({limit} bytes)")
            fh.write(chunk)


def _load_all(saved: list[tuple[str, Path]], max_bytes: int) -> list[DocumentInput]:
    from phago.sources import load_file

    docs: list[DocumentInput] = []
    for name, path in saved:
        try:
            loaded = load_file(path, max_bytes=max_bytes)
        except SourceError as exc:  # name the file as uploaded, not the temporary path
            raise SourceError(name, exc.reason) from None
        for d in loaded:
            meta = {**d.metadata, "path": name}
            docs.append(dataclasses.replace(d, source=name, metadata=meta))
    return docs
