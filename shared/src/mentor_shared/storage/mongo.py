"""MongoDB connections through PyMongo's async API (production store).

Transactions need a replica set (a single-node one in docker-compose).
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient


def mongo_client(uri: str, *, timeout_ms: int = 5000) -> AsyncMongoClient[dict[str, Any]]:
    """A client with bounded timeouts; created by bootstrap, never at import."""
    return AsyncMongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        timeoutMS=timeout_ms * 2,
        tz_aware=True,
    )


async def mongo_ping(client: AsyncMongoClient[dict[str, Any]]) -> bool:
    """Whether the server answers (for /readyz)."""
    reply = await client.admin.command("ping")
    return bool(reply.get("ok"))
