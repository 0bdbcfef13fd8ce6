"""The Apache Kafka testcontainer's configuration, checked without Docker.

The container itself only starts where a Docker engine answers (``pytest -m
docker``); these checks catch a listener or start-up mistake everywhere.
"""

from __future__ import annotations

import io
import tarfile

from mentor_shared.testing.kafka import (
    BROKER_PORT,
    CLIENT_PORT,
    CONTROLLER_PORT,
    START_READY,
    START_SCRIPT,
    STARTED,
    kraft_environment,
    start_script,
    tar_archive,
)


def _listeners(value: str) -> dict[str, int]:
    """``NAME://host:port,...`` as {name: port}."""
    found = {}
    for listener in value.split(","):
        name, address = listener.split("://")
        found[name] = int(address.rsplit(":", 1)[1])
    return found


def test_every_listener_has_a_protocol_and_the_controller_votes_on_its_own_port() -> None:
    env = kraft_environment()
    listeners = _listeners(env["KAFKA_LISTENERS"])
    assert listeners == {
        "PLAINTEXT": CLIENT_PORT,
        "BROKER": BROKER_PORT,
        "CONTROLLER": CONTROLLER_PORT,
    }
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(protocols) == set(listeners)
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in listeners
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    node, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")
    assert node == env["KAFKA_NODE_ID"]
    assert int(voter.rsplit(":", 1)[1]) == CONTROLLER_PORT
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_start_script_advertises_the_mapped_port_to_clients_and_the_hostname_to_itself() -> None:
    script = start_script("docker-host.internal", 49153, "0c1d2e3f4a5b")
    exported = next(line for line in script.splitlines() if "KAFKA_ADVERTISED_LISTENERS" in line)
    advertised = exported.split("=", 1)[1]
    assert advertised == (
        f"PLAINTEXT://docker-host.internal:49153,BROKER://0c1d2e3f4a5b:{BROKER_PORT}"
    )
    # A controller listener must not be advertised; every advertised one must exist.
    assert set(_listeners(advertised)) <= set(_listeners(kraft_environment()["KAFKA_LISTENERS"]))
    assert "CONTROLLER" not in advertised
    assert script.splitlines()[-1] == "exec /etc/kafka/docker/run"


def test_start_script_is_unpacked_before_the_flag_that_lets_it_run() -> None:
    archive = tar_archive({START_SCRIPT: "#!/bin/bash\nexec true\n", START_READY: ""})
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == [START_SCRIPT.lstrip("/"), START_READY.lstrip("/")]
        script = tar.extractfile(members[0])
        assert script is not None
        assert script.read() == b"#!/bin/bash\nexec true\n"
        assert members[0].mode & 0o004, "the image's own user must be able to read it"


def test_readiness_is_recognised_in_the_brokers_log_lines() -> None:
    unfenced = (
        "[2026-01-05 10:00:03,120] INFO [BrokerLifecycleManager id=1] The broker has been "
        "unfenced. Transitioning from RECOVERY to RUNNING. (kafka.server.BrokerLifecycleManager)"
    )
    started = "[2026-01-05 10:00:03,200] INFO [KafkaRaftServer nodeId=1] Kafka Server started"
    formatting = "[2026-01-05 10:00:01,000] INFO Formatting metadata directory"
    assert STARTED.search(unfenced)
    assert STARTED.search(started)
    assert not STARTED.search(formatting)
