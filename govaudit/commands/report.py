"""``govaudit report SCAN --rules RULESET --out DIR``: re-score a stored scan with a rule set, no re-crawl.

SCAN is a store file or an output directory holding ``govaudit.sqlite``.  The stored page facts are
re-checked with the given rule set (a province's, say) and every report is written again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from govaudit.cli import UserError
from govaudit.ruleset import DEFAULT_RULESET, load_ruleset

STORE_FILE = "govaudit.sqlite"


def store_path(scan: Path) -> Path:
    """The store file behind SCAN (a file, or an output directory holding one)."""
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
    p.add_argument("scan", type=Path, metavar="SCAN", help="store file, or an output directory containing govaudit.sqlite")
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
    print(f"{card.site}: {card.verdict} {card.total:.2f} ({rules.id} {rules.version}); {len(findings)} findings → {args.out}")
    return 0
