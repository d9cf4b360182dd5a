"""The list-endpoint extractor (issue 11 item 3) on real and generated pages: what it names, what the crawl
would fetch, and what it costs per page.

    python bench/endpoints_bench.py                      # tests/corpus and tests/fixtures
    python bench/endpoints_bench.py DIR [DIR …] --verbose

"Would fetch" applies the crawl's rule (``readings.fetched_endpoint``) to the page's kind as the freshness
extractor reads it; an endpoint on another host is then still dropped by the spider's scope rule, which this
script also applies.  Cost is the best of five runs of the extractor alone on already parsed pages (the
machine is shared: the best run is the one least disturbed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govaudit.crawler.extract import (  # noqa: E402
    PageContext,  # noqa: E402
    endpoints,
    freshness,
)
from govaudit.crawler.extract.core import decode_html, parse_html  # noqa: E402

from govaudit import readings  # noqa: E402

PAGE_URL = "http://www.example.gov.cn/col/col1/index.html"
SUFFIXES = (".html", ".htm", ".shtml")


def measure(root: Path, verbose: bool) -> None:
    contexts = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in SUFFIXES:
            contexts.append((path, PageContext(url=PAGE_URL, tree=parse_html(decode_html(path.read_bytes())[0]))))
    named = fetched = 0
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        facts = [endpoints.extract(ctx) for _, ctx in contexts]
        best = min(best, time.perf_counter() - started)
    for (path, ctx), found in zip(contexts, facts):
        named += len(found["list_endpoints"])
        kind = freshness.extract(ctx)["kind"]
        chosen = readings.fetched_endpoint({"kind": kind, **found})
        on_site = chosen is not None and urlsplit(chosen["url"]).netloc == urlsplit(PAGE_URL).netloc
        fetched += on_site
        if verbose:
            for e in found["list_endpoints"]:
                mark = "FETCH" if on_site and e is chosen else "-"
                print(f"  {mark:5} {path.name} [{kind}] {e['method']} {e['url'][:100]} ({e['call']})")
    pages = max(len(contexts), 1)
    print(f"{root}: {len(contexts)} pages, {named} endpoints named, {fetched} would be fetched, "
          f"extractor {best * 1000 / pages:.3f} ms/page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=[ROOT / "tests/corpus", ROOT / "tests/fixtures"])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    for root in args.dirs:
        measure(root, args.verbose)


if __name__ == "__main__":
    main()
