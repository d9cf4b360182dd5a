"""Checks-phase memory: the peak RSS of the checks alone on stored scans of two sizes, and its growth per page.

    python bench/checks_memory.py STORE [STORE ...] [--per-check] [--findings-dir DIR] [--json out.json]

Each STORE is a ``govaudit.sqlite`` holding a finished scan (its latest scan is used), e.g. the ones
``bench/crawl_bench.py --variance --tools "" --memory-pages 10000,40000 --workdir DIR --keep`` leaves under
``DIR/memory-N/govaudit/out/``.  For each store a fresh child process opens the scan, runs every enabled check
(``govaudit.checks.run_all``, what ``govaudit report`` and the scan's checks phase run; reports are not written)
and reports its ``ru_maxrss``; a second child that opens the scan and runs no check gives the fixed cost
(imports, the store).  ``--per-check`` also runs each check alone, so the growth can be told apart by check.
The growth per page is (peak at the larger scan − peak at the smaller) / (pages − pages), which leaves the fixed
start-up cost out.  ``--findings-dir`` writes each store's findings.jsonl, to compare before and after a change
byte for byte.  A benchmark, never a test: nothing here asserts a figure.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def child(store_path: str, families: list[str] | None, findings: str | None, rules_id: str) -> dict[str, Any]:
    """Run the checks on the store's latest scan in this process; return its figures."""
    from govaudit import checks
    from govaudit.ruleset import load_ruleset
    from govaudit.store import Store

    rules = load_ruleset(rules_id)
    with Store(store_path, create=False) as store:
        view = store.view(store.latest_scan())
        pages = view.counts().get("page.done", 0)
        start = time.perf_counter()
        found = list(checks.run_all(view, rules, families)) if families != [] else []
        seconds = time.perf_counter() - start
    if findings:
        with open(findings, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(f.to_json(), ensure_ascii=False) + "\n" for f in found)
    return {"pages": pages, "findings": len(found), "seconds": round(seconds, 2),
            "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run_child(store: Path, families: list[str] | None, findings: Path | None, rules_id: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(store), "--rules", rules_id]
    if families is not None:
        cmd += ["--families", ",".join(families)]
    if findings is not None:
        cmd += ["--findings", str(findings)]
    out = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def growth(small: dict[str, Any], large: dict[str, Any], key: str = "maxrss_mb") -> float | None:
    """KB per page between two sizes (None when the page counts are equal)."""
    if large["pages"] == small["pages"]:
        return None
    return round((large[key] - small[key]) * 1024 / (large["pages"] - small["pages"]), 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", nargs="*", type=Path, help="govaudit.sqlite files, smallest scan first")
    parser.add_argument("--rules", default="gov-2019", help="rule set id or file (default gov-2019)")
    parser.add_argument("--per-check", action="store_true", help="also run each check alone")
    parser.add_argument("--findings-dir", type=Path, help="write findings-<pages>.jsonl per store here")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--families", help=argparse.SUPPRESS)
    parser.add_argument("--findings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        families = None if args.families is None else [f for f in args.families.split(",") if f]
        print(json.dumps(child(args.child, families, args.findings, args.rules)))
        return 0

    from govaudit import checks

    ids = [p.id for p in checks.plugins()]
    rows: list[dict[str, Any]] = []
    for store in args.stores:
        findings = None
        if args.findings_dir:
            args.findings_dir.mkdir(parents=True, exist_ok=True)
        fixed = run_child(store, [], None, args.rules)
        row: dict[str, Any] = {"store": str(store), "pages": fixed["pages"], "fixed_mb": fixed["maxrss_mb"]}
        if args.findings_dir:
            findings = args.findings_dir / f"findings-{fixed['pages']}.jsonl"
        every = run_child(store, None, findings, args.rules)
        row.update(all_mb=every["maxrss_mb"], seconds=every["seconds"], findings=every["findings"],
                   checks_mb=round(every["maxrss_mb"] - fixed["maxrss_mb"], 1))
        if args.per_check:
            row["per_check_mb"] = {i: round(run_child(store, [i], None, args.rules)["maxrss_mb"] - fixed["maxrss_mb"], 1)
                                   for i in ids}
        rows.append(row)
        print(f"{store}: {row['pages']:,} pages, checks peak {row['all_mb']} MB (fixed {row['fixed_mb']} MB, "
              f"checks {row['checks_mb']} MB), {row['findings']} findings in {row['seconds']} s", file=sys.stderr)
        if args.per_check:
            print("  per check (MB over the fixed cost): " + ", ".join(f"{k} {v}" for k, v in row["per_check_mb"].items()),
                  file=sys.stderr)
    report: dict[str, Any] = {"argv": sys.argv, "rows": rows}
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        report["growth_kb_per_page"] = growth({"pages": small["pages"], "maxrss_mb": small["all_mb"]},
                                              {"pages": large["pages"], "maxrss_mb": large["all_mb"]})
        if args.per_check:
            report["per_check_growth_kb_per_page"] = {
                i: growth({"pages": small["pages"], "maxrss_mb": small["per_check_mb"][i]},
                          {"pages": large["pages"], "maxrss_mb": large["per_check_mb"][i]}) for i in ids}
        print(f"growth {small['pages']:,} → {large['pages']:,} pages: {report['growth_kb_per_page']} KB per page", file=sys.stderr)
        if args.per_check:
            print("  per check (KB per page): " + ", ".join(f"{k} {v}" for k, v in report["per_check_growth_kb_per_page"].items()),
                  file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
