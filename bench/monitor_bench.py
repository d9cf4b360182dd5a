"""How long one probe window of a province takes: N sites on 127.0.0.1, all due at once, probed by the
monitor's pool (``params.availability.concurrency``), every probe written to the store.

A benchmark, not a test: it prints figures and asserts nothing.  The question it answers: does a window of the
national schedule (3,600 s) hold a province's several hundred sites with room to spare, including sites that
hang until the time-out?  ``--slow K`` makes K of the sites answer only after the time-out.

    python bench/monitor_bench.py --sites 500 --slow 20
"""

from __future__ import annotations

import argparse
import concurrent.futures
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from govaudit.monitor import Monitor
from govaudit.ruleset import load_ruleset

BODY = ("<!doctype html><html><head><meta charset='utf-8'><title>县政府</title></head><body>"
        + "".join(f"<a href='/xw/{n}.html'>县政府工作动态第{n}条</a>" for n in range(60)) + "</body></html>").encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--slow", type=int, default=0, help="sites that answer only after the probe time-out")
    ap.add_argument("--rules", default="gov-2019")
    args = ap.parse_args()
    rules = load_ruleset(args.rules)
    timeout = float(rules.param("availability.timeout_seconds"))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("/slow"):
                time.sleep(timeout + 1)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            try:
                self.wfile.write(BODY)
            except (BrokenPipeError, ConnectionResetError):  # a slow site's prober gave up at the time-out
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    sites = [f"{base}/{'slow' if n < args.slow else 'site'}{n}/" for n in range(args.sites)]
    window = float(rules.param("availability.window_seconds"))
    late_in_window = (time.time() // window) * window + window * 0.6  # every site's probe is due
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        monitor = Monitor(Path(tmp) / "bench.sqlite", sites, rules, clock=lambda: late_in_window + time.time() - t0,
                          log=lambda line: None)
        start = time.perf_counter()
        monitor.tick()
        concurrent.futures.wait(list(monitor.running))
        wall = time.perf_counter() - start
        rows = monitor.store.conn.exec_driver_sql("SELECT outcome, count(*) FROM probes GROUP BY outcome").fetchall()
        snaps = monitor.store.conn.exec_driver_sql("SELECT count(*) FROM snapshots").fetchone()[0]
        monitor.executor.shutdown()
        monitor.store.close()
    httpd.shutdown()
    print(f"{args.sites} sites ({args.slow} slower than the {timeout:g} s time-out), concurrency "
          f"{monitor.schedule.concurrency}: one window probed in {wall:.2f} s = {wall / window:.2%} of a "
          f"{window:g} s window; {args.sites / wall:.0f} probes/s; outcomes {dict(rows)}; snapshots {snaps}")


if __name__ == "__main__":
    main()
