"""Workers sharing one crawl through a real redis-server (issue 13): every URL fetched once (counted at the
server), findings equal to a single-process scan, a killed worker's work finished by the others, Redis taken
away mid-crawl (the scan fails clearly and resumes), and the per-host in-flight limit held across workers.

redis-server runs on 127.0.0.1 on a free port with a throwaway directory and no persistence.  Nothing here is
timed: the tests wait for events (a count reached, a process gone) and assert on counts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from tests.conftest import AS_OF, clock_free, read_findings, run_cli

REDIS = shutil.which("redis-server")
if REDIS is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("redis-server is missing: bin/setup installs it (Debian package redis-server)")
    pytest.skip("redis-server is not installed (bin/setup)", allow_module_level=True)

PAGES = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """redis-server on 127.0.0.1 in a directory of its own, no RDB/AOF; stop() and start() again on one port."""

    def __init__(self, work: Path) -> None:
        self.dir = work
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen([str(REDIS), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(500):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def client(self):  # noqa: ANN201
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture()
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A generated county site (no hostile routes) behind the demo server, which counts every request and the
    most requests it ever had in flight at once.  Each request takes a little while, so that several workers
    really do overlap on the host."""
    from govaudit.demo import server as demo
    from govaudit.demo.sitegen import generate_site

    root = tmp_path_factory.mktemp("dist") / "site"
    manifest = generate_site(root, as_of=AS_OF, pages=PAGES, hostile=False)
    srv = demo.DemoServer(root, manifest)
    state = {"now": 0, "peak": 0, "delay": 0.0}
    lock = threading.Lock()
    original = demo._Handler.dispatch

    def dispatch(handler):  # noqa: ANN001, ANN202
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            if state["delay"]:
                time.sleep(state["delay"])
            original(handler)
        finally:
            with lock:
                state["now"] -= 1

    demo._Handler.dispatch = dispatch
    with srv:
        srv.state = state
        yield srv
    demo._Handler.dispatch = original


def scan_args(url: str, out: Path, *extra: str) -> list[str]:
    return ["scan", url, "--out", str(out), "--as-of", AS_OF.isoformat(), "--a11y", "off", "--timeout", "5",
            "--ignore-robots", "--concurrency", "4", *extra]


def hits_during(srv, fn):  # noqa: ANN001, ANN201
    before = Counter(srv.method_hits)
    result = fn()
    after = Counter(srv.method_hits)
    return result, Counter({k: n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)})


def comparable(findings: list[dict]) -> list[str]:
    """Findings as a person compares two scans: rule, URL, evidence; what the clock measured (attempt times,
    response times, and the speed messages that quote them) is left out."""
    def strip(value):  # noqa: ANN001, ANN202
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()
                    if k not in ("at", "elapsed", "attempts", "ttfb") and not k.endswith("_ms")
                    and not (k == "message" and str(value.get("rule", "")).startswith("speed."))}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    # speed.no_cache names the first resources met as examples, which depends on the order answers arrive; a
    # per-template finding names its shallowest pages (and the first of them is its URL and fingerprint), and a
    # page's depth is the one it was first found at, which workers racing over one frontier may find in another
    # order than one process does (seen once when a killed worker's leases went back to the queue): such a finding
    # is compared by rule, template and page counts
    def sample_free(f: dict) -> dict:
        if f["rule"] == "speed.no_cache":
            return {**f, "evidence": {k: v for k, v in f["evidence"].items() if k != "examples"}}
        if "template" in f.get("evidence", {}):
            return {**{k: v for k, v in f.items() if k not in ("url", "fingerprint", "aliases")},
                    "evidence": {k: v for k, v in f["evidence"].items() if k != "examples"}}
        return f
    return sorted(json.dumps(strip(sample_free(f)), sort_keys=True, ensure_ascii=False) for f in clock_free(findings))


@pytest.fixture(scope="module")
def single(site, tmp_path_factory):
    """The single-process scan every shared one is compared with, and what the server saw of it."""
    out = tmp_path_factory.mktemp("single")
    _, hits = hits_during(site, lambda: run_cli(*scan_args(site.base_url + "/", out)))
    return read_findings(out), hits


def pages(client) -> int:  # noqa: ANN001
    """Pages counted against the cap so far, in the (one) scan under way."""
    keys = client.keys("govaudit:scan:*:pages")
    return int(client.get(keys[0]) or 0) if keys else 0


