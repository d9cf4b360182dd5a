"""``govaudit worker --redis redis://HOST/DB``: join the crawls that ``govaudit scan URL --redis …`` (or a batch
with --redis) queued in Redis, one after another.

Each scan is crawled in a child process (Twisted's reactor runs once per process) with the scan's own options,
as its seeder published them; the worker writes the scan's store (on one machine, the SQLite file the scan names;
across machines the store must be one every machine reaches).  The seeder checks, scores and reports once the
crawl is done.  ``--exit-when-idle`` leaves when no scan has work queued (after waiting ``--wait`` seconds for one);
without it the worker waits for work for ever (a systemd service).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import date

from govaudit.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("worker", help="join crawls shared through Redis (govaudit scan … --redis URL)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--redis", required=True, metavar="URL", help="the Redis the scans were queued in")
    p.add_argument("--exit-when-idle", action="store_true", help="leave when no scan has work queued")
    p.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                   help="with --exit-when-idle: how long to wait for a first scan (default 30)")
    p.add_argument("--scan", metavar="JOB", help=argparse.SUPPRESS)  # the child process: crawl this scan
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govaudit.crawler.jobs import connect, open_jobs  # Redis only: this process waits, a child crawls

    if args.scan is not None:
        return crawl_one(args.redis, args.scan)
    server = connect(args.redis)
    deadline = time.monotonic() + args.wait
    failed = 0
    while True:
        jobs = open_jobs(server)
        if not jobs:
            if args.exit_when_idle and time.monotonic() >= deadline:
                return 1 if failed else 0
            time.sleep(0.5)
            continue
        deadline = time.monotonic()  # once a scan was joined, idle means done
        child = subprocess.run([sys.executable, "-m", "govaudit.cli", "worker", "--redis", args.redis,
                                "--scan", jobs[0]["job"]], check=False)
        if child.returncode != 0:
            failed += 1
            print(f"govaudit: worker: scan {jobs[0]['scan_id']} ended with exit code {child.returncode}",
                  file=sys.stderr)
            if args.exit_when_idle:
                return child.returncode


def crawl_one(url: str, job_name: str) -> int:
    import json

    from govaudit.crawler.jobs import JOBS, connect
    from govaudit.pipeline import Interrupts, ScanRequest, crawl
    from govaudit.ruleset import load_ruleset

    raw = connect(url).hget(JOBS, job_name)
    if raw is None:
        return 0  # finished meanwhile
    job = json.loads(raw)
    req = ScanRequest(**job["request"])
    with Interrupts() as interrupts:
        crawl(req, load_ruleset(req.rules), job["url"], job["scan_id"], date.fromisoformat(job["as_of"]), False, interrupts,
              seeder=False)
    if interrupts.signum is not None:
        return 128 + interrupts.signum
    try:
        connect(url).ping()
    except UserError as exc:
        raise UserError(f"scan {job['scan_id']}: {exc}; this worker's crawl ended, the store keeps what it did") from exc
    return 0
