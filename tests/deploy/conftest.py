"""Shared facts for the deployment tests: where the files are and what the services are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"


@dataclass(frozen=True)
class ServiceSpec:
    """What the deployment files must agree on for one service."""

    name: str
    port: int

    @property
    def module(self) -> str:
        """The module ``python -m`` runs."""
        return f"{self.name}_service"

    @property
    def port_variable(self) -> str:
        """The environment variable the service's settings read its port from."""
        return f"{self.name.upper()}_PORT"

    @property
    def dockerfile(self) -> Path:
        """The service's own Dockerfile."""
        return ROOT / "services" / self.name / "Dockerfile"


SERVICES = (
    ServiceSpec("profile", 8001),
    ServiceSpec("matching", 8002),
    ServiceSpec("messaging", 8003),
    ServiceSpec("notifications", 8004),
)
"""The four services: each owns a store and talks to Kafka."""
WEB = ServiceSpec("web", 8000)
"""The web frontend: a client of the services' HTTP APIs, no broker, no database."""
IMAGES = (*SERVICES, WEB)
"""Everything built from this repository into an image of its own."""


def load_compose() -> dict[str, Any]:
    """The compose file as plain data (anchors and merge keys resolved by PyYAML)."""
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    """Every Kubernetes object in deploy/k8s (kustomization files excluded)."""
    found = []
    for path in sorted(K8S_DIR.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                found.append((path, document))
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The parsed docker-compose.yml."""
    return load_compose()
