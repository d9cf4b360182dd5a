"""Accuracy of the freshness extractor on the saved CMS pages in tests/fixtures/pages/.

Prints the share of list pages whose newest item date is right, the share of articles whose visible
publication date is right, crashes, and the same figures with the htmldate fallback switched off and with
htmldate alone (so the value of each step is measured, not assumed).  Target: ≥ 98 %, zero crashes.

    python bench/freshness_accuracy.py [--verbose]
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govaudit.crawler.extract import freshness  # noqa: E402
from govaudit.crawler.extract.core import page_context  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "pages"


def load(name: str, url: str, as_of: date) -> Any:
    """A PageContext of a saved page, decoded and parsed the way the spider does it."""
    return page_context(url, (FIXTURES / name).read_bytes(), as_of=as_of)


def newest(items: list[dict[str, Any]]) -> str | None:
    dates = [i["date"] for i in items if i["date"]]
    return max(dates) if dates else None


def measure(verbose: bool = False, htmldate_mode: str = "fallback") -> dict[str, Any]:
    """htmldate_mode: fallback (as shipped) | off (never) | only (htmldate alone for articles)."""
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    as_of = date.fromisoformat(expected["as_of"])
    original = freshness._htmldate
    if htmldate_mode == "off":
        freshness._htmldate = lambda tree, ref: None
    out = {"lists": 0, "lists_right": 0, "articles": 0, "articles_right": 0, "crashes": 0, "seconds": 0.0}
    started = time.perf_counter()
    try:
        for name, exp in expected["lists"].items():
            out["lists"] += 1
            try:
                facts = freshness.extract(load(name, exp["url"], as_of))
            except Exception:
                out["crashes"] += 1
                traceback.print_exc()
                continue
            got = newest(facts["list_items"])
            ok = got == exp["newest"] and facts["kind"] == "list"
            out["lists_right"] += ok
            if verbose and not ok:
                print(f"  list    {name}: expected {exp['newest']}, got {got} (kind {facts['kind']})")
        for name, exp in expected["articles"].items():
            out["articles"] += 1
            try:
                ctx = load(name, exp["url"], as_of)
                if htmldate_mode == "only":
                    got, kind = original(ctx.tree, as_of), "article"
                else:
                    facts = freshness.extract(ctx)
                    got, kind = facts["article"]["date"], facts["kind"]
            except Exception:
                out["crashes"] += 1
                traceback.print_exc()
                continue
            ok = got == exp["date"] and kind == "article"
            out["articles_right"] += ok
            if verbose and not ok:
                print(f"  article {name}: expected {exp['date']}, got {got} (kind {kind})")
    finally:
        freshness._htmldate = original
    out["seconds"] = time.perf_counter() - started
    return out


def main() -> int:
    verbose = "--verbose" in sys.argv
    results = {}
    for mode in ("fallback", "off", "only"):
        r = measure(verbose and mode == "fallback", mode)
        results[mode] = r
        lists = f"{r['lists_right']}/{r['lists']} = {100 * r['lists_right'] / r['lists']:.1f} %"
        arts = f"{r['articles_right']}/{r['articles']} = {100 * r['articles_right'] / r['articles']:.1f} %"
        label = {"fallback": "as shipped (htmldate as last fallback)", "off": "without htmldate",
                 "only": "htmldate alone (articles)"}[mode]
        print(f"{label:40s} lists newest-date right {lists:>18s}   articles date right {arts:>18s}   "
              f"crashes {r['crashes']}   {r['seconds']:.2f} s")
    shipped = results["fallback"]
    ok = (shipped["crashes"] == 0 and shipped["lists_right"] >= 0.98 * shipped["lists"]
          and shipped["articles_right"] >= 0.98 * shipped["articles"])
    print("target (>= 98 %, zero crashes):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
