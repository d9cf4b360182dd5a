"""``govaudit monitor sites.csv --store STORE``: probe every listed homepage on the inspection schedule.

A long-lived process (run it under systemd: docs/operations-monitor.md).  Each site is probed once per window
of ``params.availability.window_seconds`` (24 a day in gov-2019; the veto needs ≥20), a probe failing after
``timeout_seconds``; every probe is written to the store, and windows that pass while the monitor is down are
recorded as missed, never as up.  Restart it at will: it carries on from the store.  A scan that uses the
same store (``govaudit scan URL --store STORE``) reports the week's figures as ``availability.*`` findings.
SIGTERM or SIGINT stops it after the probes in flight are written (exit 0).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from govaudit.ruleset import DEFAULT_RULESET
from govaudit.store import redacted, store_locator

if TYPE_CHECKING:
    from govaudit.ruleset import RuleSet


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("monitor", help="probe the listed homepages on the inspection schedule (availability)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sites", type=Path, metavar="SITES", help="site list (.csv in UTF-8 or GBK, or .xlsx), as for batch")
    p.add_argument("--store", type=store_locator, default=Path("govaudit-out/govaudit.sqlite"), metavar="STORE",
                   help="store file or postgresql://… URL the probes go to; scans that should report them use the same one "
                        "(default govaudit-out/govaudit.sqlite, a scan's default)")
    p.add_argument("--rules", default=DEFAULT_RULESET, metavar="RULESET",
                   help=f"rule set whose params.availability gives the schedule (default {DEFAULT_RULESET})")
    p.add_argument("--status", action="store_true",
                   help="print each site's figures for the period ending now (probes, failed, missed, ratio, level) "
                        "and exit, without probing")
    p.set_defaults(func=run)


def status(store_path: Path | str, sites: list[str], rules: RuleSet) -> list[dict]:
    """Each site's period ending now, judged as a scan's availability check judges it."""
    import time

    from govaudit.checks.availability import judge
    from govaudit.store import Store

    params = rules.param("availability")
    until = time.time()
    since = until - float(params["period_days"]) * 86400
    with Store(store_path) as store:
        return [{"site": site, **judge(store.probes(site, since, until), since, until, params)} for site in sites]


def run(args: argparse.Namespace) -> int:
    from govaudit.cli import UserError
    from govaudit.monitor import Monitor
    from govaudit.ruleset import load_ruleset
    from govaudit.sites import read_sites

    rules = load_ruleset(args.rules)
    listed = read_sites(args.sites)
    for bad in listed.bad:
        print(f"govaudit: {args.sites}: {bad}", file=sys.stderr)
    if not listed.sites:
        raise UserError(f"{args.sites}: lists no site to monitor")
    if args.status:
        for row in status(args.store, [s.url for s in listed.sites], rules):
            ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2%}"
            print(f"{row['level'] or 'no probes'}\t{ratio}\tprobes {row['probes']} failed {row['failed']} "
                  f"missed {row['missed']}{'' if row['complete'] else ' (period not fully monitored)'}\t{row['site']}")
        return 0
    monitor = Monitor(args.store, [s.url for s in listed.sites], rules)

    def stop(signum: int, frame: FrameType | None) -> None:
        monitor.stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    print(f"monitor: {len(monitor.sites)} site(s), a probe every {monitor.schedule.window:g} s, "
          f"time-out {monitor.schedule.timeout:g} s → {redacted(args.store)}", file=sys.stderr, flush=True)
    monitor.run()
    return 0
