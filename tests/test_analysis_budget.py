"""One page can never stall a scan (issue 16): analysis over ``params.crawl.analysis_budget_seconds`` is
abandoned, the page recorded as not analysed with the reason and its size, its links still crawled; a
worker that does not come back is killed and replaced, and the pages queued behind it are still analysed.

No timed assertion: the budgets are far below what the pages need (a 20,000-link page cannot be parsed in
a millisecond), and the stuck worker never comes back at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import AS_OF, run_cli
from govaudit.crawler.analysis import analyse_page, not_analysed
from govaudit.crawler.extract import PageContext, installed, load_extractors, reads_streamed
from govaudit.crawler.extract.content import extract as extract_content
from govaudit.crawler.extract.content import page_text
from govaudit.crawler.extract.core import Fanout, cheap_links, decode_html, extract_links, parse_html, stream
from govaudit.crawler.extract.core import extract as extract_core

from govaudit.store import Store

ANCHORS = 20_000


def _pages() -> list[Path]:
    root = Path(__file__).parent
    return sorted([*root.glob("fixtures/pages/**/*.html"), *root.glob("corpus/pages/*.html")])


def site_map() -> bytes:
    """A 网站地图 of 20,000 anchors over 20 pages, one link found nowhere else (/after.html), and in its footer a
    wrong form of the state's name and a leaked identity number (what content safety must find on it)."""
    items = "".join(f'<li><a href="/a{i % 20}.html">某某县关于第{i}项工作的通知</a></li>' for i in range(ANCHORS))
    return ('<html lang="zh-CN"><head><meta charset="utf-8"><title>网站地图</title></head><body>'
            f'<ul>{items}</ul><a href="/after.html">只在网站地图上的页面</a>'
            '<div class="footer"><p>中华人民共合国某某县人民政府 主办</p><p>联系人身份证号 11010519491231002X</p></div>'
            '<script>var hidden = "110105194912310118";</script></body></html>').encode()


def small(title: str, links: str = "") -> bytes:
    return f'<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head><body>{links}</body></html>'.encode()


def test_a_page_over_the_budget_keeps_its_links_and_says_why():
    body = site_map()
    out = analyse_page("http://x.gov.test/map.html", body, "utf-8", False, AS_OF, "http://x.gov.test/",
                       tuple(installed().values()), budget=0.001)
    assert out.facts["not_analysed"] == {"reason": "analysis_budget", "size": len(body), "budget_seconds": 0.001,
                                         "links": len(out.links), "facts_read": []}
    assert "list_items" not in out.facts and out.charset == "utf-8"
    urls = {url for url, tag, _, _ in out.links if tag == "a"}
    assert "http://x.gov.test/after.html" in urls and "http://x.gov.test/a19.html" in urls
    full = analyse_page("http://x.gov.test/map.html", body, "utf-8", False, AS_OF, "http://x.gov.test/",
                        tuple(installed().values()))
    assert "not_analysed" not in full.facts and full.facts["list_items"]
    assert {url for url, tag, _, _ in full.links if tag == "a"} == urls  # the cheap pass finds the same pages


CONTENT_FACTS = ["private_data", "private_data_counts", "serious_terms"]
STREAMED_FACTS = sorted([*CONTENT_FACTS, "lang", "meta", "title"])  # content's and core's streamed readers


def test_a_page_over_the_size_limit_is_not_parsed_but_keeps_its_links_and_its_content_safety():
    body = site_map()
    out = analyse_page("http://x.gov.test/map.html", body, "utf-8", False, AS_OF, "http://x.gov.test/",
                       tuple(installed().values()), max_bytes=len(body) - 1)
    assert out.facts["not_analysed"] == {"reason": "analysis_size", "size": len(body), "budget_seconds": 0.0,
                                         "max_bytes": len(body) - 1, "links": len(out.links),
                                         "facts_read": STREAMED_FACTS}
    assert "list_items" not in out.facts and "identity" not in out.facts  # no tree: nothing else is read
    full = analyse_page("http://x.gov.test/map.html", body, "utf-8", False, AS_OF, "http://x.gov.test/",
                        tuple(installed().values()), max_bytes=len(body))
    assert "not_analysed" not in full.facts
    assert out.links == full.links  # the streamed pass reads the same links, anchors included
    # ... and the same text: the wrong term and the ID number (not the one in the script) found as on the tree,
    # and the same title, language and metas
    assert {k: out.facts[k] for k in STREAMED_FACTS} == {k: full.facts[k] for k in STREAMED_FACTS}
    assert out.facts["title"] == "网站地图" and out.facts["lang"] == "zh-CN"
    assert [t["term"] for t in out.facts["serious_terms"]] == ["中华人民共合国"]
    assert out.facts["private_data_counts"] == {"id_number": 1}


