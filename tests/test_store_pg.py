"""The store's contract on both engines (SQLite file, PostgreSQL server), and PostgreSQL as a shared store.

The PostgreSQL server is real (``postgres`` fixture in conftest.py: Debian's package, a throwaway data
directory, 127.0.0.1); every test gets a fresh database.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import sys
from pathlib import Path

import pytest
from conftest import AS_OF, clock_free, read_findings, run_cli

from govaudit.model import Finding, UrlRecord, url_key
from govaudit.store import APPLICATION_ID, SCHEMA_VERSION, Store, StoreError, StoreWriter


@pytest.fixture(params=["sqlite", "postgresql"])
def locator(request, tmp_path):
    """Where a new store goes: an SQLite file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "store.sqlite"
    return request.getfixturevalue("postgres")()


def _page(url: str, depth: int, **facts) -> UrlRecord:
    return UrlRecord(url=url, kind="page", depth=depth, state="done", status=200, content_type="text/html", size=100,
                     facts={"title": url, "digest": f"d-{url}", **facts}, attempts=[{"status": 200}])


def test_store_contract(locator):
    home, about, gone = "http://site.test/", "http://site.test/about.html", "http://site.test/gone.html"
    with Store(locator) as store:
        assert store.schema_version() == SCHEMA_VERSION
        scan = store.begin_scan("site.test", home, AS_OF.isoformat(), {"a": 1, "名": "县"}, "test")
        assert store.resumable_scan(home) == scan and store.latest_scan() == scan
        writer = StoreWriter(store, scan, background=True)
        for url, depth in ((home, 0), (about, 1), (gone, 1)):
            writer.add_url(url_key(url), url, "page", depth)
        writer.add_url(url_key(home), home, "page", 5)  # found again: the first discovery stays
        writer.add_ref(url_key(about), url_key(home), "a", "关于我们")
        writer.add_ref(url_key(about), url_key(home), "a", "关于我们")  # twice: one row
        writer.add_ref(url_key(gone), url_key(about), "a", "旧页")
        writer.flush()
        writer.record(_page(home, 0, 标题="首页"))
        writer.record(_page(about, 1))
        writer.record(UrlRecord(url=gone, kind="page", depth=1, state="retest", status=503, error="HTTP 503\x00"))
        writer.close()
        assert store.seen_keys(scan) == {url_key(u) for u in (home, about, gone)}
        assert store.pages_scheduled(scan) == 3
        assert list(store.pending(scan)) == [(gone, "page", 1)]
        store.set_host_facts(scan, "site.test", {"https": False})
        store.set_host_facts(scan, "site.test", {"https": True})  # replaced, not added
        view = store.view(scan)
        assert view.get(gone).error in ("HTTP 503\x00", "HTTP 503\ufffd")  # PostgreSQL text holds no NUL
        assert view.hosts() == {"site.test": {"https": True}}
        assert view.counts() == {"page.done": 2, "page.retest": 1}
        got = view.get(home)
        assert got is not None and got.depth == 0 and got.facts == {"title": home, "digest": f"d-{home}", "标题": "首页"}
        assert list(got.facts) == ["title", "digest", "标题"]  # key order kept (PostgreSQL json, not jsonb)
        assert [p.url for p in view.pages()] == [home, about]
        assert [(r.source, r.anchor) for r in view.refs(about)] == [(home, "关于我们")] and view.ref_count(about) == 1
        assert [r.source for r in view.refs(gone, limit=1)] == [about]

        # a re-test that succeeds keeps what the first fetch learnt unless it learnt more
        again = StoreWriter(store, scan)
        again.record(UrlRecord(url=gone, kind="page", depth=1, state="done", status=200))
        again.record(UrlRecord(url=home, kind="page", depth=0, state="done", status=200))  # no facts: kept
        again.close()
        assert view.get(gone).state == "done" and view.get(home).facts["标题"] == "首页"

        findings = [Finding(rule="links.broken", severity="deduct", site="site.test", url=gone, message="坏链"),
                    Finding(rule="links.broken", severity="deduct", site="site.test", url=about, message="坏链"),
                    Finding(rule="freshness.home", severity="warn", site="site.test", url=home, message="首页")]
        assert store.replace_findings(scan, findings) == 3
        assert store.replace_findings(scan, findings[:2]) == 2  # replaced whole
        assert [f.url for f in store.findings(scan)] == [gone, about]
        assert store.finding_counts(scan) == {"links.broken": 2}
        store.put_artifact(scan, "a11y", home, {"violations": 1})
        store.put_artifact(scan, "a11y", home, {"violations": 2})
        assert list(store.artifacts(scan, "a11y")) == [(home, {"violations": 2})]
        store.delete_artifacts(scan, "a11y")
        assert list(store.artifacts(scan, "a11y")) == []
        rows = [(home, s, s * 2.0, s * 2.0 + 0.1, "up", 200, None, 0.1) for s in range(5)]
        assert store.add_probes(rows) == 5
        assert store.add_probes([*rows, (home, 5, 10.0, None, "missed", None, None, None)]) == 1  # first write wins
        assert store.last_slot(home) == 5 and len(store.probes(home)) == 6 and len(store.probes(home, 2.0, 6.0)) == 2
        assert store.put_snapshot(home, "2026-11-20", 1.0, "x", [{"t": "通知"}])
        assert not store.put_snapshot(home, "2026-11-20", 2.0, "y", [])
        assert store.snapshots(home) == [{"day": "2026-11-20", "at": 1.0, "digest": "x", "items": [{"t": "通知"}]}]
        store.finish_scan(scan, {"pages": 3})
        store.merge_stats(scan, a11y={"pages": 1})
        store.record_result(scan, {"id": "r", "version": "1", "hash": "h"}, {"score": 90.0})
        info = store.scan(scan)
        assert (info.state, info.stats, info.ruleset, info.result, info.options) == (
            "finished", {"pages": 3, "a11y": {"pages": 1}}, {"id": "r", "version": "1", "hash": "h"}, {"score": 90.0},
            {"a": 1, "名": "县"})
        assert store.resumable_scan(home) is None and [s.id for s in store.scans(home)] == [scan]
    with Store(locator, create=False) as store:  # opened again: the same store, nothing re-created
        assert store.latest_scan() == scan and view.info.id == scan


