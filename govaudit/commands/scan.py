"""``govaudit scan URL --out DIR``: crawl one site and write findings and reports."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from govaudit.pipeline import ScanError, ScanOutcome, add_scan_arguments, run_scan


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scan", help="crawl a site and write findings.jsonl, summary.json, report.html, report.xlsx",
                            description="Crawl one government website politely, check every link it carries, run "
                                        "the rule checks and write the reports into --out.")
    parser.add_argument("url", help="start page, e.g. http://www.example.gov.cn/")
    add_scan_arguments(parser)
    parser.set_defaults(func=run)


def print_outcome(outcome: ScanOutcome) -> None:
    by_severity = Counter(f.severity for f in outcome.findings)
    by_rule = Counter(f.rule for f in outcome.findings)
    out = sys.stderr
    print(f"scan {outcome.scan_id} → {outcome.out_dir}", file=out)
    print("findings: " + ", ".join(f"{s} {by_severity[s]}" for s in ("veto", "deduct", "warn", "info")), file=out)
    for rule, n in sorted(by_rule.items()):
        print(f"  {rule:28} {n}", file=out)
    card = outcome.scorecard
    if isinstance(card, dict) and "score" in card:
        print(f"score {card.get('score')}  verdict {card.get('verdict')}", file=out)


def run(args: argparse.Namespace) -> int:
    from govaudit.cli import UserError

    try:
        outcome = run_scan(args)
    except ScanError as exc:
        raise UserError(str(exc)) from exc
    print_outcome(outcome)
    return 0