def start_worker(url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "CI": "true"}
    return subprocess.Popen([sys.executable, "-m", "govaudit.cli", "worker", "--redis", url, "--exit-when-idle",
                             "--wait", "120"], stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def shared_scan(site, redis_server, out: Path, workers: int, *extra: str, check: bool = True):  # noqa: ANN001, ANN201
    """The scan (seeder) plus ``workers - 1`` workers; returns the scan's process and the server's counts."""
    def go():  # noqa: ANN202
        procs = [start_worker(redis_server.url, out.parent / f"{out.name}-worker{i}.log") for i in range(workers - 1)]
        proc = run_cli(*scan_args(site.base_url + "/", out, "--redis", redis_server.url, *extra), check=check,
                       timeout=400)
        codes = [p.wait(timeout=120) for p in procs]
        return proc, codes
    (proc, codes), hits = hits_during(site, go)
    return proc, codes, hits


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_fetch_each_url_once_and_find_what_one_process_finds(site, single, redis_server, tmp_path, workers):
    findings, single_hits = single
    out = tmp_path / "out"
    _, codes, hits = shared_scan(site, redis_server, out, workers)
    assert codes == [0] * (workers - 1)
    assert comparable(read_findings(out)) == comparable(findings)
    # robots.txt is read by each worker (--ignore-robots: by none); everything else once, as one process does
    pages = {k: n for k, n in hits.items() if "not-found-probe" not in k[1]}
    twice = [k for k, n in pages.items() if n > 1]
    order = site.requests
    assert not twice, [(k, [order[j] for i, r in enumerate(order) if r == k for j in range(max(0, i - 4), i + 1)])
                       for k in twice]
    assert set(pages) == {k for k in single_hits if "not-found-probe" not in k[1]}
    # every worker crawled: the stats of the scan are the sum
    from govaudit.store import Store

    with Store(out / "govaudit.sqlite") as store:
        stats = store.scan(1).stats
    assert stats["pages_crawled"] >= PAGES // 2
    assert not redis_server.client().keys("govaudit:scan:*")  # a finished crawl leaves nothing in Redis


def test_killed_worker_work_is_finished_by_the_others(site, single, redis_server, tmp_path):
    """SIGKILL a worker mid-crawl: its leases go back to the queue after its heartbeat lapses; the scan ends
    with every URL recorded and the findings of one process.  Only what the dead worker had in flight (its
    leases at the kill) may reach the server twice."""
    findings, _ = single
    out = tmp_path / "out"
    client = redis_server.client()
    # every answer slow until the victim is killed, so that the crawl is still going when the victim has joined
    # however long a loaded machine takes to start it; then at full speed
    site.state["delay"] = 0.5
    victim = start_worker(redis_server.url, tmp_path / "victim.log")
    helper = start_worker(redis_server.url, tmp_path / "helper.log")
    held: set[str] = set()
    before = Counter(site.method_hits)
    over = threading.Event()

    def kill_when_busy() -> None:
        import pickle

        while not over.is_set():
            # the worker's child process crawls: its lease hash is named after that child's pid
            keys = [k for k in client.keys("govaudit:scan:*:lease:*")
                    if any(f":{c.pid}:".encode() in k for c in psutil.Process(victim.pid).children())]
            if keys and client.hlen(keys[0]) >= 1 and pages(client) > 10:
                family = [psutil.Process(victim.pid), *psutil.Process(victim.pid).children(recursive=True)]
                for proc in family:  # frozen first: what it holds is read while nothing can change it
                    proc.suspend()
                for key in keys + [k.replace(b":lease:", b":held:") for k in keys]:
                    for blob in client.hvals(key):
                        held.add(pickle.loads(blob)["url"])
                for proc in family:
                    proc.kill()
                site.state["delay"] = 0.0
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    try:
        run_cli(*scan_args(site.base_url + "/", out, "--redis", redis_server.url), timeout=400)
    finally:
        over.set()
        killer.join()
        site.state["delay"] = 0.0
    assert helper.wait(timeout=120) == 0
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL, "the victim was not killed mid-crawl"
    assert held, "the victim held no lease when it was killed"
    hits = Counter({k: n - before.get(k, 0) for k, n in site.method_hits.items() if n > before.get(k, 0)})
    twice = {path for (method, path), n in hits.items() if n > 1 and "not-found-probe" not in path}
    prefix = site.base_url
    assert twice <= {u[len(prefix):] for u in held if u.startswith(prefix)}
    assert comparable(read_findings(out)) == comparable(findings)


def test_redis_lost_fails_clearly_and_resumes(site, single, redis_server, tmp_path):
    findings, _ = single
    out = tmp_path / "out"
    site.state["delay"] = 0.02
    client = redis_server.client()

    def take_redis_away() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if pages(client) > 10:
                    redis_server.stop()
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.01)

    taker = threading.Thread(target=take_redis_away)
    taker.start()
    try:
        proc, codes, _ = shared_scan(site, redis_server, out, 2, check=False)
    finally:
        taker.join()
        site.state["delay"] = 0.0
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Redis at" in proc.stderr and "--resume" in proc.stderr, proc.stderr[-3000:]
    assert not (out / "findings.jsonl").exists()
    redis_server.start()
    proc, codes, _ = shared_scan(site, redis_server, out, 2, "--resume")
    assert comparable(read_findings(out)) == comparable(findings)


