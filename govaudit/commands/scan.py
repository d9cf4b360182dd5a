"""``govaudit scan URL --out DIR``: crawl one site and write findings and reports."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from govaudit.pipeline import ScanOutcome, add_scan_arguments, run_scan


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
    print(f"score {card.total:.2f}  verdict {card.verdict}  ({card.ruleset_id} {card.ruleset_version})", file=out)


def run(args: argparse.Namespace) -> int:
    print_outcome(run_scan(args))
    return 0