class BrokenInParse:
    def start(self, tag, attrib):
        if tag == "li":
            raise ValueError("a reader that breaks on this page")

    def facts(self):
        raise AssertionError("not asked: it failed in the parse")


class BrokenInFacts:
    def facts(self):
        raise ValueError("a reader that breaks on this page")


@pytest.mark.parametrize("reader", [BrokenInParse, BrokenInFacts])
def test_a_streamed_reader_that_fails_loses_only_its_own_facts(reader):
    @reads_streamed(reader)
    def extractor(ctx):  # never called: the page is too large for a tree
        raise AssertionError

    body = site_map()
    out = analyse_page("http://x.gov.test/map.html", body, "utf-8", False, AS_OF, "http://x.gov.test/",
                       (*installed().values(),), max_bytes=1)
    streamed = not_analysed("http://x.gov.test/map.html", body, "utf-8", "analysis_size", 0.0,
                            streamed=[extractor, *load_extractors(installed().values())], max_bytes=1)
    assert streamed.facts["extractor_errors"] == {f"{__name__}.extractor": "ValueError('a reader that breaks on this page')"}
    assert streamed.facts["not_analysed"]["facts_read"] == STREAMED_FACTS  # what was read, not what failed
    assert {k: streamed.facts[k] for k in CONTENT_FACTS} == {k: out.facts[k] for k in CONTENT_FACTS}
    assert streamed.links == out.links


HOSTILE_TEXT = {  # what a page too large for a tree may also be: the streamed text must still be the tree's
    "no body": "<html><head><title>只有标题</title><script>var a='x';</script></head></html>",
    "frameset": "<html><head><title>框架</title></head><frameset><frame src='a.html'><noframes>请用支持框架的浏览器"
                "</noframes></frameset></html>",
    "after </html>": "<html><body><p>正文</p></body></html><div>页脚 网站标识码1234</div>",
    "comments and hidden": "<html><body>甲<!--注释-->乙<script>隐<!--x-->藏</script>丙<noscript><p>不见</p>尾也不见"
                           "</noscript>见<p>块</p>尾<?php echo 1; ?>后</body></html>",
    "spaces": "<html><body><p>&nbsp;</p><p>\u3000</p><span> a  b </span><br>c&amp;d</body></html>",
    "text alone": "纯文本，没有标签", "empty": "", "blank": "   \n ",
    "xml declaration": '<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>',
    "past the nesting limit": "<html><body>" + "<div>" * 3000 + "深处文字" + "</div>" * 3000 + "<p>之后</p></body></html>",
    "two bodies": "<html><head><title>t</title></head><body><p>a</p></body><body><p>b</p></body></html>",
    "text in the head": "<html><head><title>t</title>游离文字<meta name=a content=b></head><body>正文</body></html>",
    "head shapes": '<html xml:lang="zh-CN"><head><meta property="og:title" content=" x "><meta http-equiv="refresh" '
                   'content="0"><title>a <!--c--> b</title><title>second</title></head></html>',
    "metas in the body": '<html><body><meta name="a" content="1"><svg><title>svg title</title></svg>'
                         '<meta name="a" content="2"></body></html>',
}


@pytest.mark.parametrize("text", [*_pages(), *HOSTILE_TEXT], ids=lambda p: getattr(p, "name", p))
def test_what_is_streamed_is_what_the_tree_gives(text):
    """The streamed readers, fed by one parse as the analysis feeds them (``core.Fanout``), against the tree: content's
    text against ``page_text`` of the parsed tree, and core's title, language and metas against its facts from the
    tree, on every fixture and real page and on the hostile shapes above: content safety and the page's title read
    the same whether or not a page was too large for a tree."""
    text = decode_html(text.read_bytes())[0] if isinstance(text, Path) else HOSTILE_TEXT[text]
    tree = parse_html(text)
    fan = stream(text, lambda: Fanout([extract_core.streamed, extract_content.streamed]))  # type: ignore[attr-defined]
    assert not fan.failed
    head, body = fan.targets
    assert body.text() == page_text(tree)
    # core's title, language and metas the same way (svg's <title>, xml:lang, metas in the body among the shapes)
    core = extract_core(PageContext(url="http://x.gov.test/", tree=tree))
    assert head.facts() == {k: core[k] for k in ("title", "lang", "meta")}


