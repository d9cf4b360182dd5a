"""Fault bench (issue 9): does every scan end, and do two scans of an unchanged site agree?

    python bench/fault_bench.py [--runs 20] [--pages 20000] [--skip-mix] [--skip-determinism] [--json FILE]

1. **The fault mix, again and again.**  The demo county site with every fault on its one host
   (``govaudit.demo.faults.fault_mix_site``: 500, 502, 503 with and without Retry-After, a link that stalls
   20 s, a redirect loop, a reset, a flaky page; off-site files on two hosts that do not resolve and one that
   refuses connections), served by the demo server.  Each run is ``govaudit scan`` as a new user runs it
   (default politeness, the rule set's 15 s time-out and 5 s re-test spacing) with a hard limit per run.  A run
   *finished* when the process exited 0 within the limit, the scan is ``finished`` and every URL is in a final
   state.  Prints each run, how many finished and the longest wall time.
2. **Determinism.**  A generated site (20,000 pages by default) served by nginx, with faults fixed on 2 % of
   its URLs (seeded: 500, 502, 503, 404, 410, a connection closed without an answer, a request never
   answered) and off-site links to two hosts that do not resolve and one that refuses connections.  Two
   scans with the same ``--as-of``; prints whether the findings' ids (fingerprints), the counts per rule and
   the score agree, and each scan's crawl time (its last page) beside its wall time.

A benchmark, not a test: nothing here asserts.  Like ``bench/crawl_bench.py`` it runs the working tree's code
(``python -m govaudit.cli`` with the repository first on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.crawl_bench import path_charsets, run_measured  # noqa: E402  (the repo root must be importable first)
from bench.nginx import Nginx  # noqa: E402
from govaudit.demo.faults import DeadHosts, fault_mix_site, html_files, plant_dead_hosts  # noqa: E402

AS_OF = dt.date(2026, 11, 20)


def cli_env() -> dict[str, str]:
    env = {**os.environ, "CI": "true"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@dataclass
class ScanRun:
    """One ``govaudit scan``: how it ended, and the crawl's own clock from the store."""

    returncode: int | None
    wall: float
    timed_out: bool
    scan_state: str | None = None
    close_reason: str | None = None
    unfinished: int = 0  # URLs not done and not skipped
    stalled: int = 0
    urls: int = 0
    pages: int = 0
    crawl_seconds: float | None = None  # the spider's last page, from its start
    crawl_end_seconds: float | None = None  # the spider closed, from its start
    notes: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return (self.returncode == 0 and not self.timed_out and self.scan_state == "finished"
                and self.unfinished == 0)


def scan(url: str, out: Path, args: list[str], limit: float) -> ScanRun:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "govaudit.cli", "scan", url, "--out", str(out), "--as-of", AS_OF.isoformat(),
           "--a11y", "off", *args]
    measured = run_measured(cmd, cwd=out, stdout=out / "stdout.txt", stderr=out / "stderr.txt", env=cli_env(),
                            timeout=limit)
    run = ScanRun(measured.returncode, round(measured.seconds, 1), measured.timed_out)
    store = out / "govaudit.sqlite"
    if store.exists():
        with sqlite3.connect(store) as db:
            state, stats = db.execute("SELECT state, stats FROM scans ORDER BY id DESC LIMIT 1").fetchone()
            stats = json.loads(stats or "{}")
            counts = dict(db.execute("SELECT state, count(*) FROM urls GROUP BY state").fetchall())
            run.stalled = db.execute("SELECT count(*) FROM urls WHERE skip_reason='stalled'").fetchone()[0]
        run.scan_state, run.close_reason = state, stats.get("close_reason")
        run.urls = sum(counts.values())
        run.unfinished = run.urls - counts.get("done", 0) - counts.get("skipped", 0)
        run.pages = stats.get("pages_crawled", 0)
        run.crawl_seconds, run.crawl_end_seconds = stats.get("last_page_seconds"), stats.get("seconds")
    if measured.returncode not in (0, None):
        tail = (out / "stderr.txt").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        run.notes.append(f"exit {measured.returncode}: {tail[0]}")
    return run


# ---------------------------------------------------------------------------------------------- 1. the mix

