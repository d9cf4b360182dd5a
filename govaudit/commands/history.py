"""``govaudit history SITE --store STORE``: every scan of a site kept in the store, oldest first.

Each line: scan id, check date, state, the rule set it was scored with (id, version, content hash), score,
verdict, findings by severity and the trend series (``params.history.trend``).  SITE is the start URL as it
was scanned (``www.x.gov.cn`` is normalised as ``govaudit scan`` does).  Scans of an older store that were
never re-scored show their counts from their stored findings and no score.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from govaudit.ruleset import DEFAULT_RULESET
from govaudit.store import redacted, store_locator


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("history", help="list the scans of a site kept in the store (score, verdict, counts)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("site", metavar="SITE", help="the site's start URL")
    p.add_argument("--store", type=store_locator, default=Path("govaudit-out"), metavar="STORE",
                   help="store file, an output directory containing govaudit.sqlite (default govaudit-out), or "
                        "postgresql://USER@HOST[:PORT]/DB")
    p.add_argument("--rules", default=DEFAULT_RULESET, metavar="RULESET", help="rule set whose trend series are listed")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govaudit.cli import UserError
    from govaudit.commands.report import store_path
    from govaudit.history import history_rows
    from govaudit.ruleset import load_ruleset
    from govaudit.store import Store

    rules = load_ruleset(args.rules)
    with Store(store_path(args.store), create=False) as store:
        found = history_rows(store, args.site, rules)
    if not found:
        raise UserError(f"{redacted(args.store)}: holds no scan of {args.site}")
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    series = list(found[-1]["series"])
    print("\t".join(["scan", "as_of", "state", "ruleset", "score", "verdict", "findings", "veto/deduct/warn", *series]))
    for r in found:
        rs = r["ruleset"] or {}
        sev = r["by_severity"]
        print("\t".join(str(x) for x in [
            r["scan_id"], r["as_of"], r["state"], " ".join(str(rs[k]) for k in ("id", "version", "hash") if rs.get(k)) or "—",
            "—" if r["score"] is None else f"{r['score']:.2f}", r["verdict"] or "—", r["findings"],
            "/".join(str(sev.get(k, 0)) for k in ("veto", "deduct", "warn")) if sev else "—",
            *(r["series"].get(s, 0) for s in series)]))
    return 0
