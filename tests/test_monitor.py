"""Availability monitoring: a real local server that goes up and down, the monitor as a real process with a
compressed schedule (a test rule set with 2-second windows), killed and restarted; a clock that jumps (the
clock is the monitor's parameter); and the week's figures judged by the availability check of a scan."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import read_findings, run_cli

RULES = Path(__file__).parent / "fixtures" / "rules-monitor-2s.yaml"
WINDOW = 2.0
HOME = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>测试县人民政府</title></head><body>"
        "<a href='/xwzx/1.html'>县政府召开常务会议</a><a href='/xwzx/2.html'>关于开展安全检查的通知</a></body></html>")


class FlakyServer:
    """A homepage on 127.0.0.1 that is up (200), failing (503), trickling (slow) or gone (port closed: refused)."""

    def __init__(self) -> None:
        self.mode = "up"
        self.port = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                if owner.mode == "slow":  # a whole answer slower than the test rule set's 1-second time-out
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(HOME.encode())))
                    self.end_headers()
                    for n in range(0, len(HOME.encode()), 40):
                        self.wfile.write(HOME.encode()[n:n + 40])
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                status = 200 if owner.mode == "up" else 503
                body = HOME.encode() if status == 200 else b"busy"
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@pytest.fixture
def server():
    s = FlakyServer()
    yield s
    s.close()


def _rows(store_path: Path, url: str) -> list[dict]:
    from govaudit.store import Store

    with Store(store_path) as store:
        return store.probes(url)


def _wait(what: str, cond, limit: float = 60.0) -> None:
    """Poll until ``cond()``; the limit only keeps a broken monitor from hanging the suite."""
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def _start(sites: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "govaudit.cli", "monitor", str(sites), "--store", str(store),
                             "--rules", str(RULES)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CI": "true"})


def test_monitor_process_killed_and_restarted_records_every_window_once(server, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text(f"网站名称,网址,地区,主办单位,网站类型\n测试县,{server.url},测试县,测试县人民政府,门户\n"
                     f"坏行,ftp://files.example/,,,\n", encoding="gbk")
    store = tmp_path / "monitor.sqlite"
    proc = _start(sites, store)
    try:
        _wait("two up probes", lambda: sum(r["outcome"] == "up" for r in _rows(store, server.url)) >= 2)
        server.mode = "error"
        _wait("a 503 probe", lambda: any(r["status"] == 503 for r in _rows(store, server.url)))
        server.close()
        _wait("a refused probe", lambda: any(r["error"] == "refused" for r in _rows(store, server.url)))
        server.start()  # the same port again
        server.mode = "up"
        seen = len(_rows(store, server.url))
        _wait("an up probe after the outage", lambda: _rows(store, server.url)[-1]["outcome"] == "up"
              and len(_rows(store, server.url)) > seen)
        proc.kill()  # SIGKILL: no chance to write anything on the way out
        proc.wait(10)
        killed_at = time.time()
        last_before = max(r["slot"] for r in _rows(store, server.url))
        _wait("three windows to pass", lambda: time.time() // WINDOW >= last_before + 4)
        restarted_at = time.time()
        proc = _start(sites, store)
        _wait("a probe after the restart", lambda: any(r["at"] and r["at"] > restarted_at for r in _rows(store, server.url)))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "line 3" in err  # the bad row is named by its line, and the site list still monitored

    rows = _rows(store, server.url)
    slots = [r["slot"] for r in rows]
    assert slots == list(range(slots[0], slots[-1] + 1)), "every window between the first and the last is recorded"
    missed = [r for r in rows if r["outcome"] == "missed"]
    probed = [r for r in rows if r["outcome"] != "missed"]
    # The windows from the kill to the restarted monitor's first probe are missed (a loaded machine may take more
    # than a window to start the new process, and those windows were missed too).  A live monitor starved of the
    # CPU for longer than a 2-s window misses that window as well, and says so: missed windows elsewhere are
    # not an error, a probe invented for a dead window would be (below).
    first_after = min(r["slot"] for r in probed if r["at"] > restarted_at)
    dead = [r for r in rows if last_before < r["slot"] < first_after]
    assert dead and dead[0]["slot"] == last_before + 1, "the windows while the monitor was dead are recorded"
    assert all(r["outcome"] == "missed" for r in dead)
    assert all(r["at"] is None for r in missed)
    assert not [r for r in probed if killed_at < r["at"] < restarted_at], "no probe is invented while the monitor was dead"
    assert all(r["slot"] == r["due"] // WINDOW for r in rows)
    downs = [r for r in rows if r["outcome"] == "down"]
    assert {r["status"] for r in downs if r["status"]} == {503} and any(r["error"] == "refused" for r in downs)
    assert all(r["outcome"] == "up" for r in rows if r["status"] == 200)

    from govaudit.store import Store

    with Store(store) as s:
        snaps = s.snapshots(server.url)
    assert snaps and {"title": "县政府召开常务会议", "url": server.url + "xwzx/1.html"} in snaps[0]["items"]
    assert len({x["day"] for x in snaps}) == len(snaps)

    # --status judges the period ending now as a scan would, without probing.
    before = len(_rows(store, server.url))
    shown = run_cli("monitor", str(sites), "--store", str(store), "--rules", str(RULES), "--status").stdout
    [line] = [x for x in shown.splitlines() if x.endswith(server.url)]
    assert line.split("\t")[0] in ("warning", "veto") and len(_rows(store, server.url)) == before

    # A scan of the monitored site with the monitor's store reports the probes it finds there (its figures come
    # through the ScanView; the check fetches nothing).
    out = tmp_path / "scan"
    run_cli("scan", server.url, "--out", str(out), "--store", str(store), "--rules", str(RULES), "--a11y", "off",
            "--timeout", "2")
    found = {f["rule"]: f for f in read_findings(out)}
    ev = found["availability.monitor"]["evidence"]
    window = [r for r in _rows(store, server.url) if ev["since"] <= r["due"] < ev["until"]]
    assert ev["probes"] == sum(r["outcome"] != "missed" for r in window) > 0
    assert ev["failed"] == sum(r["outcome"] == "down" for r in window) >= 2
    assert ev["missed"] == sum(r["outcome"] == "missed" for r in window)
    # ≥2 of the probes failed: the veto when the monitoring covers the test rule set's 43-second period (a slow
    # machine), else the warning that says the period is not covered yet.
    assert ("availability.unreachable" in found) is ev["complete"]
    assert ("availability.warning" in found) is not ev["complete"]


class Clock:
    """Real time plus an offset the test moves: the clock the monitor is given."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _settle(monitor, until) -> None:
    """Tick the monitor (as its loop does) until ``until()``; probes in flight are waited for after each tick."""
    end = time.monotonic() + 30
    while not until():
        if time.monotonic() > end:
            raise AssertionError("the monitor never reached the expected state")
        monitor.tick()
        concurrent.futures.wait(list(monitor.running))
        time.sleep(0.05)