def test_a_fetch_recorded_before_its_discovery_is_kept(locator):
    """Two workers: one fetched a URL (record) before the one that found it wrote the discovery (add_url)."""
    url = "http://site.test/a.html"
    with Store(locator) as store:
        scan = store.begin_scan("site.test", "http://site.test/", AS_OF.isoformat(), {}, "test")
        fetcher, finder = StoreWriter(store, scan), StoreWriter(store, scan)
        fetcher.record(_page(url, 2))
        fetcher.close()
        finder.add_url(url_key(url), url, "page", 1)
        finder.close()
        rec = store.view(scan).get(url)
        assert rec is not None and (rec.state, rec.depth, rec.facts["title"]) == ("done", 2, url)
        assert store.view(scan).counts() == {"page.done": 1}


def _worker(locator: str | Path, scan: int, worker: int, workers: int, pages: int) -> None:
    """One crawl worker: discovers every page (as all workers parse the same links), fetches its share."""
    with Store(locator) as store:
        writer = StoreWriter(store, scan, background=True)
        for i in range(pages):
            url = f"http://site.test/p{i}.html"
            writer.add_url(url_key(url), url, "page", 1)
            writer.add_ref(url_key(url), url_key("http://site.test/"), "a", f"第{i}页")
            if i % workers == worker:
                writer.record(_page(url, 1, worker=worker))
            if i % 50 == 0:
                writer.flush()
        writer.close()


def test_several_processes_write_one_scan(locator):
    workers, pages = 4, 600
    with Store(locator) as store:
        scan = store.begin_scan("site.test", "http://site.test/", AS_OF.isoformat(), {}, "test")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(locator, scan, w, workers, pages)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * workers
    with Store(locator) as store:
        view = store.view(scan)
        assert view.counts() == {"page.done": pages}, "every page once, every fetch kept"
        records = list(view.urls())
        assert len(records) == len({r.url for r in records}) == pages
        assert all(r.facts["worker"] == int(r.url.split("/p")[1].split(".")[0]) % workers for r in records)
        assert view.ref_count("http://site.test/p7.html") == 1  # found by every worker: one row


