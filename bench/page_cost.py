"""What one pathological page costs to analyse (issue 16): links, rows, dated items, nesting, sheer text.

Government sites are full of pages far larger than an article: 网站地图 with thousands of links, 信息公开目录
with thousands of rows, pagers that list every page.  Each generated page goes through
``crawler.analysis.analyse_page`` (decode, parse, links, every installed extractor) in this process, with
no budget; the best of ``--repeat`` runs is printed with the cost per 1,000 anchors.  Times are the process's
CPU seconds (the analysis is single-threaded, so on an idle core they are its wall time; on a shared machine
they leave out the time other processes held the core).  Targets: at most
5 ms per 1,000 anchors, the largest page under 1 s, the 50k-link page about 50 times the 1k one (linear).
A benchmark, not a test: nothing asserts a time.

    python bench/page_cost.py [--repeat 3] [--only links-1k,links-50k] [--profile links-10k] [--stages] [--max-bytes N]
    python bench/page_cost.py --memory --only links-100k,table-50k[,SAVED_PAGE.html]

``--memory`` prints, for each page, the resident memory each stage of the real ``analyse_page`` reaches above the
process's before the page (a fresh process per page, after a warm-up page; the RSS sampled every 2 ms, and the
high-water mark for a stage in C that the sampler cannot see), the result pickled as the pool sends it, what the
worker keeps once the page is done, and the peak in bytes per byte of HTML: what one huge page costs the analysis
worker, which sets a large scan's peak (issue 16 item 4).  Then the engine's side, in another fresh process: the
pickled result received, unpickled, made ``Link`` objects and de-duplicated as ``parse_page`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any
from unittest.mock import patch

from govaudit.crawler import analysis
from govaudit.crawler.analysis import analyse_page
from govaudit.crawler.extract import PageContext, installed, load_extractors, run_extractors
from govaudit.crawler.extract.core import decode_html, extract_links, parse_html

SITE = "http://bench.gov.test/"
AS_OF = date(2026, 11, 20)
EXTRACTORS = tuple(installed().values())
"""Read once, as the crawl's analysis worker gets them: reading the entry points costs 2.5 ms, which a page's
figure must not carry (it did until session 12: links-1k 11.2 ms per 1,000 anchors instead of 8.7)."""
HEAD = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}-某某县人民政府</title>'
        '<meta name="ColumnName" content="{title}"></head><body>'
        '<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/col/">{title}</a></div>')
FOOT = '<div class="footer"><a href="/about.html">关于我们</a> 主办：某某县人民政府办公室</div></body></html>'


def _page(title: str, body: str) -> bytes:
    return (HEAD.format(title=title) + body + FOOT).encode("utf-8")


def links(n: int) -> bytes:
    """A site map: n links in columns of 50, each a short title, as 网站地图 pages print them."""
    cols = []
    for c in range(0, n, 50):
        items = "".join(f'<li><a href="/col{c // 50}/art{i}.html">某某县关于第{i}项工作的通知</a></li>'
                        for i in range(c, min(n, c + 50)))
        cols.append(f'<div class="map-col"><h3>栏目{c // 50}</h3><ul>{items}</ul></div>')
    return _page("网站地图", "".join(cols))


def table(rows: int) -> bytes:
    """A 信息公开目录: one table, a header row and ``rows`` rows of index number, title, date, unit."""
    head = "<tr><th>索引号</th><th>标题</th><th>发布日期</th><th>发布机构</th></tr>"
    body = "".join(f'<tr><td>11330000-{i:06d}</td><td><a href="/xxgk/{i}.html">关于第{i}号政府信息公开事项的通知</a></td>'
                   f"<td>2026-{1 + i % 12:02d}-{1 + i % 28:02d}</td><td>县政府办公室</td></tr>" for i in range(rows))
    return _page("信息公开目录", f'<table class="xxgk-list">{head}{body}</table>')


def dated(n: int) -> bytes:
    """A column list: n items with the date in a span beside the title, and a full numbered pager."""
    items = "".join(f'<li><a href="/col/art{i}.html" title="某某县第{i}次常务会议">某某县第{i}次常务会议</a>'
                    f"<span>2026-{1 + i % 12:02d}-{1 + i % 28:02d}</span></li>" for i in range(n))
    pager = "".join(f'<a href="index_{p}.html">{p}</a>' for p in range(1, 200))
    return _page("动态要闻", f'<ul class="news-list">{items}</ul><div class="page">{pager}<a href="index_1.html">下一页</a></div>')


def pager(pages: int) -> bytes:
    """The issue's page: a column list of 20 dated items and a full numbered pager over ``pages`` pages, inside
    one box, as many CMSs print it (1,145 anchors took 542 ms)."""
    items = "".join(f'<li><a href="/col/art{i}.html">某某县第{i}次常务会议召开</a><span class="date">[2026-11-{1 + i % 28:02d}]'
                    "</span></li>" for i in range(20))
    numbers = " ".join(f'<a href="index_{p}.html">{p + 1}</a>' for p in range(1, pages))
    return _page("动态要闻", f'<div class="box"><ul class="news-list">{items}</ul><div class="page">共 {pages} 页 '
                             f'<a href="index.html">首页</a> <b>1</b> {numbers} <a href="index_1.html">下一页</a></div></div>')


def mailbox(n: int) -> bytes:
    """A 县长信箱 list of n letters, each with its asking date and status labelled (the letters extractor's case)."""
    rows = "".join(f'<li><a href="/hdjl/xzxx/{i}.html">关于第{i}号小区道路维修的咨询</a><span>留言时间：2026-{1 + i % 12:02d}-'
                   f"{1 + i % 28:02d}</span><span>状态：已回复</span></li>" for i in range(n))
    return (HEAD.format(title="县长信箱") + f'<h2>县长信箱</h2><ul class="letter-list">{rows}</ul>' + FOOT).encode("utf-8")


def nested(depth: int) -> bytes:
    """A DOM nested ``depth`` deep (an editor that never closed its tags), a link and a date at the bottom."""
    return _page("嵌套", "<div>" * depth + '<a href="/deep.html">最深处的一条信息</a> 2026-11-01' + "</div>" * depth)


def text(megabytes: int) -> bytes:
    """A page of text: paragraphs of Chinese prose (a report pasted into one page), about ``megabytes`` MB."""
    para = "<p>" + "本县坚持以人民为中心的发展思想，统筹推进各项工作。" * 10 + "</p>"
    return _page("工作报告", "<div class=\"content\">" + para * (megabytes * 1024 * 1024 // len(para.encode())) + "</div>")


def script(assignments: int) -> bytes:
    """An inline script of ``assignments`` object literals (a library pasted into the page): each one a candidate
    for the script-data list readers, which must not parse them all."""
    code = "".join(f"var cfg{i} = {{key: {i}, name: 'v{i}'}};\n" for i in range(assignments))
    return _page("脚本", f"<script>{code}</script><ul><li><a href=\"/a.html\">一条普通的信息标题</a> 2026-11-01</li></ul>")


PAGES: dict[str, Callable[[], bytes]] = {
    "links-1k": lambda: links(1000), "links-10k": lambda: links(10_000), "links-50k": lambda: links(50_000),
    "pager-1k": lambda: pager(1125), "pager-5k": lambda: pager(5000), "table-5k": lambda: table(5000), "dated-5k": lambda: dated(5000), "mailbox-5k": lambda: mailbox(5000), "nested-10k": lambda: nested(10_000),
    "text-5mb": lambda: text(5), "script-20k": lambda: script(20_000),
}
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "pages"
REAL = "real-pages"
"""Not one page: every real government page of tests/corpus (74, with their provenance in its manifest), analysed
one after the other and summed — what the crawl of a real site mostly pays, where the generated pages above are
the shapes that made the analysis slow.  ``--only real-pages``; its row also prints the ms a page."""


def bodies(name: str) -> list[bytes]:
    """The page ``name`` of PAGES, or every real page for ``REAL``."""
    return [p.read_bytes() for p in sorted(CORPUS.glob("*.htm*"))] if name == REAL else [PAGES[name]()]


HUGE: dict[str, Callable[[], bytes]] = {  # for --memory: pages near the crawl's 10 MiB limit
    "links-100k": lambda: links(100_000), "table-50k": lambda: table(50_000),
}


def analyse(body: bytes, max_bytes: int = 0) -> object:
    return analyse_page(SITE + "col/index.html", body, "utf-8", False, AS_OF, SITE, EXTRACTORS, max_bytes=max_bytes)


def stages(pages: list[bytes]) -> dict[str, float]:
    """CPU seconds of each stage of the real ``analyse_page`` (``_marked``: decode, parse, proxies, links, then each
    extractor in the crawl's order, so one that fills the page's shared memo is charged for it, and the result),
    summed over ``pages``, to say which one to look at."""
    out: dict[str, float] = {}
    running = ["", time.process_time()]

    def mark(stage: str) -> None:
        now = time.process_time()
        if running[0]:
            out[running[0]] = out.get(running[0], 0.0) + now - running[1]
        running[:] = [stage, now]

    with _marked(mark):
        for body in pages:
            analyse(body)
            mark("")
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def _marked(mark: Callable[[str], None]) -> contextlib.ExitStack:
    """``crawler.analysis``'s steps patched to name the stage that starts (decode, parse, proxies, links, each
    extractor, result), so the real ``analyse_page`` is measured, whichever version of it is installed."""
    names = dict(zip(load_extractors(installed().values()), installed()))
    stack = contextlib.ExitStack()

    def before(stage: str, fn: Callable[..., object], after: str = "") -> Callable[..., object]:
        def run(*args: object) -> object:
            mark(stage)
            out = fn(*args)
            if after:
                mark(after)
            return out
        return run

    def extractors(ctx: PageContext, loaded: list) -> dict:
        facts: dict = {}
        for extractor in loaded:
            mark(names[extractor])
            facts.update(run_extractors(ctx, [extractor]))
        mark("result")  # the links made tuples (on the code that frees them first: without the tree)
        return facts

    for name, fn in (("decode_html", before("decode", decode_html)),
                     ("parse_html", before("parse", parse_html, after="proxies")),
                     ("extract_links", before("links", extract_links)), ("run_extractors", extractors)):
        stack.enter_context(patch.object(analysis, name, fn))
    return stack


def _high_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Peaks:
    """Each named stage's highest RSS, MB above the RSS when this was made: a thread samples it every 2 ms, and a
    stage in C that holds the GIL (parsing, pickling), which the thread cannot sample, gets the process's
    high-water mark (``ru_maxrss``) if that rose meanwhile."""

    def __init__(self) -> None:
        self.stage = ""
        self.peak: dict[str, float] = {}
        self.high = _high_mb()
        self.done = threading.Event()
        self.base = _rss_mb()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def _sample(self) -> None:
        while not self.done.is_set():
            rss, now = _rss_mb(), self.stage
            self.peak[now] = max(self.peak.get(now, 0.0), rss)
            time.sleep(0.002)

    def mark(self, name: str) -> None:
        now = _high_mb()
        if now > self.high:
            self.peak[self.stage] = max(self.peak.get(self.stage, 0.0), now)
            self.high = now
        self.stage = name

    def above(self) -> dict[str, float]:
        self.mark("")
        self.done.set()
        self.sampler.join()
        return {k: round(v - self.base, 1) for k, v in self.peak.items() if k and v > self.base}


def _body_of(name: str) -> bytes:
    """A page of PAGES or HUGE, or a file (a page saved from a generated site: name ending in .html)."""
    return Path(name).read_bytes() if name.endswith(".html") else {**PAGES, **HUGE}[name]()


def memory_child(name: str, blob: str) -> dict[str, object]:
    """In this (fresh) process: each stage of ``analyse_page`` (``_marked``), then ``pickle``, the result pickled
    as the process pool sends it back to the engine (written to ``blob`` for ``engine_child``)."""
    body = _body_of(name)
    analyse(links(200))  # imports, the dictionary's automaton: not the page's
    peaks = _Peaks()
    with _marked(peaks.mark):
        result = analyse(body)
    peaks.mark("pickle")
    sent = ForkingPickler.dumps(result)
    above = peaks.above()
    Path(blob).write_bytes(sent)
    pickled = len(sent)
    del result, sent
    analyse(links(200))  # the next page: what the worker holds from here on, for the rest of the crawl
    kept = round(_rss_mb() - peaks.base, 1)
    return {"page": Path(name).name, "bytes": len(body), "stages": above, "pickled": pickled, "kept": kept,
            "bytes_per_byte": round(max(above.values()) * 2**20 / len(body), 1)}


def engine_child(blob: str) -> dict[str, object]:
    """In this (fresh) process, the engine's side of one page as crawler/spiders/site.py ``parse_page`` has it: the
    pickled result received, unpickled, and the set of (url, tag, anchor) that drops the repeats among its link
    tuples; the requests they become go to the scheduler's disk queue one at a time."""
    pickle.loads(ForkingPickler.dumps(analyse_page(SITE, links(200), "utf-8", False, AS_OF, SITE, EXTRACTORS)))
    peaks = _Peaks()
    peaks.mark("received")
    data = Path(blob).read_bytes()
    peaks.mark("unpickled")
    result = pickle.loads(data)
    peaks.mark("repeats set")
    done = {(url, tag, anchor) for url, tag, anchor, _ in result.links}
    above = peaks.above()
    return {"stages": above, "links": len(done)}


ENGINE_STAGES = ("received", "unpickled", "repeats set")


def memory(names: list[str]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        blob = str(Path(tmp) / "result.pickle")
        for n in names:
            row = json.loads(subprocess.run([sys.executable, __file__, "--memory-child", n, "--blob", blob], check=True,
                                            capture_output=True, text=True).stdout)
            row["engine"] = json.loads(subprocess.run([sys.executable, __file__, "--memory-engine", blob], check=True,
                                                      capture_output=True, text=True).stdout)["stages"]
            rows.append(row)
    cols = ["decode", "parse", "proxies", "links", *installed(), "result", "pickle"]  # – : too short to be sampled
    print("Analysis worker: MB above the RSS before the page, highest in each stage\n\n| page | bytes | "
          + " | ".join(cols) + " | pickled MB | kept after | peak, B per byte of HTML |\n|---|---:|" + "---:|" * (len(cols) + 3))
    for r in rows:
        print(f"| {r['page']} | {r['bytes']:,} | " + " | ".join(f"{r['stages'][c]:.0f}" if c in r["stages"] else "–" for c in cols)
              + f" | {r['pickled'] / 2**20:.1f} | {r['kept']:.0f} | {r['bytes_per_byte']} |")
    print("\nEngine (a fresh process): MB above its RSS before the result arrives, highest in each stage\n\n| page | "
          + " | ".join(ENGINE_STAGES) + " | peak, B per byte of HTML |\n|---|" + "---:|" * (len(ENGINE_STAGES) + 1))
    for r in rows:
        e = r["engine"]
        print(f"| {r['page']} | " + " | ".join(f"{e[c]:.0f}" if c in e else "–" for c in ENGINE_STAGES)
              + f" | {max(e.values(), default=0) * 2**20 / r['bytes']:.1f} |")


def best_stages(pages: list[bytes], repeat: int) -> dict[str, float]:
    """Each stage's best of ``repeat`` runs (``stages``): one run's figures move with the collector and the
    neighbours on a shared machine."""
    runs = [stages(pages) for _ in range(max(1, repeat))]
    return {name: min(run[name] for run in runs) for name in runs[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per page; the best is printed")
    ap.add_argument("--only", default="", help="comma list of page names (default: all)")
    ap.add_argument("--profile", default="", help="one page name: print cProfile's top functions for it")
    ap.add_argument("--stages", action="store_true", help="also print each stage's ms and ms per 1,000 anchors "
                                                          "(the best of --repeat runs of each)")
    ap.add_argument("--max-bytes", type=int, default=0,
                    help="analyse as a crawl with this params.crawl.analysis_max_bytes does (4194304 by default "
                         "there): a larger page is read streamed, without a tree (default 0: every page as a tree)")
    ap.add_argument("--memory", action="store_true", help="each stage's memory instead of its time (a process per page)")
    ap.add_argument("--memory-child", default="", help=argparse.SUPPRESS)
    ap.add_argument("--memory-engine", default="", help=argparse.SUPPRESS)
    ap.add_argument("--blob", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.blob)))
        return
    if args.memory_engine:
        print(json.dumps(engine_child(args.memory_engine)))
        return
    names = [n for n in args.only.split(",") if n]
    if args.memory:
        memory(names or list(PAGES))
        return
    names = names or [*PAGES, REAL]
    analyse(links(10))  # imports and extractor loading are not the first page's cost
    if args.profile:
        import cProfile
        import pstats
        body = PAGES[args.profile]()
        prof = cProfile.Profile()
        prof.runcall(analyse, body)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    print("| page | bytes | anchors | read as | seconds | ms per 1,000 anchors |\n|---|---:|---:|---|---:|---:|")
    per: dict[str, float] = {}
    anchors_of: dict[str, int] = {}
    for name in names:
        pages = bodies(name)
        best = float("inf")
        results: list[Any] = []
        for _ in range(args.repeat):
            t0 = time.process_time()
            results = [analyse(body, args.max_bytes) for body in pages]
            best = min(best, time.process_time() - t0)
        anchors = sum(1 for result in results for link in result.links if link[1] == "a")
        per[name] = best
        anchors_of[name] = anchors
        cost = f"{best * 1000 / (anchors / 1000):.2f}" if anchors >= 100 else "–"
        read = ", ".join(sorted({"streamed" if "not_analysed" in r.facts else "tree" for r in results}))
        size = f"{sum(map(len, pages)):,}"
        print(f"| {name} | {size} | {anchors:,} | {read} | {best:.3f} | {cost} |")
        if len(pages) > 1:
            print(f"| {name}: a page | {int(sum(map(len, pages)) / len(pages)):,} | {anchors // len(pages):,} | | "
                  f"{best / len(pages):.4f} | |")
    if args.stages:
        rows = {name: best_stages(bodies(name), args.repeat) for name in names}
        cols = list(next(iter(rows.values())))
        print("\nms per stage (ms per 1,000 anchors)\n\n| page | " + " | ".join(cols) + " |\n|---|" + "---:|" * len(cols))
        for name, row in rows.items():
            anchors = max(1, anchors_of[name])
            print(f"| {name} | " + " | ".join(f"{v * 1000:.1f} ({v * 1e6 / anchors:.1f})" if anchors >= 100
                                             else f"{v * 1000:.1f}" for v in row.values()) + " |")
    if "links-1k" in per and "links-50k" in per:
        print(f"\nlinks-50k / links-1k: {per['links-50k'] / per['links-1k']:.1f} (linear: 50)")
    single = {name: seconds for name, seconds in per.items() if name != REAL}
    if single:
        print(f"largest: {max(single, key=single.__getitem__)} {max(single.values()):.3f} s")


if __name__ == "__main__":
    main()
