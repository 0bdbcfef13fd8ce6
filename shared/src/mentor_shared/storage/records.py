"""Domain dataclasses as store records: SQLite rows and MongoDB documents.

A repository turns a domain dataclass into what its store keeps and back, and
nearly every field needs nothing but its name. The few conversions that differ
between the two stores are the same for every service, so they live here
instead of in a hand-written pair of functions per dataclass and store:

| field type | SQLite row | MongoDB document |
|---|---|---|
| ``datetime`` | epoch seconds (``REAL``, :func:`~mentor_shared.clock.to_epoch`) | BSON date (read back through :func:`~mentor_shared.clock.as_utc`) |
| ``date`` | ISO text | ISO text (BSON has no date) |
| ``bool`` | ``0`` / ``1`` | boolean |
| ``tuple`` / ``list`` of values | JSON text | array |
| ``list`` of dataclasses | JSON text of objects | array of sub-documents |
| the key field (``key=``) | its own column | ``_id`` |

:class:`RecordMapper` reads a dataclass's annotations once. A field missing
from a record (a document written before the field existed, a column the query
did not select) takes the dataclass's default; a stored ``NULL`` list is empty.
The sub-objects of a list of dataclasses are plain JSON in both stores (times
as ISO text), so both stores keep the same objects.

The SQLite helpers (:func:`insert`, :func:`update`, :func:`delete_in`) build
statements from a row's column names, which come from code, never from input.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.clock import as_utc, from_epoch, from_text, to_epoch, to_text
from mentor_shared.storage.sqlite import Connection

T = TypeVar("T")

Document = dict[str, Any]
"""A MongoDB document, or a SQLite row as a dict of column values."""

MONGO_KEY = "_id"


class _Kind(Enum):
    PLAIN = "plain"
    TIME = "time"
    DATE = "date"
    FLAG = "flag"
    VALUES = "values"
    RECORDS = "records"


@dataclass(frozen=True)
class _Field:
    name: str
    kind: _Kind
    container: Callable[[Any], Any] = list
    item: RecordMapper[Any] | None = None


@dataclass(frozen=True)
class _Style:
    """How one store keeps each kind of value."""

    time_out: Callable[[datetime], Any]
    time_in: Callable[[Any], datetime]
    flag_out: Callable[[bool], Any]
    values_out: Callable[[list[Any]], Any]
    values_in: Callable[[Any], list[Any]]
    key: str | None


_SQLITE = _Style(to_epoch, from_epoch, int, json.dumps, json.loads, None)
_MONGODB = _Style(as_utc, as_utc, bool, list, list, MONGO_KEY)
_JSON = _Style(to_text, from_text, bool, list, list, None)
"""Sub-objects inside a list field, in either store."""


class RecordMapper(Generic[T]):
    """Converts one dataclass to SQLite rows and MongoDB documents, and back.

    Args:
        cls: The dataclass.
        key: The field that is the record's identity: a MongoDB document keeps it
            as ``_id`` (a SQLite row under its own name); ``None`` where the
            document's ``_id`` is not one of the fields.
    """

    def __init__(self, cls: type[T], *, key: str | None = None) -> None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls!r} is not a dataclass")
        self.cls = cls
        self.key = key
        hints = typing.get_type_hints(cls)
        self._fields = [_field(f.name, hints[f.name]) for f in dataclasses.fields(cls)]
        self._defaults: dict[str, Callable[[], Any]] = {}
        for f in dataclasses.fields(cls):
            if f.default_factory is not dataclasses.MISSING:
                self._defaults[f.name] = f.default_factory
            elif f.default is not dataclasses.MISSING:
                self._defaults[f.name] = _constant(f.default)

    @property
    def columns(self) -> list[str]:
        """The field names, in declaration order (a SQLite table's columns)."""
        return [f.name for f in self._fields]

    def to_row(
        self, obj: T, *, only: Collection[str] | None = None, skip: Collection[str] = ()
    ) -> Document:
        """``obj`` as a SQLite row (column -> value), optionally some columns only."""
        return self._dump(obj, _SQLITE, only, skip)

    def from_row(self, row: Any) -> T:
        """The object a SQLite row (``sqlite3.Row`` or a mapping) holds."""
        return self._load(row, _SQLITE)

    def to_document(
        self, obj: T, *, only: Collection[str] | None = None, skip: Collection[str] = ()
    ) -> Document:
        """``obj`` as a MongoDB document (the key field as ``_id``)."""
        return self._dump(obj, _MONGODB, only, skip)

    def from_document(self, doc: Mapping[str, Any]) -> T:
        """The object a MongoDB document holds (other keys are ignored)."""
        return self._load(doc, _MONGODB)

    def to_json(self, obj: T) -> Document:
        """``obj`` as a plain JSON object (times as ISO text)."""
        return self._dump(obj, _JSON, None, ())

    def from_json(self, data: Mapping[str, Any]) -> T:
        """The object :meth:`to_json` wrote."""
        return self._load(data, _JSON)

    def _name(self, field: str, style: _Style) -> str:
        return style.key if style.key and field == self.key else field

    def _dump(
        self, obj: T, style: _Style, only: Collection[str] | None, skip: Collection[str]
    ) -> Document:
        record: Document = {}
        for field in self._fields:
            if field.name in skip or (only is not None and field.name not in only):
                continue
            value = getattr(obj, field.name)
            record[self._name(field.name, style)] = (
                None if value is None else _store(field, value, style)
            )
        return record

    def _load(self, record: Any, style: _Style) -> T:
        values: dict[str, Any] = {}
        for field in self._fields:
            try:
                stored = record[self._name(field.name, style)]
            except (KeyError, IndexError):
                if field.name not in self._defaults:
                    raise
                values[field.name] = self._defaults[field.name]()
                continue
            values[field.name] = _load(field, stored, style)
        return self.cls(**values)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _field(name: str, hint: Any) -> _Field:
    hint = _without_none(hint)
    origin = typing.get_origin(hint)
    if origin in (list, tuple):
        item = typing.get_args(hint)[0]
        if dataclasses.is_dataclass(item):
            return _Field(name, _Kind.RECORDS, origin, RecordMapper(typing.cast(type, item)))
        return _Field(name, _Kind.VALUES, origin)
    if hint is datetime:
        return _Field(name, _Kind.TIME)
    if hint is date:
        return _Field(name, _Kind.DATE)
    if hint is bool:
        return _Field(name, _Kind.FLAG)
    return _Field(name, _Kind.PLAIN)


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _store(field: _Field, value: Any, style: _Style) -> Any:
    match field.kind:
        case _Kind.TIME:
            return style.time_out(value)
        case _Kind.DATE:
            return value.isoformat()
        case _Kind.FLAG:
            return style.flag_out(value)
        case _Kind.VALUES:
            return style.values_out(list(value))
        case _Kind.RECORDS:
            assert field.item is not None
            return style.values_out([field.item.to_json(item) for item in value])
    return value


def _load(field: _Field, stored: Any, style: _Style) -> Any:
    if stored is None:
        return field.container(()) if field.kind in (_Kind.VALUES, _Kind.RECORDS) else None
    match field.kind:
        case _Kind.TIME:
            return style.time_in(stored)
        case _Kind.DATE:
            return date.fromisoformat(stored)
        case _Kind.FLAG:
            return bool(stored)
        case _Kind.VALUES:
            return field.container(style.values_in(stored))
        case _Kind.RECORDS:
            assert field.item is not None
            return field.container(field.item.from_json(item) for item in style.values_in(stored))
    return stored


# --- SQLite statements from rows ------------------------------------------------------


IN_CHUNK = 500
"""Values per ``IN (...)``: well below SQLite's limit on a statement's parameters."""


def placeholders(count: int) -> str:
    """``?, ?, ...`` for an ``IN (...)`` of ``count`` values."""
    return ", ".join("?" * count)


def insert(table: str, row: Mapping[str, Any], *, then: str = "") -> tuple[str, tuple[Any, ...]]:
    """``INSERT INTO table (columns) VALUES (...)`` and its parameters.

    Args:
        table: The table.
        row: Column -> value.
        then: What follows the values, e.g. ``ON CONFLICT (id) DO NOTHING``.
    """
    columns = ", ".join(row)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders(len(row))}) {then}"  # noqa: S608
    return sql.strip(), tuple(row.values())


