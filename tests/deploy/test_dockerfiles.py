"""Each service's Dockerfile: slim, multi-stage, non-root, pinned, health-checked."""

from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import ROOT, SERVICES, ServiceSpec


def _instructions(spec: ServiceSpec) -> list[str]:
    text = spec.dockerfile.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_dockerfile_builds_in_two_stages_from_python_slim(spec: ServiceSpec) -> None:
    text = spec.dockerfile.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert len(re.findall(r"^FROM \$\{PYTHON_IMAGE\} AS \w+$", text, re.M)) == 2
    assert "COPY --from=build /opt/venv /opt/venv" in text


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_dockerfile_installs_only_shared_and_its_service_with_the_pins(spec: ServiceSpec) -> None:
    installs = [i for i in _instructions(spec) if i.startswith("RUN pip install -c")]
    assert installs == [
        f"RUN pip install -c requirements/constraints.txt ./shared ./services/{spec.name}"
    ]


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_container_runs_the_service_as_a_non_root_user(spec: ServiceSpec) -> None:
    instructions = _instructions(spec)
    users = [i for i in instructions if i.startswith("USER ")]
    assert users == ["USER 10001:10001"]
    assert instructions[-1] == f'CMD ["python", "-m", "{spec.module}"]'
    assert f"EXPOSE {spec.port}" in instructions


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_image_environment_listens_on_the_service_port_with_one_omp_thread(
    spec: ServiceSpec,
) -> None:
    env = " ".join(i for i in _instructions(spec) if i.startswith("ENV "))
    assert f"{spec.port_variable}={spec.port}" in env
    assert "OMP_NUM_THREADS=1" in env
    assert "HOST=0.0.0.0" in env
    assert "ENVIRONMENT=production" in env
    health = next(i for i in _instructions(spec) if i.startswith("HEALTHCHECK"))
    assert "/healthz" in health
    assert f"'{spec.port}'" in health


def test_matching_image_takes_cpu_torch_and_loads_the_model_offline() -> None:
    spec = next(s for s in SERVICES if s.name == "matching")
    instructions = _instructions(spec)
    torch = "RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    assert torch in instructions
    service_install = next(i for i in instructions if i.startswith("RUN pip install -c"))
    assert instructions.index(torch) < instructions.index(service_install)
    env = " ".join(i for i in instructions if i.startswith("ENV "))
    assert "HF_HUB_OFFLINE=1" in env


def test_torch_pin_in_the_image_matches_the_project_constraints() -> None:
    constraints = (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in constraints
