"""Scale-out benchmark (issue 13): one generated site behind nginx, crawled by 1, 2 and 4 govaudit processes
sharing the crawl through Redis (``govaudit scan --redis`` plus ``govaudit worker --redis``).

Prints, per run: pages fetched (nginx's count of HTML GETs), the crawl's pages per second (over nginx's first to
last request of the run), the speed-up against one process, peak resident memory of each process tree (the
worker with its page-analysis children) *during the crawl*, the seeder's peak *after* it (checks and reports:
the seeder alone does those, so its whole-run peak says little about a crawl worker), Redis's peak memory, and
the machine's cores and load.  The crawl ends, for the bench, when the seeder retires the scan's job in Redis
(``govaudit:jobs``: right after every worker has left the crawl).  Each run's pages are checked against nginx:
every page fetched once.  The JSON also keeps each process tree's RSS every 5 s against the pages taken so far,
to see whether a worker grows within one crawl.  Nothing here is a test: figures are ratios of runs side by side.

    python bench/scale_bench.py --pages 10000 [--workers 1,2,4] [--variance] [--json bench/scale-results.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.crawl_bench import _tree_rss  # noqa: E402
from bench.nginx import Nginx, count_access  # noqa: E402

AS_OF = dt.date(2026, 11, 20)


class Peak:
    """Polls a process tree's RSS every 50 ms until stopped, keeping the peak of the crawl apart from the peak
    after it (``crawl_over``): the seeder runs the checks and reports after the crawl, the workers only crawl."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.ps = psutil.Process(proc.pid)
        self.crawl = 0  # peak until the crawl closed
        self.after = 0  # peak after it
        self.now = 0  # the last sample
        self._over = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            self.now = _tree_rss(self.ps)
            if self._over:
                self.after = max(self.after, self.now)
            else:
                self.crawl = max(self.crawl, self.now)
            self._done.wait(0.05)

    def crawl_over(self) -> None:
        self._over = True

    def stop(self) -> tuple[int, int]:
        """(peak during the crawl, peak after it)."""
        self._done.set()
        self._thread.join()
        return self.crawl, self.after


def redis_up(work: Path) -> tuple[subprocess.Popen, str]:
    import redis

    from bench.nginx import free_port

    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(work), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(500):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.02)
    raise RuntimeError("redis-server did not start")


def mib(n: int) -> int:
    return round(n / 2**20)


