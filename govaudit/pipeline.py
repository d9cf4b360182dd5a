"""The scan pipeline: crawl → store → checks → score → report, in one direction.

``run_scan`` is what ``govaudit scan`` / ``check`` / ``demo`` do; ``analyse`` is the part after the crawl,
which ``govaudit report`` re-runs on a stored scan with another rule set (no re-crawl).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from govaudit import __version__
from govaudit.errors import UserError
from govaudit.model import Finding
from govaudit.ruleset import DEFAULT_RULESET, RuleSet, load_ruleset
from govaudit.store import Store

STORE_NAME = "govaudit.sqlite"


class ScanError(UserError):
    """Bad scan input (URL, options); printed as one line by the CLI."""


@dataclass
class ScanOutcome:
    store_path: Path
    scan_id: int
    out_dir: Path
    findings: list[Finding]
    scorecard: Any


def add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    """The crawl options every scanning command shares (scan, check, demo)."""
    g = parser.add_argument_group("what to crawl")
    g.add_argument("--max-pages", type=int, metavar="N", help="stop crawling after N pages (links on further pages are "
                   "still checked, not parsed); default from the rule set (50000)")
    g.add_argument("--max-depth", type=int, metavar="N", help="do not parse pages more than N clicks from the start page "
                   "(they are still checked); default no limit")
    g.add_argument("--subdomains", action="store_true", help="also crawl subdomains of the start host (www.x.gov.cn → *.x.gov.cn)")
    g.add_argument("--include", action="append", default=[], metavar="REGEX",
                   help="crawl only pages whose URL matches (repeatable); others are checked, not parsed")
    g.add_argument("--exclude", action="append", default=[], metavar="REGEX",
                   help="neither crawl nor check URLs that match (repeatable)")
    g.add_argument("--no-external", action="store_true", help="do not check links to other sites")
    g.add_argument("--a11y", choices=["sample", "all", "off"], default="sample",
                   help="accessibility audits in headless Chromium: a sample that stands for every page template "
                        "(default), every page, or none (static checks run on every page regardless)")
    g.add_argument("--a11y-browsers", type=int, default=2, metavar="N", help="browsers auditing in parallel (default 2)")
    p = parser.add_argument_group("politeness")
    p.add_argument("--ignore-robots", action="store_true",
                   help="ignore robots.txt (only for your own staging site; robots.txt is obeyed by default)")
    p.add_argument("--concurrency", type=int, metavar="N", help="requests in flight per host (default 2: government "
                   "servers are fragile)")
    p.add_argument("--delay", type=float, metavar="SECONDS", help="minimum pause between requests to one host (default 0; "
                   "robots.txt Crawl-delay and Retry-After are honoured on top)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="give up on a request after this long (default 15, "
                   "the inspection figure)")
    p.add_argument("--user-agent", metavar="TEXT", help="User-Agent header (default identifies govaudit)")
    p.add_argument("--workers", type=int, metavar="N", help="processes that parse pages beside the crawler (default: "
                   "cores − 1; 0 parses in the crawler's own process)")
    p.add_argument("--profile", choices=["default", "local-benchmark"], default="default",
                   help="local-benchmark lifts the politeness limits; refused unless the site is on this machine")
    o = parser.add_argument_group("output")
    o.add_argument("--out", type=Path, default=Path("govaudit-out"), metavar="DIR",
                   help="where findings.jsonl, summary.json, report.html and report.xlsx go (default ./govaudit-out)")
    o.add_argument("--store", type=Path, metavar="FILE", help=f"scan store (SQLite); default DIR/{STORE_NAME}; several "
                   "scans may share one store")
    o.add_argument("--rules", default=DEFAULT_RULESET, metavar="RULESET",
                   help=f"rule set id or YAML file (default {DEFAULT_RULESET})")
    o.add_argument("--as-of", metavar="YYYY-MM-DD", help="check date that freshness and reply windows count back from "
                   "(default today); set it to reproduce a scan")
    o.add_argument("--lang", choices=["zh", "en"], default="zh", help="report language (default zh)")
    o.add_argument("--resume", action="store_true", help="continue the last unfinished scan of this URL in the store")
    o.add_argument("--quiet", action="store_true", help="no progress display (automatic when not on a terminal or CI=true)")
    o.add_argument("--verbose", action="store_true", help="log the crawler's activity (Scrapy INFO log, stats every 10 s)")


def normalise_start_url(raw: str) -> str:
    raw = raw.strip()
    if "://" not in raw:
        raw = "http://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise ScanError(f"{raw!r}: only http and https sites can be scanned")
    if not parts.hostname:
        raise ScanError(f"{raw!r}: not a URL with a host name")
    try:
        url = safe_url_string(raw)
    except ValueError as exc:
        raise ScanError(f"{raw!r}: not a valid URL ({exc})") from exc
    return url if urlsplit(url).path else url + "/"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_as_of(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ScanError(f"--as-of {text!r}: expected a date like 2026-11-20") from exc


def crawl_settings(args: argparse.Namespace, rules: RuleSet, url: str) -> dict[str, Any]:
    from scrapy.settings import Settings

    crawl = rules.param("crawl")
    settings = Settings()
    settings.setmodule("govaudit.crawler.settings", priority="project")
    settings.set("USER_AGENT", args.user_agent or crawl["user_agent"], priority="cmdline")
    settings.set("DOWNLOAD_TIMEOUT", args.timeout or crawl["timeout_seconds"], priority="cmdline")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", args.concurrency or crawl["concurrency_per_host"], priority="cmdline")
    settings.set("DOWNLOAD_DELAY", args.delay or 0, priority="cmdline")
    settings.set("DOWNLOAD_MAXSIZE", crawl["max_response_bytes"], priority="cmdline")
    settings.set("REDIRECT_MAX_TIMES", rules.param("links.max_redirects"), priority="cmdline")
    settings.set("ROBOTSTXT_OBEY", not args.ignore_robots, priority="cmdline")
    settings.set("GOVAUDIT_CIRCUIT_BREAKER", crawl["circuit_breaker"], priority="cmdline")
    settings.set("GOVAUDIT_QUIET", bool(args.quiet), priority="cmdline")
    if args.verbose:
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
        settings.set("LOGSTATS_INTERVAL", 10, priority="cmdline")
    settings.set("SCHEDULER_MEMORY_QUEUE", "scrapy.squeues.FifoMemoryQueue", priority="cmdline")
    if args.profile == "local-benchmark":
        if not is_loopback(url):
            raise ScanError("--profile local-benchmark lifts politeness limits and is only allowed for sites on this "
                            f"machine (127.0.0.1, localhost); {url} is not")
        for key, value in settings.getdict("LOCAL_BENCHMARK").items():
            if key == "CONCURRENT_REQUESTS_PER_DOMAIN" and args.concurrency:
                continue
            settings.set(key, value, priority="cmdline")
    return settings


def crawl(args: argparse.Namespace, rules: RuleSet, url: str, store_path: Path, scan_id: int, as_of: date,
          resume: bool) -> None:
    """Run the Scrapy crawl in this process (Twisted's reactor runs once per process)."""
    from scrapy.crawler import CrawlerProcess

    from govaudit.crawler.spiders.site import CrawlConfig, SiteSpider

    settings = crawl_settings(args, rules, url)
    config = CrawlConfig.from_rules(
        rules, start_url=url, store_path=str(store_path), scan_id=scan_id, as_of=as_of, resume=resume,
        extractors=settings.getlist("GOVAUDIT_EXTRACTORS"), max_pages=args.max_pages, max_depth=args.max_depth,
        retest_delay=0.2 if args.profile == "local-benchmark" else None, workers=args.workers,
        include_subdomains=args.subdomains, include=args.include, exclude=args.exclude,
        check_external=not args.no_external)
    settings.set("LOG_INSTALL_ROOT_HANDLER", bool(args.verbose), priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(SiteSpider, config=config)
    process.start()


def analyse(store: Store, scan_id: int, rules: RuleSet, out_dir: Path, *, lang: str = "zh") -> tuple[list[Finding], Any]:
    """Checks → findings (stored, replacing earlier ones) → findings.jsonl → scored reports."""
    from govaudit import checks
    from govaudit.reports import atomic_outputs, check_writable, write_reports

    check_writable(out_dir)  # before any work: an unwritable directory is the first error, not the last
    view = store.view(scan_id)
    findings = list(checks.run_all(view, rules))
    store.replace_findings(scan_id, findings)
    with atomic_outputs(out_dir, ["findings.jsonl"]) as tmp, open(tmp["findings.jsonl"], "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(f.to_json(), ensure_ascii=False) + "\n" for f in findings)
    scorecard = write_reports(view, findings, rules, out_dir, lang=lang)
    return findings, scorecard


def audit_accessibility(store: Store, scan_id: int, args: argparse.Namespace, rules: RuleSet, out_dir: Path) -> None:
    """The browser stage: axe-core in headless Chromium on a template sample, results into the store."""
    from govaudit.crawler.browser import AxeNotInstalled, audit_scan

    try:
        coverage = audit_scan(store, scan_id, mode=args.a11y, browsers=max(1, args.a11y_browsers),
                              shots_dir=out_dir / "a11y-shots", rules=rules)
    except AxeNotInstalled as exc:
        raise ScanError(f"{exc} (or pass --a11y off)") from exc
    store.merge_stats(scan_id, a11y=coverage)


def run_scan(args: argparse.Namespace) -> ScanOutcome:
    """Crawl one site and write every output; resumable with ``args.resume``."""
    url = normalise_start_url(args.url)
    rules = load_ruleset(args.rules)
    as_of = parse_as_of(args.as_of)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    store_path = args.store or out_dir / STORE_NAME
    with Store(store_path) as store:
        scan_id = store.resumable_scan(url) if args.resume else None
        resume = scan_id is not None
        if scan_id is None:
            options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "func"}
            scan_id = store.begin_scan(site=url, start_url=url, as_of=as_of.isoformat(), options=options,
                                       tool_version=__version__)
        else:
            as_of = date.fromisoformat(store.scan(scan_id).as_of)
    crawl(args, rules, url, store_path, scan_id, as_of, resume)
    with Store(store_path) as store:
        if store.scan(scan_id).state == "running":
            raise ScanError(f"the crawl of {url} failed before it started (see the messages above); the store keeps "
                            f"scan {scan_id}, re-run with --resume")
        if args.a11y != "off":
            audit_accessibility(store, scan_id, args, rules, out_dir)
        findings, scorecard = analyse(store, scan_id, rules, out_dir, lang=args.lang)
        info = store.scan(scan_id)
        if info.state == "crawled":  # an interrupted crawl stays resumable; its reports say it is incomplete
            store.finish_scan(scan_id, info.stats, state="finished")
        from govaudit.checks.availability import home_failure

        failure = home_failure(store.view(scan_id))
        if failure and not info.stats.get("pages_crawled"):
            raise ScanError(f"the start page {url} could not be read ({failure}): nothing was crawled; the reports "
                            f"in {out_dir} record it")
    return ScanOutcome(store_path=store_path, scan_id=scan_id, out_dir=out_dir, findings=findings, scorecard=scorecard)
