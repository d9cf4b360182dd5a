"""``govaudit check URL``: the CI gate (上线前检查) — crawl, score, and fail the job on what matters.

Exit codes: 0 gate passed, 1 tool error (bad input, crawl failure), 2 gate failed.

  --fail-on veto|deduct|warn   fail on findings of that severity or graver (default veto)
  --min-score N                fail when the score is below N (a veto always fails it)
  --baseline PREVIOUS          a previous findings.jsonl or output directory: only new findings fail
  --junit FILE / --sarif FILE  machine-readable results for CI UIs (GitLab, GitHub code scanning)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govaudit.errors import UserError
from govaudit.reports.gate import FAIL_ON, evaluate, load_baseline


def register(subparsers: argparse._SubParsersAction) -> None:
    from govaudit.commands.scan import add_scan_arguments

    p = subparsers.add_parser("check", help="CI gate: scan a site and exit 2 when it fails the gate",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url", metavar="URL", help="start page of the site (e.g. a staging site)")
    g = p.add_argument_group("gate")
    g.add_argument("--fail-on", choices=list(FAIL_ON) + ["none"], default="veto",
                   help="fail on findings of this severity or graver (default veto; none: only --min-score)")
    g.add_argument("--min-score", type=float, metavar="N", help="fail when the score is below N")
    g.add_argument("--baseline", type=Path, metavar="PREVIOUS",
                   help="previous findings.jsonl or output directory: fail only on findings new since then")
    g.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    g.add_argument("--sarif", type=Path, metavar="FILE", help="write SARIF 2.1.0 here")
    add_scan_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govaudit.commands.scan import scan_request
    from govaudit.pipeline import run_scan
    from govaudit.reports.ci import write_junit, write_sarif
    from govaudit.ruleset import load_ruleset

    baseline = None
    if args.baseline is not None:  # read before crawling: a bad baseline path must not cost a whole crawl
        try:
            baseline = load_baseline(args.baseline)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    rules = load_ruleset(args.rules)
    outcome = run_scan(scan_request(args))
    result = evaluate(outcome.findings, outcome.scorecard, fail_on=None if args.fail_on == "none" else args.fail_on,
                      min_score=args.min_score, baseline=baseline)
    if args.junit:
        write_junit(args.junit, outcome.findings, outcome.scorecard, result, rules)
    if args.sarif:
        write_sarif(args.sarif, outcome.findings, outcome.scorecard, result, rules)
    card = outcome.scorecard
    print(f"govaudit check: {card.site} score {card.total:.2f} verdict {card.verdict} ({card.ruleset_id} "
          f"{card.ruleset_version}); {len(outcome.findings)} findings"
          + (f", {len(result.new)} new since baseline" if baseline is not None else ""), file=sys.stderr)
    if result.passed:
        print("gate: PASS", file=sys.stderr)
    else:
        for reason in result.reasons:
            print(f"gate: FAIL — {reason}", file=sys.stderr)
        for f in result.failing[:20]:
            print(f"  [{f.severity}] {f.rule} {f.url}", file=sys.stderr)
    return result.exit_code
