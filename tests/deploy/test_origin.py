"""The single API origin: every service's paths reach it, and only it, through the
Caddyfile and the Ingress; the web frontend has the rest; docs/openapi.json is current.

The Caddyfile and the Ingress are parsed here independently of the code that writes
them, and each path of each service's OpenAPI document (built from its app, no server)
is followed through them. Where the ``caddy`` binary is installed (``make test``
installs Debian's), Caddy's own parser reads the file, and the real Caddy is run in
front of the running system.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mentor_match_ops.openapi_docs import (
    DOCUMENT_FILE,
    OPERATIONAL_PATHS,
    CombineError,
    combine,
    render,
    service_documents,
)
from mentor_match_ops.origin import (
    CADDYFILE,
    INGRESS_FILE,
    OriginTable,
    generated_files,
)
from mentor_shared.testing.broker import free_port
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, System
from tests.deploy.conftest import K8S_DIR

CADDY = shutil.which("caddy")
needs_caddy = pytest.mark.skipif(
    CADDY is None, reason="caddy is not installed (make test installs Debian's caddy)"
)
SERVICES = ("profile", "matching", "messaging", "notifications")


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return service_documents()


@pytest.fixture(scope="module")
def table() -> OriginTable:
    return OriginTable.load()


def sample(template: str) -> str:
    """A concrete path for an OpenAPI path template (``{id}`` -> ``x1``)."""
    return re.sub(r"\{[^}]+\}", "x1", template)


def service_paths(documents: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(service, concrete path) for every routed path of every service."""
    return [
        (service, sample(path))
        for service, document in documents.items()
        for path in document["paths"]
        if path not in OPERATIONAL_PATHS
    ]


def _route_paths(routes: list[Any], prefix: str = "") -> Iterator[str]:
    for route in routes:
        if hasattr(route, "path"):
            yield prefix + route.path
        if hasattr(route, "original_router"):  # an included router and its prefix
            context = route.include_context
            yield from _route_paths(route.original_router.routes, prefix + context.prefix)


def web_paths() -> list[str]:
    """Every path the web frontend's app routes (pages, forms, static mounts)."""
    from web_service.app import create_web_app

    return sorted({sample(path) or "/" for path in _route_paths(create_web_app().routes)})


# --- the Caddyfile, read as text --------------------------------------------------------


@dataclass(frozen=True)
class CaddyHandle:
    """One ``handle`` block: the path patterns it takes (none: the rest) and its upstream."""

    patterns: tuple[str, ...]
    upstream: str


def caddy_pattern_matches(pattern: str, path: str) -> bool:
    """Caddy's path matcher: exact, or a prefix where the pattern ends in ``*``."""
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def upstream_service(upstream: str) -> str:
    """``{$PROFILE_UPSTREAM:profile:8001}`` or ``profile:8001`` -> ``profile``."""
    default = re.fullmatch(r"\{\$[A-Z_]+:(.+)\}", upstream)
    return (default.group(1) if default else upstream).split(":")[0]


def parse_caddyfile(text: str) -> list[CaddyHandle]:
    matchers: dict[str, tuple[str, ...]] = {}
    handles: list[CaddyHandle] = []
    pending: tuple[str, ...] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if found := re.fullmatch(r"@(\w+) path (.+)", line):
            matchers[found.group(1)] = tuple(found.group(2).split())
        elif found := re.fullmatch(r"handle(?: @(\w+))? \{", line):
            pending = matchers[found.group(1)] if found.group(1) else ()
        elif found := re.fullmatch(r"reverse_proxy (\S+)(?: \{)?", line):
            assert pending is not None, "reverse_proxy outside a handle"
            handles.append(CaddyHandle(pending, upstream_service(found.group(1))))
            pending = None
    return handles


def caddy_services_for(handles: list[CaddyHandle], path: str) -> set[str]:
    """Which upstreams' handles take ``path``; the catch-all only when none does."""
    found = {h.upstream for h in handles if any(caddy_pattern_matches(p, path) for p in h.patterns)}
    return found or {h.upstream for h in handles if not h.patterns}


