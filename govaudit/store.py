"""The scan store: one SQLite file holding every scan of a workspace.

Everything the crawler learns goes here as it learns it, so that checks and reports never crawl again,
a killed scan can be resumed, and memory stays flat however large the site (the crawler keeps only
64-bit URL keys in RAM).  SQLite because it is one file an inspector can copy, needs no server, and is
fast enough when writes are batched (``StoreWriter``).
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govaudit.model import Finding, Ref, UrlRecord, url_key

APPLICATION_ID = 0x67766164  # "gvad": marks a file as a govaudit store
SCHEMA_VERSION = 3  # 2: urls.digest (one page per document, ScanView.documents); 3: scans.ruleset_* and result
                    # (history, diff, trends), probes and snapshots (availability monitoring)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    start_url TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    state TEXT NOT NULL DEFAULT 'running',
    as_of TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    stats TEXT NOT NULL DEFAULT '{}',
    tool_version TEXT,
    ruleset_id TEXT,
    ruleset_version TEXT,
    ruleset_hash TEXT,
    result TEXT
);
CREATE TABLE IF NOT EXISTS urls (
    scan_id INTEGER NOT NULL,
    key INTEGER NOT NULL,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    status INTEGER,
    final_url TEXT,
    digest TEXT,
    content_type TEXT,
    size INTEGER,
    error TEXT,
    redirects TEXT,
    attempts TEXT,
    facts TEXT,
    skip_reason TEXT,
    PRIMARY KEY (scan_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS urls_state ON urls (scan_id, state);
CREATE TABLE IF NOT EXISTS refs (
    scan_id INTEGER NOT NULL,
    target INTEGER NOT NULL,
    source INTEGER NOT NULL,
    tag TEXT NOT NULL,
    anchor TEXT NOT NULL,
    PRIMARY KEY (scan_id, target, source, tag, anchor)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hosts (
    scan_id INTEGER NOT NULL,
    host TEXT NOT NULL,
    facts TEXT NOT NULL,
    PRIMARY KEY (scan_id, host)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS findings (
    scan_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scan_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS probes (
    site TEXT NOT NULL,
    slot INTEGER NOT NULL,
    due REAL NOT NULL,
    at REAL,
    outcome TEXT NOT NULL,
    status INTEGER,
    error TEXT,
    elapsed REAL,
    PRIMARY KEY (site, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    site TEXT NOT NULL,
    day TEXT NOT NULL,
    at REAL NOT NULL,
    digest TEXT NOT NULL,
    items TEXT NOT NULL,
    PRIMARY KEY (site, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS artifacts (
    scan_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scan_id, name, key)
) WITHOUT ROWID;
"""


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout=30000")  # the crawl's writer thread and the main thread share the file
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class StoreError(Exception):
    """The store file cannot be used; the message says which file and why."""


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