def fault_mix(work: Path, runs: int, limit: float, extra: list[str]) -> list[ScanRun]:
    from govaudit.demo.server import DemoServer

    site = work / "mix-site"
    manifest, hosts = fault_mix_site(site, as_of=AS_OF)
    print(f"fault-mix site: {manifest.pages} pages; dead hosts {', '.join(hosts.all())}", file=sys.stderr)
    results = []
    with DemoServer(site, manifest, stall_seconds=20) as server:
        for n in range(runs):
            run = scan(server.base_url + "/", work / f"mix-{n}", extra, limit)
            results.append(run)
            print(f"  run {n + 1}/{runs}: {'finished' if run.finished else 'NOT FINISHED'} in {run.wall:.1f} s "
                  f"(crawl: last page {run.crawl_seconds} s, closed {run.crawl_end_seconds} s, {run.close_reason}; "
                  f"{run.urls} URLs, {run.unfinished} unfinished, {run.stalled} stalled)", file=sys.stderr)
    return results


def print_mix(results: list[ScanRun], limit: float) -> None:
    print("| run | finished | wall s | last page s | crawl closed s | tail s | close reason | URLs | unfinished | stalled |")
    print("|---:|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for n, r in enumerate(results, 1):
        tail = (r.crawl_end_seconds - r.crawl_seconds) if r.crawl_seconds and r.crawl_end_seconds else None
        print(f"| {n} | {'yes' if r.finished else 'NO'} | {r.wall:.1f} | {r.crawl_seconds} | {r.crawl_end_seconds} "
              f"| {'' if tail is None else f'{tail:.1f}'} | {r.close_reason} | {r.urls} | {r.unfinished} | {r.stalled} |")
    done = [r for r in results if r.finished]
    longest = max((r.wall for r in results), default=0.0)
    print(f"\nfault mix: {len(done)} of {len(results)} scans finished (limit {limit:.0f} s each); "
          f"longest wall time {longest:.1f} s")


# ---------------------------------------------------------------------------------------------- 2. determinism

FAULTS = ("return 500;", "return 502;", "return 503;", "return 404;", "return 410;", "return 444;", "stall")


class BlackHole:
    """A listening socket that never accepts: connections complete in the kernel's backlog and are never
    answered.  nginx proxies the "never answered" fault paths to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def fault_locations(root: Path, share: float, seed: int, hole: int) -> dict[str, str]:
    """nginx locations that give ``share`` of the site's URLs (not the homepage) a fixed fault."""
    paths = []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = "/" + file.relative_to(root).as_posix()
        if rel in ("/index.html", "/robots.txt"):
            continue
        paths.append(rel)
    rng = random.Random(seed)
    chosen = rng.sample(paths, max(1, round(share * len(paths))))
    locations = {}
    for path in chosen:
        fault = rng.choice(FAULTS)
        body = (f"proxy_pass http://127.0.0.1:{hole}; proxy_read_timeout 600s; proxy_connect_timeout 5s;"
                if fault == "stall" else fault)
        locations[path] = body
        if path.endswith("/index.html"):
            locations[path[: -len("index.html")]] = body  # the directory URL the site links to
    return locations


def findings_of(out: Path) -> tuple[Counter, Counter, dict[str, Any]]:
    ids: Counter = Counter()
    rules: Counter = Counter()
    path = out / "findings.jsonl"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                f = json.loads(line)
                ids[(f["rule"], f["fingerprint"])] += 1
                rules[f["rule"]] += 1
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8")) if (out / "summary.json").exists() else {}
    return ids, rules, summary


def determinism(work: Path, pages: int, share: float, limit: float, timeout: float) -> dict[str, Any]:
    from govaudit.demo.sitegen import generate_site

    site = work / "det-site"
    hosts = DeadHosts.make(dns=2, refused=1)
    manifest = generate_site(site, as_of=AS_OF, pages=pages, hostile=False,
                             closed_port=int(hosts.refused[0].rsplit(":", 1)[1]))
    dead_links = plant_dead_hosts(site, manifest, hosts, every=50, category="dead_host")
    hole = BlackHole()
    try:
        locations = fault_locations(site, share, seed=9, hole=hole.port)
        kinds = Counter("stall" if "proxy_pass" in b else b.split()[1].rstrip(";") for b in locations.values())
        print(f"determinism site: {manifest.pages} pages, {len(html_files(site))} HTML files, faults on "
              f"{len(locations)} URLs ({dict(kinds)}), {dead_links} links to dead hosts", file=sys.stderr)
        site.chmod(0o755)
        runs = []
        with Nginx(site, work / "nginx", path_charsets=path_charsets(manifest), locations=locations) as server:
            for n in range(2):
                args = ["--profile", "local-benchmark", "--max-pages", str(pages * 2), "--ignore-robots",
                        "--timeout", str(timeout)]
                run = scan(server.base_url, work / f"det-{n}", args, limit)
                runs.append(run)
                print(f"  scan {n + 1}: {run.pages} pages, wall {run.wall:.1f} s, last page {run.crawl_seconds} s, "
                      f"closed {run.crawl_end_seconds} s ({run.close_reason})", file=sys.stderr)
    finally:
        hole.close()
    (ids_a, rules_a, sum_a), (ids_b, rules_b, sum_b) = (findings_of(work / f"det-{n}") for n in range(2))
    return {"pages": pages, "share": share, "faults": dict(kinds), "fault_urls": len(locations), "dead_links": dead_links,
            "timeout": timeout, "runs": [asdict(r) for r in runs],
            "same_ids": ids_a == ids_b, "only_first": sorted(map(list, (ids_a - ids_b).keys()))[:20],
            "only_second": sorted(map(list, (ids_b - ids_a).keys()))[:20], "findings": [sum(ids_a.values()), sum(ids_b.values())],
            "rules": {r: [rules_a.get(r, 0), rules_b.get(r, 0)] for r in sorted(set(rules_a) | set(rules_b))},
            "score": [sum_a.get("score"), sum_b.get("score")], "verdict": [sum_a.get("verdict"), sum_b.get("verdict")]}


def print_determinism(d: dict[str, Any]) -> None:
    print(f"\ndeterminism: {d['pages']} pages asked, faults fixed on {d['fault_urls']} URLs ({d['share']:.0%}: "
          f"{d['faults']}), {d['dead_links']} links to 3 dead off-site hosts, --timeout {d['timeout']:g}")
    print("| scan | pages | wall s | last page s | crawl closed s | tail s | close reason |\n|---:|---:|---:|---:|---:|---:|---|")
    for n, r in enumerate(d["runs"], 1):
        tail = (r["crawl_end_seconds"] - r["crawl_seconds"]) if r["crawl_seconds"] and r["crawl_end_seconds"] else None
        print(f"| {n} | {r['pages']} | {r['wall']:.1f} | {r['crawl_seconds']} | {r['crawl_end_seconds']} "
              f"| {'' if tail is None else f'{tail:.1f}'} | {r['close_reason']} |")
    print("\n| rule | scan 1 | scan 2 |\n|---|---:|---:|")
    for rule, (a, b) in d["rules"].items():
        print(f"| {rule} | {a} | {b} |{'' if a == b else '  ← differs'}")
    print(f"finding ids (rule, fingerprint): {'identical' if d['same_ids'] else 'DIFFERENT'} "
          f"({d['findings'][0]} vs {d['findings'][1]} findings)")
    for label in ("only_first", "only_second"):
        if d[label]:
            print(f"  {label.replace('_', ' in ')} scan: {d[label]}")
    print(f"score: {d['score'][0]} vs {d['score'][1]}; verdict: {d['verdict'][0]} vs {d['verdict'][1]}")


# ---------------------------------------------------------------------------------------------- main

def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="fault-mix scans (default 20)")
    parser.add_argument("--limit", type=float, default=900, help="seconds before a scan counts as not finished "
                        "and is killed (default 900: the user's scans sat idle 13 minutes)")
    parser.add_argument("--mix-args", default="", help="extra govaudit scan arguments for the fault mix, e.g. "
                        "'--timeout 5' (default: none, the rule set's values as a new user gets them)")
    parser.add_argument("--pages", type=int, default=20000, help="pages of the determinism site (default 20000)")
    parser.add_argument("--share", type=float, default=0.02, help="share of its URLs with a fixed fault (default 0.02)")
    parser.add_argument("--timeout", type=float, default=3.0, help="--timeout of the determinism scans (default 3)")
    parser.add_argument("--skip-mix", action="store_true")
    parser.add_argument("--skip-determinism", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--workdir", type=Path, help="keep sites and outputs here (default: a temp dir, deleted)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    work = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="govaudit-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # nginx workers run as nobody when we are root
    report: dict[str, Any] = {"date": dt.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
                              "argv": sys.argv}
    try:
        if not args.skip_mix:
            results = fault_mix(work, args.runs, args.limit, args.mix_args.split())
            print_mix(results, args.limit)
            report["mix"] = {"runs": [asdict(r) | {"finished": r.finished} for r in results],
                             "finished": sum(r.finished for r in results),
                             "longest_wall": max((r.wall for r in results), default=None)}
        if not args.skip_determinism:
            report["determinism"] = determinism(work, args.pages, args.share, args.limit, args.timeout)
            print_determinism(report["determinism"])
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    finally:
        if args.workdir:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
