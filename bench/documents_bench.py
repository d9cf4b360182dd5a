"""What one page per document costs: ``ScanView.pages()`` (aliases resolved) against reading every analysed row.

Builds a store of N analysed pages with facts of a realistic size (a list page's items, ~6 KB of JSON), a
tenth of them reached a second time through a redirect or as ``/index.html``, then times one pass of each
way of reading them in the same run and prints the ratio.  A benchmark, not a test: nothing asserts a time.

    python bench/documents_bench.py --pages 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from govaudit.model import UrlRecord, url_key
from govaudit.store import Store, StoreWriter

SITE = "http://bench.gov.test/"


def build(path: Path, pages: int) -> int:
    store = Store(path)
    scan = store.begin_scan(SITE, SITE, "2026-11-20", {}, "bench")
    writer = StoreWriter(store, scan)
    items = [{"title": f"关于印发某某工作方案的通知 {i}", "url": f"{SITE}art/{i}.html", "date": "2026-10-01",
              "date_text": "2026-10-01", "source": "html"} for i in range(40)]
    for i in range(pages):
        url = f"{SITE}col{i % 50}/page{i}.html"
        facts = {"title": f"页面 {i}", "digest": f"{i:032x}", "kind": "list", "list_items": items}
        writer.add_url(url_key(url), url, "page", 2)
        writer.record(UrlRecord(url=url, kind="page", depth=2, state="done", status=200, facts=facts))
        if i % 10 == 0:  # an alias: the same body under /index.html of a directory URL
            alias = f"{SITE}col{i % 50}/page{i}/index.html"
            writer.add_url(url_key(alias), alias, "page", 3)
            writer.record(UrlRecord(url=alias, kind="page", depth=3, state="done", status=200, facts=facts))
        if writer.backlog > 20000:
            writer.flush()
    writer.close()
    store.close()
    return scan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=20000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        scan = build(path, args.pages)
        store = Store(path)
        view = store.view(scan)
        t = time.perf_counter()
        raw = sum(1 for _ in view._records("AND kind='page' AND facts IS NOT NULL", ()))  # what pages() read before
        raw_s = time.perf_counter() - t
        view = store.view(scan)
        t = time.perf_counter()
        docs = sum(1 for _ in view.pages())
        docs_s = time.perf_counter() - t
        store.close()
    print(f"rows with facts: {raw} in {raw_s:.2f} s; documents: {docs} in {docs_s:.2f} s; "
          f"pages() / plain read = {docs_s / raw_s:.2f}x")


if __name__ == "__main__":
    main()