class Store:
    """A govaudit store file.  Opening a file that is not one (or is damaged) raises ``StoreError``."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise StoreError(f"{self.path}: no such store file")
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, not a govaudit store file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        try:
            self.db = _connect(self.path)
            if fresh:
                self.db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            app_id = self.db.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise StoreError(f"{self.path}: is an SQLite file but not a govaudit store (application_id {app_id:#x}); "
                                 "pass another --store path")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: written by a newer govaudit (schema {version}, this one reads {SCHEMA_VERSION})")
            if version < SCHEMA_VERSION and not fresh:
                self._migrate(version)
            self.db.executescript(_SCHEMA)
            self.db.execute("PRAGMA quick_check(1)").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable govaudit store ({exc}); move it aside or pass another --store") from exc

    _ADDED_COLUMNS = {"urls": ("digest",), "scans": ("ruleset_id", "ruleset_version", "ruleset_hash", "result")}
    """Columns later schema versions added to tables an older store already has (all TEXT, empty in old rows)."""

    def _migrate(self, version: int) -> None:
        """Bring an older store up to this schema in place, in one transaction (its scans stay readable: new
        columns start empty, new tables are created by the schema script; an old scan's history figures are
        read from its stored findings).  Runs before the schema script, whose indexes may name new columns."""
        with self.transaction():
            for table, added in self._ADDED_COLUMNS.items():
                columns = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
                for column in added:
                    if columns and column not in columns:
                        self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scans -------------------------------------------------------------------------------------
    def begin_scan(self, site: str, start_url: str, as_of: str, options: dict[str, Any], tool_version: str) -> int:
        cur = self.db.execute(
            "INSERT INTO scans (site, start_url, started, as_of, options, tool_version) VALUES (?,?,?,?,?,?)",
            (site, start_url, time.time(), as_of, json.dumps(options, ensure_ascii=False), tool_version))
        scan_id = cur.lastrowid
        assert scan_id is not None  # an INSERT always sets it
        return scan_id

    def resumable_scan(self, start_url: str) -> int | None:
        """The newest scan of this start URL that did not finish (killed, crashed, interrupted)."""
        row = self.db.execute("SELECT id FROM scans WHERE start_url=? AND state!='finished' ORDER BY id DESC LIMIT 1",
                              (start_url,)).fetchone()
        return row[0] if row else None

    def finish_scan(self, scan_id: int, stats: dict[str, Any], state: str = "finished") -> None:
        self.db.execute("UPDATE scans SET finished=?, state=?, stats=? WHERE id=?",
                        (time.time(), state, json.dumps(stats, ensure_ascii=False, default=str), scan_id))

    def merge_stats(self, scan_id: int, **parts: Any) -> None:
        """Add a stage's figures (e.g. ``a11y=coverage``) to the scan's stats, keeping the crawler's."""
        stats = self.scan(scan_id).stats
        stats.update(parts)
        self.db.execute("UPDATE scans SET stats=? WHERE id=?", (json.dumps(stats, ensure_ascii=False, default=str), scan_id))

    def scan(self, scan_id: int) -> ScanInfo:
        row = self.db.execute("SELECT id, site, start_url, started, finished, state, as_of, options, stats, tool_version, "
                              "ruleset_id, ruleset_version, ruleset_hash, result FROM scans WHERE id=?", (scan_id,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: has no scan {scan_id}")
        ruleset = {"id": row[10], "version": row[11], "hash": row[12]} if row[10] else None
        return ScanInfo(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _loads(row[7], {}), _loads(row[8], {}), row[9],
                        ruleset, _loads(row[13]))

    def scans(self, site: str | None = None) -> list[ScanInfo]:
        """Every scan, oldest first; with ``site``, that site's only (its start URL or its name)."""
        if site is None:
            ids = self.db.execute("SELECT id FROM scans ORDER BY id")
        else:
            ids = self.db.execute("SELECT id FROM scans WHERE site=? OR start_url=? ORDER BY id", (site, site))
        return [self.scan(r[0]) for r in ids.fetchall()]

    def record_result(self, scan_id: int, ruleset: dict[str, str], result: dict[str, Any]) -> None:
        """Keep with the scan the rule set (id, version, content hash) its findings were scored with, and the
        figures of that scoring: what ``govaudit history`` lists and the report's trend charts draw."""
        self.db.execute("UPDATE scans SET ruleset_id=?, ruleset_version=?, ruleset_hash=?, result=? WHERE id=?",
                        (ruleset["id"], ruleset["version"], ruleset["hash"], json.dumps(result, ensure_ascii=False),
                         scan_id))

    def finding_counts(self, scan_id: int) -> dict[str, int]:
        """{rule: findings} of a scan, from its stored findings (how a scan of an older store is summarised)."""
        return dict(self.db.execute("SELECT rule, count(*) FROM findings WHERE scan_id=? GROUP BY rule ORDER BY rule",
                                    (scan_id,)).fetchall())

    def latest_scan(self) -> int:
        row = self.db.execute("SELECT max(id) FROM scans").fetchone()
        if not row or row[0] is None:
            raise StoreError(f"{self.path}: holds no scan yet")
        return int(row[0])

    # -- crawl state -------------------------------------------------------------------------------
    def seen_keys(self, scan_id: int) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT key FROM urls WHERE scan_id=?", (scan_id,))}

    def pages_scheduled(self, scan_id: int) -> int:
        """Pages a scan has crawled or queued so far (what the page cap counts, also across a resume)."""
        return self.db.execute("SELECT count(*) FROM urls WHERE scan_id=? AND kind='page' AND state!='skipped'",
                               (scan_id,)).fetchone()[0]

    def pending(self, scan_id: int) -> Iterator[tuple[str, str, int]]:
        """URLs discovered but not yet fetched, or waiting for a re-test: what a resumed scan starts from."""
        yield from self.db.execute("SELECT url, kind, depth FROM urls WHERE scan_id=? AND state IN ('pending', 'retest') "
                                   "ORDER BY depth",
                                   (scan_id,)).fetchall()

    def set_host_facts(self, scan_id: int, host: str, facts: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO hosts VALUES (?,?,?)", (scan_id, host, json.dumps(facts, ensure_ascii=False)))

    # -- findings ----------------------------------------------------------------------------------
    def replace_findings(self, scan_id: int, findings: Iterable[Finding]) -> int:
        """Findings are derived data: re-running the checks replaces them whole, so nothing is ever counted twice."""
        with self.transaction():
            self.db.execute("DELETE FROM findings WHERE scan_id=?", (scan_id,))
            rows = ((scan_id, i, f.rule, f.severity, f.url, json.dumps(f.to_json(), ensure_ascii=False))
                    for i, f in enumerate(findings))
            self.db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?)", rows)
        return self.db.execute("SELECT count(*) FROM findings WHERE scan_id=?", (scan_id,)).fetchone()[0]

    def findings(self, scan_id: int) -> Iterator[Finding]:
        for (body,) in self.db.execute("SELECT body FROM findings WHERE scan_id=? ORDER BY seq", (scan_id,)):
            yield Finding.from_json(json.loads(body))

    # -- artifacts (browser audits and other stages that gather outside the crawl) -------------------
    def put_artifact(self, scan_id: int, name: str, key: str, body: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO artifacts VALUES (?,?,?,?)",
                        (scan_id, name, key, json.dumps(body, ensure_ascii=False)))

    def delete_artifacts(self, scan_id: int, name: str) -> None:
        """Drop a stage's artifacts before it runs again, so results of pages no longer sampled do not linger."""
        self.db.execute("DELETE FROM artifacts WHERE scan_id=? AND name=?", (scan_id, name))

    def artifacts(self, scan_id: int, name: str) -> Iterator[tuple[str, Any]]:
        for key, body in self.db.execute("SELECT key, body FROM artifacts WHERE scan_id=? AND name=? ORDER BY key",
                                         (scan_id, name)):
            yield key, json.loads(body)

    # -- availability monitoring (govaudit/monitor.py writes, checks/availability.py reads) -------------
    def add_probes(self, rows: Iterable[tuple[str, int, float, float | None, str, int | None, str | None, float | None]]
                   ) -> int:
        """Record probe windows (site, slot, due, at, outcome up|down|missed, status, error, elapsed).

        A slot is recorded once: the first outcome written stays (INSERT OR IGNORE), so a monitor restarted
        inside a window, or a clock that went back, can never count a window twice.  Returns rows added."""
        before = self.db.total_changes
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO probes VALUES (?,?,?,?,?,?,?,?)", rows)
        return self.db.total_changes - before

    def last_slot(self, site: str) -> int | None:
        row = self.db.execute("SELECT max(slot) FROM probes WHERE site=?", (site,)).fetchone()
        return None if row[0] is None else int(row[0])

    def probes(self, site: str, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """The probe windows of ``site`` due in [since, until), oldest first."""
        rows = self.db.execute("SELECT slot, due, at, outcome, status, error, elapsed FROM probes WHERE site=? "
                               "AND due>=? AND due<? ORDER BY slot",
                               (site, float("-inf") if since is None else since, float("inf") if until is None else until))
        keys = ("slot", "due", "at", "outcome", "status", "error", "elapsed")
        return [dict(zip(keys, r)) for r in rows]

    def put_snapshot(self, site: str, day: str, at: float, digest: str, items: list[dict[str, str]]) -> bool:
        """The homepage's items on ``day`` (the first snapshot of a day stays); True if this one was new."""
        cur = self.db.execute("INSERT OR IGNORE INTO snapshots VALUES (?,?,?,?,?)",
                              (site, day, at, digest, json.dumps(items, ensure_ascii=False)))
        return cur.rowcount > 0

    def snapshots(self, site: str) -> list[dict[str, Any]]:
        return [{"day": d, "at": a, "digest": g, "items": json.loads(i)} for d, a, g, i in self.db.execute(
            "SELECT day, at, digest, items FROM snapshots WHERE site=? ORDER BY day", (site,))]

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def view(self, scan_id: int) -> ScanView:
        return ScanView(self, scan_id)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


class StoreWriter:
    """Buffers the crawler's writes and flushes them in one transaction.

    One row per statement would cap the crawl at a few hundred pages a second.  With ``background=True``
    the batches are encoded and written by a thread with its own connection: SQLite runs without the GIL,
    so the crawl's single event-loop thread only appends to lists.  Rows are idempotent (INSERT OR IGNORE /
    UPDATE by key), so a batch written again after a crash duplicates nothing.
    """

    def __init__(self, store: Store, scan_id: int, *, background: bool = False) -> None:
        self.store = store
        self.scan_id = scan_id
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
        self._results.append((rec.state, rec.status, rec.final_url, rec.content_type, rec.size, rec.error,
                              rec.redirects, rec.attempts, rec.facts, rec.skip_reason, self.scan_id, rec.key))

    @property
    def backlog(self) -> int:
        return len(self._urls) + len(self._refs) + len(self._results)

    def flush(self) -> None:
        if self._error is not None:
            raise StoreError(f"{self.store.path}: writing the scan failed ({self._error})") from self._error
        if not self.backlog:
            return
        batch = (self._urls, self._refs, self._results)
        self._urls, self._refs, self._results = [], [], []
        if self._queue is None:
            self._write(self.store.db, batch)
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
            raise StoreError(f"{self.store.path}: writing the scan failed ({self._error})") from self._error

    def _run(self) -> None:
        db = _connect(self.store.path)
        try:
            while (batch := self._queue.get()) is not None:  # type: ignore[union-attr]
                if self._error is None:
                    try:
                        self._write(db, batch)
                    except sqlite3.Error as exc:
                        self._error = exc
        finally:
            db.close()

    @staticmethod
    def _write(db: sqlite3.Connection, batch: tuple[list, list, list]) -> None:
        urls, refs, results = batch
        rows = [(state, status, final_url, ctype, size, error, json.dumps(redirects) if redirects else None,
                 json.dumps(attempts) if attempts else None,
                 json.dumps(facts, ensure_ascii=False) if facts is not None else None, skip,
                 facts.get("digest") if facts else None, scan_id, key)
                for state, status, final_url, ctype, size, error, redirects, attempts, facts, skip, scan_id, key
                in results]
        db.execute("BEGIN")
        try:
            db.executemany("INSERT OR IGNORE INTO urls (scan_id, key, url, kind, depth, state, skip_reason) "
                           "VALUES (?,?,?,?,?,?,?)", urls)
            db.executemany("INSERT OR IGNORE INTO refs VALUES (?,?,?,?,?)", refs)
            db.executemany("UPDATE urls SET state=?, status=?, final_url=?, content_type=?, size=?, error=?, redirects=?, "
                           "attempts=?, facts=coalesce(?, facts), skip_reason=?, digest=coalesce(?, digest) WHERE scan_id=? AND key=?", rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


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
                    ) -> tuple[dict[str, tuple[str, list[str]]], dict[str, str]]:
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
    entries: dict[str, list[tuple[int, str, str]]] = {}
    for entry in analysed:
        entries.setdefault(groups.find(entry[1]), []).append(entry)
    members: dict[str, set[str]] = {}
    for url in groups.parent:
        members.setdefault(groups.find(url), set()).add(url)
    documents: dict[str, tuple[str, list[str]]] = {}
    stored_as: dict[str, str] = {}
    for root, group in entries.items():
        pages = {page for _, _, page in group}
        page_url = start_url if start_url in pages else min(pages, key=lambda u: (len(u), u))
        rep = min(group, key=lambda e: (e[1] != page_url, e[2] != page_url, e[0], e[1]))[1]
        documents[rep] = (page_url, sorted(members[root] - {page_url}))
        stored_as.update(dict.fromkeys(members[root], rep))
    return documents, stored_as


class ScanView:
    """Read-only access to one scan: what checks and reports see.  Checks get this and nothing else."""

    def __init__(self, store: Store, scan_id: int) -> None:
        self.store = store
        self.scan_id = scan_id
        self.info = store.scan(scan_id)
        self._documents: dict[str, tuple[str, list[str]]] | None = None
        self._stored_as: dict[str, str] = {}  # any URL of a document -> the stored URL whose facts stand for it

    @property
    def site(self) -> str:
        return self.info.site

    @property
    def start_url(self) -> str:
        return self.info.start_url

    @property
    def as_of(self) -> str:
        return self.info.as_of

    def _records(self, where: str, params: tuple, keep: Any = None) -> Iterator[UrlRecord]:
        """``keep(url)``: rows to decode (the others' JSON is never parsed)."""
        sql = ("SELECT url, kind, depth, state, status, final_url, content_type, size, error, redirects, attempts, facts, "
               f"skip_reason FROM urls WHERE scan_id=? {where}")
        for r in self.store.db.execute(sql, (self.scan_id, *params)):
            if keep is not None and not keep(r[0]):
                continue
            yield UrlRecord(url=r[0], kind=r[1], depth=r[2], state=r[3], status=r[4], final_url=r[5], content_type=r[6],
                            size=r[7], error=r[8], redirects=_loads(r[9], []), attempts=_loads(r[10], []),
                            facts=_loads(r[11]), skip_reason=r[12])

    def urls(self, kind: str | None = None) -> Iterator[UrlRecord]:
        return self._records("AND kind=?", (kind,)) if kind else self._records("", ())

    def pages(self) -> Iterator[UrlRecord]:
        """Each crawled document once, under its page URL, with the other URLs that reached it in ``aliases``.

        Page findings (freshness, interaction, accessibility, identity) belong to a document, not to every URL
        that led to it: a link that redirects to ``/index.html``, ``/index.html`` itself and ``/`` serving the
        same body are one homepage, checked and scored once.  Link findings are unaffected: ``urls()`` and
        ``get()`` still see every URL.  See ``group_documents`` for how URLs are grouped and which is the page's.
        """
        docs = self.documents()
        # Rows not in ``docs`` belong to a document another row stands for: skipped before their facts are decoded.
        for rec in self._records("AND kind='page' AND facts IS NOT NULL", (), keep=docs.__contains__):
            page_url, aliases = docs[rec.url]
            if page_url != rec.url:
                rec.url, rec.final_url = page_url, None
            rec.aliases = aliases
            yield rec

    def documents(self) -> dict[str, tuple[str, list[str]]]:
        """{stored URL whose facts stand for a document: (the document's page URL, its other URLs)}.

        Computed once per view by ``group_documents`` from a narrow query: the body digest is kept in its own
        column, before ``facts`` (json_extract over every row's facts cost 7 s per 100,000 pages, and reading a
        column behind a large value walks its overflow pages).
        """
        if self._documents is None:
            rows = self.store.db.execute(
                "SELECT url, final_url, depth, facts IS NOT NULL, digest FROM urls WHERE scan_id=? AND kind='page' "
                "AND state='done' AND (facts IS NOT NULL OR final_url IS NOT NULL)", (self.scan_id,))
            self._documents, self._stored_as = group_documents(rows, self.start_url)
        return self._documents

    def page(self, url: str) -> UrlRecord | None:
        """The document ``url`` is one of the URLs of, as ``pages()`` yields it (None: no analysed page)."""
        docs = self.documents()
        stored = self._stored_as.get(url)
        rec = self.get(stored) if stored else None
        if rec is None or stored is None:
            return None
        rec.url, rec.aliases = docs[stored]
        rec.final_url = None
        return rec

    def get(self, url: str) -> UrlRecord | None:
        return next(self._records("AND key=?", (url_key(url),)), None)

    def refs(self, url: str, limit: int | None = None) -> list[Ref]:
        """The pages that carry ``url``, with anchor text; ordered so the homepage and shallow pages come first."""
        sql = ("SELECT s.url, r.anchor, r.tag FROM refs r JOIN urls s ON s.scan_id=r.scan_id AND s.key=r.source "
               "WHERE r.scan_id=? AND r.target=? ORDER BY s.depth, s.url")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [Ref(source=u, anchor=a, tag=t) for u, a, t in self.store.db.execute(sql, (self.scan_id, url_key(url)))]

    def ref_count(self, url: str) -> int:
        return self.store.db.execute("SELECT count(DISTINCT source) FROM refs WHERE scan_id=? AND target=?",
                                     (self.scan_id, url_key(url))).fetchone()[0]

    def hosts(self) -> dict[str, dict[str, Any]]:
        return {h: json.loads(f) for h, f in self.store.db.execute("SELECT host, facts FROM hosts WHERE scan_id=?", (self.scan_id,))}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, state, n in self.store.db.execute(
                "SELECT kind, state, count(*) FROM urls WHERE scan_id=? GROUP BY kind, state", (self.scan_id,)):
            out[f"{kind}.{state}"] = n
        return out

    def artifacts(self, name: str) -> Iterator[tuple[str, Any]]:
        return self.store.artifacts(self.scan_id, name)

    def probes(self, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """The availability monitor's probe windows of this scan's site (empty: the site is not monitored)."""
        return self.store.probes(self.start_url, since, until)

    def snapshots(self) -> list[dict[str, Any]]:
        """The monitor's daily snapshots of this site's homepage items, oldest first."""
        return self.store.snapshots(self.start_url)
