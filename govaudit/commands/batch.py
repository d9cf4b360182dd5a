"""``govaudit batch sites.csv --out DIR``: scan every site of a province's list, then write the province summary.

The list is a CSV (UTF-8 or GBK, as Excel exports it) or an .xlsx with the columns 网站名称/name, 网址/url,
地区/region, 主办单位/department, 网站类型/type.  Bad rows are named with their line numbers and skipped; a site
listed twice is scanned once.  Sites are scanned concurrently (--jobs), each at a single scan's polite pace;
one site's failure never stops the batch.  Every `govaudit scan` option (--a11y, --rules, --as-of, --timeout, …)
applies to each site's scan.

DIR gets batch.json (the state of every site), sites/<site>/ (each site's store and reports) and
summary.html / summary.xlsx / summary.json (failures, early warnings and vetoed sites first, the ranking, one
table per region).  Re-run the same command to resume a stopped or killed batch: finished sites are not
scanned again.  Exit code 0 when every site was scanned, 1 when any failed (listed on stderr and at the top of
the summary), 130/143 when stopped by SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govaudit.commands.scan import add_scan_arguments

_SCAN_OPTIONS = "_batch_scan_options"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("batch", help="scan every site of a site list (CSV/XLSX) and write the province summary",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sites", type=Path, metavar="SITES", help="site list: .csv (UTF-8 or GBK) or .xlsx")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="the batch's folder (resumed when it holds one)")
    b = p.add_argument_group("batch")
    b.add_argument("--jobs", type=int, default=4, metavar="N", help="sites scanned at the same time (default 4; two "
                   "sites of one host never run together)")
    b.add_argument("--retry-failed", action="store_true", help="when resuming, scan the sites that failed again")
    b.add_argument("--store", metavar="URL", help="postgresql://USER@HOST[:PORT]/DB that every site's scan writes "
                   "(default: one SQLite file in each site's folder)")
    b.add_argument("--display", choices=["auto", "live", "lines", "off"], default="auto",
                   help="progress: a live table on a terminal (auto), one line per change, or none")
    p.set_defaults(func=run, **{_SCAN_OPTIONS: add_scan_arguments(p, outputs=False)})


def scan_argv(actions: list[argparse.Action], args: argparse.Namespace) -> list[str]:
    """The ``govaudit scan`` options that ``args`` sets (those left at their default are not repeated)."""
    argv: list[str] = []
    for action in actions:
        value, option = getattr(args, action.dest), action.option_strings[0]
        if value == action.default:
            continue
        if action.nargs == 0:
            argv.append(option)
        elif isinstance(value, list):
            for item in value:
                argv += [option, str(item)]
        else:
            argv += [option, str(value)]
    return argv


def run(args: argparse.Namespace) -> int:
    from govaudit.batch import BatchRequest, run_batch

    if args.jobs < 1:
        from govaudit.errors import UserError
        raise UserError("--jobs must be at least 1")
    from govaudit.store import is_url

    scan_args = scan_argv(getattr(args, _SCAN_OPTIONS), args)
    if args.store is not None:
        if not is_url(args.store):
            from govaudit.errors import UserError
            raise UserError(f"--store {args.store}: a batch shares a database server only (postgresql://…); "
                            "without --store each site keeps its own SQLite file")
        scan_args += ["--store", args.store]
    req = BatchRequest(sites_file=args.sites, out=args.out, scan_args=scan_args,
                       jobs=args.jobs, lang=args.lang, retry_failed=args.retry_failed, display=args.display)
    outcome = run_batch(req)
    err = sys.stderr
    for bad in outcome.bad_rows:
        print(f"{args.sites}: {bad}", file=err)
    counts = outcome.counts
    print(f"batch: {len(outcome.sites)} sites: " + ", ".join(f"{k} {counts[k]}" for k in
          ("done", "failed", "interrupted", "pending") if counts[k]) + f" → {args.out / 'summary.html'}", file=err)
    failed = [s for s in outcome.sites if s.state == "failed"]
    if failed:
        print(f"govaudit: BATCH FAILED: {len(failed)} of {len(outcome.sites)} sites could not be scanned:", file=err)
        for s in failed:
            print(f"  line {s.site.line}: {s.site.name} {s.url}: {s.error}", file=err)
    if outcome.interrupted is not None:
        print("govaudit: batch interrupted; re-run the same command to resume it", file=err)
    return outcome.exit_code
