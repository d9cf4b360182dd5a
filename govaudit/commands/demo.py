"""``govaudit demo``: generate a county-government site, serve it on 127.0.0.1, scan it, write the reports.

The site is the same one the tests use, with planted defects of every kind govaudit detects; at the end
the demo compares what the scan found with what was planted, so a new user sees at once that it works.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from govaudit.commands.scan import add_scan_arguments, print_outcome, scan_request
from govaudit.pipeline import parse_as_of, run_scan


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="scan a generated demo government site served on 127.0.0.1",
                            description="Generate a realistic county-government website with planted defects, serve it "
                                        "on 127.0.0.1, scan it end to end and write the reports into --out.")
    parser.add_argument("--pages", type=int, help="size of the generated site in HTML pages (default: a ~200-page county site)")
    parser.add_argument("--keep-serving", action="store_true", help="keep serving the site after the scan (Ctrl-C stops)")
    add_scan_arguments(parser)
    parser.set_defaults(func=run, out=Path("demo-out"), timeout=5.0)


def planted_dead_found(manifest: object, findings: list, base_url: str) -> tuple[int, int, list[str]]:
    """How many planted dead links the scan reported as links.dead (with a page that carries them)."""
    wanted = {}
    for entry in manifest.planted.get("dead", []):  # type: ignore[attr-defined]
        target = entry["target"]
        wanted[target if "://" in target else base_url + target] = entry
    found = {f.url for f in findings if f.rule == "links.dead" and f.extra.get("source_count", 0) > 0}
    missing = sorted(url for url in wanted if url not in found)
    return len(wanted) - len(missing), len(wanted), missing


def run(args: argparse.Namespace) -> int:
    from govaudit.demo.server import DemoServer
    from govaudit.demo.sitegen import generate_site

    as_of = parse_as_of(args.as_of) if args.as_of else date.today()
    with tempfile.TemporaryDirectory(prefix="govaudit-demo-site-") as tmp:
        root = Path(tmp) / "site"
        manifest = generate_site(root, as_of=as_of, pages=args.pages)
        with DemoServer(root, manifest, stall_seconds=args.timeout * 2) as server:
            url = server.base_url + "/"
            print(f"demo site {manifest.site_name}: {manifest.pages} pages at {url} (check date {as_of})", file=sys.stderr)
            outcome = run_scan(scan_request(args, url=url, as_of=as_of))
            print_outcome(outcome)
            got, total, missing = planted_dead_found(manifest, outcome.findings, server.base_url)
            print(f"planted dead links found: {got}/{total}" + (f"; missing: {', '.join(missing)}" if missing else ""),
                  file=sys.stderr)
            print(f"reports: {outcome.out_dir / 'report.html'}  {outcome.out_dir / 'report.xlsx'}", file=sys.stderr)
            if args.keep_serving:
                print(f"serving {url} — Ctrl-C to stop", file=sys.stderr)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    pass
    return 0 if got == total else 1