@pytest.mark.parametrize("path", _pages(), ids=lambda p: p.name)
def test_the_streamed_pass_reads_the_links_the_full_pass_reads(path):
    """``cheap_links`` against the tree's links on every fixture and real page: the same, in the same order (hidden
    ones from comments and script data aside), markup after ``</html>`` included."""
    text, _ = decode_html(path.read_bytes())
    url = "http://127.0.0.1:9/col/index.html"
    full = [l for l in extract_links(parse_html(text), url) if not l.hidden and l.tag != "meta-refresh"]
    assert cheap_links(text, url) == full


def test_the_streamed_pass_goes_past_libxml2s_nesting_limit():
    text = "<html><body>" + "<div>" * 5000 + '<a href="/deep.html">最深处</a>' + "</div>" * 5000 + "</body></html>"
    assert [(l.url, l.anchor) for l in cheap_links(text, "http://x.gov.test/")] == [("http://x.gov.test/deep.html", "最深处")]


class Site(BaseHTTPRequestHandler):
    pages = {"/": small("某县人民政府", '<a href="/map.html">网站地图</a>'), "/map.html": site_map(),
             "/after.html": small("网站地图之后"), **{f"/a{i}.html": small(f"文章{i}") for i in range(20)}}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        body = self.pages.get(self.path.split("?")[0])
        self.send_response(200 if body else 404)
        body = body or b"not found"
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET


@pytest.mark.parametrize("param, value, reason", [("analysis_budget_seconds", "0.001", "analysis_budget"),
                                                   ("analysis_max_bytes", "100000", "analysis_size")])
