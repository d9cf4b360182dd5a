"""``govaudit report SCAN --rules RULESET --out DIR``: re-score a stored scan with a rule set, no re-crawl.

SCAN is a store file or an output directory holding ``govaudit.sqlite``.  The stored page facts are
re-checked with the given rule set (a province's, say) and every report is written again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from govaudit.cli import UserError
from govaudit.ruleset import DEFAULT_RULESET, load_ruleset
from govaudit.store import store_locator

if TYPE_CHECKING:
    from govaudit.store import Store

STORE_FILE = "govaudit.sqlite"


def store_path(scan: Path | str) -> Path | str:
    """The store behind SCAN (a file, an output directory holding one, or a postgresql:// URL)."""
    if isinstance(scan, str):
        return scan
    if scan.is_dir():
        candidate = scan / STORE_FILE
        if not candidate.is_file():
            raise UserError(f"{scan}: is a directory without {STORE_FILE}; pass the store file or a scan output directory")
        return candidate
    if not scan.is_file():
        raise UserError(f"{scan}: no such store file or output directory")
    return scan


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="re-score a stored scan with a rule set and write its reports (no re-crawl)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scan", type=store_locator, metavar="SCAN",
                   help="store file, an output directory containing govaudit.sqlite, or postgresql://USER@HOST[:PORT]/DB")
    p.add_argument("--scan", dest="scan_id", type=int, metavar="ID", help="scan id in the store (default: the latest)")
    p.add_argument("--rules", default=DEFAULT_RULESET, metavar="RULESET", help=f"rule set id or YAML file (default {DEFAULT_RULESET})")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where findings.jsonl, summary.json, report.html "
                   "and report.xlsx go")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="report language (default zh)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govaudit.pipeline import analyse
    from govaudit.reports import check_writable
    from govaudit.store import Store

    rules = load_ruleset(args.rules)  # first: a malformed rule set fails before the store is touched
    path = store_path(args.scan)
    check_writable(args.out)
    with Store(path, create=False) as store:
        scan_id = args.scan_id if args.scan_id is not None else store.latest_scan()
        findings, card = analyse(store, scan_id, rules, args.out, lang=args.lang)
        problem = last_run_problem(store, scan_id)
    print(f"{card.site}: {card.verdict} {card.total:.2f} ({rules.id} {rules.version}); {len(findings)} findings → {args.out}")
    if problem:
        # A scheduled crawl (Scrapyd, cron) is reported by this command: a failed run must not look like a pass.
        print(f"govaudit: LAST RUN FAILED: {card.site}: {problem}", file=sys.stderr)
        return 1
    return 0


def last_run_problem(store: Store, scan_id: int) -> str | None:
    """Why the stored scan is not a complete one (crawl crashed or stopped, start page unreadable), or None."""
    from govaudit.checks.availability import home_failure

    info = store.scan(scan_id)
    if info.state == "running":
        return f"scan {scan_id} never finished its crawl (it crashed, was killed, or is still running)"
    if info.state == "interrupted":
        return f"scan {scan_id} was interrupted ({info.stats.get('interrupted_in') or 'crawl'}); resume it"
    failure = home_failure(store.view(scan_id))
    if failure and not info.stats.get("pages_crawled"):
        return f"the start page could not be read ({failure}): nothing was crawled"
    return None