def test_older_sqlite_store_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"""PRAGMA application_id={APPLICATION_ID}; PRAGMA user_version=1;
        CREATE TABLE scans (id INTEGER PRIMARY KEY, site TEXT NOT NULL, start_url TEXT NOT NULL, started REAL NOT NULL,
            finished REAL, state TEXT NOT NULL DEFAULT 'running', as_of TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{{}}',
            stats TEXT NOT NULL DEFAULT '{{}}', tool_version TEXT);
        CREATE TABLE urls (scan_id INTEGER NOT NULL, key INTEGER NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL,
            depth INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending', status INTEGER, final_url TEXT,
            content_type TEXT, size INTEGER, error TEXT, redirects TEXT, attempts TEXT, facts TEXT, skip_reason TEXT,
            PRIMARY KEY (scan_id, key)) WITHOUT ROWID;
        INSERT INTO scans (site, start_url, started, state, as_of) VALUES ('s', 'http://s.test/', 1.0, 'finished', '2025-01-01');
        INSERT INTO urls (scan_id, key, url, kind, state, facts) VALUES (1, {url_key('http://s.test/')}, 'http://s.test/',
            'page', 'done', '{{"title": "旧"}}');""")
    db.close()
    with Store(path, create=False) as store:
        assert store.schema_version() == SCHEMA_VERSION
        info = store.scan(1)
        assert (info.state, info.ruleset, info.result) == ("finished", None, None)
        rec = store.view(1).get("http://s.test/")
        assert rec is not None and rec.facts == {"title": "旧"}
        assert store.add_probes([("http://s.test/", 1, 2.0, None, "missed", None, None, None)]) == 1  # new tables made
    assert sqlite3.connect(path).execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_store_refuses_what_is_not_one(tmp_path, postgres):
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a govaudit store"):
        Store(foreign)
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a usable govaudit store"):
        Store(tmp_path / "junk.sqlite")
    url = postgres()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (x int)")
    with pytest.raises(StoreError, match="not a govaudit store"):
        Store(url)
    with pytest.raises(StoreError, match="empty"):
        Store(postgres(), create=False)


