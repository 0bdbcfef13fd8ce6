"""One running stack (profile, messaging, notifications, web, SMTP) for all web tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mentor_shared.testing.broker import EmbeddedBroker
from tests.web.stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with running_stack(
        embedded_broker.bootstrap_servers, tmp_path_factory.mktemp("web")
    ) as started:
        yield started
