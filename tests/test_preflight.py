"""What a scan's stages need is checked before the first request, and the scan is a library call.

Each failing case runs the real CLI against a local server that counts requests: the error names the
missing piece and its fix, and no request reached the site (the elapsed time is printed, not asserted).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from govaudit.pipeline import ScanRequest
from govaudit.preflight import PreflightError, preflight
from govaudit.ruleset import load_ruleset

PAGE = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>某县人民政府</title></head>"
        "<body><h1>某县人民政府</h1><a href='/a.html'>政务动态</a></body></html>").encode()


class Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        Counting.hits.append(self.path)
        body = PAGE if self.path in ("/", "/a.html") else b"not found"
        self.send_response(200 if body is PAGE else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET


@pytest.fixture()
def site():
    Counting.hits = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


def scan(url: str, out: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "govaudit.cli", "scan", url, "--out", str(out), *args],
                          capture_output=True, text=True, timeout=240, env={**os.environ, "CI": "true", **env})
    return proc, time.monotonic() - started


def expect_refused(proc: subprocess.CompletedProcess, elapsed: float, *phrases: str) -> None:
    print(f"refused in {elapsed:.2f} s: {proc.stderr.strip()}")
    assert proc.returncode == 1, proc.stderr[-3000:]
    for phrase in phrases:
        assert phrase in proc.stderr, (phrase, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert Counting.hits == [], Counting.hits  # failed before the first request


def test_missing_axe_fails_before_the_crawl_and_suggests_a11y_off(site, tmp_path):
    proc, elapsed = scan(site, tmp_path / "out", GOVAUDIT_AXE_JS=str(tmp_path / "nowhere" / "axe.min.js"))
    expect_refused(proc, elapsed, "axe-core not found", "GOVAUDIT_AXE_JS", "--a11y off")


def test_missing_chromium_and_chromedriver_fail_before_the_crawl(site, tmp_path):
    proc, elapsed = scan(site, tmp_path / "out", GOVAUDIT_CHROMIUM=str(tmp_path / "no-chromium"),
                         GOVAUDIT_CHROMEDRIVER=str(tmp_path / "no-chromedriver"))
    expect_refused(proc, elapsed, "Chromium not found", "apt-get install chromium", "ChromeDriver not found",
                   "apt-get install chromium-driver", "--a11y off")


def test_chromium_that_does_not_run_is_reported(site, tmp_path):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'error while loading shared libraries: libnss3.so' >&2\nexit 127\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    proc, elapsed = scan(site, tmp_path / "out", GOVAUDIT_CHROMIUM=str(broken))
    expect_refused(proc, elapsed, "failed `--version` (exit 127: error while loading shared libraries", "--a11y off")


def test_unwritable_output_and_foreign_store_fail_before_the_crawl(site, tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    foreign = tmp_path / "foreign.sqlite"
    foreign.write_bytes(b"this is not an SQLite database" * 100)
    proc, elapsed = scan(site, not_a_dir / "out", "--store", str(foreign), "--a11y", "off")
    expect_refused(proc, elapsed, "cannot write reports there", str(foreign))
    assert "--a11y off" not in proc.stderr  # the browser stage is not what failed


def test_a11y_off_is_never_applied_silently_and_needs_no_browser(site, tmp_path):
    """With ``--a11y off`` the browser pieces are not needed: the same missing axe-core does not stop the scan."""
    proc, _ = scan(site, tmp_path / "out", "--a11y", "off", GOVAUDIT_AXE_JS=str(tmp_path / "nowhere.js"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "/" in Counting.hits and (tmp_path / "out" / "summary.json").is_file()


def test_preflight_as_a_library_call(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVAUDIT_AXE_JS", str(tmp_path / "none.js"))
    req = ScanRequest(url="http://127.0.0.1:9/", out=tmp_path / "out")
    with pytest.raises(PreflightError, match="--a11y off"):
        preflight(req, load_ruleset())
    preflight(ScanRequest(url="http://127.0.0.1:9/", out=tmp_path / "out", a11y="off"), load_ruleset())


def test_scan_is_a_library_call(site, tmp_path):
    """``govaudit.scan(url, out=...)`` in a program of one's own (its own process: the reactor runs once)."""
    program = ("import sys, govaudit\n"
               "outcome = govaudit.scan(sys.argv[1], out=sys.argv[2], a11y='off', as_of='2026-11-20')\n"
               "print(outcome.scan_id, len(outcome.findings), outcome.scorecard.total)\n")
    proc = subprocess.run([sys.executable, "-c", program, site, str(tmp_path / "lib")], capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    scan_id, findings, total = proc.stdout.split()
    assert scan_id == "1" and int(findings) > 0 and 0 <= float(total) <= 100
    assert (tmp_path / "lib" / "findings.jsonl").is_file() and (tmp_path / "lib" / "report.html").is_file()
