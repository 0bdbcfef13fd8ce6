"""What every notifications SQLite repository does with rows: read them as
records (:mod:`~notifications_service.adapters.records`) and write records
with statements made from their fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from mentor_shared.clock import to_epoch
from mentor_shared.storage.sqlite import Connection
from notifications_service.adapters.records import SQLITE, ShapedRepository

Row = dict[str, Any]
T = TypeVar("T")


class SqliteRepository:
    """Base of the repositories: one transaction's connection, and helpers.

    Table and column names come from this package (the records' fields),
    never from input; every value is a placeholder.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def fetch_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query, as records."""
        async with self.conn.execute(sql, params) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def fetch_row(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query as a record, or None."""
        async with self.conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return None if row is None else dict(row)

    async def insert_record(
        self, table: str, record: Mapping[str, Any], *, on_conflict: str = "DO NOTHING"
    ) -> bool:
        """Insert a record; ``on_conflict`` says what a row with its key does
        (nothing, by default); whether a row was written."""
        columns = ", ".join(record)
        marks = ", ".join("?" for _ in record)
        cursor = await self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT {on_conflict}",  # noqa: S608 - names from the mapper, values are placeholders
            tuple(record.values()),
        )
        return cursor.rowcount == 1

    async def upsert_record(
        self, table: str, record: Mapping[str, Any], key: str, *, only_if: str = ""
    ) -> bool:
        """Insert a record or overwrite the row with its ``key`` (when ``only_if``
        holds, with ``excluded`` the new values); whether a row was written."""
        assignments = ", ".join(f"{c} = excluded.{c}" for c in record if c != key)
        where = f" WHERE {only_if}" if only_if else ""
        return await self.insert_record(
            table, record, on_conflict=f"({key}) DO UPDATE SET {assignments}{where}"
        )

    async def update_rows(
        self, table: str, fields: Mapping[str, Any], where: str, *params: Any
    ) -> int:
        """Set ``fields`` on the rows ``where`` selects; how many."""
        assignments = ", ".join(f"{c} = ?" for c in fields)
        cursor = await self.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE {where}",  # noqa: S608 - names from the mapper, values are placeholders
            (*fields.values(), *params),
        )
        return cursor.rowcount

    async def delete_rows(self, table: str, where: str, *params: Any) -> int:
        """Delete the rows ``where`` selects; how many."""
        cursor = await self.conn.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608 - names from this package
        return cursor.rowcount


class SqliteTable(SqliteRepository, ShapedRepository[T]):
    """A repository of one aggregate stored a row each in ``table``, by ``shape``:
    ``class SqliteCheckInRepository(SqliteTable[CheckIn], table="checkins", shape=CHECKIN)``.
    """

    table: str

    def __init_subclass__(cls, *, table: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.table = table

    async def get(self, key: str) -> T | None:
        """The aggregate with this key, or None."""
        row = await self.fetch_row(
            f"SELECT * FROM {self.table} WHERE {self.shape.key} = ?",  # noqa: S608 - names from this package
            (key,),
        )
        return None if row is None else self.shape.read(row, SQLITE)

    async def add(self, item: T) -> bool:
        """Store unless its key exists; whether it was stored."""
        return await self.insert_record(self.table, self.shape.record(item, SQLITE))

    async def delete(self, key: str) -> bool:
        """Forget the aggregate with this key; whether there was one."""
        return await self.delete_rows(self.table, f"{self.shape.key} = ?", key) == 1

    async def lease_due(
        self,
        now: datetime,
        limit: int,
        lease_until: datetime,
        *,
        narrower: str = "",
        params: Sequence[Any] = (),
    ) -> list[T]:
        """Due pending rows of an outgoing queue (emails, webhooks), leased until
        ``lease_until`` so a second worker does not take them meanwhile;
        ``narrower`` (with ``params``) adds to the filter."""
        items = await self.read_all(
            f"SELECT * FROM {self.table} WHERE state = 'pending' AND next_attempt_at <= ? "  # noqa: S608 - names from this package, values are placeholders
            f"{narrower} ORDER BY next_attempt_at LIMIT ?",
            to_epoch(now),
            *params,
            limit,
        )
        await self.conn.executemany(
            f"UPDATE {self.table} SET next_attempt_at = ? WHERE {self.shape.key} = ?",  # noqa: S608 - names from this package
            [(to_epoch(lease_until), getattr(item, self.shape.key)) for item in items],
        )
        return items

    async def read_all(self, sql: str, *params: Any) -> list[T]:
        """The aggregates the rows of a query hold."""
        return [self.shape.read(row, SQLITE) for row in await self.fetch_rows(sql, params)]