# --- the Ingress ---------------------------------------------------------------------------


def ingress() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(INGRESS_FILE.read_text())
    return document


def ingress_matches(rule: dict[str, Any], path: str) -> bool:
    """Exact: equal. Prefix: element-wise prefix of the path (Kubernetes' definition)."""
    if rule["pathType"] == "Exact":
        return bool(path == rule["path"])
    assert rule["pathType"] == "Prefix"
    prefix = rule["path"].rstrip("/").split("/")
    return path.rstrip("/").split("/")[: len(prefix)] == prefix


def ingress_routes(path: str) -> tuple[str, set[str]]:
    """The backend the controller picks (longest match) and every one that matches."""
    paths = ingress()["spec"]["rules"][0]["http"]["paths"]
    matching = [rule for rule in paths if ingress_matches(rule, path)]
    assert matching, path
    chosen = max(matching, key=lambda rule: (rule["pathType"] == "Exact", len(rule["path"])))
    others = {rule["backend"]["service"]["name"] for rule in matching if rule["path"] != "/"}
    return chosen["backend"]["service"]["name"], others


# --- the tests -------------------------------------------------------------------------------


def test_table_sends_every_service_path_to_that_service_alone(
    documents: dict[str, dict[str, Any]], table: OriginTable
) -> None:
    wrong = {
        path: (service, table.services_for(path))
        for service, path in service_paths(documents)
        if table.services_for(path) != {service}
    }
    assert not wrong, wrong
    # The keys every other service verifies tokens with come from profile.
    assert table.services_for("/.well-known/jwks.json") == {"profile"}


def test_caddyfile_sends_every_service_path_to_that_service_alone(
    documents: dict[str, dict[str, Any]],
) -> None:
    handles = parse_caddyfile(CADDYFILE.read_text())
    assert {h.upstream for h in handles} == {*SERVICES, "web"}
    wrong = {
        path: (service, caddy_services_for(handles, path))
        for service, path in service_paths(documents)
        if caddy_services_for(handles, path) != {service}
    }
    assert not wrong, wrong


def test_ingress_sends_every_service_path_to_that_service_alone(
    documents: dict[str, dict[str, Any]],
) -> None:
    wrong = {}
    for service, path in service_paths(documents):
        chosen, matching = ingress_routes(path)
        if chosen != service or matching != {service}:
            wrong[path] = (service, chosen, matching)
    assert not wrong, wrong


def test_the_web_frontends_pages_fall_through_to_it(table: OriginTable) -> None:
    handles = parse_caddyfile(CADDYFILE.read_text())
    paths = web_paths()
    assert "/" in paths
    assert "/account/export" in paths
    for path in paths:
        assert table.services_for(path) == {"web"}, path
        assert caddy_services_for(handles, path) == {"web"}, path
        assert ingress_routes(path) == ("web", set()), path


def test_every_rule_of_the_table_serves_a_path_of_its_service(
    documents: dict[str, dict[str, Any]], table: OriginTable
) -> None:
    paths = [*service_paths(documents), ("profile", "/.well-known/jwks.json")]
    unused = [
        rule
        for rule in table.rules
        if not any(service == rule.service and rule.matches(path) for service, path in paths)
    ]
    assert not unused, f"rules that route no path of their service: {unused}"


def test_caddyfile_and_ingress_are_generated_from_the_current_table(table: OriginTable) -> None:
    for path, text in generated_files(table):
        assert path.read_text() == text, f"{path} differs from the table: run `make docs`"
    kustomization = yaml.safe_load((K8S_DIR / "base" / "kustomization.yaml").read_text())
    assert INGRESS_FILE.name in kustomization["resources"]


