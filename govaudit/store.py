"""The scan store: every scan of a workspace, in one SQLite file (the default) or one PostgreSQL database.

Everything the crawler learns goes here as it learns it, so that checks and reports never crawl again,
a killed scan can be resumed, and memory stays flat however large the site (the crawler keeps only
64-bit URL keys in RAM).  SQLite because it is one file an inspector can copy, needs no server, and is
fast enough when writes are batched (``StoreWriter``); PostgreSQL (``--store postgresql://user@host/db``)
when several workers, possibly on several machines, write one scan and several people read it.  Both run
the same queries, built with SQLAlchemy Core over the tables of ``govaudit.schema``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby, islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    distinct,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from govaudit import schema as t
from govaudit.model import Finding, Ref, UrlRecord, url_key
from govaudit.schema import SCHEMA_VERSION

APPLICATION_ID = 0x67766164  # "gvad": marks a file as a govaudit store
__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "ScanInfo", "ScanView", "Store", "StoreError", "StoreWriter",
           "is_url", "store_locator"]

_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def is_url(store: str | Path) -> bool:
    """Whether ``--store`` names a database server (``postgresql://…``) rather than an SQLite file."""
    return isinstance(store, str) and "://" in store


def redacted(store: str | Path) -> str:
    """How the store is named in messages and in a scan's recorded options: a URL without its password."""
    if not is_url(store):
        return str(store)
    try:
        return make_url(str(store)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(a malformed database URL)"


def store_locator(value: str) -> Path | str:
    """``--store`` as argparse reads it: a database URL stays a string (``Path`` would fold its ``//``)."""
    return value if is_url(value) else Path(value)


class StoreError(Exception):
    """The store cannot be used; the message says which file or server and why."""


def _reason(exc: BaseException) -> str:
    """The driver's own words, first line (no SQL, no SQLAlchemy boilerplate)."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _engine(store: str | Path) -> tuple[Engine, str]:
    """An engine for the store, and how messages name it (a URL without its password)."""
    if not is_url(store):
        engine = create_engine(f"sqlite:///{store}", poolclass=NullPool, isolation_level="AUTOCOMMIT")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            for pragma in ("busy_timeout=30000",  # the crawl's writer thread, the main thread and workers share the file
                           "journal_mode=WAL", "synchronous=NORMAL"):
                dbapi.execute(f"PRAGMA {pragma}")
        return engine, str(store)
    try:
        url = make_url(str(store))
        url.port  # noqa: B018 - parsed lazily: a port that is not a number raises here
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"{redacted(store)}: not a database URL ({exc}); use postgresql://USER[:PASSWORD]@HOST[:PORT]/DB") from None
    where = redacted(store)
    if url.drivername not in _SCHEMES:
        raise StoreError(f"{where}: unsupported store; pass an SQLite file or postgresql://USER@HOST[:PORT]/DB")
    if not url.database:
        raise StoreError(f"{where}: names no database; use postgresql://USER@HOST[:PORT]/DB")
    engine = create_engine(url.set(drivername="postgresql+psycopg"), poolclass=NullPool, isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 10, "application_name": "govaudit"})
    return engine, where


@dataclass(slots=True)
class ScanInfo:
    id: int
    site: str
    start_url: str
    started: float
    finished: float | None
    state: str
    as_of: str
    options: dict[str, Any]
    stats: dict[str, Any]
    tool_version: str | None
    ruleset: dict[str, str] | None = None  # {id, version, hash} of the rule set its findings were last scored with
    result: dict[str, Any] | None = None   # score, verdict and counts of that scoring (None: never scored, or schema < 3)


def _loads(text: str | None, default: Any = None) -> Any:
    return json.loads(text) if text else default


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


_SCAN_COLUMNS = (t.scans.c.id, t.scans.c.site, t.scans.c.start_url, t.scans.c.started, t.scans.c.finished,
                 t.scans.c.state, t.scans.c.as_of, t.scans.c.options, t.scans.c.stats, t.scans.c.tool_version,
                 t.scans.c.ruleset_id, t.scans.c.ruleset_version, t.scans.c.ruleset_hash, t.scans.c.result)


class Store:
    """A govaudit store: an SQLite file, or a PostgreSQL database given as ``postgresql://…``.

    Opening something that is not one (a foreign or damaged file, a database holding other tables, a server
    that cannot be reached or refuses the login) raises ``StoreError``.  The connection runs in autocommit
    mode; ``transaction()`` groups statements, as the writer does with each batch."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path: Path | str
        self.engine, where = _engine(path)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            self.path = Path(path)
            if not self.path.exists() and not create:
                raise StoreError(f"{self.path}: no such store file")
            if self.path.exists() and self.path.is_dir():
                raise StoreError(f"{self.path}: is a directory, not a govaudit store file")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fresh = not self.path.exists() or self.path.stat().st_size == 0  # before connecting creates it
        else:
            self.path = where
        try:
            self.conn: Connection = self.engine.connect()
        except SQLAlchemyError as exc:
            if self.dialect == "sqlite":  # the file is there but is no database (pragmas run on connecting)
                raise StoreError(f"{self.path}: not a usable govaudit store ({_reason(exc)}); move it aside or pass "
                                 "another --store") from None
            raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None
        try:
            self._open(create)
        except DBAPIError as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable govaudit store ({_reason(exc)}); move it aside or pass another "
                             "--store") from exc
        except BaseException:
            self.conn.close()
            raise

    def _open(self, create: bool) -> None:
        """Check the store is ours and of a schema this version reads, migrate an older one, create a new one."""
        # SQLite: IMMEDIATE takes the write lock first (waiting busy_timeout for other workers), since a read
        # transaction that later writes fails at once when another connection writes meanwhile.
        with _Transaction(self.conn, "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN"):
            version = self._sqlite_version() if self.dialect == "sqlite" else self._pg_version(create)
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: written by a newer govaudit (schema {version}, this one reads {SCHEMA_VERSION})")
            if 0 < version < SCHEMA_VERSION:
                self._migrate()
            tables = [x for x in t.metadata.sorted_tables if self.dialect == "postgresql" or x is not t.store_info]
            t.metadata.create_all(self.conn, tables=tables)
            if self.dialect == "sqlite":
                if version != SCHEMA_VERSION:
                    self.conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif version == 0:
                self.conn.execute(t.store_info.insert().values(schema_version=SCHEMA_VERSION))
            elif version < SCHEMA_VERSION:
                self.conn.execute(update(t.store_info).values(schema_version=SCHEMA_VERSION))
        if self.dialect == "sqlite":
            self.conn.exec_driver_sql("PRAGMA quick_check(1)").fetchone()

    def _sqlite_version(self) -> int:
        """The file's schema version from its header; a new (empty) file is marked as a govaudit store."""
        if self._fresh:
            self.conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
            return 0
        app_id = self.conn.exec_driver_sql("PRAGMA application_id").scalar_one()
        if app_id != APPLICATION_ID:
            raise StoreError(f"{self.path}: is an SQLite file but not a govaudit store (application_id {app_id:#x}); "
                             "pass another --store path")
        return int(self.conn.exec_driver_sql("PRAGMA user_version").scalar_one())

    def _pg_version(self, create: bool) -> int:
        """The database's schema version from ``govaudit_store``; 0 for an empty database (made a store).

        Workers starting together on a new database take turns (a transaction-scoped advisory lock), so the
        tables are created once."""
        self.conn.execute(select(func.pg_advisory_xact_lock(APPLICATION_ID)))
        names = set(inspect(self.conn).get_table_names())
        if t.store_info.name in names:
            row = self.conn.execute(select(t.store_info.c.schema_version)).first()
            if row is None:
                raise StoreError(f"{self.path}: its {t.store_info.name} table is empty: not a usable govaudit store")
            return int(row[0])
        if names:
            raise StoreError(f"{self.path}: the database holds other tables ({', '.join(sorted(names)[:3])}…) but is not a "
                             "govaudit store; pass an empty database")
        if not create:
            raise StoreError(f"{self.path}: the database is empty: no govaudit store there yet")
        return 0

    def _migrate(self) -> None:
        """Bring an older store up to this schema in place, inside the opening transaction (its scans stay
        readable: new columns start empty, new tables are created with the schema; an old scan's history
        figures are read from its stored findings)."""
        inspector = inspect(self.conn)
        for table, added in t.ADDED_COLUMNS.items():
            if not inspector.has_table(table):
                continue
            columns = {c["name"] for c in inspector.get_columns(table)}
            for column in added:
                if column not in columns:
                    self.conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    def schema_version(self) -> int:
        if self.dialect == "sqlite":
            return int(self.conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        return int(self.conn.execute(select(t.store_info.c.schema_version)).scalar_one())

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scans -------------------------------------------------------------------------------------
    def begin_scan(self, site: str, start_url: str, as_of: str, options: dict[str, Any], tool_version: str) -> int:
        result = self.conn.execute(t.scans.insert().values(
            site=site, start_url=start_url, started=time.time(), as_of=as_of,
            options=json.dumps(options, ensure_ascii=False), tool_version=tool_version))
        scan_id = result.inserted_primary_key[0]  # type: ignore[index]
        assert scan_id is not None  # an INSERT always sets it
        return int(scan_id)

    def resumable_scan(self, start_url: str) -> int | None:
        """The newest scan of this start URL that did not finish (killed, crashed, interrupted)."""
        c = t.scans.c
        return self.conn.execute(select(c.id).where(c.start_url == start_url, c.state != "finished")
                                 .order_by(c.id.desc()).limit(1)).scalar()

    def finish_scan(self, scan_id: int, stats: dict[str, Any], state: str = "finished") -> None:
        self.conn.execute(update(t.scans).where(t.scans.c.id == scan_id)
                          .values(finished=time.time(), state=state, stats=_dumps(stats)))

    def merge_stats(self, scan_id: int, **parts: Any) -> None:
        """Add a stage's figures (e.g. ``a11y=coverage``) to the scan's stats, keeping the crawler's."""
        stats = self.scan(scan_id).stats
        stats.update(parts)
        self.conn.execute(update(t.scans).where(t.scans.c.id == scan_id).values(stats=_dumps(stats)))

    def scan(self, scan_id: int) -> ScanInfo:
        row = self.conn.execute(select(*_SCAN_COLUMNS).where(t.scans.c.id == scan_id)).first()
        if row is None:
            raise StoreError(f"{self.path}: has no scan {scan_id}")
        ruleset = {"id": row[10], "version": row[11], "hash": row[12]} if row[10] else None
        return ScanInfo(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _loads(row[7], {}), _loads(row[8], {}), row[9],
                        ruleset, _loads(row[13]))

    def scans(self, site: str | None = None) -> list[ScanInfo]:
        """Every scan, oldest first; with ``site``, that site's only (its start URL or its name)."""
        c = t.scans.c
        query = select(c.id).order_by(c.id)
        if site is not None:
            query = query.where((c.site == site) | (c.start_url == site))
        return [self.scan(i) for i in self.conn.execute(query).scalars().all()]

    def record_result(self, scan_id: int, ruleset: dict[str, str], result: dict[str, Any]) -> None:
        """Keep with the scan the rule set (id, version, content hash) its findings were scored with, and the
        figures of that scoring: what ``govaudit history`` lists and the report's trend charts draw."""
        self.conn.execute(update(t.scans).where(t.scans.c.id == scan_id).values(
            ruleset_id=ruleset["id"], ruleset_version=ruleset["version"], ruleset_hash=ruleset["hash"],
            result=json.dumps(result, ensure_ascii=False)))

    def finding_counts(self, scan_id: int) -> dict[str, int]:
        """{rule: findings} of a scan, from its stored findings (how a scan of an older store is summarised)."""
        c = t.findings.c
        rows = self.conn.execute(select(c.rule, func.count()).where(c.scan_id == scan_id).group_by(c.rule).order_by(c.rule))
        return {rule: int(n) for rule, n in rows}

    def latest_scan(self) -> int:
        latest = self.conn.execute(select(func.max(t.scans.c.id))).scalar()
        if latest is None:
            raise StoreError(f"{self.path}: holds no scan yet")
        return int(latest)

    # -- crawl state -------------------------------------------------------------------------------
    def seen_keys(self, scan_id: int) -> set[int]:
        return set(self.conn.execute(select(t.urls.c.key).where(t.urls.c.scan_id == scan_id)).scalars())

    def pages_scheduled(self, scan_id: int) -> int:
        """Pages a scan has crawled or queued so far (what the page cap counts, also across a resume)."""
        c = t.urls.c
        return int(self.conn.execute(select(func.count()).where(c.scan_id == scan_id, c.kind == "page",
                                                                 c.state != "skipped")).scalar_one())

    def pending(self, scan_id: int) -> Iterator[tuple[str, str, int]]:
        """URLs discovered but not yet fetched, or waiting for a re-test: what a resumed scan starts from."""
        c = t.urls.c
        rows = self.conn.execute(select(c.url, c.kind, c.depth).where(c.scan_id == scan_id, c.state.in_(("pending", "retest")))
                                 .order_by(c.depth)).all()
        yield from (tuple(r) for r in rows)

    def set_host_facts(self, scan_id: int, host: str, facts: dict[str, Any]) -> None:
        self.conn.execute(t.upsert(self.dialect, t.hosts),
                          {"scan_id": scan_id, "host": host, "facts": json.dumps(facts, ensure_ascii=False)})

    # -- findings ----------------------------------------------------------------------------------
    def replace_findings(self, scan_id: int, findings: Iterable[Finding]) -> int:
        """Findings are derived data: re-running the checks replaces them whole, so nothing is ever counted twice."""
        numbered = enumerate(findings)
        with self.transaction():
            self.conn.execute(delete(t.findings).where(t.findings.c.scan_id == scan_id))
            # in batches: the rows of every finding at once, each with its JSON, were as large as the findings
            while rows := [{"scan_id": scan_id, "seq": i, "rule": f.rule, "severity": f.severity, "url": f.url,
                            "body": json.dumps(f.to_json(), ensure_ascii=False)} for i, f in islice(numbered, 1000)]:
                self.conn.execute(t.findings.insert(), rows)
        return int(self.conn.execute(select(func.count()).where(t.findings.c.scan_id == scan_id)).scalar_one())

    def findings(self, scan_id: int) -> Iterator[Finding]:
        c = t.findings.c
        for body in self.conn.execute(select(c.body).where(c.scan_id == scan_id).order_by(c.seq)).scalars():
            yield Finding.from_json(json.loads(body))

    # -- artifacts (browser audits and other stages that gather outside the crawl) -------------------
    def put_artifact(self, scan_id: int, name: str, key: str, body: Any) -> None:
        self.conn.execute(t.upsert(self.dialect, t.artifacts),
                          {"scan_id": scan_id, "name": name, "key": key, "body": json.dumps(body, ensure_ascii=False)})

    def delete_artifacts(self, scan_id: int, name: str) -> None:
        """Drop a stage's artifacts before it runs again, so results of pages no longer sampled do not linger."""
        c = t.artifacts.c
        self.conn.execute(delete(t.artifacts).where(c.scan_id == scan_id, c.name == name))

    def artifacts(self, scan_id: int, name: str) -> Iterator[tuple[str, Any]]:
        c = t.artifacts.c
        for key, body in self.conn.execute(select(c.key, c.body).where(c.scan_id == scan_id, c.name == name).order_by(c.key)):
            yield key, json.loads(body)

    # -- availability monitoring (govaudit/monitor.py writes, checks/availability.py reads) -------------
    _PROBE_KEYS = ("site", "slot", "due", "at", "outcome", "status", "error", "elapsed")

    def add_probes(self, rows: Iterable[tuple[str, int, float, float | None, str, int | None, str | None, float | None]]
                   ) -> int:
        """Record probe windows (site, slot, due, at, outcome up|down|missed, status, error, elapsed).

        A slot is recorded once: the first outcome written stays (INSERT … ON CONFLICT DO NOTHING), so a monitor
        restarted inside a window, or a clock that went back, can never count a window twice.  Returns rows added
        (the rows the INSERT returned: a row it kept out returns nothing)."""
        params = [dict(zip(self._PROBE_KEYS, r)) for r in rows]
        if not params:
            return 0
        stmt = t.insert_or_ignore(self.dialect, t.probes).returning(t.probes.c.slot)
        with self.transaction():
            return len(self.conn.execute(stmt, params).all())

    def last_slot(self, site: str) -> int | None:
        last = self.conn.execute(select(func.max(t.probes.c.slot)).where(t.probes.c.site == site)).scalar()
        return None if last is None else int(last)

    def probes(self, site: str, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """The probe windows of ``site`` due in [since, until), oldest first."""
        c = t.probes.c
        query = select(c.slot, c.due, c.at, c.outcome, c.status, c.error, c.elapsed).where(c.site == site).order_by(c.slot)
        if since is not None:
            query = query.where(c.due >= since)
        if until is not None:
            query = query.where(c.due < until)
        keys = ("slot", "due", "at", "outcome", "status", "error", "elapsed")
        return [dict(zip(keys, r)) for r in self.conn.execute(query)]

    def put_snapshot(self, site: str, day: str, at: float, digest: str, items: list[dict[str, str]]) -> bool:
        """The homepage's items on ``day`` (the first snapshot of a day stays); True if this one was new."""
        stmt = t.insert_or_ignore(self.dialect, t.snapshots).returning(t.snapshots.c.day)
        row = self.conn.execute(stmt, {"site": site, "day": day, "at": at, "digest": digest,
                                       "items": json.dumps(items, ensure_ascii=False)}).first()
        return row is not None

    def snapshots(self, site: str) -> list[dict[str, Any]]:
        c = t.snapshots.c
        return [{"day": d, "at": a, "digest": g, "items": json.loads(i)} for d, a, g, i in self.conn.execute(
            select(c.day, c.at, c.digest, c["items"]).where(c.site == site).order_by(c.day))]

    def transaction(self) -> _Transaction:
        return _Transaction(self.conn)

    def view(self, scan_id: int) -> ScanView:
        return ScanView(self, scan_id)


class _Transaction:
    """BEGIN … COMMIT (ROLLBACK on an exception) on a connection in autocommit mode; the same words in both
    databases.  Not nested: the store's methods that group statements are not called inside one."""

    def __init__(self, conn: Connection, begin: str = "BEGIN") -> None:
        self.conn, self.begin = conn, begin

    def __enter__(self) -> None:
        self.conn.exec_driver_sql(self.begin)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.exec_driver_sql("ROLLBACK" if exc_type else "COMMIT")


_URL_KEYS = ("scan_id", "key", "url", "kind", "depth", "state", "skip_reason")
_REF_KEYS = ("scan_id", "target", "source", "tag", "anchor")
_RESULT_KEYS = ("scan_id", "key", "url", "kind", "depth", "state", "status", "final_url", "digest", "content_type", "size",
                "error", "redirects", "attempts", "facts", "skip_reason")  # the table's order: rows go to SQLite as they are


class _Batch:
    """The writer's three statements, built once by SQLAlchemy Core for the store's database and run straight
    on the driver's cursor (``executemany``): the SQL is Core's, the per-row cost is the driver's alone, which
    keeps the SQLite crawl as fast as hand-written SQL did.

    * discovered URLs and refs: INSERT … ON CONFLICT DO NOTHING (a URL found again, or by another worker, is one row);
    * fetched URLs: an upsert on (scan_id, key): the row is created if the worker that discovered the URL has
      not written it yet, else updated, keeping its discovery (url, kind, depth), and its facts and digest when
      the new record has none (a re-test).  Nothing is lost whatever order workers' batches land in, and a
      batch written again (a retry, a crash) duplicates nothing.
    """

    def __init__(self, engine: Engine) -> None:
        dialect, name = engine.dialect, engine.dialect.name
        self.sort = name == "postgresql"
        self.statements = [self._compile(dialect, t.insert_or_ignore(name, t.urls), _URL_KEYS),
                           self._compile(dialect, t.insert_or_ignore(name, t.refs), _REF_KEYS),
                           self._compile(dialect, t.upsert(name, t.urls, keep=("url", "kind", "depth"),
                                                           coalesce=("facts", "digest")), _RESULT_KEYS)]

    @staticmethod
    def _compile(dialect: Any, stmt: Any, keys: tuple[str, ...]) -> tuple[str, list[int] | None]:
        """(SQL, positions of ``keys`` in its parameter tuple; None: the driver takes them by name)."""
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
        if compiled.positiontup is None:
            return compiled.string, None
        return compiled.string, [keys.index(name) for name in compiled.positiontup]

    def write(self, dbapi: Any, batch: tuple[list[tuple], list[tuple], list[tuple]]) -> None:
        rows_of = batch
        if self.sort:  # PostgreSQL locks rows as it writes them: workers taking keys in one order rarely deadlock
            rows_of = (sorted(batch[0], key=lambda r: r[1]), sorted(batch[1], key=lambda r: r[1:3]),
                       sorted(batch[2], key=lambda r: r[1]))
        keys_of = (_URL_KEYS, _REF_KEYS, _RESULT_KEYS)
        cur = dbapi.cursor()
        try:
            cur.execute("BEGIN")
            try:
                for (sql, order), rows, keys in zip(self.statements, rows_of, keys_of):
                    if not rows:
                        continue
                    if order is None:  # PostgreSQL (named parameters), whose text cannot hold NUL characters
                        cur.executemany(sql, [{k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v
                                               for k, v in zip(keys, r)} for r in rows])
                    elif order != list(range(len(keys))):
                        cur.executemany(sql, [tuple(r[i] for i in order) for r in rows])
                    else:
                        cur.executemany(sql, rows)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        finally:
            cur.close()


class StoreWriter:
    """Buffers the crawler's writes and flushes them in one transaction.

    One row per statement would cap the crawl at a few hundred pages a second.  With ``background=True``
    the batches are encoded and written by a thread with its own connection: SQLite and the PostgreSQL driver
    run without the GIL, so the crawl's single event-loop thread only appends to lists.  Rows are idempotent
    (see ``_Batch``), so several workers can write one scan, and a batch written again duplicates nothing;
    a batch PostgreSQL aborts for a deadlock between workers is written again.
    """

    RETRIES = 5

    def __init__(self, store: Store, scan_id: int, *, background: bool = False) -> None:
        self.store = store
        self.scan_id = scan_id
        self._batch = _Batch(store.engine)
        self._urls: list[tuple] = []
        self._refs: list[tuple] = []
        self._results: list[tuple] = []
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        if background:
            self._queue = queue.Queue(maxsize=8)  # back-pressure: the crawl waits rather than piling up memory
            self._thread = threading.Thread(target=self._run, name="govaudit-store-writer", daemon=True)
            self._thread.start()

    def add_url(self, key: int, url: str, kind: str, depth: int, state: str = "pending", skip_reason: str | None = None) -> None:
        self._urls.append((self.scan_id, key, url, kind, depth, state, skip_reason))

    def add_ref(self, target: int, source: int, tag: str, anchor: str) -> None:
        self._refs.append((self.scan_id, target, source, tag, anchor))

    def record(self, rec: UrlRecord) -> None:
        self._results.append((self.scan_id, rec.key, rec.url, rec.kind, rec.depth, rec.state, rec.status, rec.final_url,
                              rec.content_type, rec.size, rec.error, rec.redirects, rec.attempts, rec.facts, rec.skip_reason))

    @property
    def backlog(self) -> int:
        return len(self._urls) + len(self._refs) + len(self._results)

    def _failed(self) -> StoreError:
        return StoreError(f"{self.store.path}: writing the scan failed ({_reason(self._error)})")  # type: ignore[arg-type]

    def flush(self) -> None:
        if self._error is not None:
            raise self._failed() from self._error
        if not self.backlog:
            return
        batch = (self._urls, self._refs, self._results)
        self._urls, self._refs, self._results = [], [], []
        if self._queue is None:
            self._write(self.store.conn, batch)
        else:
            self._queue.put(batch)

    def close(self) -> None:
        """Write what is buffered and wait for the writer thread; raises if any write failed."""
        self.flush()
        if self._queue is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None
        if self._error is not None:
            raise self._failed() from self._error

    def _run(self) -> None:
        try:
            conn = self.store.engine.connect()
        except SQLAlchemyError as exc:
            self._error = exc
            conn = None
        try:
            while (batch := self._queue.get()) is not None:  # type: ignore[union-attr]
                if self._error is None and conn is not None:
                    try:
                        self._write(conn, batch)
                    except Exception as exc:  # noqa: BLE001 - reported by the crawl's thread at its next flush
                        self._error = exc
        finally:
            if conn is not None:
                conn.close()

    def _write(self, conn: Connection, batch: tuple[list, list, list]) -> None:
        urls, refs, results = batch
        rows = [(scan_id, key, url, kind, depth, state, status, final_url, facts.get("digest") if facts else None, ctype,
                 size, error, json.dumps(redirects) if redirects else None, json.dumps(attempts) if attempts else None,
                 json.dumps(facts, ensure_ascii=False) if facts is not None else None, skip)
                for scan_id, key, url, kind, depth, state, status, final_url, ctype, size, error, redirects, attempts, facts,
                skip in results]
        dbapi = conn.connection.dbapi_connection
        for attempt in range(self.RETRIES):
            try:
                self._batch.write(dbapi, (urls, refs, rows))
                return
            except Exception as exc:
                if attempt + 1 == self.RETRIES or getattr(exc, "sqlstate", None) not in ("40P01", "40001"):
                    raise
                time.sleep(0.05 * (attempt + 1))


class _Union:
    """Union-find over URLs; a group's root is its smallest member."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group_documents(rows: Iterable[tuple[str, str | None, int, bool, str | None]], start_url: str
                    ) -> tuple[dict[str, tuple[str, tuple[str, ...]]], dict[str, str]]:
    """Which stored URLs are one document, from rows of (url, final_url, depth, has facts, body digest).

    A record's page URL is where its redirects ended.  Records whose page URLs are on one host and whose bodies
    have one digest are one document.  The document's URL is the start URL if it is one of its page URLs, else
    the shortest, then the first alphabetically: ``/`` wins over ``/index.html``, ``/col/`` over
    ``/col/index.html``, and a redirect source is never the page's URL.  Its facts come from the record
    fetched at that URL, else from the shallowest record that reached it.  Redirect sources that were not
    analysed again (their target already was) are aliases too.  Returns ({stored URL standing for a document:
    (page URL, other URLs)}, {every URL of a document: the stored URL standing for it}).
    """
    groups = _Union()
    analysed: list[tuple[int, str, str]] = []  # (depth, stored url, page url)
    unanalysed: list[tuple[str, str]] = []
    by_digest: dict[tuple[str, str], str] = {}
    for url, final_url, depth, has_facts, digest in rows:
        page = final_url or url
        if not has_facts:
            unanalysed.append((url, page))
            continue
        analysed.append((depth, url, page))
        groups.union(url, page)
        if digest:
            first = by_digest.setdefault((page.split("/", 3)[2], digest), page)  # (host, digest): page is absolute
            groups.union(first, page)
    for url, page in unanalysed:
        if page in groups.parent:
            groups.union(url, page)
    # Grouped by sorting on the root, not with a set and a list per document: most documents are one URL, and
    # those containers, one pair per page, were most of the store's memory in the checks of a large scan.
    find = groups.find
    analysed.sort(key=lambda e: find(e[1]))
    members = sorted(groups.parent, key=find)
    documents: dict[str, tuple[str, tuple[str, ...]]] = {}
    stored_as: dict[str, str] = {}
    # every root has an analysed entry (URLs join the groups only through analysed records): the two runs align
    for (root, group_iter), (other, urls_iter) in zip(groupby(analysed, key=lambda e: find(e[1])),
                                                      groupby(members, key=find), strict=True):
        assert root == other, (root, other)
        group = list(group_iter)
        urls = list(urls_iter)
        pages = {page for _, _, page in group}
        page_url = start_url if start_url in pages else min(pages, key=lambda u: (len(u), u))
        rep = min(group, key=lambda e: (e[1] != page_url, e[2] != page_url, e[0], e[1]))[1]
        documents[rep] = (page_url, tuple(sorted(u for u in urls if u != page_url)))
        for url in urls:
            stored_as[url] = rep
    return documents, stored_as


_RECORD_COLUMNS = (t.urls.c.url, t.urls.c.kind, t.urls.c.depth, t.urls.c.state, t.urls.c.status, t.urls.c.final_url,
                   t.urls.c.content_type, t.urls.c.size, t.urls.c.error, t.urls.c.redirects, t.urls.c.attempts,
                   t.urls.c.facts, t.urls.c.skip_reason)

# Lookups checks make once per URL, built once (building a statement costs more than SQLite running it).
_GET = select(*_RECORD_COLUMNS).where(t.urls.c.scan_id == bindparam("scan"), t.urls.c.key == bindparam("key"))
_SOURCE = t.urls.alias("s")
_REFS = (select(_SOURCE.c.url, t.refs.c.anchor, t.refs.c.tag)
         .join_from(t.refs, _SOURCE, (_SOURCE.c.scan_id == t.refs.c.scan_id) & (_SOURCE.c.key == t.refs.c.source))
         .where(t.refs.c.scan_id == bindparam("scan"), t.refs.c.target == bindparam("target"))
         .order_by(_SOURCE.c.depth, _SOURCE.c.url))
_REFS_LIMIT = _REFS.limit(bindparam("limit"))
_REF_COUNT = select(func.count(distinct(t.refs.c.source))).where(t.refs.c.scan_id == bindparam("scan"),
                                                                 t.refs.c.target == bindparam("target"))


class ScanView:
    """Read-only access to one scan: what checks and reports see.  Checks get this and nothing else."""

    def __init__(self, store: Store, scan_id: int) -> None:
        self.store = store
        self.scan_id = scan_id
        self.info = store.scan(scan_id)
        # Only the documents that are more than one URL, or whose page URL is not their stored URL (see _grouped)
        self._documents: dict[str, tuple[str, tuple[str, ...]]] | None = None
        self._stored_as: dict[str, str] = {}  # any URL of such a document -> the stored URL whose facts stand for it

    @property
    def site(self) -> str:
        return self.info.site

    @property
    def start_url(self) -> str:
        return self.info.start_url

    @property
    def as_of(self) -> str:
        return self.info.as_of

    def _records(self, *where: Any, keep: Any = None, query: Any = None, **params: Any) -> Iterator[UrlRecord]:
        """``keep(url)``: rows to decode (the others' JSON is never parsed).  ``query``: a prepared statement
        (_GET) run with ``params``, for the lookups checks make once per URL."""
        if query is None:
            query = select(*_RECORD_COLUMNS).where(t.urls.c.scan_id == self.scan_id, *where)
        for r in self.store.conn.execute(query, params or None):
            if keep is not None and not keep(r[0]):
                continue
            yield UrlRecord(url=r[0], kind=r[1], depth=r[2], state=r[3], status=r[4], final_url=r[5], content_type=r[6],
                            size=r[7], error=r[8], redirects=_loads(r[9], []), attempts=_loads(r[10], []),
                            facts=_loads(r[11]), skip_reason=r[12])

    def urls(self, kind: str | None = None) -> Iterator[UrlRecord]:
        return self._records(t.urls.c.kind == kind) if kind else self._records()

    def pages(self) -> Iterator[UrlRecord]:
        """Each crawled document once, under its page URL, with the other URLs that reached it in ``aliases``.

        Page findings (freshness, interaction, accessibility, identity) belong to a document, not to every URL
        that led to it: a link that redirects to ``/index.html``, ``/index.html`` itself and ``/`` serving the
        same body are one homepage, checked and scored once.  Link findings are unaffected: ``urls()`` and
        ``get()`` still see every URL.  See ``group_documents`` for how URLs are grouped and which is the page's.
        """
        self._grouped()
        stored_as = self._stored_as

        def stands_for_itself(url: str) -> bool:
            # A row another row stands for is skipped before its facts are decoded.
            return stored_as.get(url, url) == url

        c = t.urls.c
        for rec in self._records(c.kind == "page", c.state == "done", c.facts.is_not(None), keep=stands_for_itself):
            page_url, aliases = self.document(rec.url)
            if page_url != rec.url:
                rec.url, rec.final_url = page_url, None
            rec.aliases = list(aliases)
            yield rec

    def document(self, stored: str) -> tuple[str, tuple[str, ...]]:
        """(page URL, other URLs) of the document whose facts the stored URL ``stored`` holds; a URL that stands
        for no other (almost every page) is its own page URL, with none."""
        return self._grouped().get(stored, (stored, ()))

    def _grouped(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The documents that are not simply one stored URL, grouped by ``group_documents``, computed once per view.

        Almost every page of a site is its own document, under its own URL, with no alias: holding an entry for
        each was ≈ 1 KB a page in every check that reads ``pages()`` (39 MB at 39,000 pages).  So only the rows
        that can belong to a larger document are grouped: those that redirected, those a redirect ended at,
        and those whose body digest another row shares.  A row outside these is a document of its own, and no
        row of them can be grouped with it, so the groups are the ones all rows would give.  The digest has a
        column of its own, before ``facts`` (json_extract over every row's facts cost 7 s per 100,000 pages, and
        reading a column behind a large value walks its overflow pages).
        """
        if self._documents is None:
            c = t.urls.c
            done = (c.scan_id == self.scan_id, c.kind == "page", c.state == "done")
            shared = select(c.digest).where(*done, c.digest.is_not(None)).group_by(c.digest).having(func.count() > 1)
            targets = select(c.final_url).where(*done, c.final_url.is_not(None))
            rows = self.store.conn.execute(
                select(c.url, c.final_url, c.depth, c.facts.is_not(None), c.digest)
                .where(*done, c.facts.is_not(None) | c.final_url.is_not(None),
                       c.final_url.is_not(None) | c.digest.in_(shared) | c.url.in_(targets)))
            self._documents, self._stored_as = group_documents(rows, self.start_url)
        return self._documents

    def page(self, url: str) -> UrlRecord | None:
        """The document ``url`` is one of the URLs of, as ``pages()`` yields it (None: no analysed page)."""
        self._grouped()
        stored = self._stored_as.get(url, url)
        rec = self.get(stored)
        if rec is None or rec.kind != "page" or rec.state != "done" or rec.facts is None:
            return None
        rec.url, aliases = self.document(stored)
        rec.aliases = list(aliases)
        rec.final_url = None
        return rec

    def get(self, url: str) -> UrlRecord | None:
        return next(self._records(query=_GET, scan=self.scan_id, key=url_key(url)), None)

    def refs(self, url: str, limit: int | None = None) -> Iterator[Ref]:
        """The pages that carry ``url``, with anchor text; ordered so the homepage and shallow pages come first.

        An iterator, not a list: a logo every page loads has a reference from each of 100,000 pages, and the
        caller that reads them all (speed) keeps one of them at a time."""
        rows = self.store.conn.execute(_REFS_LIMIT if limit else _REFS,
                                       {"scan": self.scan_id, "target": url_key(url), "limit": int(limit or 0)})
        for u, a, g in rows:
            yield Ref(source=u, anchor=a, tag=g)

    def ref_count(self, url: str) -> int:
        return int(self.store.conn.execute(_REF_COUNT, {"scan": self.scan_id, "target": url_key(url)}).scalar_one())

    def hosts(self) -> dict[str, dict[str, Any]]:
        h = t.hosts.c
        return {host: json.loads(f) for host, f in self.store.conn.execute(select(h.host, h.facts).where(h.scan_id == self.scan_id))}

    def counts(self) -> dict[str, int]:
        c = t.urls.c
        out: dict[str, int] = {}
        for kind, state, n in self.store.conn.execute(select(c.kind, c.state, func.count()).where(c.scan_id == self.scan_id)
                                                      .group_by(c.kind, c.state)):
            out[f"{kind}.{state}"] = int(n)
        return out

    def artifacts(self, name: str) -> Iterator[tuple[str, Any]]:
        return self.store.artifacts(self.scan_id, name)

    def probes(self, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """The availability monitor's probe windows of this scan's site (empty: the site is not monitored)."""
        return self.store.probes(self.start_url, since, until)

    def snapshots(self) -> list[dict[str, Any]]:
        """The monitor's daily snapshots of this site's homepage items, oldest first."""
        return self.store.snapshots(self.start_url)
