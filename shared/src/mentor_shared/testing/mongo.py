"""A throwaway MongoDB replica set in Docker for the contract suites."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

MONGO_IMAGE = "mongo:8.0"


class MongoUnavailable(RuntimeError):
    """No MongoDB can be had here: no MONGODB_URI and no reachable Docker engine."""


def docker_reachable() -> str | None:
    """None when a Docker engine answers, else the reason it does not."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no engine", with its reason
        return f"no Docker engine reachable ({type(exc).__name__})"
    return None


@contextmanager
def mongo_replica_set() -> Iterator[str]:
    """Start a single-node replica set (transactions need one) and yield its URI."""
    reason = docker_reachable()
    if reason:
        raise MongoUnavailable(f"MongoDB tests skipped: MONGODB_URI is unset and {reason}")
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(MONGO_IMAGE).with_command("--replSet rs0 --bind_ip_all")
    container.with_exposed_ports(27017)
    with container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(27017)
        init = "rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]})"
        deadline = time.monotonic() + 60
        while True:
            code, _ = container.exec(["mongosh", "--quiet", "--eval", init])
            status, _ = container.exec(
                ["mongosh", "--quiet", "--eval", "db.hello().isWritablePrimary"]
            )
            if status == 0 and code in (0, 1):
                break
            if time.monotonic() > deadline:
                raise MongoUnavailable("MongoDB container did not become a primary in 60 s")
            time.sleep(1)
        yield f"mongodb://{host}:{port}/?replicaSet=rs0&directConnection=true"