def test_ingress_serves_the_origin_over_tls_and_takes_the_largest_upload() -> None:
    document = ingress()
    host = document["spec"]["rules"][0]["host"]
    assert document["spec"]["tls"] == [{"hosts": [host], "secretName": "mentor-match-tls"}]
    # POST /v1/profiles/me/import/linkedin takes 21 MiB (profile's own limit answers above).
    size = document["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(size.rstrip("m")) >= 21


@pytest.mark.parametrize("config", ["base/configmap.yaml", "overlays/production/config.yaml"])
def test_emailed_unsubscribe_links_reach_notifications_through_the_ingress(
    config: str, table: OriginTable
) -> None:
    data = yaml.safe_load((K8S_DIR / config).read_text())["data"]
    # The notifications service builds them as API_URL + /v1/unsubscribe?token=...
    assert data["API_URL"] == f"https://{table.host}"
    assert ingress()["spec"]["rules"][0]["host"] == table.host
    assert ingress_routes("/v1/unsubscribe")[0] == "notifications"


def test_compose_runs_caddy_with_the_generated_caddyfile() -> None:
    compose = yaml.safe_load((K8S_DIR.parents[1] / "docker-compose.yml").read_text())
    origin = compose["services"]["origin"]
    assert origin["image"].startswith("caddy:2.6")
    assert (
        f"./{CADDYFILE.relative_to(K8S_DIR.parents[1])}:/etc/caddy/Caddyfile:ro"
        in (origin["volumes"])
    )
    assert set(origin["depends_on"]) == {*SERVICES, "web"}


# --- docs/openapi.json -------------------------------------------------------------------------


def test_combined_openapi_document_is_current(
    documents: dict[str, dict[str, Any]], table: OriginTable
) -> None:
    fresh = render(combine(documents, table))
    assert DOCUMENT_FILE.read_text() == fresh, "docs/openapi.json is stale: run `make docs`"


def test_combined_document_has_every_service_path_once_at_the_single_origin(
    documents: dict[str, dict[str, Any]], table: OriginTable
) -> None:
    combined = json.loads(DOCUMENT_FILE.read_text())
    assert combined["servers"] == [
        {"url": f"https://{table.host}", "description": "The single API origin"}
    ]
    expected = {
        path: service
        for service, document in documents.items()
        for path in document["paths"]
        if path not in OPERATIONAL_PATHS
    }
    assert set(combined["paths"]) == set(expected)
    for path, item in combined["paths"].items():
        services = {op["x-service"] for op in item.values() if isinstance(op, dict)}
        assert services == {expected[path]}, path
    assert list(combined["components"]["securitySchemes"]) == ["HTTPBearer"]
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', DOCUMENT_FILE.read_text()))
    assert refs <= set(combined["components"]["schemas"]), refs - set(
        combined["components"]["schemas"]
    )


def test_a_client_tool_loads_every_operation_of_the_combined_document(
    documents: dict[str, dict[str, Any]],
) -> None:
    import schemathesis

    loaded = schemathesis.openapi.from_path(str(DOCUMENT_FILE))
    operations = [result.ok().label for result in loaded.get_all_operations()]
    expected = [
        f"{method.upper()} {path}"
        for document in documents.values()
        for path, item in document["paths"].items()
        if path not in OPERATIONAL_PATHS
        for method in item
    ]
    assert sorted(operations) == sorted(expected)


def _document(schemas: dict[str, Any], path: str) -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "0.1.0"},
        "paths": {path: {"get": {"operationId": path, "responses": {"200": body}}}},
        "components": {"schemas": schemas},
    }


