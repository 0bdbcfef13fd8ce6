"""Every store's unit of work sets every repository its service's port declares.

The adapters subclass the port, so mypy takes the declared attributes as set;
a repository left out of ``open_repositories`` would only fail when a handler
reaches for it. Read from the source, so the MongoDB adapters are checked too
where no server runs.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from matching_service.adapters.mongo_repository import MongoMatchingUnitOfWork
from matching_service.adapters.sqlite_repository import SqliteMatchingUnitOfWork
from matching_service.service.ports import MatchingUnitOfWork
from messaging_service.adapters.mongo_repository import MongoMessagingUnitOfWork
from messaging_service.adapters.sqlite_repository import SqliteMessagingUnitOfWork
from messaging_service.service.ports import MessagingUnitOfWork
from notifications_service.adapters.mongo_repository import MongoNotificationsUnitOfWork
from notifications_service.adapters.sqlite_repository import SqliteNotificationsUnitOfWork
from notifications_service.service.ports import NotificationsUnitOfWork
from profile_service.adapters.mongo_repository import MongoProfileUnitOfWork
from profile_service.adapters.sqlite_repository import SqliteProfileUnitOfWork
from profile_service.service.ports import ProfileUnitOfWork

ADAPTERS: list[tuple[type, type]] = [
    (MatchingUnitOfWork, SqliteMatchingUnitOfWork),
    (MatchingUnitOfWork, MongoMatchingUnitOfWork),
    (MessagingUnitOfWork, SqliteMessagingUnitOfWork),
    (MessagingUnitOfWork, MongoMessagingUnitOfWork),
    (NotificationsUnitOfWork, SqliteNotificationsUnitOfWork),
    (NotificationsUnitOfWork, MongoNotificationsUnitOfWork),
    (ProfileUnitOfWork, SqliteProfileUnitOfWork),
    (ProfileUnitOfWork, MongoProfileUnitOfWork),
]


def set_on_self(method: object) -> set[str]:
    """The attributes a method assigns to ``self`` (``self.x = ...``, ``self.x, self.y = ...``)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))  # type: ignore[arg-type]
    names: set[str] = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for part in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (
                    isinstance(part, ast.Attribute)
                    and isinstance(part.value, ast.Name)
                    and part.value.id == "self"
                ):
                    names.add(part.attr)
    return names


@pytest.mark.parametrize(("port", "adapter"), ADAPTERS, ids=lambda c: c.__name__)
def test_each_unit_of_work_sets_every_repository_its_port_declares(
    port: type, adapter: type
) -> None:
    declared = set(port.__annotations__)
    assert declared, f"{port.__name__} declares no repositories"
    built = set_on_self(adapter.open_repositories)
    if "__init__" in vars(adapter):
        built |= set_on_self(adapter.__init__)
    assert declared - built == set(), f"{adapter.__name__} leaves these unset"
