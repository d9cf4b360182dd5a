"""Schedules through Scrapyd: a real scrapyd on 127.0.0.1, the project deployed with scrapyd-deploy (scrapy.cfg,
setup.py → an egg), scans of a local demo site scheduled through Scrapyd's HTTP API, then ``govaudit report``
reads each store — and says loudly, with exit code 1, when the scheduled run failed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import read_findings, run_cli

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(base: str, endpoint: str, **form: str) -> dict:
    data = urllib.parse.urlencode(form).encode() if form else None
    url = f"{base}/{endpoint}" + ("" if data else "?project=govaudit")
    with urllib.request.urlopen(url, data=data, timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))


def wait_for(predicate, what: str, limit: float = 200) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    """scrapyd on a free loopback port, its eggs, logs and job database in a temporary folder."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\nitems_dir =\nmax_proc = 2\npoll_interval = 0.5\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, stdout=subprocess.DEVNULL,
                            stderr=open(home / "scrapyd.err", "wb"))
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return api(base, "daemonstatus.json")["status"] == "ok"
        except OSError:
            assert proc.poll() is None, (home / "scrapyd.err").read_text(encoding="utf-8", errors="replace")[-2000:]
            return False

    wait_for(up, "scrapyd to answer", 60)
    yield base, home
    proc.terminate()
    proc.wait(timeout=30)


def deploy(base: str, home: Path) -> dict:
    """scrapyd-deploy from the checkout, to a target that names this scrapyd (a user's scrapy.cfg, as documented)."""
    config = home / "xdg"
    config.mkdir(exist_ok=True)
    (config / "scrapy.cfg").write_text(f"[deploy:local-test]\nurl = {base}/\nproject = govaudit\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "scrapyd_client.deploy", "local-test", "-v", "test-1"], cwd=REPO,
                          capture_output=True, text=True, timeout=240, env={**os.environ, "XDG_CONFIG_HOME": str(config)})
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def schedule_and_wait(base: str, url: str, store: Path) -> dict:
    job = api(base, "schedule.json", project="govaudit", spider="site", url=url, store=str(store))
    assert job["status"] == "ok", job

    def finished() -> dict | None:
        return next((j for j in api(base, "listjobs.json")["finished"] if j["id"] == job["jobid"]), None)

    wait_for(lambda: finished() is not None, f"job {job['jobid']} to finish", 240)
    return finished() or {}


def test_deploy_schedule_and_report(scrapyd, demo_site, tmp_path):
    base, home = scrapyd
    server, manifest = demo_site
    deployed = deploy(base, home)
    assert (deployed["status"], deployed["project"], deployed["spiders"]) == ("ok", "govaudit", 1)
    assert api(base, "listspiders.json")["spiders"] == ["site"]

    store = tmp_path / "nightly.sqlite"
    job = schedule_and_wait(base, server.base_url + "/", store)
    log = home / "logs" / "govaudit" / "site" / f"{job['id']}.log"
    assert log.is_file()   # Scrapyd kept the crawl's log; the store has the scan
    out = tmp_path / "report"
    proc = run_cli("report", str(store), "--out", str(out))
    assert "LAST RUN FAILED" not in proc.stderr
    for name in ("findings.jsonl", "summary.json", "report.html", "report.xlsx"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["site"] == server.base_url + "/" and summary["coverage"]["pages_crawled"] > 50
    dead = {f["url"] for f in read_findings(out) if f["rule"] == "links.dead"}
    planted = {e["target"] if "://" in e["target"] else server.base_url + e["target"] for e in manifest.planted["dead"]}
    assert planted <= dead

    # a scheduled scan of a site that is down: the report of that run says so, loudly and by its exit code
    down = f"http://127.0.0.1:{free_port()}/"
    failed_store = tmp_path / "down.sqlite"
    schedule_and_wait(base, down, failed_store)
    proc = run_cli("report", str(failed_store), "--out", str(tmp_path / "down"), check=False)
    assert proc.returncode == 1 and "LAST RUN FAILED" in proc.stderr and "could not be read" in proc.stderr
    assert (tmp_path / "down" / "report.html").is_file()
