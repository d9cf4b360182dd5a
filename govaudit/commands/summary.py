"""``govaudit summary OUT1 OUT2 … --out DIR``: a province-level ranking of several scanned sites.

Writes ``summary.html`` (ranking with verdicts and vetoes, linking to each site's report.html),
``summary.xlsx`` and ``summary.json`` into DIR, from each output directory's ``summary.json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("summary", help="rank several scans (output directories) into a province-level summary",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outputs", nargs="+", type=Path, metavar="OUT", help="scan output directories (each with summary.json)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where summary.html and summary.xlsx go")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govaudit.reports.province import write_province_summary

    rows = write_province_summary(args.outputs, args.out, lang=args.lang)
    for r in rows:
        print(f"{r['rank']:>3}  {r['score']:>6}  {r['verdict']}  {r['site']}")
    print(f"→ {args.out / 'summary.html'}")
    return 0
