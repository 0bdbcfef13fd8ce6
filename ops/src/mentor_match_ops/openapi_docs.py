"""One OpenAPI document for client developers: the four services' under the single origin.

``docs/openapi.json`` is what a mobile or departmental developer generates a client
from. It is made from each service's own document (built from its app, no server
started) by :func:`combine`: the paths merged (a path served by two services is an
error: the single origin could not route it), the component schemas merged (one
schema where the services' are the same; where two services mean different things by
one name, every service's version gets the service's name in front, so the result does
not depend on the order the services are read in), the bearer scheme once, and one
server, the origin of ``deploy/origin/routes.yaml``. Operational endpoints (``/healthz``,
``/readyz``, ``/metrics``) are each service's own and are left out.

``make docs`` writes the file (``python -m mentor_match_ops.openapi_docs``); a test
regenerates it and fails when the committed file differs.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mentor_match_ops.origin import ROOT, OriginTable

DOCUMENT_FILE = ROOT / "docs" / "openapi.json"
SERVICES = ("profile", "matching", "messaging", "notifications")
OPERATIONAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Each service's own: not routed at the origin, so not in the clients' document."""
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class CombineError(ValueError):
    """The services' documents cannot be one document (a path or a scheme clashes)."""


def service_documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, as its ``/openapi.json`` serves it.

    The apps are built with their default settings and never started (their lifespan,
    which opens stores and the broker, does not run).
    """
    from matching_service.api.app import create_matching_app
    from messaging_service.api.app import create_messaging_app
    from notifications_service.api.app import create_notifications_app
    from profile_service.api.app import create_profile_app

    factories: dict[str, Callable[[], Any]] = {
        "profile": create_profile_app,
        "matching": create_matching_app,
        "messaging": create_messaging_app,
        "notifications": create_notifications_app,
    }
    return {name: factories[name]().openapi() for name in SERVICES}


def _rename_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in renames:
            return {**node, "$ref": renames[ref]}
        return {key: _rename_refs(value, renames) for key, value in node.items()}
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _prefixed(service: str, name: str) -> str:
    return service.capitalize() + name


def _merge_components(
    documents: Mapping[str, dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """Merged components, and per service the ``$ref`` renames its document needs.

    A schema name whose versions differ is renamed in every service; a schema that was
    the same may then differ (it points at renamed ones), so this repeats until nothing
    new clashes.
    """
    clashing: set[str] = set()
    while True:
        renames = {
            service: {
                f"#/components/schemas/{name}": f"#/components/schemas/{_prefixed(service, name)}"
                for name in clashing
                if name in document.get("components", {}).get("schemas", {})
            }
            for service, document in documents.items()
        }
        versions: dict[tuple[str, str], dict[str, Any]] = {}
        for service, document in documents.items():
            for section, entries in document.get("components", {}).items():
                for name, value in entries.items():
                    if section == "schemas" and name in clashing:
                        continue
                    versions.setdefault((section, name), {})[service] = _rename_refs(
                        value, renames[service]
                    )
        new = {
            (section, name)
            for (section, name), found in versions.items()
            if len({json.dumps(value, sort_keys=True) for value in found.values()}) > 1
        }
        if not new:
            break
        for section, name in sorted(new):
            if section != "schemas":
                raise CombineError(f"components.{section}.{name} differs between services")
            clashing.add(name)
    merged: dict[str, dict[str, Any]] = {}
    for (section, name), found in sorted(versions.items()):
        merged.setdefault(section, {})[name] = next(iter(found.values()))
    for service, document in documents.items():
        for name, value in document.get("components", {}).get("schemas", {}).items():
            if name in clashing:
                new_name = _prefixed(service, name)
                if ("schemas", new_name) in versions:
                    raise CombineError(f"{new_name} exists: cannot rename {service}'s {name}")
                merged.setdefault("schemas", {})[new_name] = _rename_refs(value, renames[service])
    for section in merged:
        merged[section] = dict(sorted(merged[section].items()))
    return merged, renames


def combine(documents: Mapping[str, dict[str, Any]], table: OriginTable) -> dict[str, Any]:
    """The services' ``documents`` as one document served at ``table``'s origin."""
    documents = {service: copy.deepcopy(document) for service, document in documents.items()}
    components, renames = _merge_components(documents)
    paths: dict[str, Any] = {}
    owners: dict[str, str] = {}
    operation_ids: dict[str, str] = {}
    tags: dict[str, dict[str, Any]] = {}
    for service, document in documents.items():
        for tag in document.get("tags", []):
            tags.setdefault(tag["name"], tag)
        for path, item in document.get("paths", {}).items():
            if path in OPERATIONAL_PATHS:
                continue
            if path in paths:
                raise CombineError(f"{path} is served by both {owners[path]} and {service}")
            item = _rename_refs(item, renames[service])
            for method in HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                operation["x-service"] = service
                operation_id = operation.get("operationId")
                if operation_id is not None:
                    if operation_id in operation_ids:
                        raise CombineError(
                            f"operationId {operation_id} of {service} is also "
                            f"{operation_ids[operation_id]}'s"
                        )
                    operation_ids[operation_id] = service
            paths[path] = item
            owners[path] = service
    versions = sorted({document["info"]["version"] for document in documents.values()})
    combined: dict[str, Any] = {
        "openapi": documents[SERVICES[0]]["openapi"],
        "info": {
            "title": "Mentor Match API",
            "version": versions[-1],
            "description": (
                "Every Mentor Match service's API at one origin: each path is answered by "
                "one service (named in each operation's `x-service`), routed by the "
                "reverse proxy or Ingress made from `deploy/origin/routes.yaml`. Sign in "
                "with `POST /v1/auth/token` and send the access token as "
                "`Authorization: Bearer` to every other operation. Errors are "
                '`{"error": {"code", "message", "details"}}`. Generated by `make docs` '
                "from the services' own documents (each also at the service's "
                "`/openapi.json`)."
            ),
        },
        "servers": [{"url": f"https://{table.host}", "description": "The single API origin"}],
        "paths": paths,
        "components": components,
    }
    if tags:
        combined["tags"] = [tags[name] for name in sorted(tags)]
    return combined


def render(document: Mapping[str, Any]) -> str:
    """The document as ``docs/openapi.json`` holds it (stable key order, final newline)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Write ``docs/openapi.json`` (``make docs``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, nargs="?", default=DOCUMENT_FILE)
    arguments = parser.parse_args(argv)
    document = combine(service_documents(), OriginTable.load())
    arguments.output.write_text(render(document))
    print(json.dumps({"written": str(arguments.output), "paths": len(document["paths"])}))


if __name__ == "__main__":
    main()
