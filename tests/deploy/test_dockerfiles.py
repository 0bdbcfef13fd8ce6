"""Each image (the four services, the web frontend), a target of the one Dockerfile:
slim, multi-stage, non-root, pinned, health-checked."""

from __future__ import annotations

import json
import re

import pytest

from tests.deploy.conftest import IMAGES, ROOT, SERVICES, WEB, ServiceSpec, image_of


def _instructions(spec: ServiceSpec) -> list[str]:
    return image_of(spec).instructions


@pytest.mark.parametrize("spec", IMAGES, ids=lambda s: s.name)
def test_dockerfile_builds_in_two_stages_from_python_slim(spec: ServiceSpec) -> None:
    image = image_of(spec)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in image.instructions
    roots = [i for i in image.instructions if re.fullmatch(r"FROM \$\{PYTHON_IMAGE\} AS \w+", i)]
    assert roots == ["FROM ${PYTHON_IMAGE} AS build", "FROM ${PYTHON_IMAGE} AS runtime"]
    # The image is the runtime stage's, with only the virtualenv of a build stage.
    assert image.runtime[0] == "FROM ${PYTHON_IMAGE} AS runtime"
    venvs = [re.fullmatch(r"COPY --from=(\S+) /opt/venv /opt/venv", i) for i in image.runtime]
    (copied,) = [match.group(1) for match in venvs if match]
    assert "build" in image.build_stages
    assert copied in image.build_stages


@pytest.mark.parametrize("spec", IMAGES, ids=lambda s: s.name)
def test_dockerfile_installs_only_shared_and_its_service_with_the_pins(spec: ServiceSpec) -> None:
    installs = [i for i in _instructions(spec) if i.startswith("RUN pip install -c")]
    assert installs == [
        f"RUN pip install -c requirements/constraints.txt ./shared ./services/{spec.name}"
    ]


@pytest.mark.parametrize("spec", IMAGES, ids=lambda s: s.name)
def test_container_runs_the_service_as_a_non_root_user(spec: ServiceSpec) -> None:
    instructions = _instructions(spec)
    users = [i for i in instructions if i.startswith("USER ")]
    assert users == ["USER 10001:10001"]
    assert instructions[-1] == f'CMD ["python", "-m", "{spec.module}"]'
    assert f"EXPOSE {spec.port}" in instructions


@pytest.mark.parametrize("spec", IMAGES, ids=lambda s: s.name)
def test_image_environment_listens_on_the_service_port_in_production(
    spec: ServiceSpec,
) -> None:
    env = " ".join(i for i in _instructions(spec) if i.startswith("ENV "))
    assert f"{spec.port_variable}={spec.port}" in env
    assert "HOST=0.0.0.0" in env
    assert "ENVIRONMENT=production" in env
    health = next(i for i in _instructions(spec) if i.startswith("HEALTHCHECK"))
    assert "/healthz" in health
    assert f"'{spec.port}'" in health


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_service_image_sets_one_omp_thread_before_torch_or_faiss_load(spec: ServiceSpec) -> None:
    env = " ".join(i for i in _instructions(spec) if i.startswith("ENV "))
    assert "OMP_NUM_THREADS=1" in env


def test_matching_image_exports_the_model_with_cpu_torch_and_ships_no_torch() -> None:
    spec = next(s for s in IMAGES if s.name == "matching")
    image = image_of(spec)
    runtime, build = image.runtime, image.build
    export = next(i for i in build if "/opt/export/bin/pip install torch" in i)
    # torch from the CPU index, into the build-only virtualenv, then the export.
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in export
    assert '"./services/matching[export]"' in export
    assert "python -m matching_service.adapters.model_export /opt/model" in export
    assert not any("torch" in i for i in runtime)
    models = [re.fullmatch(r"COPY --from=(\S+) /opt/model /opt/model", i) for i in runtime]
    assert [match.group(1) for match in models if match] == ["matching-build"]
    assert "matching-build" in image.build_stages
    assert "/opt/export" not in " ".join(i for i in runtime if i.startswith("COPY"))
    env = " ".join(i for i in runtime if i.startswith("ENV "))
    assert "MATCHING_MODEL_DIR=/opt/model" in env


def test_torch_pin_in_the_image_matches_the_project_constraints() -> None:
    constraints = (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    assert "torch==2.13.0" in constraints


def test_web_image_serves_govuk_frontend_from_the_lock_file_without_node() -> None:
    instructions = _instructions(WEB)
    assert "ARG NODE_IMAGE=node:22-bookworm-slim" in instructions
    assert "FROM ${NODE_IMAGE} AS assets" in instructions
    assert "COPY services/web/package.json services/web/package-lock.json ./" in instructions
    npm = [i for i in instructions if i.startswith("RUN npm")]
    assert npm == ["RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund"]
    runtime = image_of(WEB).runtime
    copied = [i.split() for i in runtime if i.startswith("COPY --from=assets")]
    assert len(copied) == 1, "only GOV.UK Frontend's built files reach the runtime image"
    source, destination = copied[0][2:]
    assert source == "/src/node_modules/govuk-frontend/dist"
    env = " ".join(i for i in runtime if i.startswith("ENV "))
    node_modules = re.search(r"NODE_MODULES_DIR=(\S+)", env)
    assert node_modules is not None
    # The app looks for <NODE_MODULES_DIR>/govuk-frontend/dist/govuk (web_service.settings).
    assert destination == f"{node_modules.group(1)}/govuk-frontend/dist"


def test_web_image_takes_the_govuk_frontend_version_make_install_takes() -> None:
    lock = json.loads((ROOT / "services" / "web" / "package-lock.json").read_text())
    package = json.loads((ROOT / "services" / "web" / "package.json").read_text())
    pinned = package["dependencies"]["govuk-frontend"]
    assert lock["packages"]["node_modules/govuk-frontend"]["version"] == pinned
    assert "npm ci --prefix services/web" in (ROOT / "Makefile").read_text()