def test_clock_jumps_forward_and_back(server, tmp_path):
    from govaudit.monitor import Monitor
    from govaudit.ruleset import load_ruleset

    store = tmp_path / "jump.sqlite"
    clock = Clock()
    lines: list[str] = []
    monitor = Monitor(store, [server.url], load_ruleset(RULES), clock=clock, log=lines.append)
    try:
        _settle(monitor, lambda: len(_rows(store, server.url)) >= 1)
        before = _rows(store, server.url)[-1]["slot"]

        clock.offset += 10 * WINDOW  # forward: ten windows nobody probed
        _settle(monitor, lambda: _rows(store, server.url)[-1]["outcome"] == "up"
                and _rows(store, server.url)[-1]["slot"] > before + 1)
        rows = _rows(store, server.url)
        now_slot = rows[-1]["slot"]
        assert [r["slot"] for r in rows] == list(range(rows[0]["slot"], now_slot + 1))
        assert {r["outcome"] for r in rows if before < r["slot"] < now_slot} == {"missed"}
        assert now_slot - before >= 10

        clock.offset -= 20 * WINDOW  # back: the windows are already recorded; nothing is probed into the past
        count = len(rows)
        for _ in range(5):
            monitor.tick()
            concurrent.futures.wait(list(monitor.running))
        assert len(_rows(store, server.url)) == count
        assert any("clock is behind" in line for line in lines)

        clock.offset += 20 * WINDOW  # and forward again to where it was: probing carries on, nothing twice
        _settle(monitor, lambda: _rows(store, server.url)[-1]["slot"] > now_slot
                and _rows(store, server.url)[-1]["outcome"] == "up")
        rows = _rows(store, server.url)
        assert [r["slot"] for r in rows] == list(range(rows[0]["slot"], rows[-1]["slot"] + 1))
    finally:
        monitor.stop.set()
        monitor.executor.shutdown(wait=True)
        monitor.store.close()