def run(workers: int, server: Nginx, url: str, redis_url: str, pages: int, work: Path) -> dict:
    import redis
    from govaudit.crawler.jobs import JOBS

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    client.config_resetstat()
    env = {**os.environ, "CI": "true"}
    out = work / f"out-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    offset = server.log_offset()
    cmd = [sys.executable, "-m", "govaudit.cli", "scan", url, "--out", str(out), "--profile", "local-benchmark",
           "--max-pages", str(pages * 2), "--a11y", "off", "--ignore-robots", "--as-of", AS_OF.isoformat(),
           "--redis", redis_url]
    started = time.perf_counter()
    seeder = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(work / f"scan-{workers}.log", "w"))
    procs = [seeder] + [subprocess.Popen([sys.executable, "-m", "govaudit.cli", "worker", "--redis", redis_url,
                                          "--exit-when-idle", "--wait", "60"], env=env, stdout=subprocess.DEVNULL,
                                         stderr=open(work / f"worker-{workers}-{i}.log", "w"))
                        for i in range(workers - 1)]
    peaks = [Peak(p) for p in procs]
    redis_peak = 0
    job: str | None = None  # the scan's name in Redis, once the seeder published it
    crawl_closed: float | None = None
    trace: list[list[float | int]] = []  # every 5 s: seconds, pages taken, each process tree's RSS (MiB)
    next_sample = 0.0
    while seeder.poll() is None:
        try:
            redis_peak = max(redis_peak, int(client.info("memory")["used_memory"]))
            jobs = client.hkeys(JOBS)
            if jobs:
                job = jobs[0].decode()
            elif job is not None and crawl_closed is None:  # retired: every worker has left the crawl
                crawl_closed = time.perf_counter() - started
                peaks[0].crawl_over()
            if job is not None and crawl_closed is None and time.perf_counter() >= next_sample:
                next_sample = time.perf_counter() + 5
                taken = int(client.get(f"govaudit:scan:{job}:pages") or 0)
                trace.append([round(time.perf_counter() - started, 1), taken, *(mib(pk.now) for pk in peaks)])
        except redis.RedisError:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - started
    codes = [p.wait() for p in procs]
    rss = [pk.stop() for pk in peaks]
    entries = list(server.entries_since(offset))
    counts = count_access(entries)
    fetched = Counter(e.uri for e in entries if e.method == "GET" and e.status == 200 and e.is_html)
    twice = sum(1 for n in fetched.values() if n > 1)
    crawl_seconds = counts.active_seconds
    return {"workers": workers, "exit_codes": codes, "html_pages": counts.html_pages, "fetched_twice": twice,
            "requests": counts.requests, "crawl_seconds": round(crawl_seconds, 2), "wall_seconds": round(wall, 2),
            "pages_per_second": round(counts.html_pages / crawl_seconds, 1) if crawl_seconds else None,
            "peak_rss_mib": [mib(max(r)) for r in rss], "crawl_peak_rss_mib": [mib(crawl) for crawl, _ in rss],
            "seeder_after_crawl_peak_mib": mib(rss[0][1]),
            "crawl_closed_seconds": round(crawl_closed, 2) if crawl_closed is not None else None,
            "redis_peak_mib": round(redis_peak / 2**20, 1),
            "store_mib": round(sum(f.stat().st_size for f in out.glob("govaudit.sqlite*")) / 2**20, 1),
            "rss_trace": trace}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--variance", action="store_true",
                        help="the site of bench/crawl_bench.py --variance (issue 16): full numbered pagers on every "
                             "list page, a site map of the whole site, a 信息公开目录 of thousands of rows")
    parser.add_argument("--json", type=Path, help="append the results to this JSON file")
    args = parser.parse_args(argv)
    from bench.crawl_bench import generate

    work = Path(tempfile.mkdtemp(prefix="govaudit-scale-"))
    work.chmod(0o755)
    root = work / "site"
    _, seconds = generate("govaudit.demo.sitegen", root, args.pages, AS_OF, variance=args.variance)
    load_before = [round(x, 1) for x in os.getloadavg()]
    print(f"site: {args.pages} pages{' (variance)' if args.variance else ''} generated in {seconds:.0f} s; "
          f"cores: {os.cpu_count()} (load before: {load_before})", flush=True)
    redis_proc, redis_url = redis_up(work)
    results = []
    try:
        with Nginx(root, work / "nginx", workers=2) as server:
            for n in [int(x) for x in args.workers.split(",")]:
                result = run(n, server, server.base_url, redis_url, args.pages, work)
                result["load_after"] = round(os.getloadavg()[0], 1)
                result["load_after_1_5_15"] = [round(x, 1) for x in os.getloadavg()]
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        redis_proc.kill()
        redis_proc.wait()
    base = next((r["pages_per_second"] for r in results if r["workers"] == 1), None)
    print("\n| workers | pages | pages/s | speed-up | peak RSS per process, crawl (MiB) | seeder after crawl (MiB) "
          "| Redis peak (MiB) | twice | load after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        up = f"{r['pages_per_second'] / base:.2f}×" if base and r["pages_per_second"] else "–"
        print(f"| {r['workers']} | {r['html_pages']} | {r['pages_per_second']} | {up} | {r['crawl_peak_rss_mib']} | "
              f"{r['seeder_after_crawl_peak_mib']} | {r['redis_peak_mib']} | {r['fetched_twice']} | "
              f"{r['load_after']} |")
    if args.json:
        previous = json.loads(args.json.read_text()) if args.json.exists() else []
        previous.append({"pages": args.pages, "variance": args.variance, "cores": os.cpu_count(),
                         "load_before": load_before, "at": dt.datetime.now(dt.UTC).isoformat(), "results": results})
        args.json.write_text(json.dumps(previous, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
