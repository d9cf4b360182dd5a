"""Dump the facts of every test page to one JSON file, so a speed change can be shown to change no fact (issue 16).

Pages: tests/fixtures/pages/**.html, tests/corpus/pages/*.html and the demo site's pages (generated with
``variance=True``, so its pager, site map and 信息公开目录 pages are in).  Each goes through
``crawler.analysis.analyse_page`` with every installed extractor, as the crawl runs it.  Compare two dumps
with ``cmp`` (byte-identical) or ``--diff OTHER`` (the pages and fact keys that differ).

    python bench/facts_dump.py --out before.json
    python bench/facts_dump.py --out after.json --diff before.json
    python bench/facts_dump.py --page-cost --out before.json   # also bench/page_cost.py's pathological pages
    python bench/facts_dump.py --huge --out before.json        # and its pages near the 10 MiB limit
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

from govaudit.crawler.analysis import analyse_page
from govaudit.crawler.extract import installed

from govaudit.demo.sitegen import generate_site

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 20)
SITE = "http://127.0.0.1:9/"


def pages(demo_pages: int | None, page_cost: bool = False,
          huge: bool = False) -> list[tuple[str, str, bytes, str | None, bool]]:
    """(name, url, body, declared charset, is_home) for every page; with ``page_cost`` also the generated pages of
    bench/page_cost.py, at /col/index.html of the site (the pages whose speed issue 16 is about), with ``huge``
    its pages near the crawl's 10 MiB limit too (those a memory change is about)."""
    out = []
    if page_cost or huge:
        sys.path.insert(0, str(ROOT / "bench"))
        import page_cost as bench

        made = {**bench.PAGES, **bench.HUGE} if huge else bench.PAGES
        out += [("page_cost/" + name, SITE + "col/index.html", make(), "utf-8", False) for name, make in made.items()]
    for path in sorted((ROOT / "tests" / "fixtures" / "pages").rglob("*.html")):
        rel = path.relative_to(ROOT).as_posix()
        out.append((rel, SITE + path.parent.name + "/" + path.name, path.read_bytes(), None, False))
    for path in sorted((ROOT / "tests" / "corpus" / "pages").glob("*.html")):
        out.append((path.relative_to(ROOT).as_posix(), SITE + "corpus/" + path.name, path.read_bytes(), None, False))
    with tempfile.TemporaryDirectory() as tmp:
        manifest = generate_site(Path(tmp), as_of=AS_OF, pages=demo_pages, hostile=False, variance=True)
        for path in sorted(Path(tmp).rglob("*.html")):
            rel = "/" + path.relative_to(tmp).as_posix()
            url_path = rel[: -len("index.html")] if rel.endswith("/index.html") else rel
            declared = manifest.headers.get(url_path, manifest.headers.get(rel, {})).get("Content-Type", "")
            charset = declared.partition("charset=")[2] or None
            out.append(("demo" + rel, SITE.rstrip("/") + url_path, path.read_bytes(), charset, url_path == "/"))
    return out


def dump(demo_pages: int | None, page_cost: bool = False, huge: bool = False) -> dict[str, object]:
    extractors = tuple(installed().values())
    result: dict[str, object] = {}
    for name, url, body, declared, is_home in pages(demo_pages, page_cost, huge):
        analysis = analyse_page(url, body, declared, is_home, AS_OF, SITE, extractors)
        result[name] = {"charset": analysis.charset, "links": analysis.links, "facts": analysis.facts}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--diff", default="", help="an earlier dump: print the pages and keys that differ")
    ap.add_argument("--demo-pages", type=int, default=0, help="demo site size (0: the demo's own, about 270)")
    ap.add_argument("--page-cost", action="store_true", help="also bench/page_cost.py's pathological pages (slow)")
    ap.add_argument("--huge", action="store_true", help="also page_cost.py's pages near 10 MiB (implies --page-cost)")
    args = ap.parse_args()
    data = dump(args.demo_pages or None, args.page_cost, args.huge)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1, default=str)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"{len(data)} pages -> {args.out}")
    if args.diff:
        old = json.loads(Path(args.diff).read_text(encoding="utf-8"))
        new = json.loads(text)
        bad = 0
        for name in sorted(set(old) | set(new)):
            a, b = old.get(name), new.get(name)
            if a == b:
                continue
            bad += 1
            if a is None or b is None:
                print(f"{name}: only in {'new' if a is None else 'old'}")
                continue
            keys = sorted(k for k in set(a["facts"]) | set(b["facts"]) if a["facts"].get(k) != b["facts"].get(k))
            print(f"{name}: {'links ' if a['links'] != b['links'] else ''}{'charset ' if a['charset'] != b['charset'] else ''}facts {keys}")
        print(f"{bad} pages differ")
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
