"""Whether the tests that start containers (Apache Kafka, MongoDB, compose) can run here."""

from __future__ import annotations


def docker_reachable() -> str | None:
    """None when a Docker engine answers, else the reason it does not."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no engine", with its reason
        return f"no Docker engine reachable ({type(exc).__name__})"
    return None
