"""Scale-out benchmark (issue 13): one generated site behind nginx, crawled by 1, 2 and 4 govaudit processes
sharing the crawl through Redis (``govaudit scan --redis`` plus ``govaudit worker --redis``).

Prints, per run: pages fetched (nginx's count of HTML GETs), the crawl's pages per second (over nginx's first to
last request of the run), the speed-up against one process, peak resident memory of each process tree (the
worker with its page-analysis children), Redis's peak memory, and the machine's cores.  Each run's pages are
checked against nginx: every page fetched once.  Nothing here is a test: figures are ratios of runs side by side.

    python bench/scale_bench.py --pages 10000 [--workers 1,2,4] [--json bench/scale-results.json]
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
    """Polls a process tree's RSS every 50 ms until stopped."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.ps = psutil.Process(proc.pid)
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, _tree_rss(self.ps))
            self._done.wait(0.05)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


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


def run(workers: int, server: Nginx, url: str, redis_url: str, pages: int, work: Path) -> dict:
    import redis

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
    while seeder.poll() is None:
        try:
            redis_peak = max(redis_peak, int(client.info("memory")["used_memory"]))
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
            "peak_rss_mib": [round(r / 2**20) for r in rss], "redis_peak_mib": round(redis_peak / 2**20, 1),
            "store_mib": round(sum(f.stat().st_size for f in out.glob("govaudit.sqlite*")) / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--json", type=Path, help="append the results to this JSON file")
    args = parser.parse_args(argv)
    from govaudit.demo.sitegen import generate_site

    work = Path(tempfile.mkdtemp(prefix="govaudit-scale-"))
    work.chmod(0o755)
    root = work / "site"
    t = time.perf_counter()
    generate_site(root, as_of=AS_OF, pages=args.pages, hostile=False)
    print(f"site: {args.pages} pages generated in {time.perf_counter() - t:.0f} s; cores: {os.cpu_count()} "
          f"(load before: {os.getloadavg()[0]:.1f})", flush=True)
    redis_proc, redis_url = redis_up(work)
    results = []
    try:
        with Nginx(root, work / "nginx", workers=2) as server:
            for n in [int(x) for x in args.workers.split(",")]:
                result = run(n, server, server.base_url, redis_url, args.pages, work)
                result["load_after"] = round(os.getloadavg()[0], 1)
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        redis_proc.kill()
        redis_proc.wait()
    base = next((r["pages_per_second"] for r in results if r["workers"] == 1), None)
    print("\n| workers | pages | pages/s | speed-up | peak RSS per process (MiB) | Redis peak (MiB) | twice |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        up = f"{r['pages_per_second'] / base:.2f}×" if base and r["pages_per_second"] else "–"
        print(f"| {r['workers']} | {r['html_pages']} | {r['pages_per_second']} | {up} | {r['peak_rss_mib']} | "
              f"{r['redis_peak_mib']} | {r['fetched_twice']} |")
    if args.json:
        previous = json.loads(args.json.read_text()) if args.json.exists() else []
        previous.append({"pages": args.pages, "cores": os.cpu_count(), "at": dt.datetime.now(dt.UTC).isoformat(),
                         "results": results})
        args.json.write_text(json.dumps(previous, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
