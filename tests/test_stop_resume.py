"""SIGINT/SIGTERM stop a real scan of the demo site cleanly, and ``--resume`` finishes it exactly.

Each run starts ``govaudit scan`` as a real process, signals it at a random moment (seeded), and checks
what the issue asks for: the exit code says which signal (130 SIGINT, 143 SIGTERM), the message says it was
interrupted and how to resume, the store holds the scan as ``interrupted``, no output is half-written; then
``--resume`` ends with the same findings (rule, severity, url, discriminator, source count) and score as the
uninterrupted scan of the same site with the same ``--as-of``.  The stop times and how many runs matched
are printed (``pytest -s``); they are measurements, not assertions.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from conftest import AS_OF, clock_free, read_findings, run_cli

# --timeout 4, under the demo site's 6-s stalls: with 2 s, robots.txt itself timed out now and then on a loaded
# machine, and a scan that could not read it crawled a disallowed page (interrupted or not).
SCAN_ARGS = ("--as-of", AS_OF.isoformat(), "--timeout", "4", "--a11y", "off")
RUNS = int(os.environ.get("GOVAUDIT_KILL_RUNS", "3"))  # more for a measurement: GOVAUDIT_KILL_RUNS=12
HANG_GUARD = 60  # seconds: a scan that has not stopped by then is hung (the requirement is 10 s; times are printed)


@pytest.fixture(scope="module")
def baseline(demo_site, tmp_path_factory):
    """The uninterrupted scan every stopped-and-resumed one must match."""
    server, _ = demo_site
    out = tmp_path_factory.mktemp("baseline")
    run_cli("scan", server.base_url + "/", "--out", str(out), *SCAN_ARGS)
    return out


def finding_keys(out: Path) -> Counter:
    return Counter((f["rule"], f["severity"], f["url"], f.get("discriminator"), f.get("source_count"))
                   for f in clock_free(read_findings(out)))


def score(out: Path) -> tuple[float, str]:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return summary["score"], summary["verdict"]


def scan_state(out: Path) -> str:
    with sqlite3.connect(out / "govaudit.sqlite") as db:
        return db.execute("SELECT state FROM scans ORDER BY id DESC LIMIT 1").fetchone()[0]


def assert_no_half_outputs(out: Path) -> None:
    """Outputs are complete or absent: no temporaries left, and every file present parses."""
    assert not list(out.glob(".*.part")), list(out.glob(".*.part"))
    if (out / "findings.jsonl").exists():
        read_findings(out)
    if (out / "summary.json").exists():
        json.loads((out / "summary.json").read_text(encoding="utf-8"))


def start_scan(url: str, out: Path) -> subprocess.Popen:
    """In a process group of its own, as a shell runs a command: Ctrl-C reaches the group, ``kill`` one process."""
    return subprocess.Popen([sys.executable, "-m", "govaudit.cli", "scan", url, "--out", str(out), *SCAN_ARGS],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "true"},
                            start_new_session=True)


def send(proc: subprocess.Popen, sig: signal.Signals) -> None:
    """SIGINT as Ctrl-C sends it (to the scan and its parse workers), SIGTERM as ``kill PID`` does."""
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)


@pytest.mark.timeout(240 * RUNS)  # a hang guard: each run is a scan, a stop and a resume
def test_killed_scans_resume_to_the_uninterrupted_findings(demo_site, baseline, tmp_path):
    server, _ = demo_site
    base_out = baseline
    url = server.base_url + "/"
    expected, expected_score = finding_keys(base_out), score(base_out)
    rng = random.Random(20261120)
    matched, interrupted, stop_times = 0, 0, []
    for run in range(RUNS):
        out = tmp_path / f"run{run}"
        sig = rng.choice([signal.SIGINT, signal.SIGTERM])
        delay = rng.uniform(0.5, 25.0)
        proc = start_scan(url, out)
        time.sleep(delay)
        sent = time.monotonic()
        send(proc, sig)
        _, err = proc.communicate(timeout=HANG_GUARD)
        stopped = time.monotonic() - sent
        if proc.returncode == 0:  # finished before the signal came
            print(f"run {run}: {sig.name} after {delay:.1f} s came after the scan finished")
        else:
            interrupted += 1
            stop_times.append(stopped)
            assert proc.returncode == 128 + sig, (proc.returncode, err[-3000:])
            assert "interrupted" in err and "re-run with --resume" in err, err[-3000:]
            assert "failed before it started" not in err
            assert scan_state(out) == "interrupted"
            assert_no_half_outputs(out)
            print(f"run {run}: {sig.name} after {delay:.1f} s stopped it in {stopped:.1f} s "
                  f"({err.strip().splitlines()[-1]})")
        run_cli("scan", url, "--out", str(out), *SCAN_ARGS, "--resume")
        assert scan_state(out) == "finished"
        got = finding_keys(out)
        if got == expected and score(out) == expected_score:
            matched += 1
        else:
            print(f"run {run}: differs: missing {sorted(expected - got)[:5]}, extra {sorted(got - expected)[:5]}, "
                  f"score {score(out)} vs {expected_score}")
    print(f"kill-and-resume: {matched}/{RUNS} runs matched the uninterrupted scan; {interrupted} were interrupted, "
          f"stopping in at most {max(stop_times, default=0):.1f} s")
    assert interrupted, "no run was interrupted: the signals all came too late to test anything"
    assert matched == RUNS


def test_signal_during_report_writing_leaves_outputs_whole(demo_site, baseline, tmp_path):
    """A stop after the crawl (checks, report writing) keeps the scan resumable and the outputs whole."""
    server, _ = demo_site
    base_out = baseline
    url = server.base_url + "/"
    out = tmp_path / "late"
    proc = start_scan(url, out)
    while scan_state_or_none(out) != "crawled" and proc.poll() is None:  # the crawl has ended; checks run now
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=HANG_GUARD)
    if proc.returncode == 0:
        pytest.skip("the scan finished its reports before the signal arrived")
    assert proc.returncode == 143, err[-3000:]
    assert "re-run with --resume" in err and "during the" in err
    print(err.strip().splitlines()[-1])
    assert scan_state(out) == "interrupted"
    assert_no_half_outputs(out)
    run_cli("scan", url, "--out", str(out), *SCAN_ARGS, "--resume")
    assert finding_keys(out) == finding_keys(base_out) and score(out) == score(base_out)


def scan_state_or_none(out: Path) -> str | None:
    try:
        return scan_state(out)
    except (sqlite3.Error, TypeError):
        return None


class Stalling(BaseHTTPRequestHandler):
    """A homepage linking to a page that answers only when ``release`` is set (a server that stalls)."""

    release = threading.Event()
    stalled = threading.Event()  # the crawler's request for /stall has arrived

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        if self.path == "/stall":
            Stalling.stalled.set()
            Stalling.release.wait(120)
        body = ("<html lang='zh-CN'><head><meta charset='utf-8'><title>某县人民政府</title></head><body>"
                "<a href='/stall'>政务公开</a></body></html>").encode() if self.path in ("/", "/stall") else b"no"
        try:
            self.send_response(200 if body != b"no" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


def test_stop_does_not_wait_for_a_stalled_download(tmp_path):
    """In-flight requests get ``params.crawl.stop_grace_seconds``, not the whole download time-out; the
    unanswered request stays pending and ``--resume`` fetches it."""
    Stalling.release.clear()
    Stalling.stalled.clear()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/"
    out = tmp_path / "out"
    try:
        proc = subprocess.Popen([sys.executable, "-m", "govaudit.cli", "scan", url, "--out", str(out), "--a11y", "off",
                                 "--timeout", "100", "--as-of", AS_OF.isoformat()],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "CI": "true"})
        assert Stalling.stalled.wait(120), "the crawler never asked for /stall"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=HANG_GUARD)
        print(f"stopped {time.monotonic() - sent:.1f} s after SIGTERM with /stall in flight")
        assert not Stalling.release.is_set()  # it did not wait for the download: the server still holds it
        assert proc.returncode == 143 and "re-run with --resume" in err, err[-3000:]
        # issue 16: it says it was stopped and how far it got, never that it failed before it started
        assert re.search(r"interrupted by SIGTERM during the crawl after \d+ pages read and \d+ URLs finished", err), err
        assert "failed before it started" not in err
        assert scan_state(out) == "interrupted"
        with sqlite3.connect(out / "govaudit.sqlite") as db:
            assert db.execute("SELECT state FROM urls WHERE url=?", (url + "stall",)).fetchone()[0] == "pending"
        Stalling.release.set()
        run_cli("scan", url, "--out", str(out), "--a11y", "off", "--timeout", "100", "--resume")
        assert scan_state(out) == "finished"
        with sqlite3.connect(out / "govaudit.sqlite") as db:
            assert db.execute("SELECT state, status FROM urls WHERE url=?", (url + "stall",)).fetchone() == ("done", 200)
    finally:
        Stalling.release.set()
        srv.shutdown()
        srv.server_close()


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="Debian chromium + chromium-driver are not installed")
def test_signal_during_browser_audits_leaves_no_browser_behind(demo_site, tmp_path):
    """Browsers run in process groups of their own (so a hung one can be killed whole): a stop must kill them,
    or they would outlive the scan.  They are found by their profile folders under the scan's TMPDIR."""
    server, _ = demo_site
    out = tmp_path / "out"
    # A short TMPDIR: Chromium's singleton socket lives under it, and a unix socket path has 108 bytes at most.
    tmp = Path(tempfile.mkdtemp(prefix="ga-"))
    try:
        stop_during_audits(server.base_url + "/", out, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def stop_during_audits(url: str, out: Path, tmp: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "govaudit.cli", "scan", url, "--out", str(out),
                             "--as-of", AS_OF.isoformat(), "--timeout", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "true", "TMPDIR": str(tmp)})
    while not browsers_under(tmp) and proc.poll() is None:  # the browser stage has begun
        time.sleep(0.1)
    time.sleep(3)  # audits under way
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 130, err[-3000:]
    assert "during the browser audits" in err and "re-run with --resume" in err
    assert scan_state(out) == "interrupted"
    # The reaper finishes what the scan's own stop could not (a browser still starting) as the scan exits.
    deadline = time.monotonic() + 10
    while (browsers_under(tmp) or list(tmp.glob("govaudit-chromium-*"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert browsers_under(tmp) == []
    assert not list(tmp.glob("govaudit-chromium-*"))  # profile folders removed too


def browsers_under(tmp: Path) -> list[int]:
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        if any(str(tmp) in arg for arg in (p.info["cmdline"] or [])):
            found.append(p.info["pid"])
    return found


def test_a_killed_scan_leaves_no_browser_running(tmp_path):
    """SIGKILL (the OOM killer, a CI time-out) runs no clean-up in the scan; its browsers live in process groups of
    their own, so only the reaper (crawler/browser/pool.py) stands between them and hours of burnt CPU."""
    script = ("from govaudit.crawler.browser.pool import Browser, Limits\n"
              "import sys, time\n"
              "b = Browser(Limits(page_load=30, script=30, watchdog=60))\n"
              "print(b.pid, b.profile, flush=True)\n"
              "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line, "the browser did not start"
        group, profile = line.split()
        group_id = int(group)
        os.killpg(group_id, 0)  # running before the kill
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = [p for p in psutil.process_iter(["cmdline"]) if profile in " ".join(p.info["cmdline"] or [])]
            try:
                os.killpg(group_id, 0)
                alive = True
            except ProcessLookupError:
                alive = False
            if not alive and not left and not Path(profile).exists():
                break
            time.sleep(0.2)
        assert not alive and not left, f"browser processes outlived the killed scan: {left}"
        assert not Path(profile).exists()  # nor its profile folder
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_store_that_cannot_be_written_ends_the_crawl_and_loses_nothing(demo_site, baseline, tmp_path):
    """A write that fails mid-crawl (a full disk, the PostgreSQL server gone: here an SQLite trigger refusing rows
    past the 60th URL) ends the crawl at once with a message that names the store and says how to go on, instead of
    crawling on into memory; once the store takes writes again, --resume ends with the uninterrupted findings."""
    from govaudit.store import Store

    server, _ = demo_site
    url = server.base_url + "/"
    out = tmp_path / "out"
    store = out / "govaudit.sqlite"
    Store(store).close()  # an empty store, to arm the trigger in before the scan
    with sqlite3.connect(store) as db:
        db.execute("CREATE TRIGGER disk_full BEFORE INSERT ON urls WHEN (SELECT count(*) FROM urls) >= 60 "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full (test)'); END")
    proc = run_cli("scan", url, "--out", str(out), *SCAN_ARGS, check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "database or disk is full (test)" in proc.stderr and "--resume" in proc.stderr, proc.stderr[-3000:]
    assert "could not be written" in proc.stderr.strip().splitlines()[-1], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert scan_state(out) == "interrupted"
    with sqlite3.connect(out / "govaudit.sqlite") as db:
        done = db.execute("SELECT count(*) FROM urls WHERE state='done'").fetchone()[0]
        db.execute("DROP TRIGGER disk_full")
    with sqlite3.connect(baseline / "govaudit.sqlite") as db:
        assert done < db.execute("SELECT count(*) FROM urls WHERE state='done'").fetchone()[0]  # it stopped early
    run_cli("scan", url, "--out", str(out), *SCAN_ARGS, "--resume")
    assert scan_state(out) == "finished"
    assert finding_keys(out) == finding_keys(baseline) and score(out) == score(baseline)