def update(
    table: str, row: Mapping[str, Any], where: Mapping[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """``UPDATE table SET column = ?, ... WHERE key = ? AND ...`` and its parameters."""
    assignments = ", ".join(f"{column} = ?" for column in row)
    condition = " AND ".join(f"{column} = ?" for column in where)
    sql = f"UPDATE {table} SET {assignments} WHERE {condition}"  # noqa: S608
    return sql, (*row.values(), *where.values())


async def delete_in(conn: Connection, table: str, column: str, values: Sequence[Any]) -> int:
    """Delete the rows whose ``column`` is one of ``values`` (in chunks); how many went."""
    deleted = 0
    for start in range(0, len(values), IN_CHUNK):
        chunk = list(values[start : start + IN_CHUNK])
        cursor = await conn.execute(
            f"DELETE FROM {table} WHERE {column} IN ({placeholders(len(chunk))})",  # noqa: S608
            chunk,
        )
        deleted += cursor.rowcount
    return deleted


# --- repository bases ---------------------------------------------------------------


class SqliteRepository:
    """A repository on a unit of work's SQLite connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query, or None."""
        async with self.conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query."""
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def first(self, mapper: RecordMapper[T], sql: str, params: Sequence[Any]) -> T | None:
        """The object the query's first row holds, or None."""
        row = await self.one(sql, params)
        return mapper.from_row(row) if row else None

    async def every(self, mapper: RecordMapper[T], sql: str, params: Sequence[Any]) -> list[T]:
        """The objects the query's rows hold."""
        return [mapper.from_row(row) for row in await self.all(sql, params)]


class MongoRepository:
    """A repository in a unit of work's MongoDB transaction (pass ``session=self.session``)."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.db = db
        self.session = session

    async def first(
        self, mapper: RecordMapper[T], collection: str, query: Mapping[str, Any]
    ) -> T | None:
        """The object of the first document in ``collection`` matching ``query``, or None."""
        doc = await self.db[collection].find_one(query, session=self.session)
        return mapper.from_document(doc) if doc else None

    async def every(
        self, mapper: RecordMapper[T], collection: str, query: Mapping[str, Any]
    ) -> list[T]:
        """The objects of every document in ``collection`` matching ``query``."""
        cursor = self.db[collection].find(query, session=self.session)
        return [mapper.from_document(doc) async for doc in cursor]
