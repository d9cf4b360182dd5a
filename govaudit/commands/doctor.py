"""``govaudit doctor``: what each stage needs, what is installed (with versions), and what to run for what is missing."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="check that this machine has what each scan stage needs",
                            description="Lists, per stage (crawl, browser audits, reports), every component govaudit "
                                        "needs, the version found, and the command that installs what is missing. "
                                        "Exit 1 when a required component is missing.")
    parser.add_argument("--json", action="store_true", help="print the probes as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govaudit.doctor import probes

    found = probes()
    missing = [p for p in found if not p.ok and p.required]
    if args.json:
        print(json.dumps([asdict(p) for p in found], ensure_ascii=False, indent=1))
        return 1 if missing else 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="govaudit doctor")
    for column in ("stage", "component", "", "found", "to fix"):
        table.add_column(column, overflow="fold")
    for p in found:
        mark = "[green]ok[/]" if p.ok else ("[red]missing[/]" if p.required else "[yellow]missing[/]")
        table.add_row(p.stage, p.component, mark, p.detail, p.fix)
    Console(stderr=False).print(table)
    if missing:
        stages = sorted({p.stage for p in missing})
        hint = " (scans still run with --a11y off)" if stages == ["browser"] else ""
        print(f"missing for {', '.join(stages)}: {', '.join(p.component for p in missing)}{hint}", file=sys.stderr)
    return 1 if missing else 0
