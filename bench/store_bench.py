"""The store's SQLite path, this checkout against another (``--peer``, e.g. main's worktree), side by side.

Each round runs both checkouts in turn (the order alternating) in a child process: the crawl's background
writer stores N pages (facts, 40 links and refs each), then a reader walks ``view.pages()`` and looks up every
tenth page's record and refs, as checks do.  Prints CPU seconds (all threads) of each part and the ratio
this/peer; wall seconds are printed too but move with the shared machine's disk, so read the CPU ratios.

    python bench/store_bench.py --peer /work/main --pages 3000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def child(pages: int) -> dict[str, float]:
    from govaudit.model import UrlRecord, url_key
    from govaudit.store import Store, StoreWriter

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.sqlite")
        scan = store.begin_scan("s", "http://s.test/", "2026-01-01", {}, "bench")
        facts = {"title": "标题" * 10, "text": "正文内容" * 300,
                 "links": [{"url": f"http://s.test/{i}", "a": "链接"} for i in range(40)]}
        cpu0, t0 = time.process_time(), time.perf_counter()
        writer = StoreWriter(store, scan, background=True)
        for p in range(pages):
            url = f"http://s.test/p{p}.html"
            for j in range(40):
                target = f"http://s.test/p{(p * 7 + j) % pages}.html"
                writer.add_url(url_key(target), target, "page", 2)
                writer.add_ref(url_key(target), url_key(url), "a", f"链接{j}")
            writer.record(UrlRecord(url=url, kind="page", depth=1, state="done", status=200, content_type="text/html",
                                    size=1000, facts={**facts, "digest": str(p)}, attempts=[{"status": 200}]))
            if writer.backlog > 2000:
                writer.flush()
        writer.close()
        cpu1, t1 = time.process_time(), time.perf_counter()
        view = store.view(scan)
        n = sum(1 for _ in view.pages())
        for p in range(0, pages, 10):
            view.get(f"http://s.test/p{p}.html")
            list(view.refs(f"http://s.test/p{p}.html", limit=5))
        cpu2, t2 = time.process_time(), time.perf_counter()
        store.close()
    assert n == pages
    return {"write_cpu": cpu1 - cpu0, "write_wall": t1 - t0, "read_cpu": cpu2 - cpu1, "read_wall": t2 - t1}


def run(checkout: Path, pages: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(pages)], env=env, cwd=tempfile.gettempdir(),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer", type=Path, help="the other checkout")
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    if args.peer is None:
        parser.error("--peer CHECKOUT is required")
    runs: dict[str, list[dict[str, float]]] = {"this": [], "peer": []}
    for i in range(args.rounds):
        order = [("this", REPO), ("peer", args.peer)]
        for name, checkout in order if i % 2 == 0 else order[::-1]:
            runs[name].append(run(checkout, args.pages))
    for part in ("write_cpu", "read_cpu", "write_wall", "read_wall"):
        this, peer = (statistics.median(r[part] for r in runs[k]) for k in ("this", "peer"))
        print(f"{part}: this {this:.2f} s, peer {peer:.2f} s, this/peer x{this / peer:.2f} "
              f"(medians of {args.rounds}; this {[round(r[part], 2) for r in runs['this']]}, "
              f"peer {[round(r[part], 2) for r in runs['peer']]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
