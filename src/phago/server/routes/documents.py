"""Documents: ingest (JSON or multipart files), list, read, passages, forget."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from phago.core.types import DocumentInput
from phago.errors import NotFound
from phago.facade import Colony
from phago.server.auth import ReadTenant, WriteTenant
from phago.server.errors import UnsupportedMediaType
from phago.server.routes._common import BAD_INPUT, ERRORS, NOT_FOUND, Limit, Offset
from phago.server.schemas import (
    DocumentIn,
    DocumentOut,
    DocumentsIn,
    DocumentSummary,
    ErrorOut,
    IngestOut,
    Page,
    PassageOut,
)
from phago.server.state import server_state
from phago.server.uploads import read_uploads

router = APIRouter(prefix="/api", tags=["documents"], responses=ERRORS)

DocumentId = Annotated[str, Path(min_length=1, max_length=200, description="A document id (doc_…).")]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "Files (.txt .md .html .json .jsonl), ingested all-or-nothing.",
                        }
                    },
                }
            },
        },
    }
}


def _summaries(colony: Colony, ids: list[str]) -> IngestOut:
    docs = []
    for i in dict.fromkeys(ids):
        try:
            docs.append(DocumentSummary.of(colony.document(i)))
        except NotFound:  # forgotten by a concurrent request since it was ingested
            continue
    return IngestOut(ids=ids, documents=docs)


def _input(d: DocumentIn) -> DocumentInput:
    return DocumentInput(d.text, d.title, dict(d.metadata), d.source)


def _ingest(colony: Colony, items: list[DocumentInput]) -> IngestOut:
    return _summaries(colony, colony.ingest_many(items))


@router.post(
    "/documents", status_code=201, response_model=IngestOut, openapi_extra=_UPLOAD_BODY,
    responses={**BAD_INPUT, 413: {"model": ErrorOut, "description": "Body or file too large."},
               415: {"model": ErrorOut, "description": "Neither JSON nor multipart."}},
    summary="Ingest one JSON document or many uploaded files",
)
async def ingest(request: Request, tenant: WriteTenant) -> IngestOut:
    """JSON ``{"text", "title", "metadata", "source"}``, or ``multipart/form-data`` with any number of
    files. Documents are searchable when this returns; the colony digests them over ticks."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        try:
            doc = DocumentIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        items = [_input(doc)]
    elif media == "multipart/form-data":
        settings = server_state(request).settings
        items = await read_uploads(request, max_file_bytes=settings.ingest.max_file_bytes)
    else:
        raise UnsupportedMediaType(
            f"unsupported Content-Type {media or '(none)'!r}; send application/json or multipart/form-data"
        )
    return await run_in_threadpool(_ingest, tenant.colony, items)


@router.post("/documents/batch", status_code=201, responses=BAD_INPUT, summary="Ingest many JSON documents")
def ingest_batch(body: DocumentsIn, tenant: WriteTenant) -> IngestOut:
    """All documents are ingested in one transaction, or none."""
    return _ingest(tenant.colony, [_input(d) for d in body.documents])


@router.get("/documents", summary="List documents (in ingestion order)")
def list_documents(tenant: ReadTenant, offset: Offset = 0, limit: Limit = 100) -> Page[DocumentSummary]:
    docs = tenant.colony.documents()
    return Page[DocumentSummary](
        items=[DocumentSummary.of(d) for d in docs[offset : offset + limit]], total=len(docs), offset=offset,
        limit=limit,
    )


@router.get("/documents/{document_id}", responses=NOT_FOUND, summary="A document with its text and metadata")
def get_document(document_id: DocumentId, tenant: ReadTenant) -> DocumentOut:
    return DocumentOut.full(tenant.colony.document(document_id))


@router.get("/documents/{document_id}/passages", responses=NOT_FOUND, summary="A document's passages")
def get_passages(document_id: DocumentId, tenant: ReadTenant) -> list[PassageOut]:
    return [PassageOut.of(p) for p in tenant.colony.passages(document_id)]


@router.delete(
    "/documents/{document_id}", status_code=204, responses=NOT_FOUND, response_class=Response,
    summary="Forget a document and exactly what it contributed",
)
def forget_document(document_id: DocumentId, tenant: WriteTenant) -> Response:
    tenant.colony.forget(document_id)
    return Response(status_code=204)
