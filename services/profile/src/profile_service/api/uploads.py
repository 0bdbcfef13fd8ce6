"""Reading uploaded files only once the caller is known.

FastAPI reads and spools a request's whole multipart body before it runs a route's
dependencies, so a route declaring an ``UploadFile`` parameter would store an
anonymous caller's upload before refusing them. The upload routes declare no body
parameter; they authenticate first and then read the form with :func:`read_files`.
The body size limit of the route (``create_app(body_limits=...)``) still applies
while the form is read. The request body is documented with :func:`multipart_body`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from profile_service.domain.errors import ImportFileInvalid


async def read_files(
    request: Request,
    field: str,
    *,
    max_files: int,
    max_bytes: int,
    error: type[ImportFileInvalid],
) -> list[tuple[str, bytes]]:
    """The ``(filename, content)`` of each file sent in the multipart form field ``field``.

    Raises:
        ImportFileInvalid: (``error``) Not a multipart form, no file in ``field``, more
            than ``max_files`` files, or more than ``max_bytes`` in all.
    """
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise error(f"Send the file as multipart/form-data in the field {field!r}.")
    try:
        form = await request.form(max_files=max_files, max_fields=20)
    except HTTPException as problem:
        if problem.status_code != 400:
            raise
        raise error(
            f"The upload could not be read as a form: {problem.detail}",
            details={"field": field},
        ) from problem
    try:
        files = [item for item in form.getlist(field) if isinstance(item, UploadFile)]
        if not files:
            raise error(f"No file was sent in the field {field!r}.", details={"field": field})
        uploads: list[tuple[str, bytes]] = []
        total = 0
        for upload in files:
            content = await upload.read(max_bytes - total + 1)
            total += len(content)
            if total > max_bytes:
                raise error(
                    f"The upload is larger than {max_bytes // (1024 * 1024)} MB.",
                    details={"limit_bytes": max_bytes},
                )
            uploads.append((upload.filename or "upload", content))
        return uploads
    finally:
        await form.close()


def multipart_body(
    field: str,
    *,
    many: bool,
    description: str,
    max_files: int = 10,
    content_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """OpenAPI ``requestBody`` of a route that reads its files with :func:`read_files`.

    ``content_types`` lists the media types the file part may have (the OpenAPI
    ``encoding`` of the field); none means any.
    """
    file_schema: dict[str, Any] = {"type": "string", "format": "binary"}
    schema = (
        {"type": "array", "items": file_schema, "minItems": 1, "maxItems": max_files}
        if many
        else file_schema
    )
    media: dict[str, Any] = {
        "schema": {
            "type": "object",
            "required": [field],
            "properties": {field: {**schema, "description": description}},
        }
    }
    if content_types:
        media["encoding"] = {field: {"contentType": ", ".join(content_types)}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": media}}}