def test_a_scan_goes_past_a_page_it_does_not_analyse(tmp_path, param, value, reason):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    rules = tmp_path / "tiny-limit.yaml"
    rules.write_text("id: tiny-limit\nversion: '1'\ninherits: gov-2019\ntitle: {zh: 测试, en: test}\n"
                     f"params:\n  crawl:\n    {param}: {value}\n", encoding="utf-8")
    out = tmp_path / "out"
    try:
        run_cli("scan", base + "/", "--out", str(out), "--rules", str(rules), "--a11y", "off", "--ignore-robots",
                "--as-of", AS_OF.isoformat())
    finally:
        srv.shutdown()
    with Store(out / "govaudit.sqlite") as store:
        scan = store.latest_scan()
        view = store.view(scan)
        page = view.get(base + "/map.html")
        assert page is not None and page.facts is not None
        assert page.facts["not_analysed"]["reason"] == reason
        assert page.facts["not_analysed"]["size"] == len(Site.pages["/map.html"]) == page.size
        after = view.get(base + "/after.html")  # linked from nowhere but the abandoned page
        assert after is not None and after.state == "done" and after.status == 200
        stats = store.scan(scan).stats
        assert stats["skipped"][reason if reason == "analysis_size" else "not_analysed"] >= 1
    # too large for a tree, the page's text is still checked, and the leaked number reaches the findings
    findings = [json.loads(line) for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    leaks = [f for f in findings if f["rule"] == "content.private_data" and f["url"] == base + "/map.html"]
    assert len(leaks) == (1 if reason == "analysis_size" else 0)
    # ... and the report names the page it did not fully analyse, under the coverage code the scan counted
    # (with a 1 ms budget small pages run over it too)
    (unread,) = [f for f in findings if f["rule"] == "links.not_analysed"]
    code = reason if reason == "analysis_size" else "not_analysed"
    assert unread["evidence"]["reason"] == code and base + "/map.html" in unread["evidence"]["examples"]
    assert unread["evidence"]["count"] == stats["skipped"][code] and unread["severity"] == "info"


STUCK_EXTRACTOR = '''
import signal, time

def stuck(ctx):
    """Stuck where no signal reaches it (as C code is): the budget's SIGPROF blocked, then a sleep that never ends."""
    if "STUCK" in ctx.tree.text_content():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
        time.sleep(3600)
    return {}
'''

DRIVER = '''
import json
from twisted.internet import defer, reactor
from govaudit.crawler.analysis import PageAnalyser

def page(body):
    return ("<html><head><title>页面</title></head><body>" + body + "</body></html>").encode()

@defer.inlineCallbacks
def main():
    stuck = analyser.analyse("http://x.test/s.html", page('<a href="/next.html">下一条信息</a> STUCK'), "utf-8",
                             False, None, "http://x.test/")
    queued = analyser.analyse("http://x.test/ok.html", page('<a href="/x.html">正常页面</a>'), "utf-8", False, None,
                              "http://x.test/")
    first = list(analyser.pool._processes.values())  # started by the first submit
    a = yield stuck
    b = yield queued
    print(json.dumps({"stuck": a.facts, "stuck_links": a.links, "queued": b.facts, "replaced": analyser.replaced,
                      "first_alive": [p.is_alive() for p in first]}))
    analyser.close()
    reactor.stop()

if __name__ == "__main__":  # the pool's forkserver imports this module again in the worker
    analyser = PageAnalyser(["stuckext.stuck", "govaudit.crawler.extract.core.extract"], workers=1, budget=2)
    reactor.callWhenRunning(main)
    reactor.run()
'''


def test_a_worker_that_does_not_come_back_is_replaced(tmp_path):
    (tmp_path / "stuckext.py").write_text(STUCK_EXTRACTOR, encoding="utf-8")
    (tmp_path / "driver.py").write_text(textwrap.dedent(DRIVER), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(tmp_path / "driver.py")], capture_output=True, text=True, timeout=120,
                          env=env, cwd=Path(__file__).parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["stuck"]["not_analysed"]["reason"] == "worker_lost"
    assert ["http://x.test/next.html", "a", "下一条信息", False] in got["stuck_links"]
    assert got["queued"]["title"] == "页面" and "not_analysed" not in got["queued"]  # resubmitted to the new worker
    assert got["replaced"] == 1 and got["first_alive"] == [False]


def test_the_budget_and_the_size_limit_are_rule_set_values_checked_at_load(tmp_path):
    from govaudit.ruleset import RuleSetError, load_ruleset

    gov = load_ruleset("gov-2019")
    assert gov.param("crawl.analysis_budget_seconds") == 10
    # 4 MiB: a larger page the crawl takes is read streamed (links, text, title), not built into a tree
    assert gov.param("crawl.analysis_max_bytes") == 4 * 1024 * 1024 < gov.param("crawl.max_response_bytes")
    for key, bad in (("analysis_budget_seconds", "-1"), ("analysis_budget_seconds", "'10s'"),
                     ("analysis_max_bytes", "'2MB'"), ("analysis_max_bytes", "-1"), ("analysis_max_bytes", "1.5")):
        path = tmp_path / "bad.yaml"
        path.write_text(f"id: bad\nversion: '1'\ninherits: gov-2019\ntitle: {{zh: 测试, en: test}}\n"
                        f"params:\n  crawl:\n    {key}: {bad}\n", encoding="utf-8")
        with pytest.raises(RuleSetError, match=key):
            load_ruleset(str(path))


def test_govaudit_page_shows_a_page_as_the_crawl_records_it(tmp_path):
    """``govaudit page`` runs the crawl's own analysis, limits included: a page over the rule set's size limit is
    shown not analysed, with what was read of it, as the scan stored it; under the limit, every fact."""
    saved = tmp_path / "map.html"
    saved.write_bytes(site_map())
    rules = tmp_path / "tiny-limit.yaml"
    rules.write_text("id: tiny-limit\nversion: '1'\ninherits: gov-2019\ntitle: {zh: 测试, en: test}\n"
                     "params:\n  crawl:\n    analysis_max_bytes: 100000\n", encoding="utf-8")
    args = ("page", str(saved), "--url", "http://x.gov.test/map.html", "--as-of", AS_OF.isoformat())
    limited = json.loads(run_cli(*args, "--rules", str(rules)).stdout)
    assert limited["not_analysed"]["reason"] == "analysis_size" and limited["not_analysed"]["facts_read"] == STREAMED_FACTS
    assert limited["title"] == "网站地图" and limited["private_data_counts"] == {"id_number": 1}
    assert "list_items" not in limited
    full = json.loads(run_cli(*args).stdout)
    assert "not_analysed" not in full and full["list_items"] and full["title"] == "网站地图"
