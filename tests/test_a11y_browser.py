"""Browser audits with real headless Chromium and axe-core against pages served on 127.0.0.1.

Bad pages (never finishes loading, navigates away mid-audit, redirect loop, browser killed, endless script)
must each end as ``not_audited`` with a reason while the other pages are audited.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from govaudit.checks.accessibility import run as run_checks
from govaudit.crawler.browser import AxeNotInstalled, audit_scan, axe_path
from govaudit.crawler.browser.pool import Limits
from govaudit.crawler.extract import PageContext
from govaudit.crawler.extract.a11y_static import extract
from lxml import html as lxml_html

from govaudit.model import UrlRecord, url_key
from govaudit.ruleset import load_ruleset
from govaudit.store import Store, StoreWriter

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="Debian chromium + chromium-driver are not installed")

STALL = threading.Event()  # set at teardown: releases the handler of the never-loading image

HOME = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>某市人民政府门户网站</title>
<style>body{font-size:12px;line-height:1.0} #float{position:fixed;right:0;bottom:0;width:300px;height:250px}</style></head>
<body><div id="top"><a href="/care/">关怀版</a> <a href="/list1/">政务动态</a> <a href="/list2/">通知公告</a></div>
<h1>某市人民政府</h1><img src="/logo.png"><p>政府信息公开 政务服务 互动交流 走进本市 政府信息公开目录 依申请公开</p>
<p>关于做好年度政府网站检查工作的通知 关于印发实施方案的通知 市政府常务会议研究部署相关工作</p>
<div id="float"><img src="/ad.png" alt="广告" width="300" height="250"></div></body></html>"""

CARE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>关怀版</title>
<style>body{font-size:20px;line-height:1.8}</style></head><body><main><h1>关怀版</h1>
<p>大字号、高对比度的适老化页面，没有广告和弹窗。</p></main></body></html>"""

LIST = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{name}</title></head>
<body><div class="nav"><a href="/">首页</a></div><main><h1>{name}</h1><ul class="list">
<li><a href="/art/1">文章一</a></li><li><a href="/art/2">文章二</a></li></ul>
<form><input type="text" name="q"><button type="submit"></button></form><div id="box"></div><div id="box"></div>
</main></body></html>"""

ARTICLE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>文章{n}</title></head>
<body><div class="nav"><a href="/">首页</a></div><main><h1>文章{n}</h1>
<p style="color:#bbb;background:#fff">浅灰色正文，对比度不足。</p><img src="/p{n}.png"></main></body></html>"""

PAGES = {
    "/": HOME,
    "/care/": CARE,
    "/list1/": LIST.format(name="政务动态"),
    "/list2/": LIST.format(name="通知公告"),
    "/xss": """<html lang="zh-CN"><head><title><script>alert("title")</script></title></head>
<body><main><h1>x</h1><img src="/a.png" onerror="alert(1)"></main></body></html>""",
    "/alert": """<html lang="zh-CN"><head><title>alert</title><script>alert("弹窗"); confirm("确定?");</script></head>
<body><main><h1>对话框</h1><img src="/a.png"></main></body></html>""",
    "/slow": """<html lang="zh-CN"><head><title>slow</title></head><body><h1>slow</h1><img src="/stall"></body></html>""",
    "/away": """<html lang="zh-CN"><head><title>away</title></head><body><h1>away</h1>
<script>setInterval(function () { if (window.axe) { location.href = '/art/1'; } }, 2);</script></body></html>""",
    "/spin": """<html lang="zh-CN"><head><title>spin</title></head><body><h1>spin</h1>
<script>Object.defineProperty(window, "__govauditCut", {set: function () { while (true) {} }});</script></body></html>""",
    "/after-kill": ARTICLE.format(n=9),
    "/huge": """<html lang="zh-CN"><head><title>huge</title></head><body><h1>huge</h1><script>
