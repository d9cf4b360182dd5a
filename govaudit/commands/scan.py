"""``govaudit scan URL``: crawl a site and write every report.

The command is a thin shell over the library: it turns its arguments into a ``ScanRequest`` and calls
``govaudit.pipeline.run_scan`` (what ``govaudit.scan`` does for programs).  ``check`` and ``demo`` share
its options through ``add_scan_arguments`` and ``scan_request``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from govaudit.pipeline import A11Y_MODES, PROFILES, STORE_NAME, ScanOutcome, ScanRequest, run_scan
from govaudit.ruleset import DEFAULT_RULESET
from govaudit.store import store_locator


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scan", help="crawl a site and write findings and reports",
                            description="Crawl one government site, record every page and link in the scan store, run "
                                        "the rule checks and write the reports into --out.")
    parser.add_argument("url", help="start page, e.g. http://www.example.gov.cn/")
    add_scan_arguments(parser)
    parser.set_defaults(func=run)


def add_scan_arguments(parser: argparse.ArgumentParser, *, outputs: bool = True) -> list[argparse.Action]:
    """The crawl options every scanning command shares (scan, check, demo); returns them (batch forwards them).

    ``outputs=False`` leaves out the options that name one scan's output (--out, --store, --resume, --quiet):
    a batch sets those for each of its sites.
    """
    added: list[argparse.Action] = []

    def add(group: Any, *names: str, **options: Any) -> None:
        added.append(group.add_argument(*names, **options))

    g = parser.add_argument_group("what to crawl")
    add(g, "--max-pages", type=int, metavar="N", help="stop crawling after N pages (links on further pages are "
                   "still checked, not parsed); default from the rule set (50000)")
    add(g, "--max-depth", type=int, metavar="N", help="do not parse pages more than N clicks from the start page "
                   "(they are still checked); default no limit")
    add(g, "--subdomains", action="store_true", help="also crawl subdomains of the start host (www.x.gov.cn → *.x.gov.cn)")
    add(g, "--include", action="append", default=[], metavar="REGEX",
                   help="crawl only pages whose URL matches (repeatable); others are checked, not parsed")
    add(g, "--exclude", action="append", default=[], metavar="REGEX",
                   help="neither crawl nor check URLs that match (repeatable)")
    add(g, "--no-external", action="store_true", help="do not check links to other sites")
    add(g, "--a11y", choices=list(A11Y_MODES), default="sample",
                   help="accessibility audits in headless Chromium: a sample that stands for every page template "
                        "(default), every page, or none (static checks run on every page regardless)")
    add(g, "--a11y-browsers", type=int, default=2, metavar="N", help="browsers auditing in parallel (default 2)")
    p = parser.add_argument_group("politeness")
    add(p, "--ignore-robots", action="store_true",
                   help="ignore robots.txt (only for your own staging site; robots.txt is obeyed by default)")
    add(p, "--concurrency", type=int, metavar="N", help="requests in flight per host (default 2: government "
                   "servers are fragile)")
    add(p, "--delay", type=float, metavar="SECONDS", help="minimum pause between requests to one host (default 0; "
                   "robots.txt Crawl-delay and Retry-After are honoured on top)")
    add(p, "--timeout", type=float, metavar="SECONDS", help="give up on a request after this long (default 15, "
                   "the inspection figure)")
    add(p, "--user-agent", metavar="TEXT", help="User-Agent header (default identifies govaudit)")
    add(p, "--workers", type=int, metavar="N", help="processes that parse pages beside the crawler (default: "
                   "cores − 1; 0 parses in the crawler's own process)")
    add(p, "--redis", metavar="URL", help="share the crawl with `govaudit worker --redis URL` processes on this or "
                   "other machines through Redis (redis://HOST:PORT/DB); findings are those of a single-process scan")
    add(p, "--profile", choices=list(PROFILES), default="default",
                   help="local-benchmark lifts the politeness limits; refused unless the site is on this machine")
    o = parser.add_argument_group("output")
    if outputs:
        add(o, "--out", type=Path, default=Path("govaudit-out"), metavar="DIR",
                       help="where findings.jsonl, summary.json, report.html and report.xlsx go (default ./govaudit-out)")
        add(o, "--store", type=store_locator, metavar="STORE", help=f"scan store: an SQLite file (default "
                       f"DIR/{STORE_NAME}) or postgresql://USER@HOST[:PORT]/DB; several scans may share one store")
    add(o, "--rules", default=DEFAULT_RULESET, metavar="RULESET",
                   help=f"rule set id or YAML file (default {DEFAULT_RULESET})")
    add(o, "--as-of", metavar="YYYY-MM-DD", help="check date that freshness and reply windows count back from "
                   "(default today); set it to reproduce a scan")
    add(o, "--lang", choices=["zh", "en"], default="zh", help="report language (default zh)")
    if outputs:
        add(o, "--resume", action="store_true", help="continue the last unfinished scan of this URL in the store "
                       "(one stopped by Ctrl-C/SIGTERM, exit 130/143, or by a crash)")
        add(o, "--quiet", action="store_true", help="no progress display (automatic when not on a terminal or "
                       "CI=true)")
    add(o, "--verbose", action="store_true", help="log the crawler's activity (Scrapy INFO log, stats every 10 s)")
    return added


def scan_request(args: argparse.Namespace, **override: Any) -> ScanRequest:
    """The ``ScanRequest`` that a scanning command's arguments ask for."""
    fields: dict[str, Any] = dict(
        url=vars(args).get("url"), out=args.out, store=args.store, rules=args.rules, as_of=args.as_of, lang=args.lang,
        resume=args.resume, max_pages=args.max_pages, max_depth=args.max_depth, subdomains=args.subdomains,
        include=list(args.include), exclude=list(args.exclude), check_external=not args.no_external, a11y=args.a11y,
        a11y_browsers=args.a11y_browsers, obey_robots=not args.ignore_robots, concurrency=args.concurrency,
        delay=args.delay, timeout=args.timeout, user_agent=args.user_agent, workers=args.workers,
        profile=args.profile, quiet=args.quiet, verbose=args.verbose, redis=args.redis)
    fields.update(override)
    return ScanRequest(**fields)


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
    print_outcome(run_scan(scan_request(args)))
    return 0
