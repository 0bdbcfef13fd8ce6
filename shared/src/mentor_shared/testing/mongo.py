"""A throwaway MongoDB replica set in Docker for the contract suites and the journey."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from mentor_shared.testing.containers import docker_reachable

__all__ = ["MONGO_IMAGE", "MongoUnavailable", "docker_reachable", "mongo_replica_set"]

# The image docker-compose.yml runs (tests/deploy checks that they agree).
MONGO_IMAGE = "mongo:8.0"


class MongoUnavailable(RuntimeError):
    """No Docker engine answers, so no MongoDB container can be started here."""


@contextmanager
def mongo_replica_set() -> Iterator[str]:
    """Start a single-node replica set (transactions need one) and yield its URI.

    Raises:
        MongoUnavailable: no Docker engine answers (the caller skips).
        TimeoutError: the container started but never became a writable primary
            (a failure, not a reason to skip).
    """
    reason = docker_reachable()
    if reason:
        raise MongoUnavailable(f"MongoDB in Docker not available: {reason}")
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(MONGO_IMAGE).with_command("--replSet rs0 --bind_ip_all")
    container.with_exposed_ports(27017)
    with container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(27017)
        init = "rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]})"
        deadline = time.monotonic() + 60
        while True:
            # Fails while mongod is still starting, and once the set is initiated:
            # only the primary check below decides.
            container.exec(["mongosh", "--quiet", "--eval", init])
            primary, _ = container.exec(
                ["mongosh", "--quiet", "--eval", "quit(db.hello().isWritablePrimary ? 0 : 1)"]
            )
            if primary == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("MongoDB container did not become a primary in 60 s")
            time.sleep(1)
        yield f"mongodb://{host}:{port}/?replicaSet=rs0&directConnection=true"
