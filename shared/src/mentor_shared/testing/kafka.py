"""Apache Kafka in Docker, for the tests that must also pass on the production broker.

The container runs the image docker-compose.yml runs, as one combined broker and
controller (KRaft, no ZooKeeper), with the idempotent producer available (the
embedded Tansu broker lacks it).

Kafka must advertise the address its clients reach it on, and Docker picks the
host port only when the container starts. So the container starts with a command
that waits for a start script, and :func:`apache_kafka_container` writes that
script once the port is known (the approach of Testcontainers for Java's
``org.testcontainers.kafka.KafkaContainer``). testcontainers-python's own
``KafkaContainer`` only drives Confluent's images, not ``apache/kafka``.
"""

from __future__ import annotations

import io
import re
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mentor_shared.testing.containers import docker_reachable

# The image docker-compose.yml runs (tests/deploy checks that they agree).
KAFKA_IMAGE = "apache/kafka:4.1.0"
CLIENT_PORT = 9092
"""Clients: advertised as the Docker host and the port mapped to this one."""
BROKER_PORT = 9093
"""The broker's own inter-broker listener, advertised on the container's hostname."""
CONTROLLER_PORT = 9094
# Paths inside the container (its /tmp belongs to that container alone).
START_SCRIPT = "/tmp/mentor-match-kafka-start.sh"  # noqa: S108
# Written after the script, in the same archive: the waiting command runs the script
# only once it is complete.
START_READY = "/tmp/mentor-match-kafka-start.ready"  # noqa: S108
# BrokerLifecycleManager logs the first once the broker serves clients; the second is
# KafkaRaftServer's "started" line. Either means producers and consumers can connect.
STARTED = re.compile(r"Transitioning from RECOVERY to RUNNING|Kafka Server started")
# A fixed id (base64 of 16 bytes, as `kafka-storage.sh random-uuid` prints): the
# storage is formatted once per container, so it needs no uniqueness.
CLUSTER_ID = "Ew8x7Q9hSGCMuPDclc5w_Q"


class KafkaUnavailable(RuntimeError):
    """No Docker engine answers, so no Apache Kafka container can be started here."""


@dataclass(frozen=True)
class ApacheKafka:
    """A running Apache Kafka broker in a container."""

    bootstrap_servers: str
    """The address clients connect to (``host:port`` on the Docker host)."""


def kraft_environment() -> dict[str, str]:
    """The broker's settings (the image turns ``KAFKA_*`` variables into properties)."""
    return {
        "CLUSTER_ID": CLUSTER_ID,
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": (
            f"PLAINTEXT://:{CLIENT_PORT},BROKER://:{BROKER_PORT},CONTROLLER://:{CONTROLLER_PORT}"
        ),
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
            "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
        ),
        "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@localhost:{CONTROLLER_PORT}",
        # One node: every internal topic with one replica, as in docker-compose.yml.
        "KAFKA_NUM_PARTITIONS": "6",
        "KAFKA_DEFAULT_REPLICATION_FACTOR": "1",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_MIN_INSYNC_REPLICAS": "1",
        # Consumer groups form at once instead of after the default 3 s.
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_HEAP_OPTS": "-Xms512m -Xmx512m",
    }


def start_script(host: str, port: int, hostname: str) -> str:
    """The script that sets the advertised listeners and runs the image's launcher."""
    return (
        "#!/bin/bash\n"
        f"export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{host}:{port},"
        f"BROKER://{hostname}:{BROKER_PORT}\n"
        "exec /etc/kafka/docker/run\n"
    )


def tar_archive(files: dict[str, str]) -> bytes:
    """A tar archive of ``files`` (absolute path -> text), extracted in this order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, text in files.items():
            content = text.encode()
            info = tarfile.TarInfo(name=path.lstrip("/"))
            info.size = len(content)
            info.mode = 0o644
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@contextmanager
def apache_kafka_container(
    image: str = KAFKA_IMAGE, startup_timeout_s: float = 180.0
) -> Iterator[ApacheKafka]:
    """Start Apache Kafka in Docker, yield it once it serves clients, then remove it.

    Raises:
        KafkaUnavailable: no Docker engine answers (the caller skips).
        TimeoutError, RuntimeError: the container started but the broker did not
            (a failure, not a reason to skip).
    """
    reason = docker_reachable()
    if reason:
        raise KafkaUnavailable(f"Apache Kafka in Docker not available: {reason}")
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    container = (
        DockerContainer(image)
        .with_exposed_ports(CLIENT_PORT)
        .with_envs(**kraft_environment())
        .with_command(
            [
                "sh",
                "-c",
                f"while [ ! -f {START_READY} ]; do sleep 0.1; done; exec bash {START_SCRIPT}",
            ]
        )
    )
    try:
        container.start()
        host = container.get_container_host_ip()
        port = container.get_exposed_port(CLIENT_PORT)
        wrapped = container.get_wrapped_container()
        hostname = str(wrapped.attrs["Config"]["Hostname"])
        script = start_script(host, port, hostname)
        if not wrapped.put_archive("/", tar_archive({START_SCRIPT: script, START_READY: ""})):
            raise RuntimeError("could not copy the start script into the Kafka container")
        waiting = LogMessageWaitStrategy(STARTED).with_startup_timeout(int(startup_timeout_s))
        waiting.wait_until_ready(container)
        yield ApacheKafka(bootstrap_servers=f"{host}:{port}")
    finally:
        container.stop()
