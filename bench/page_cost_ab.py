"""``page_cost.py --stages`` in two checkouts, alternated, so both see the same machine (issue 16).

A lone figure on a shared machine moves 2–3× between runs; two checkouts run in turn, round after round, see the
same load, and the best of each page and stage over all rounds is what each can do.  Each checkout runs with its
own ``.venv/bin/python`` (``python -m venv --system-site-packages .venv && .venv/bin/pip install --no-deps -e .``
in it), so each measures its own code, both through the later checkout's ``page_cost.py`` (the same pages).  TOTAL is the whole ``analyse_page``; stage names are the later
checkout's and the earlier's, each where it has them.

    python bench/page_cost_ab.py BASE_CHECKOUT OTHER_CHECKOUT [--rounds 4] [--only links-1k,links-50k,...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def run(checkout: str, bench: Path, only: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(page → total ms, page → stage → ms) of one ``bench --stages --repeat 3`` with ``checkout``'s code."""
    out = subprocess.run([str(Path(checkout) / ".venv" / "bin" / "python"), str(bench), "--stages",
                          "--repeat", "3", "--only", only], cwd=checkout, capture_output=True, text=True,
                         check=True).stdout
    pages = only.split(",")
    totals: dict[str, float] = {}
    stages: dict[str, dict[str, float]] = {}
    cols: list[str] = []
    seconds = -1  # the column of the first table's seconds (its columns differ between versions)
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "page" and "seconds" in cells:
            seconds = cells.index("seconds")
        elif cells[0] == "page" and "parse" in cells:
            cols = cells[1:]
        elif cells[0] in pages and cols and len(cells) == len(cols) + 1:
            stages[cells[0]] = {c: float(v.split()[0]) for c, v in zip(cols, cells[1:])}
        elif cells[0] in pages and seconds > 0 and not cols:
            totals[cells[0]] = float(cells[seconds]) * 1000
    return totals, stages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base")
    ap.add_argument("other")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--only", default="links-1k,links-50k,pager-5k,table-5k,dated-5k,mailbox-5k")
    args = ap.parse_args()
    # The later checkout's bench for both (its pages, real-pages among them), each run with its own code.
    bench = Path(args.other).resolve() / "bench" / "page_cost.py"
    best: dict[tuple[str, str, str], float] = {}
    for r in range(args.rounds):
        for side in ("base", "other"):
            totals, stages = run(getattr(args, side), bench, args.only)
            rows = [(page, "TOTAL", ms) for page, ms in totals.items()]
            rows += [(page, stage, ms) for page, row in stages.items() for stage, ms in row.items()]
            for page, stage, ms in rows:
                best[side, page, stage] = min(best.get((side, page, stage), float("inf")), ms)
        print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    names = sorted({k[2] for k in best}, key=lambda s: (s != "TOTAL", s))
    for page in args.only.split(","):
        print(f"\n| {page} | base ms | other ms | other / base |\n|---|---:|---:|---:|")
        for stage in names:
            b, o = best.get(("base", page, stage)), best.get(("other", page, stage))
            if b is not None and o is not None:
                print(f"| {stage} | {b:.1f} | {o:.1f} | {o / b:.2f} |" if b else f"| {stage} | {b:.1f} | {o:.1f} | – |")


if __name__ == "__main__":
    main()