def test_clear_errors_for_a_bad_url_an_unreachable_server_and_a_wrong_password(postgres, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens there once the socket is closed
    good = postgres()
    cases = {
        "postgresql://govaudit@127.0.0.1:notaport/db": "postgresql",
        "mysql://u@127.0.0.1/db": "unsupported store",
        "postgresql://govaudit@127.0.0.1:5432": "names no database",
        f"postgresql://govaudit:x@127.0.0.1:{closed}/db": "cannot open the store",
        good.replace(postgres.password, "wrong"): "password authentication failed",
    }
    for url, expected in cases.items():
        proc = run_cli("history", "http://site.test/", "--store", url, check=False)
        scan = run_cli("scan", "http://127.0.0.1:9/", "--out", str(tmp_path / "out"), "--store", url, check=False)
        assert scan.returncode != 0 and expected in scan.stderr and "Traceback" not in scan.stderr, (url, scan.stderr)
        assert "wrong" not in scan.stderr and "govaudit:x@" not in scan.stderr
        assert proc.returncode == 1, (url, proc.stderr)
        assert expected in proc.stderr and "Traceback" not in proc.stderr, (url, proc.stderr)
        assert "wrong" not in proc.stderr and "govaudit:x@" not in proc.stderr  # the password is never printed


def _key(f: dict) -> str:
    """A finding's identity (rule, the thing at fault, discriminator) and severity: its evidence may hold
    timings (speed.*) and the first trap URLs met, which differ run to run whatever the store."""
    return f"{f['rule']} {f['severity']} {f['url']} {f['fingerprint']}"


def test_demo_scan_into_postgresql_equals_the_sqlite_scan(demo_site, demo_scan, postgres, tmp_path):
    """The served demo site scanned into PostgreSQL: the same findings as the SQLite scan; history, diff and
    report read the scan back from the server."""
    server, _ = demo_site
    sqlite_out, sqlite_findings = demo_scan
    url, out = postgres(), tmp_path / "out"
    run_cli("scan", server.base_url + "/", "--out", str(out), "--store", url, "--as-of", AS_OF.isoformat(),
            "--timeout", "2", "--a11y", "off")
    assert not (out / "govaudit.sqlite").exists()
    pg_findings = read_findings(out)
    assert sorted(map(_key, clock_free(pg_findings))) == sorted(map(_key, clock_free(sqlite_findings)))
    with Store(url, create=False) as store:
        (scan,) = store.scans()
        assert scan.state == "finished" and scan.result is not None
        assert "govaudit-test" not in str(scan.options)  # the password is not recorded with the scan
    history = run_cli("history", server.base_url + "/", "--store", url).stdout
    assert history.splitlines()[1].startswith(f"{scan.id}\t{AS_OF.isoformat()}\tfinished")
    diff = run_cli("diff", str(sqlite_out), str(scan.id), "--store", url, "--json").stdout
    result = json.loads(diff)
    assert not clock_free(result["new"]) and not clock_free(result["fixed"]), result
    run_cli("report", url, "--out", str(tmp_path / "again"))
    assert sorted(map(_key, read_findings(tmp_path / "again"))) == sorted(map(_key, pg_findings))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_batch_writes_every_site_into_one_postgresql_store(postgres, tmp_path):
    """``govaudit batch --store URL``: each site's scan in the shared database, reports in the site's folder."""
    from govaudit.demo.server import DemoServer
    from govaudit.demo.sitegen import generate_site

    servers = []
    for n in range(2):
        root = tmp_path / f"site{n}"
        servers.append(DemoServer(root, generate_site(root, as_of=AS_OF, pages=30, seed=200 + n, hostile=False)).start())
    try:
        sites = tmp_path / "sites.csv"
        sites.write_text("网站名称,网址,地区,主办单位,网站类型\n" + "".join(
            f"{n}县人民政府,{s.base_url}/,甲市,{n}县政府办公室,门户\n" for n, s in zip("甲乙", servers)), encoding="utf-8")
        url, out = postgres(), tmp_path / "batch"
        run_cli("batch", str(sites), "--out", str(out), "--store", url, "--a11y", "off", "--timeout", "2",
                "--display", "lines", "--as-of", AS_OF.isoformat(), timeout=280)
        assert not list(out.rglob("*.sqlite"))
        with Store(url, create=False) as store:
            scans = store.scans()
            assert sorted(s.start_url for s in scans) == sorted(s.base_url + "/" for s in servers)
            assert all(s.state == "finished" for s in scans)
        refused = run_cli("batch", str(sites), "--out", str(tmp_path / "b2"), "--store", str(tmp_path / "x.sqlite"),
                          check=False)
        assert refused.returncode == 1 and "postgresql://" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        for s in servers:
            s.stop()


def test_monitor_probes_into_postgresql(postgres, tmp_path):
    """``govaudit monitor --store URL`` writes its probe windows and snapshots to the server; ``--status`` reads them."""
    import signal
    import subprocess
    import time

    from test_monitor import RULES, FlakyServer

    server = FlakyServer()
    url = postgres()
    sites = tmp_path / "sites.csv"
    sites.write_text(f"网站名称,网址,地区,主办单位,网站类型\n测试县,{server.url},测试县,测试县人民政府,门户\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "govaudit.cli", "monitor", str(sites), "--store", url, "--rules",
                             str(RULES)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 90  # only keeps a broken monitor from hanging the suite
        while time.monotonic() < end:
            with Store(url) as store:
                if sum(p["outcome"] == "up" for p in store.probes(server.url)) >= 2:
                    break
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
        server.close()
    with Store(url, create=False) as store:
        probes = store.probes(server.url)
        assert sum(p["outcome"] == "up" for p in probes) >= 2 and store.snapshots(server.url)
        slots = [p["slot"] for p in probes]
        assert slots == sorted(set(slots)), "a window is recorded once"
    status = run_cli("monitor", str(sites), "--store", url, "--rules", str(RULES), "--status").stdout
    assert server.url in status and "probes" in status
