"""What reading attachments and style sheets costs (issue 14): CPU seconds per generated file and per page.

* ``attachment_facts`` (``crawler/extract/attachments.py``) on a PDF of ``--pdf-pages`` pages (written with
  pypdf, one text line a page), a DOCX of ``--paragraphs`` paragraphs (python-docx) and an XLSX of ``--rows``
  rows (openpyxl): read, joined, matched for private data and the dictionary.
* the identity extractor on a page with a ``<style>`` block of ``--rules`` rules (a fifth of them hiding) and
  ``--links`` off-host links, with and without a same-site style sheet link (``link_chains`` then written).

Best of ``--repeat`` runs, process CPU time.  A benchmark, not a test: nothing asserts a time.

    python bench/attachment_bench.py [--repeat 3] [--pdf-pages 300] [--rows 10000]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from govaudit.crawler.extract.attachments import Caps, attachment_facts  # noqa: E402
from govaudit.crawler.extract.core import page_context  # noqa: E402
from govaudit.crawler.extract.identity import extract as identity_extract  # noqa: E402
from test_attachments import make_pdf  # noqa: E402  (the tests' PDF writer: one generator)

ID_OK = "11010519491231002X"


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def make_docx(paragraphs: int) -> bytes:
    document = docx.Document()
    for n in range(paragraphs):
        document.add_paragraph(f"第{n}条 申请人张三，身份证号 {ID_OK if n % 500 == 0 else '1101051949'}，住址某某县某某路{n}号。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    for n in range(rows):
        sheet.append([f"姓名{n}", ID_OK if n % 1000 == 0 else f"{n:018d}", 13900000000 + n, "某某县某某镇"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def styled_page(rules: int, links: int, sheet: bool, descendant: bool) -> bytes:
    """``rules`` style rules, a fifth hiding: bare classes (``.c5``, looked up by name) or descendant selectors
    (``.c5 a``, one XPath walk each); ``links`` off-host links, one per class."""
    inner = " a" if descendant else ""
    css = "".join(f".c{n}{inner}{{{'display:none' if n % 5 == 0 else 'color:#333'}}}" for n in range(rules))
    body = "".join(f'<div class="c{n % rules}"><a href="http://s{n}.example.com/">友情链接{n}</a></div>' for n in range(links))
    head = '<link rel="stylesheet" href="/css/site.css">' if sheet else ""
    return (f'<html><head><meta charset="utf-8"><title>t</title>{head}<style>{css}</style></head>'
            f'<body>{body}<div class="footer">主办单位：某某县人民政府</div></body></html>').encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pdf-pages", type=int, default=300)
    ap.add_argument("--paragraphs", type=int, default=5000)
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--rules", type=int, default=200)
    ap.add_argument("--links", type=int, default=200)
    args = ap.parse_args()
    caps = Caps(max_pages=10**6, max_chars=10**9, max_bytes=10**10, max_unzipped_bytes=10**10)
    files = {"pdf": make_pdf([f"Applicant {n} ID {ID_OK if n % 50 == 0 else '1101051949'} tel 0871-1234567"
                              for n in range(args.pdf_pages)]),
             "docx": make_docx(args.paragraphs), "xlsx": make_xlsx(args.rows)}
    sizes = {"pdf": f"{args.pdf_pages} pages", "docx": f"{args.paragraphs} paragraphs", "xlsx": f"{args.rows} rows"}
    for fmt, body in files.items():
        facts = attachment_facts(body, fmt, caps)
        seconds = best(lambda body=body, fmt=fmt: attachment_facts(body, fmt, caps), args.repeat)
        print(f"{fmt:5} {sizes[fmt]:>16} {len(body) / 1024:8.0f} KiB  {seconds:7.3f} s  "
              f"{facts['attachment']['chars']:>9} chars  {sum(facts['private_data_counts'].values())} numbers")
    for descendant, sheet in ((False, False), (False, True), (True, False)):
        ctx = page_context("http://bench.gov.test/a.html", styled_page(args.rules, args.links, sheet, descendant),
                           site="http://bench.gov.test/")
        facts = identity_extract(ctx)  # the first page of a template parses its <style> (cached for the others)
        seconds = best(lambda ctx=ctx: [identity_extract(ctx) for _ in range(10)], args.repeat) / 10
        print(f"identity, {args.rules} style rules ({'descendant' if descendant else 'bare class'}), {args.links} "
              f"off-host links, sheet linked={sheet}: "
              f"{seconds * 1000:7.2f} ms/page, hidden {len(facts['hidden_links'])}, "
              f"chains {len(facts.get('link_chains', []))}")


if __name__ == "__main__":
    main()
