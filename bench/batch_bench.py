"""Batch benchmark: ``govaudit batch`` over many generated sites against one large-site scan, in the same run.

    python bench/batch_bench.py [--sites 20] [--pages 2000] [--jobs 4] [--large-pages N] [--json FILE]

Generates ``--sites`` county sites of about ``--pages`` HTML pages each (``govaudit.demo.sitegen``, static, each
with its own seed), serves each with its own nginx on 127.0.0.1 (bench/nginx.py), and runs ``govaudit batch``
over them; then generates one site of ``--large-pages`` pages (default: as many as the whole batch) and scans
it with ``govaudit scan`` and the same options.  It prints the batch's wall time and pages per second, each
site's finish time (from the batch's start), scan time, pages and pages per second, the slowest site's rate
against the median (issue 12: within 3×, no site starves), and the batch's pages per second against the
large scan's (target: at least as fast).

Pages are counted from nginx's access logs (GET, 200, text/html, distinct URIs), per site.  Both runs use
``--profile local-benchmark`` unless ``--profile default`` is given (then both keep the real-site politeness:
the large scan is bound by its two requests per host, the batch is not).  A benchmark, never a test: nothing
here asserts a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.crawl_bench import path_charsets, run_measured  # noqa: E402  (the repo root must be importable first)
from bench.nginx import Nginx, count_access  # noqa: E402


def scan_options(args: argparse.Namespace, pages: int) -> list[str]:
    # Same options for the batch's scans and the large scan; full extraction on, browser stage off (a11y_bench).
    return ["--profile", args.profile, "--max-pages", str(pages * 2), "--a11y", "off", "--ignore-robots",
            "--as-of", args.as_of.isoformat()]


def generate(root: Path, pages: int, seed: int, as_of: dt.date) -> Any:
    from govaudit.demo.sitegen import generate_site

    return generate_site(root, as_of=as_of, pages=pages, seed=seed, hostile=False)


def run_batch(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        servers = []
        t0 = time.perf_counter()
        for n in range(args.sites):
            manifest = generate(work / f"site{n}", args.pages, 1000 + n, args.as_of)
            servers.append(stack.enter_context(Nginx(work / f"site{n}", work / f"nginx{n}",
                                                     path_charsets=path_charsets(manifest))))
        generated = time.perf_counter() - t0
        sites = work / "sites.csv"
        sites.write_text("网站名称,网址,地区,主办单位,网站类型\n" + "".join(
            f"站点{n},{s.base_url},地区{n % 4},单位{n},portal\n" for n, s in enumerate(servers)), encoding="utf-8")
        out = work / "batch"
        cmd = [sys.executable, "-m", "govaudit.cli", "batch", str(sites), "--out", str(out), "--jobs", str(args.jobs),
               "--display", "lines", *scan_options(args, args.pages)]
        measured = run_measured(cmd, cwd=work, stdout=work / "batch.out", stderr=work / "batch.err",
                                timeout=args.timeout)
        states = {s["url"]: s for s in json.loads((out / "batch.json").read_text(encoding="utf-8"))["sites"]}
        start = measured.started_at
        per_site = []
        for n, server in enumerate(servers):
            state = states[server.base_url]
            pages = count_access(server.entries_since(0)).html_pages
            took = (state["finished"] or start) - (state["started"] or start)
            per_site.append({"site": n, "url": server.base_url, "state": state["state"], "pages": pages,
                             "started_s": round((state["started"] or start) - start, 2),
                             "finished_s": round((state["finished"] or start) - start, 2),
                             "scan_seconds": round(took, 2), "pages_per_second": round(pages / took, 1) if took else 0.0})
    total = sum(s["pages"] for s in per_site)
    rates = [s["pages_per_second"] for s in per_site]
    median = statistics.median(rates) if rates else 0.0
    slowest = min(per_site, key=lambda s: s["pages_per_second"]) if per_site else {}
    return {"command": cmd, "returncode": measured.returncode, "generate_seconds": round(generated, 1),
            "seconds": round(measured.seconds, 2), "peak_rss_mb": round(measured.peak_rss_bytes / 2**20, 1),
            "pages": total, "pages_per_second": round(total / measured.seconds, 1), "sites": per_site,
            "median_site_pages_per_second": median, "slowest_site": slowest.get("site"),
            "median_over_slowest": round(median / slowest["pages_per_second"], 2) if slowest.get("pages_per_second") else None}


def run_large(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    pages = args.large_pages or args.sites * args.pages
    manifest = generate(work / "large", pages, 7, args.as_of)
    with Nginx(work / "large", work / "nginx-large", path_charsets=path_charsets(manifest)) as server:
        cmd = [sys.executable, "-m", "govaudit.cli", "scan", server.base_url, "--out", str(work / "large-out"),
               *scan_options(args, pages)]
        measured = run_measured(cmd, cwd=work, stdout=work / "large.out", stderr=work / "large.err",
                                timeout=args.timeout)
        fetched = count_access(server.entries_since(0)).html_pages
    return {"command": cmd, "returncode": measured.returncode, "seconds": round(measured.seconds, 2),
            "peak_rss_mb": round(measured.peak_rss_bytes / 2**20, 1), "pages": fetched,
            "pages_per_second": round(fetched / measured.seconds, 1)}


def report(result: dict[str, Any]) -> str:
    b, big = result["batch"], result["large"]
    lines = [f"batch: {len(b['sites'])} sites × ~{result['args']['pages']} pages, --jobs {result['args']['jobs']}, "
             f"profile {result['args']['profile']} (exit {b['returncode']})",
             f"  wall {b['seconds']} s, {b['pages']} pages, {b['pages_per_second']} pages/s, peak RSS {b['peak_rss_mb']} MB",
             f"  slowest site {b['slowest_site']}: median/slowest pages/s = {b['median_over_slowest']} (target ≤ 3)",
             f"large scan: {big['pages']} pages in {big['seconds']} s = {big['pages_per_second']} pages/s (exit {big['returncode']})",
             f"batch / large pages/s = {result['batch_over_large']} (target ≥ 1)", "",
             "| site | state | pages | started (s) | finished (s) | scan (s) | pages/s |", "|---|---|---|---|---|---|---|"]
    for s in sorted(b["sites"], key=lambda s: s["finished_s"]):
        lines.append(f"| {s['site']} | {s['state']} | {s['pages']} | {s['started_s']} | {s['finished_s']} | "
                     f"{s['scan_seconds']} | {s['pages_per_second']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--pages", type=int, default=2000, help="HTML pages per batch site (about)")
    parser.add_argument("--jobs", type=int, default=4, help="the batch's --jobs")
    parser.add_argument("--large-pages", type=int, default=0, help="pages of the large site (default sites × pages)")
    parser.add_argument("--profile", choices=["local-benchmark", "default"], default="local-benchmark")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", type=Path, metavar="FILE")
    parser.add_argument("--workdir", type=Path, help="keep sites and outputs here (default: a temp dir, removed)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        work = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="govaudit-batch-bench-")))
        work.mkdir(parents=True, exist_ok=True)
        work.chmod(0o755)  # nginx workers run as nobody when we are root
        result: dict[str, Any] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                  "machine": {"python": platform.python_version(), "platform": platform.platform(),
                                              "cpus": __import__("os").cpu_count()},
                                  "argv": sys.argv, "args": {k: str(v) if isinstance(v, (Path, dt.date)) else v
                                                             for k, v in vars(args).items()}}
        result["batch"] = run_batch(args, work / "b")
        result["large"] = run_large(args, work / "l")
        large = result["large"]["pages_per_second"]
        result["batch_over_large"] = round(result["batch"]["pages_per_second"] / large, 2) if large else None
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
