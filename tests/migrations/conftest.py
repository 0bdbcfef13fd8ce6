"""What the migration tests share."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mentor_shared.storage.mongo import mongo_client


@pytest.fixture
async def database(mongodb_uri: str) -> AsyncIterator[Any]:
    """A MongoDB database of the test's own, dropped after it."""
    client: Any = mongo_client(mongodb_uri)
    name = f"ladder_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()
