"""Shared facts for the deployment tests: where the files are and what the services are."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
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
        """The Dockerfile its image is built from: one for every image."""
        return DOCKERFILE

    @property
    def target(self) -> str:
        """The Dockerfile's stage that is its image."""
        return self.name


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


@dataclass(frozen=True)
class Image:
    """What one image is built from: the stages of the Dockerfile it uses.

    ``runtime`` is its target stage after the stages it is built ``FROM`` (base
    first); ``build`` the stages it copies from, with theirs, in the file's order.
    """

    arguments: list[str]
    build: list[str]
    runtime: list[str]

    @property
    def instructions(self) -> list[str]:
        """Every instruction that makes the image, as one Dockerfile of its own would."""
        return [*self.arguments, *self.build, *self.runtime]

    @property
    def build_stages(self) -> list[str]:
        """The names of the stages it copies from, and of their bases."""
        return [i.split()[-1] for i in self.build if i.startswith("FROM ")]


def image_of(spec: ServiceSpec) -> Image:
    """The instructions of ``spec``'s image (line continuations joined, no comments)."""
    text = spec.dockerfile.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
    arguments: list[str] = []
    stages: dict[str, list[str]] = {}
    for line in lines:
        stage = re.fullmatch(r"FROM (\S+) AS (\S+)", line)
        if stage:
            stages[stage.group(2)] = [line]
        elif stages:
            list(stages.values())[-1].append(line)
        else:
            arguments.append(line)

    def with_bases(name: str) -> list[str]:
        base = stages[name][0].split()[1]
        return [*(with_bases(base) if base in stages else []), name]

    runtime = with_bases(spec.target)
    build: set[str] = set()
    sources = [
        s for name in runtime for s in re.findall(r"COPY --from=(\S+)", " ".join(stages[name]))
    ]
    while sources:
        source = sources.pop()
        for name in with_bases(source):
            if name not in build:
                build.add(name)
                sources += re.findall(r"COPY --from=(\S+)", " ".join(stages[name]))
    return Image(
        arguments=arguments,
        build=[line for name in stages if name in build for line in stages[name]],
        runtime=[line for name in runtime for line in stages[name]],
    )


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