def _scan_view(store, site: str, probes: list[tuple[float, str]], started: float):
    """A scan of ``site`` begun at ``started`` in a store holding the given probes ((due, outcome))."""
    from datetime import date

    scan_id = store.begin_scan(site, site, date.fromtimestamp(started).isoformat(), {}, "test")
    store.conn.exec_driver_sql("UPDATE scans SET started=? WHERE id=?", (started, scan_id))
    store.add_probes([(site, int(due // WINDOW), due, due if o != "missed" else None, o,
                       200 if o == "up" else 503 if o == "down" else None, None, 0.01) for due, o in probes])
    return store.view(scan_id)


@pytest.mark.parametrize("failed, missed, complete, rule", [
    (0, 2, True, None),                          # nothing failed (missed windows are not failures)
    (1, 0, True, "availability.warning"),        # 1/21 = 4.8 %: over the 3 % warning line, under the 5 % veto
    (3, 4, True, "availability.unreachable"),    # 3/17 = 18 % over the whole period: the veto
    (1, 0, False, "availability.warning"),       # 1/11 = 9 %, but not a full period yet: a warning, not the veto
])
def test_week_of_probes_judged_by_the_availability_check(tmp_path, failed, missed, complete, rule):
    from govaudit.checks.availability import run

    from govaudit.ruleset import load_ruleset
    from govaudit.store import Store

    rules = load_ruleset(RULES)
    period = 0.0005 * 86400
    started = (time.time() // WINDOW) * WINDOW
    first = started - period + (0 if complete else 10 * WINDOW)
    dues = [first + i * WINDOW for i in range(int((started - first) // WINDOW))]
    outcomes = ["down"] * failed + ["missed"] * missed
    outcomes += ["up"] * (len(dues) - len(outcomes))
    with Store(tmp_path / "s.sqlite") as store:
        view = _scan_view(store, "http://site.example/", list(zip(dues, outcomes)), started)
        found = {f.rule: f for f in run(view, rules) if f.rule != "availability.home"}
    monitor = found.pop("availability.monitor")
    probes = len(dues) - missed
    assert monitor.evidence["probes"] == probes and monitor.evidence["failed"] == failed
    assert monitor.evidence["missed"] == missed and monitor.evidence["complete"] is complete
    assert monitor.evidence["ratio"] == round(failed / probes, 4)
    assert list(found) == ([rule] if rule else [])
    if rule == "availability.unreachable":
        assert found[rule].severity == "veto"
    if rule == "availability.warning":
        f = found[rule]
        left = f.evidence["failures_left"]
        assert (failed + left) / (probes + left) >= 0.05
        assert left == 0 or (failed + left - 1) / (probes + left - 1) < 0.05  # the least number of further failures


def test_home_stale_judged_from_observed_snapshots(tmp_path):
    """Printed dates say fresh, but the monitor's daily snapshots saw no new item for 20 days: home.stale from
    observation; with a new item 5 days ago it is not stale; snapshots covering less than the window leave the
    printed dates to decide."""
    from datetime import date, datetime, timedelta

    from govaudit.checks.freshness import run

    from govaudit.model import UrlRecord, url_key
    from govaudit.ruleset import load_ruleset
    from govaudit.store import Store, StoreWriter

    site, as_of = "http://127.0.0.1:9/", date(2026, 11, 20)
    fresh = (as_of - timedelta(days=1)).isoformat()
    facts = {"kind": "home", "column": {"name": "首页", "name_source": "title", "type": None, "type_reason": None,
                                        "breadcrumb": [], "short_texts": []},
             "list_items": [{"title": "模板日期", "url": site + "a.html", "date": fresh, "date_text": fresh, "source": "html"}],
             "pagination": [], "article": {"date": None, "date_text": None, "source": None, "meta_date": None}}

    def home_stale(tmp: Path, days_of_snapshots: int, new_item_days_ago: int | None, rule: str = "home.stale") -> list:
        tmp.mkdir()
        store = Store(tmp / "s.sqlite")
        scan = store.begin_scan(site, site, as_of.isoformat(), {}, "test")
        writer = StoreWriter(store, scan)
        writer.add_url(url_key(site), site, "page", 0)
        writer.record(UrlRecord(url=site, kind="page", depth=0, state="done", status=200, content_type="text/html",
                                facts=facts))
        writer.flush()
        for n in range(days_of_snapshots, -1, -1):
            day = as_of - timedelta(days=n)
            items = [{"title": "老信息", "url": site + "old.html"}]
            if new_item_days_ago is not None and n <= new_item_days_ago:
                items.append({"title": "新信息", "url": site + "new.html"})
            store.put_snapshot(site, day.isoformat(), datetime.combine(day, datetime.min.time()).timestamp() + 3600,
                               "d", items)
        return [f for f in run(store.view(scan), load_ruleset()) if f.rule == rule]

    [f] = home_stale(tmp_path / "a", 20, None)
    assert f.evidence["mode"] == "observed" and f.evidence["days_since"] == 20
    assert f.evidence["observed_last_change"] is None and f.evidence["snapshots"] == 21
    [f] = home_stale(tmp_path / "b", 20, 16)
    assert f.evidence["observed_last_change"] == (as_of - timedelta(days=16)).isoformat()
    assert home_stale(tmp_path / "c", 20, 5) == []
    assert home_stale(tmp_path / "e", 20, 5, "early.home_stale") == []  # 5 days: inside the warning line
    [w] = home_stale(tmp_path / "f", 20, 12, "early.home_stale")  # 12 days: past the 10-day line, 3 days before the veto
    assert w.evidence["days_since"] == 12 and w.evidence["days_left"] == 3
    assert w.evidence["newest_date"] == (as_of - timedelta(days=12)).isoformat()
    assert home_stale(tmp_path / "d", 6, None) == []  # a week of snapshots: the printed (fresh) dates decide


def test_probe_times_out_on_the_whole_answer(server):
    """A homepage whose bytes keep coming, each read well inside the time-out, but whose whole answer takes longer
    than ``timeout_seconds``, failed the probe (a per-read time-out would call it up)."""
    import urllib3

    from govaudit.monitor import Schedule, probe
    from govaudit.ruleset import load_ruleset

    schedule = Schedule.from_rules(load_ruleset(RULES))
    pool = urllib3.PoolManager()
    assert probe(pool, server.url, schedule, "test").outcome == "up"
    server.mode = "slow"
    result = probe(pool, server.url, schedule, "test")
    assert (result.outcome, result.status, result.error) == ("down", 200, "timeout")
    server.mode = "error"
    assert (probe(pool, server.url, schedule, "test").status, probe(pool, server.url, schedule, "test").outcome) == (503, "down")


def test_a_schedule_below_twenty_probes_a_day_is_refused(tmp_path):
    from govaudit.errors import UserError
    from govaudit.monitor import Schedule
    from govaudit.ruleset import load_ruleset

    slow = tmp_path / "slow.yaml"
    slow.write_text(f"id: slow\nversion: '1'\ninherits: {RULES}\nparams:\n  availability:\n    window_seconds: 7200\n",
                    encoding="utf-8")
    with pytest.raises(UserError, match="12 probes a day"):
        Schedule.from_rules(load_ruleset(slow))
