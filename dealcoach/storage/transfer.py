"""Copy a SQLite deal store into PostgreSQL, every row accounted for (``dealcoach migrate``).

A team that started on the embedded SQLite file moves to a shared PostgreSQL database
without losing a deal, a review or a quiz score. The copy is table by table, row by
row, ids kept (so the active deal, a review's advice and a quiz's answers still point
at the same rows), with each value turned into PostgreSQL's type for the column
(``postgres_schema.py``: JSON text to jsonb, 1/0 to booleans, ISO text to timestamptz).

The source is opened through ``SQLiteStore`` first, which upgrades an old file to the
current SQLite schema (the same upgrade the coach does when it opens it). The whole
copy is one PostgreSQL transaction: the target's rows are counted inside it, before
the commit, and a count that differs from the source's rolls everything back. A target
that already holds rows is refused unless ``replace`` is given, which empties it in
that same transaction; nothing is ever merged into existing data (ids would clash,
and two stores' deals are not one store's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List

import psycopg2.extras

from dealcoach.storage.postgres import PostgresStore
from dealcoach.storage.postgres_schema import TABLES
from dealcoach.storage.sqlite import SQLiteStore


class TransferError(RuntimeError):
    """The copy was refused or did not add up; the target is as it was before."""


@dataclass(frozen=True)
class TableCount:
    """One table's rows in the source and, after the copy, in the target."""

    table: str
    source: int
    target: int


def _json_list(value: Any) -> Any:
    return None if value is None else psycopg2.extras.Json(json.loads(value))


def _boolean(value: Any) -> Any:
    return None if value is None else bool(value)


#: How a SQLite value becomes the PostgreSQL column's value, where it is not as it is.
CONVERT: Dict[str, Callable[[Any], Any]] = {
    "unknown": _json_list,
    "deferred": _json_list,
    "roles": _json_list,
    "assumed_roles": _json_list,
    "question_ids": _json_list,
    "met": _boolean,
    "named": _boolean,
    "correct": _boolean,
    "language_chosen": _boolean,
}


def _count(cursor: Any, table: str) -> int:
    cursor.execute(f'SELECT count(*) FROM "{table}"')
    return int(cursor.fetchone()[0])


def copy_sqlite_to_postgres(source: Path, url: str, replace: bool = False) -> List[TableCount]:
    """Copy every row of the SQLite store at ``source`` into the PostgreSQL database at
    ``url`` (its schema created if new); each table's count in both.

    ``TransferError`` when the source is missing, the target holds rows (unless
    ``replace``), a row does not fit (the database's own sentence, with the table), or
    the counts differ; the target is then unchanged."""
    if not Path(source).is_file():
        raise TransferError(f"no deal database at {source}")
    sqlite = SQLiteStore(source)
    target = PostgresStore(url, pool_size=1)
    try:
        counts: List[TableCount] = []
        with target.database.transaction():
            with target.database.cursor() as cursor:
                held = {table: _count(cursor, table) for table in TABLES}
                if any(held.values()) and not replace:
                    listed = ", ".join(f"{t} {n}" for t, n in held.items() if n)
                    raise TransferError(
                        f"{target.location} already holds deal data ({listed} rows): "
                        "nothing was copied. Give --replace to empty it first."
                    )
                if any(held.values()):
                    cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
                for table in TABLES:
                    source_rows = _copy_table(sqlite, cursor, table)
                    counts.append(TableCount(table, source_rows, _count(cursor, table)))
                differ = [c for c in counts if c.source != c.target]
                if differ:
                    raise TransferError(
                        "the copy does not add up, nothing was kept: "
                        + ", ".join(f"{c.table} {c.source} -> {c.target}" for c in differ)
                    )
        return counts
    finally:
        sqlite.close()
        target.close()


def _copy_table(sqlite: SQLiteStore, cursor: Any, table: str) -> int:
    """Insert every row of one SQLite table; how many the source has."""
    columns = [row[1] for row in sqlite.db.execute(f'PRAGMA table_info("{table}")').fetchall()]
    order = "id" if "id" in columns else columns[0]
    rows = sqlite.db.execute(f'SELECT * FROM "{table}" ORDER BY "{order}"').fetchall()
    converters = [CONVERT.get(column) for column in columns]
    values = [
        tuple(
            convert(value) if convert else value
            for convert, value in zip(converters, row, strict=True)
        )
        for row in rows
    ]
    if values:
        try:
            psycopg2.extras.execute_values(
                cursor,
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s",
                values,
                page_size=500,
            )
        except psycopg2.Error as error:
            raise TransferError(
                f"{table}: a row does not fit PostgreSQL: {str(error).strip()}"
            ) from error
    if "id" in columns:
        # New rows continue after the copied ids.
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"GREATEST(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
        )
    return len(rows)
