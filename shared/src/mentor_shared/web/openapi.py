"""OpenAPI documents that say every answer a route can give.

Client generators trust a service's ``/openapi.json``; a status or content type it
does not list breaks them. The shared mechanism answers some errors for every route
(a body that is not JSON, one too large, a missing or expired token, an unknown id,
parameters that break a constraint), so :func:`complete_openapi` adds those responses
to every operation they apply to, in the shared error shape, whatever the route
declared itself. Routes added later are covered without doing anything.

Which errors an operation gets:

- a request body: 400 (not parseable), 413 (over the body limit), 422;
- any parameter: 422 (``validation_error``);
- a path parameter: 404 (no such resource, or one the caller may not see);
- a security requirement: 401 (no token, or not a valid one).

FastAPI's own ``HTTPValidationError`` schema is replaced by :class:`ErrorResponse`,
which is what a 422 really carries.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from mentor_shared.web.errors import ErrorBody, ErrorResponse

ERROR_REF = "#/components/schemas/ErrorResponse"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

_WHY = {
    400: "The body could not be parsed (not JSON, or not the declared content type)",
    401: "No access token, or one that is not valid or has expired",
    404: "No such resource, or one the caller may not see",
    413: "The request body is larger than the limit",
    422: "The request breaks a constraint of the schema or a rule of the service",
}


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": _WHY.get(status, HTTPStatus(status).phrase),
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }


def _statuses_for(operation: dict[str, Any]) -> set[int]:
    statuses: set[int] = set()
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if parameters:
        statuses.add(422)
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.add(404)
    if operation.get("security"):
        statuses.add(401)
    return statuses


def _is_error_or_empty(response: dict[str, Any]) -> bool:
    content = response.get("content")
    if not content:
        return True
    return any(
        media.get("schema", {}).get("$ref") == ERROR_REF
        for media in content.values()
        if isinstance(media, dict)
    )


def _replace_validation_refs(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in _FASTAPI_VALIDATION_SCHEMAS:
            return {"$ref": ERROR_REF}
        return {key: _replace_validation_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_validation_refs(item) for item in node]
    return node


def complete_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """Return ``document`` with the shared error responses on every operation.

    A status an operation already documents keeps its description; its content
    gets the error schema when it has none. Idempotent.
    """
    document = _replace_validation_refs(document)
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method.startswith("x-") or not isinstance(operation, dict):
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for added in sorted(_statuses_for(operation)):
                responses.setdefault(str(added), _error_response(added))
            for status, response in responses.items():
                if status[:1] in ("4", "5") and _is_error_or_empty(response):
                    # Errors are JSON even where the route answers HTML (unsubscribe).
                    response["content"] = _error_response(int(status))["content"]
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    if ERROR_REF.rsplit("/", 1)[-1] not in schemas:
        schemas["ErrorBody"] = ErrorBody.model_json_schema()
        schemas["ErrorResponse"] = ErrorResponse.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        schemas["ErrorResponse"].pop("$defs", None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`complete_openapi` of the app's generated document at its OpenAPI URL."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_openapi(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
