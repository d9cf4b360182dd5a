"""The scan store's tables, once, as SQLAlchemy Core ``Table``s: SQLite (one file, the default) and PostgreSQL
(one server several workers write and several people read) get the same schema and the same queries.

What differs between the two engines is here and nowhere else: the upsert (``insert_or_ignore``/``upsert``
build ``INSERT … ON CONFLICT`` with the dialect's own ``insert``) and the JSON columns (TEXT in SQLite, as
older stores have them; ``json`` in PostgreSQL, which keeps the text as written, so facts decode to the same
dict, key order included).  Values are JSON-encoded and decoded by ``govaudit.store`` on both.
URL keys are signed 64-bit integers (``govaudit.model.url_key``): BIGINT.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, Table, Text, cast, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

SCHEMA_VERSION = 3  # 2: urls.digest (one page per document, ScanView.documents); 3: scans.ruleset_* and result
                    # (history, diff, trends), probes and snapshots (availability monitoring)

ADDED_COLUMNS = {"urls": ("digest",), "scans": ("ruleset_id", "ruleset_version", "ruleset_hash", "result")}
"""Columns later schema versions added to tables an older store already has (all TEXT, empty in old rows)."""


class _PgJsonText(TypeDecorator):
    """A PostgreSQL ``json`` column that Python reads and writes as JSON text, like SQLite's TEXT column."""

    impl = postgresql.JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> None:
        return None  # the store hands over JSON text already

    def result_processor(self, dialect: Any, coltype: Any) -> None:
        return None  # and reads it back as text (column_expression casts)

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return cast(type_coerce(bindvalue, Text), postgresql.JSON)

    def column_expression(self, column: Any) -> ColumnElement[Any]:
        return cast(column, Text)


JsonText = Text().with_variant(_PgJsonText(), "postgresql")
"""A JSON document stored as text (see the module docstring)."""

# sqlite_with_rowid=False: in SQLite the primary key is the table (WITHOUT ROWID: half the size, one B-tree)

metadata = MetaData()

scans = Table(
    "scans", metadata,
    Column("id", Integer, primary_key=True),  # INTEGER PRIMARY KEY: SQLite's rowid; SERIAL in PostgreSQL
    Column("site", Text, nullable=False),
    Column("start_url", Text, nullable=False),
    Column("started", Float, nullable=False),
    Column("finished", Float),
    Column("state", Text, nullable=False, server_default="running"),
    Column("as_of", Text, nullable=False),
    Column("options", JsonText, nullable=False, server_default="{}"),
    Column("stats", JsonText, nullable=False, server_default="{}"),
    Column("tool_version", Text),
    Column("ruleset_id", Text),
    Column("ruleset_version", Text),
    Column("ruleset_hash", Text),
    Column("result", JsonText),
)

urls = Table(
    "urls", metadata,
    Column("scan_id", Integer, primary_key=True, autoincrement=False),
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("url", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("depth", Integer, nullable=False, server_default="0"),
    Column("state", Text, nullable=False, server_default="pending"),
    Column("status", Integer),
    Column("final_url", Text),
    Column("digest", Text),
    Column("content_type", Text),
    Column("size", BigInteger),
    Column("error", Text),
    Column("redirects", JsonText),
    Column("attempts", JsonText),
    Column("facts", JsonText),
    Column("skip_reason", Text),
    Index("urls_state", "scan_id", "state"),
    sqlite_with_rowid=False,
)

refs = Table(
    "refs", metadata,
    Column("scan_id", Integer, primary_key=True, autoincrement=False),
    Column("target", BigInteger, primary_key=True, autoincrement=False),
    Column("source", BigInteger, primary_key=True, autoincrement=False),
    Column("tag", Text, primary_key=True),
    Column("anchor", Text, primary_key=True),  # the crawler cuts anchors at 200 characters: fits a B-tree entry
    sqlite_with_rowid=False,
)

hosts = Table(
    "hosts", metadata,
    Column("scan_id", Integer, primary_key=True, autoincrement=False),
    Column("host", Text, primary_key=True),
    Column("facts", JsonText, nullable=False),
    sqlite_with_rowid=False,
)

findings = Table(
    "findings", metadata,
    Column("scan_id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("rule", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("body", JsonText, nullable=False),
    sqlite_with_rowid=False,
)

probes = Table(
    "probes", metadata,
    Column("site", Text, primary_key=True),
    Column("slot", BigInteger, primary_key=True, autoincrement=False),
    Column("due", Float, nullable=False),
    Column("at", Float),
    Column("outcome", Text, nullable=False),
    Column("status", Integer),
    Column("error", Text),
    Column("elapsed", Float),
    sqlite_with_rowid=False,
)

snapshots = Table(
    "snapshots", metadata,
    Column("site", Text, primary_key=True),
    Column("day", Text, primary_key=True),
    Column("at", Float, nullable=False),
    Column("digest", Text, nullable=False),
    Column("items", JsonText, nullable=False),
    sqlite_with_rowid=False,
)

artifacts = Table(
    "artifacts", metadata,
    Column("scan_id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("body", JsonText, nullable=False),
    sqlite_with_rowid=False,
)

store_info = Table(
    "govaudit_store", metadata,
    Column("schema_version", Integer, nullable=False),
)
"""One row marking a PostgreSQL database as a govaudit store, with its schema version (an SQLite store keeps
both in its header: ``PRAGMA application_id`` and ``user_version``; this table stays empty there)."""


def _insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no store for database {dialect!r}")


def insert_or_ignore(dialect: str, table: Table) -> Any:
    """INSERT that keeps the row already there (same primary key): first write wins."""
    return _insert(dialect, table).on_conflict_do_nothing()


def upsert(dialect: str, table: Table, keep: tuple[str, ...] = (), coalesce: tuple[str, ...] = ()) -> Any:
    """INSERT, or on a primary-key clash UPDATE every column but the key, ``keep`` (the row's stay) and
    ``coalesce`` (the new value only where it is not NULL): last write wins, nothing is duplicated."""
    from sqlalchemy import func

    stmt = _insert(dialect, table)
    key = {c.name for c in table.primary_key}
    new = {c.name: (func.coalesce(stmt.excluded[c.name], table.c[c.name]) if c.name in coalesce else stmt.excluded[c.name])
           for c in table.columns if c.name not in key and c.name not in keep}
    return stmt.on_conflict_do_update(index_elements=sorted(key, key=list(table.c.keys()).index), set_=new)