var b = document.body, html = [];
for (var i = 0; i < 60000; i++) html.push('<div><a href="#"><img></a><span style="color:#ccc">文字</span></div>');
b.insertAdjacentHTML('beforeend', html.join(''));
</script></body></html>""",
}
for i in range(1, 7):
    PAGES[f"/art/{i}"] = ARTICLE.format(n=i)

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        path = self.path.split("?")[0]
        if path == "/stall":
            STALL.wait(60)
            return self._send(404, b"", "text/plain")
        if path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/killme":
            _kill_browsers()
            STALL.wait(5)
            return self._send(200, b"<html><title>k</title><body>k</body></html>", "text/html")
        if path.endswith(".png"):
            return self._send(404, b"", "text/plain")
        page = PAGES.get(path)
        if page is None:
            return self._send(404, b"not found", "text/plain")
        return self._send(200, page.encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

def _kill_browsers() -> None:
    """Kill the main Chromium process of every browser this test process started (a crash mid-audit)."""
    for proc in psutil.Process(os.getpid()).children(recursive=True):
        try:
            cmd = proc.cmdline()
        except psutil.Error:
            continue
        if cmd and "chromium" in cmd[0] and not any(a.startswith("--type=") for a in cmd):
            try:
                proc.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass

@pytest.fixture(scope="module")
def server():
    STALL.clear()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    STALL.set()
    srv.shutdown()
    srv.server_close()

KINDS = {"/": "home", "/list1/": "list", "/list2/": "list", "/care/": "other"}
COLUMNS = {"/list1/": "政务动态", "/list2/": "通知公告"}

def make_store(tmp_path: Path, base: str, paths: list[str]) -> tuple[Store, int]:
    """A real store whose pages carry the facts the crawl would have extracted."""
    store = Store(tmp_path / "scan.sqlite")
    scan = store.begin_scan(base + "/", base + "/", "2026-01-15", {}, "test")
    writer = StoreWriter(store, scan)
    for depth, path in enumerate(paths):
        url = base + path
        source = PAGES.get(path, "<html><head><title>x</title></head><body><h1>x</h1></body></html>")
        facts = extract(PageContext(url=url, tree=lxml_html.fromstring(source), is_home=path == "/"))
        facts["kind"] = KINDS.get(path, "article")
        if path in COLUMNS:
            facts["column"] = {"name": COLUMNS[path]}
        writer.add_url(url_key(url), url, "page", min(depth, 3))
        writer.record(UrlRecord(url=url, kind="page", depth=min(depth, 3), state="done", status=200, facts=facts))
    writer.flush()
    return store, scan

def test_audit_all_pages_with_bad_ones(server, tmp_path):
    paths = ["/", "/list1/", "/list2/", "/art/1", "/art/2", "/xss", "/alert", "/slow", "/away", "/loop"]
    store, scan = make_store(tmp_path, server, paths)
    shots = tmp_path / "shots"
    # a short page-load limit for the never-loading page; axe itself has all the time it needs
    cov = audit_scan(store, scan, mode="all", browsers=2, limits=Limits(page_load=4, script=60, watchdog=30),
                     shots_dir=shots)
    axe = dict(store.artifacts(scan, "axe"))
    assert set(axe) == {server + p for p in paths}
    status = {url[len(server):]: body.get("status") for url, body in axe.items()}
    reasons = {url[len(server):]: body.get("reason") for url, body in axe.items()}
    assert reasons["/slow"] == "page_load_timeout"
    assert reasons["/away"] == "navigated_away"
    assert reasons["/loop"] == "load_error" and "REDIRECT" in axe[server + "/loop"]["detail"].upper()
    for good in ("/", "/list1/", "/list2/", "/art/1", "/art/2", "/xss", "/alert"):
        assert status[good] == "audited", (good, axe[server + good])
    assert cov["audited"] == 7 and cov["not_audited"] == {"page_load_timeout": 1, "navigated_away": 1, "load_error": 1}

    # the alert page was audited: its dialogs were counted, not left to block the browser
    assert axe[server + "/alert"]["dialogs"] == 2
    # a current axe-core with elements, selectors, impact and WCAG tags
    art = axe[server + "/art/1"]
    assert tuple(int(x) for x in art["axe_version"].split(".")[:2]) >= (4, 9)
    by_id = {v["id"]: v for v in art["violations"]}
    assert {"image-alt", "color-contrast"} <= set(by_id)
    node = by_id["color-contrast"]["nodes"][0]
    assert node["target"] and "浅灰色" in node["html"] and node["failureSummary"]
    assert "wcag143" in by_id["color-contrast"]["tags"] and by_id["color-contrast"]["impact"] == "serious"
    # a cropped screenshot of the first failing element, a real PNG smaller than the window
    shot = Path(by_id["color-contrast"]["screenshot"])
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert 0 < height < 200 and 0 < width
    # the script in the title is data, never executed into our artifacts
    assert "audited" == axe[server + "/xss"]["status"]
    # list page: search box without label and empty submit button
    listed = {v["id"] for v in axe[server + "/list1/"]["violations"]}
    assert {"label", "button-name", "duplicate-id"} <= listed  # duplicate-id: enabled by the rule set

    # elderly probe on the homepage and the 关怀版 page it links to
    elder = dict(store.artifacts(scan, "elder"))
    home = elder[server + "/"]
    assert home["status"] == "probed" and home["entry"]["text"] == "关怀版"
    assert any(layer["media"] and layer["position"] == "fixed" for layer in home["probe"]["layers"])
    care = elder[server + "/care/"]
    assert care["role"] == "elder_mode" and care["probe"]["layers"] == []

    findings = list(run_checks(store.view(scan), load_ruleset()))
    rules = {(f.rule, f.url[len(server):]) for f in findings}
    assert ("a11y.not_audited", "/slow") in rules and ("a11y.not_audited", "/away") in rules
    assert ("elder.font_size", "/") in rules and ("elder.spacing", "/") in rules and ("elder.no_ads", "/") in rules
    assert ("elder.font_size", "/care/") not in rules and ("elder.no_ads", "/care/") not in rules
    assert ("elder.entry", "/") not in rules
    contrast = next(f for f in findings if f.rule == "a11y.color-contrast" and f.url == server + "/art/1")
    assert contrast.evidence["wcag"] == ["1.4.3"] and contrast.evidence["gbt_level"] == "二级"
    assert contrast.evidence["screenshot"] == str(shot)
    # static and axe both saw the missing alt on /art/1: one finding, both sources
    alts = [f for f in findings if f.rule == "a11y.image-alt" and f.url == server + "/art/1"]
    assert len(alts) == 1 and alts[0].evidence["sources"] == ["axe", "static"]
    assert alts[0].evidence["gbt_level"] == "一级" and alts[0].evidence["wcag"] == ["1.1.1"]

def test_browser_killed_hung_or_swamped_mid_audit_is_restarted(server, tmp_path):
    paths = ["/", "/killme", "/after-kill", "/spin", "/huge", "/art/2"]
    store, scan = make_store(tmp_path, server, paths)
    # Each limit for what it bounds: pages load at leisure (the huge one took 11 s on a loaded 2-core machine),
    # axe gets 3 s (the huge page needs far more), and a browser silent 5 s past ChromeDriver's own limit is
    # hung. /spin loads, then spins inside the audit's first script (it traps the mark metrics.MARK_JS sets): a
    # timer started by the page raced the load event, and when it won, ChromeDriver's page-load limit answered
    # first (page_load_timeout, correct but not this test's case). Blocked inside a script, only the watchdog ends it.
    cov = audit_scan(store, scan, mode="all", browsers=1, limits=Limits(page_load=30, script=3, watchdog=5))
    axe = dict(store.artifacts(scan, "axe"))
    assert axe[server + "/killme"]["status"] == "not_audited"
    assert axe[server + "/killme"]["reason"] == "browser_crashed", axe[server + "/killme"]
    assert axe[server + "/spin"]["status"] == "not_audited"
    assert axe[server + "/spin"]["reason"] == "browser_hung", axe[server + "/spin"]
    # 60,000 failing elements: axe is cut off by the script time-out, never waited for
    assert axe[server + "/huge"]["status"] == "not_audited"
    assert axe[server + "/huge"]["reason"] == "axe_timeout", axe[server + "/huge"]
    for good in ("/", "/after-kill", "/art/2"):
        assert axe[server + good]["status"] == "audited", axe[server + good]
    assert cov["audited"] == 3
    # no browser is left behind
    left = [p for p in psutil.Process(os.getpid()).children(recursive=True) if "chrom" in p.name()]
    assert not left, left

def test_sampling_audits_groups_and_records_coverage(server, tmp_path):
    arts = [f"/art/{i}" for i in range(1, 7)]
    store, scan = make_store(tmp_path, server, ["/", "/list1/", "/list2/", *arts])
    rules = load_ruleset()
    per = rules.param("a11y.sampling.per_template")
    cov = audit_scan(store, scan, mode="sample", browsers=2)  # the rule set's limits
    groups = dict(store.artifacts(scan, "a11y_sampling"))["groups"]
    axe = dict(store.artifacts(scan, "axe"))
    audited_arts = [u for u in axe if "/art/" in u]
    assert len(audited_arts) == per < len(arts)
    assert server + "/" in axe and server + "/list1/" in axe and server + "/list2/" in axe
    assert sum(groups["stands_for"].values()) == 9 == cov["represented"]
    assert all(groups["stands_for"][u] == len(arts) // per for u in audited_arts)
    findings = list(run_checks(store.view(scan), rules))
    cover = next(f for f in findings if f.rule == "a11y.coverage")
    assert cover.evidence["audited"] == len(axe) and cover.evidence["represented"] == 9
    # a page outside the sample keeps its static findings, standing for itself
    skipped = next(server + a for a in arts if server + a not in axe)
    static = [f for f in findings if f.url == skipped]
    assert {f.rule for f in static} == {"a11y.image-alt"} and static[0].evidence["sources"] == ["static"]
    assert audit_scan(store, scan, mode="off")["audited"] == 0


def test_missing_axe_names_the_path_and_the_fix(monkeypatch, tmp_path):
    missing = tmp_path / "nope" / "axe.min.js"
    monkeypatch.setenv("GOVAUDIT_AXE_JS", str(missing))
    with pytest.raises(AxeNotInstalled, match="Reinstall govaudit") as raised:
        axe_path()
    assert str(missing) in str(raised.value)