def test_per_host_limit_holds_across_workers(site, redis_server, tmp_path):
    """Four workers with --concurrency 2 each: the server never sees more than 2 requests at once."""
    out = tmp_path / "out"
    site.state["delay"] = 0.01
    site.state["peak"] = 0
    try:
        shared_scan(site, redis_server, out, 4, "--concurrency", "2")
    finally:
        site.state["delay"] = 0.0
    assert 1 <= site.state["peak"] <= 2


def test_batch_sites_are_shared_by_workers(site, single, redis_server, tmp_path):
    """`govaudit batch --redis`: each site's scan is seeded by the batch and crawled by the workers too."""
    from govaudit.demo.server import DemoServer

    findings, _ = single
    out = tmp_path / "batch"
    with DemoServer(site.root, site.manifest) as other:  # the same site on a second host (port)
        sites = tmp_path / "sites.csv"
        sites.write_text(f"name,url\nA,{site.base_url}/\nB,{other.base_url}/\n", encoding="utf-8")
        workers = [start_worker(redis_server.url, tmp_path / f"w{i}.log") for i in range(2)]
        run_cli("batch", str(sites), "--out", str(out), "--jobs", "2", "--as-of", AS_OF.isoformat(), "--a11y", "off",
                "--timeout", "5", "--ignore-robots", "--concurrency", "4", "--redis", redis_server.url, timeout=600)
        assert [w.wait(timeout=120) for w in workers] == [0, 0]
        results = {}
        for path in out.glob("sites/*/findings.jsonl"):
            got = read_findings(path.parent)
            results[got[0]["site"]] = got
        assert comparable(results[site.base_url + "/"]) == comparable(findings)
        # the second host's findings, under the first one's port (fingerprints hash the URL: left out)
        moved = [json.loads(json.dumps(f).replace(str(other.port), str(site.port))) for f in results[other.base_url + "/"]]
        assert comparable([{**f, "fingerprint": ""} for f in moved]) == \
            comparable([{**f, "fingerprint": ""} for f in findings])


def test_a_workers_own_seen_set_is_a_bounded_cache_in_front_of_redis(redis_server, tmp_path, monkeypatch):
    """A worker meets every URL of the site on the pages it parses; its own set of URL keys stays under
    SEEN_CACHE however many it met (a 10-million-page site would otherwise be ≈ 75 B a URL in every worker), and
    Redis still answers: a key met before the cache was emptied is not new again, for this worker or another."""
    from types import SimpleNamespace

    from govaudit.crawler.distributed import Frontier
    from govaudit.crawler.spiders.site import SiteSpider

    monkeypatch.setattr("govaudit.crawler.spiders.site.SEEN_CACHE", 100)
    crawler = SimpleNamespace()  # a Frontier reaches its crawler only when Redis is lost
    workers = [SiteSpider(url="http://127.0.0.1:9/", store=str(tmp_path / f"s{i}.sqlite")) for i in range(2)]
    try:
        for spider in workers:
            spider.frontier = Frontier(crawler, redis_server.url, "t-1", 10.0)
        first, second = workers
        assert all(first.claim(key) for key in range(1000))
        assert len(first.seen) <= 100
        assert not any(first.claim(key) for key in range(1000))  # emptied ten times, never new again
        assert not any(second.claim(key) for key in range(1000)) and second.claim(1000)
        assert first.claim_analysed(7) and not second.claim_analysed(7) and not first.claim_analysed(7)
        assert not first.analysed  # the shared crawl's "analysed" lives in Redis only
    finally:
        for spider in workers:
            spider.writer.close()
            spider.store.close()


def test_the_waiting_worker_process_does_not_load_the_crawler():
    """`govaudit worker` waits for scans in one process and crawls each in a child: the waiting one needs Redis's
    client only (Scrapy and scrapy-redis would add ≈ 33 MiB to every worker for nothing)."""
    code = ("import sys; from govaudit.commands import worker; from govaudit.crawler import jobs; "
            "print(sorted(m for m in ('scrapy', 'scrapy_redis', 'twisted', 'lxml') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
