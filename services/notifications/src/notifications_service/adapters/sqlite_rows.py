"""What every notifications SQLite repository does with rows: read them as
records (:mod:`~notifications_service.adapters.records`) and write records
with statements made from their fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mentor_shared.storage.sqlite import Connection

Row = dict[str, Any]


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
