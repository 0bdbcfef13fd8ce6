"""docker-compose.yml: valid against the Compose specification and complete."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

from mentor_shared.testing.kafka import KAFKA_IMAGE
from mentor_shared.testing.mongo import MONGO_IMAGE
from tests.deploy.conftest import COMPOSE_FILE, IMAGES, ROOT, SERVICES, WEB

INFRASTRUCTURE = ("kafka", "mongo", "mailpit", "origin")


def _check_against_compose_spec(path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            path,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_compose_file_validates_against_the_compose_specification() -> None:
    result = _check_against_compose_spec(str(COMPOSE_FILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_specification_check_rejects_a_broken_file(tmp_path: Any) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  kafka:\n    image: apache/kafka:4.1.0\n    restart: 5\n")
    assert _check_against_compose_spec(str(broken)).returncode != 0


def test_compose_runs_the_four_services_the_web_frontend_kafka_and_mongo(
    compose: dict[str, Any],
) -> None:
    names = set(compose["services"])
    assert {spec.name for spec in IMAGES} | set(INFRASTRUCTURE) <= names


@pytest.mark.parametrize("name", [*INFRASTRUCTURE, *(spec.name for spec in IMAGES)])
def test_every_long_running_container_has_a_healthcheck_and_restart_policy(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    assert service["healthcheck"]["test"], name
    assert service["restart"] == "unless-stopped"


def test_kafka_is_a_pinned_single_kraft_node(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", kafka["image"])
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert any(v.startswith("kafka-data:") for v in kafka["volumes"])


def test_mongo_runs_as_a_replica_set_initiated_before_the_services(
    compose: dict[str, Any],
) -> None:
    assert compose["services"]["mongo"]["command"][:2] == ["--replSet", "rs0"]
    init_script = " ".join(compose["services"]["mongo-init"]["command"])
    assert "rs.initiate" in init_script
    assert "NotYetInitialized" in init_script
    for spec in SERVICES:
        depends = compose["services"][spec.name]["depends_on"]
        assert depends["mongo-init"]["condition"] == "service_completed_successfully"
        assert depends["kafka-init"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_each_service_is_built_from_its_dockerfile_and_configured_for_production(
    compose: dict[str, Any], spec: Any
) -> None:
    service = compose["services"][spec.name]
    assert (ROOT / service["build"]["dockerfile"]) == spec.dockerfile
    assert service["build"]["target"] == spec.target
    env = service["environment"]
    assert env[spec.port_variable] == str(spec.port)
    assert env["ENVIRONMENT"] == "production"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["KAFKA_IDEMPOTENCE"] == "true"
    assert env["HOST"] == "0.0.0.0"
    assert env["OMP_NUM_THREADS"] == "1"
    assert "replicaSet=rs0" in env["MONGODB_URI"]
    assert service["ports"] == [f"127.0.0.1:{spec.port}:{spec.port}"]
    probe = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{spec.port}/readyz" in probe


def test_web_frontend_is_built_from_its_dockerfile_and_reaches_every_service_by_name(
    compose: dict[str, Any],
) -> None:
    web = compose["services"][WEB.name]
    assert (ROOT / web["build"]["dockerfile"]) == WEB.dockerfile
    assert web["build"]["target"] == WEB.target
    env = web["environment"]
    assert env[WEB.port_variable] == str(WEB.port)
    assert env["ENVIRONMENT"] == "production"
    assert env["HOST"] == "0.0.0.0"
    for spec in SERVICES:
        assert env[f"{spec.name.upper()}_URL"] == f"http://{spec.name}:{spec.port}"
        assert spec.name in web["depends_on"]
    assert web["depends_on"]["profile"]["condition"] == "service_healthy"
    # A client of the HTTP APIs only: no broker, no database.
    assert not {"KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI"} & set(env)
    assert web["ports"] == [f"127.0.0.1:{WEB.port}:{WEB.port}"]
    probe = " ".join(web["healthcheck"]["test"])
    assert f"127.0.0.1:{WEB.port}/readyz" in probe
    assert f"web-data:{env['DATA_DIR']}" in web["volumes"]
    assert web["cap_drop"] == ["ALL"]


def test_emailed_links_point_at_the_published_web_frontend(compose: dict[str, Any]) -> None:
    published = f"http://127.0.0.1:{WEB.port}"
    # The notifications service builds every emailed link (profile sends it the token).
    public_url = compose["services"]["notifications"]["environment"]["PUBLIC_URL"]
    assert public_url == f"${{PUBLIC_URL:-{published}}}"
    assert "PUBLIC_URL" not in compose["services"]["profile"]["environment"]


def test_docker_backed_tests_run_the_kafka_and_mongodb_images_compose_runs(
    compose: dict[str, Any],
) -> None:
    assert compose["services"]["kafka"]["image"] == KAFKA_IMAGE
    assert compose["services"]["mongo"]["image"] == MONGO_IMAGE


def test_services_believe_the_web_frontends_forwarded_address(compose: dict[str, Any]) -> None:
    # Otherwise every browser would share the web container's per-IP limits.
    for name in ("profile", "matching", "messaging", "notifications"):
        trusted = compose["services"][name]["environment"]["TRUSTED_PROXIES"]
        assert "172.16.0.0/12" in trusted, name


def test_secrets_have_no_defaults_in_compose() -> None:
    text = COMPOSE_FILE.read_text()
    for secret in ("ADMIN_PASSWORD", "UNSUBSCRIBE_SECRET", "ADMIN_EMAIL", "EVENT_SEAL_KEY"):
        assert re.search(rf"{secret}: \$\{{{secret}:\?", text), secret


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    assert {"kafka-data", "mongo-data", "matching-data", "profile-keys", "web-data"} <= set(
        compose["volumes"]
    )
    profile = compose["services"]["profile"]
    key_dir = profile["environment"]["JWT_KEY_PATH"].rsplit("/", 1)[0]
    assert f"profile-keys:{key_dir}" in profile["volumes"]
    assert "matching-data:/var/lib/mentor-match/data" in compose["services"]["matching"]["volumes"]


def test_profile_topic_is_created_compacted_for_index_rebuilds(compose: dict[str, Any]) -> None:
    script = " ".join(compose["services"]["kafka-init"]["command"])
    assert "--topic profile" in script
    assert "cleanup.policy=compact" in script


def test_account_topic_is_compacted_and_kept_a_week_so_erasure_tombstones_clean_it(
    compose: dict[str, Any],
) -> None:
    script = " ".join(compose["services"]["kafka-init"]["command"])
    assert "--topic account" in script
    assert "cleanup.policy=compact,delete --config retention.ms=604800000" in script
    assert "--entity-name account --add-config cleanup.policy=[compact,delete]" in script


def test_dockerignore_keeps_local_state_and_caches_out_of_images() -> None:
    patterns: set[str] = set()
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        if line and not line.startswith("#"):
            patterns.add(line.strip())
    for required in (".venv", ".data", "tests/artifacts", "**/node_modules", "**/__pycache__"):
        assert required in patterns, required
