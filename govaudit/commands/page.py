"""``govaudit page URL_OR_FILE``: what the extractors see on one page, as JSON.

Inspectors use it to answer "why did you say this column is stale?": it runs exactly what the crawl runs on a
page (``crawler.analysis.analyse_page``: the extractors, within the rule set's analysis budget and size limit, so a
page the crawl read without a tree shows here as the crawl recorded it), on one live page or a saved file.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from govaudit.pipeline import ScanError, parse_as_of
from govaudit.ruleset import DEFAULT_RULESET, load_ruleset


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("page", help="print what the extractor sees on one page (JSON)",
                            description="Fetch one URL (or read a saved HTML file) and print the facts the crawler "
                                        "would record for it: page kind, column and type, list items with dates, "
                                        "article date, letters, links.")
    parser.add_argument("target", help="http(s) URL or path to a saved .html file")
    parser.add_argument("--url", help="the page's URL when TARGET is a file (resolves relative links)")
    parser.add_argument("--home", action="store_true", help="treat the page as the site's homepage")
    parser.add_argument("--charset", help="charset the server declared (default: from the HTTP header, or none for files)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="check date (default today)")
    parser.add_argument("--links", action="store_true", help="also list every link found")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for a URL (default 15)")
    parser.add_argument("--rules", default=DEFAULT_RULESET, metavar="RULESET",
                        help=f"rule set used to classify the column (default {DEFAULT_RULESET})")
    parser.set_defaults(func=run)


def _fetch(url: str, timeout: float) -> tuple[bytes, str | None, str]:
    from govaudit.crawler.settings import USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked by caller
        return response.read(10 * 1024 * 1024), response.headers.get_content_charset(), response.geturl()


def run(args: argparse.Namespace) -> int:
    from govaudit.cli import UserError
    from govaudit.crawler.analysis import analyse_page
    from govaudit.crawler.settings import GOVAUDIT_EXTRACTORS

    target = args.target
    declared = args.charset
    try:
        if target.startswith(("http://", "https://")):
            body, header_charset, url = _fetch(target, args.timeout)
            declared = declared or header_charset
        else:
            path = Path(target)
            body = path.read_bytes()
            url = args.url or path.resolve().as_uri().replace("file://", "http://localhost")
        as_of = parse_as_of(args.as_of)
    except (OSError, urllib.error.URLError, ValueError, ScanError) as exc:
        raise UserError(f"{target}: {exc}") from exc
    rules = load_ruleset(args.rules)
    page = analyse_page(url, body, declared, args.home, as_of, "", tuple(GOVAUDIT_EXTRACTORS),
                        budget=float(rules.param("crawl.analysis_budget_seconds")),
                        max_bytes=int(rules.param("crawl.analysis_max_bytes")))
    facts = page.facts
    out = {"url": url, **facts}
    column = facts.get("column")
    if column:
        from govaudit.checks.freshness import classify_column

        chosen = classify_column(column.get("name"), column.get("type"), rules)
        out["column_type"] = {"id": chosen.id, "title": chosen.title, "window_days": chosen.window_days,
                              "reason": chosen.reason}
    if args.links:
        out["links"] = [{"url": u, "tag": tag, "anchor": anchor, "hidden": hidden} for u, tag, anchor, hidden in page.links]
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    return 0
