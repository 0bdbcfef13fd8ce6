"""The shared OpenAPI post-processing: every error the shared mechanism answers is documented."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPBearer
from fastapi.testclient import TestClient
from pydantic import BaseModel

from mentor_shared.settings import ServiceSettings
from mentor_shared.web.app import create_app
from mentor_shared.web.errors import error_responses
from mentor_shared.web.openapi import ERROR_REF, complete_openapi

bearer = HTTPBearer(auto_error=False)


class Note(BaseModel):
    text: str


def router() -> APIRouter:
    routes = APIRouter()

    @routes.get("/v1/notes")
    async def list_notes(limit: int = 10) -> list[str]:
        return []

    @routes.post("/v1/notes", dependencies=[Depends(bearer)])
    async def add_note(body: Note) -> dict[str, str]:
        return {"text": body.text}

    @routes.get("/v1/notes/{note_id}", response_class=HTMLResponse, responses=error_responses(410))
    async def show_note(note_id: str) -> HTMLResponse:
        return HTMLResponse("<p>note</p>")

    return routes


def app() -> FastAPI:
    settings = ServiceSettings(service_name="openapi-test", environment="test", port=0)
    return create_app(settings, title="Notes", version="1", lifespan=None, routers=[router()])


def responses(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = document["paths"][path][method]["responses"]
    return result


def test_every_operation_documents_the_errors_the_shared_mechanism_answers() -> None:
    document = TestClient(app()).get("/openapi.json").json()

    post = responses(document, "/v1/notes", "post")
    assert {"400", "401", "413", "422"} <= set(post)
    listing = responses(document, "/v1/notes", "get")
    assert "422" in listing
    assert "404" not in listing
    assert "413" not in listing
    show = responses(document, "/v1/notes/{note_id}", "get")
    assert {"404", "410", "422"} <= set(show)
    for status in ("400", "401", "413", "422"):
        assert post[status]["content"] == {"application/json": {"schema": {"$ref": ERROR_REF}}}
    # An HTML route still answers its errors as JSON.
    assert set(show["410"]["content"]) == {"application/json"}
    assert "HTTPValidationError" not in str(document)
    assert "ErrorResponse" in document["components"]["schemas"]


def test_completing_twice_changes_nothing() -> None:
    document = app().openapi()
    assert complete_openapi(document) == document


def test_405_allows_every_method_of_the_path_across_routes() -> None:
    client = TestClient(app())

    answer = client.delete("/v1/notes")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert client.options("/v1/notes/n1").headers["allow"] == "GET"
