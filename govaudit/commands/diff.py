"""``govaudit diff A B``: the findings new in B, fixed since A and persisting, by stable fingerprint.

A and B are each an output directory (its ``findings.jsonl``), a ``findings.jsonl`` file, or a scan id in
``--store``.  Fingerprints are the CI gate's baseline identity (rule + the thing at fault + discriminator).
Exit code 0 whatever the difference (``govaudit check --baseline`` is the gate).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from govaudit.store import store_locator


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("diff", help="compare two scans: new, fixed and persisting findings",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", metavar="SCAN_A", help="the earlier run: output directory, findings.jsonl or scan id")
    p.add_argument("b", metavar="SCAN_B", help="the later run: output directory, findings.jsonl or scan id")
    p.add_argument("--store", type=store_locator, metavar="STORE",
                   help="store file, output directory or postgresql://… URL, for scan ids")
    p.add_argument("--all", action="store_true", help="list the persisting findings too (default: counted only)")
    p.add_argument("--json", action="store_true", help="print the difference as JSON")
    p.set_defaults(func=run)


def load_run(spec: str, store_arg: Path | str | None) -> list[tuple[str, dict[str, Any]]]:
    from govaudit.cli import UserError
    from govaudit.commands.report import store_path
    from govaudit.reports.gate import read_findings
    from govaudit.store import Store

    if spec.isdigit() and not Path(spec).exists():
        if store_arg is None:
            raise UserError(f"{spec}: a scan id needs --store")
        with Store(store_path(store_arg), create=False) as store:
            store.scan(int(spec))  # raises StoreError naming the store when there is no such scan
            return [(f.fingerprint, f.to_json()) for f in store.findings(int(spec))]
    try:
        return read_findings(Path(spec))
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    from govaudit.reports.diff import diff

    result = diff(load_run(args.a, args.store), load_run(args.b, args.store))
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(f"new {len(result.new)}, fixed {len(result.fixed)}, persisting {len(result.persisting)}")
    for rule, n in result.by_rule().items():
        print(f"  {rule}: +{n['new']} -{n['fixed']} ={n['persisting']}")
    shown = [("+", result.new), ("-", result.fixed)] + ([("=", result.persisting)] if args.all else [])
    for mark, items in shown:
        for f in items:
            print(f"{mark} {f.get('rule')}\t{f.get('url')}\t{f.get('fingerprint', '')}")
    return 0