def test_schemas_of_one_name_and_different_meaning_are_renamed_in_every_service(
    table: OriginTable,
) -> None:
    shared = {"type": "object", "properties": {"stats": {"$ref": "#/components/schemas/Stats"}}}
    profile = _document({"Stats": {"type": "integer"}, "Page": shared}, "/v1/admin/stats")
    matching = _document({"Stats": {"type": "string"}, "Page": shared}, "/v1/admin/stats/matching")
    one = combine({"profile": profile, "matching": matching}, table)
    other = combine({"matching": matching, "profile": profile}, table)
    assert one["components"] == other["components"]
    schemas = one["components"]["schemas"]
    assert schemas["ProfileStats"] == {"type": "integer"}
    assert schemas["MatchingStats"] == {"type": "string"}
    assert "Stats" not in schemas
    # Page was the same text but points at a renamed schema: it differs too, so it splits.
    assert schemas["ProfilePage"]["properties"]["stats"]["$ref"].endswith("/ProfileStats")
    assert schemas["MatchingPage"]["properties"]["stats"]["$ref"].endswith("/MatchingStats")
    response = one["paths"]["/v1/admin/stats/matching"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/MatchingStats")


def test_a_path_served_by_two_services_cannot_be_combined(table: OriginTable) -> None:
    schemas = {"Stats": {"type": "integer"}}
    with pytest.raises(CombineError, match="served by both"):
        combine(
            {"profile": _document(schemas, "/v1/me"), "matching": _document(schemas, "/v1/me")},
            table,
        )


# --- the real Caddy ------------------------------------------------------------------------


def _caddy_env(tmp_path: Path) -> dict[str, str]:
    # Caddy keeps its state under XDG folders: never the user's own.
    return {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


@needs_caddy
def test_caddy_reads_the_caddyfile_as_the_table_says(tmp_path: Path) -> None:
    assert CADDY is not None
    adapted = subprocess.run(
        [CADDY, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=_caddy_env(tmp_path),
        check=False,
    )
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    assert config["admin"] == {"disabled": True}
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":8080"]
    handles = []
    for route in server["routes"]:
        patterns = tuple(p for m in route.get("match", []) for p in m.get("path", []))
        (proxy,) = route["handle"][0]["routes"][0]["handle"]
        (upstream,) = proxy["upstreams"]
        handles.append(CaddyHandle(patterns, upstream_service(upstream["dial"])))
    assert handles == parse_caddyfile(CADDYFILE.read_text())
    validated = subprocess.run(
        [CADDY, "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=_caddy_env(tmp_path),
        check=False,
    )
    assert validated.returncode == 0, validated.stderr


@pytest.fixture
def caddy_origin(running_system: System, tmp_path: Path) -> Iterator[str]:
    """The real Caddy on a free port with the generated Caddyfile, upstreams the system's."""
    assert CADDY is not None
    port = free_port()
    env = _caddy_env(tmp_path) | {"ORIGIN_ADDRESS": f"127.0.0.1:{port}"}
    for service in (*SERVICES, "web"):
        env[f"{service.upper()}_UPSTREAM"] = running_system.url(service).removeprefix("http://")
    log = tmp_path / "caddy.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [CADDY, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(origin + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)


@needs_caddy
@pytest.mark.broker
@pytest.mark.slow
def test_real_caddy_serves_every_service_and_the_web_frontend_at_one_origin(
    running_system: System, caddy_origin: str
) -> None:
    with httpx.Client(base_url=caddy_origin, timeout=30) as client:
        # Profile: the signing keys, and signing in (a form post through the proxy).
        keys = client.get("/.well-known/jwks.json")
        direct = httpx.get(running_system.url("profile") + "/.well-known/jwks.json", timeout=30)
        assert keys.status_code == 200
        assert keys.json() == direct.json()
        signed_in = client.post(
            "/v1/auth/token",
            data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.60"},
        )
        assert signed_in.status_code == 200, signed_in.text
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        # Each service's own part of the person's data, all through the one origin.
        for path, service in (
            ("/v1/me/export", "profile"),
            ("/v1/me/export/matching", "matching"),
            ("/v1/me/export/messaging", "messaging"),
            ("/v1/me/export/notifications", "notifications"),
        ):
            response = client.get(path, headers=bearer)
            assert response.status_code == 200, (path, response.text)
            direct = httpx.get(running_system.url(service) + path, headers=bearer, timeout=30)
            assert set(response.json()) == set(direct.json()), path
        assert client.get("/v1/index/status", headers=bearer).json()["loaded"] is True
        assert client.get("/v1/conversations", headers=bearer).status_code == 200
        assert client.get("/v1/preferences", headers=bearer).status_code == 200
        # Errors keep the services' shape through the proxy.
        refused = client.get("/v1/matches")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"]
        # The web frontend has the rest.
        page = client.get("/")
        assert page.status_code in (200, 303)
        assert "text/html" in page.headers["content-type"]
        assert client.get("/metrics").status_code == 404
