"""The crawl engine and link verdicts, end to end against sites served on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import AS_OF, read_findings, run_cli

from govaudit.store import Store


def by_rule(findings: list[dict], rule: str) -> dict[str, dict]:
    return {f["url"]: f for f in findings if f["rule"] == rule}


# -- the demo site: every planted dead link found, with the pages that carry it ---------------------------

def test_every_planted_dead_link_is_found_with_its_sources(demo_site, demo_scan):
    server, manifest = demo_site
    out, findings = demo_scan
    dead = by_rule(findings, "links.dead")
    planted = manifest.planted["dead"]
    assert planted, "the demo site must plant dead links"
    for entry in planted:
        target = entry["target"] if "://" in entry["target"] else server.base_url + entry["target"]
        assert target in dead, f"planted dead link {target} not reported"
        finding = dead[target]
        sources = {s["url"] for s in finding["sources"]}
        for page in entry["sources"]:
            assert server.base_url + page in sources or page in sources, f"{target}: source {page} missing"
        assert finding["source_count"] >= len(entry["sources"])
        anchors = {s["anchor"] for s in finding["sources"]}
        for anchor in entry.get("anchors", []):
            if anchor:
                assert anchor in anchors, f"{target}: anchor {anchor!r} not recorded"


def test_homepage_dead_links_are_flagged_apart(demo_site, demo_scan):
    server, manifest = demo_site
    _, findings = demo_scan
    dead = by_rule(findings, "links.dead")
    home = manifest.home if manifest.home.startswith("/") else "/" + manifest.home
    on_home = [e for e in manifest.planted["dead"] if any(s in ("/", home) for s in e["sources"])]
    assert on_home, "the demo site plants a dead link on the homepage"
    for entry in on_home:
        target = entry["target"] if "://" in entry["target"] else server.base_url + entry["target"]
        assert dead[target]["on_homepage"] is True
    assert any(not f["on_homepage"] for f in dead.values())


def assert_requests_are_recorded_attempts(out: Path, hits: dict[str, int]) -> None:
    """Every request the scan sent is one of the attempts it recorded (a redirect's hops count for its source).
    Counting requests alone would be load-dependent: a time-out under load is legitimately re-tested, and the
    re-test is in the attempt history."""

    def target(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    expected: Counter[str] = Counter()
    with Store(out / "govaudit.sqlite") as store:
        for rec in store.view(store.latest_scan()).urls():
            tries = max(1, len(rec.attempts))
            for url in dict.fromkeys([rec.url, *rec.redirects, *([rec.final_url] if rec.final_url else [])]):
                expected[target(url)] += tries
    checked = 0
    for path, n in hits.items():
        if path not in expected or path.startswith(("/__", "/robots.txt", "/govaudit-not-found-probe")):
            continue  # /__: fault endpoints (a redirect loop is followed until the loop is seen)
        assert n <= expected[path], (path, n, expected[path])
        checked += 1
    assert checked > 100 and sum(1 for path, n in hits.items() if expected.get(path) == 1 and n == 1) > 100


def test_each_url_is_requested_once_however_many_pages_carry_it(demo_scan):
    """Nothing is fetched twice because two pages carry it."""
    out, _ = demo_scan
    assert_requests_are_recorded_attempts(out, json.loads((out.parent / f"{out.name}-server-hits.json").read_text(encoding="utf-8")))


def test_a_link_checked_by_get_never_makes_the_connection_pool_send_a_request_twice(tmp_path):
    """A server that refuses HEAD (405, common on government front ends) has every image checked by a GET
    stopped after its headers (images, unlike the PDFs whose text is read, are never downloaded).  Stopping a small response that has already arrived closed a connection the pool
    had taken back, and the next request sent on it was re-sent unseen: the server got it twice, the scan
    recorded it once (about 1 in 250 such pairs).  Those GETs now ask the server to close the connection."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: Counter[str] = Counter()
    lock = threading.Lock()
    pages = 300

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as every real server

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:  # noqa: N802
            with lock:
                hits[self.path] += 1
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            with lock:
                hits[self.path] += 1
            name = self.path.strip("/")
            if name in ("", "index.html"):
                body = "".join(f'<a href="/p{i}.html">第{i}篇</a>' for i in range(pages))
            elif name.startswith("p"):
                body = f'<a href="/f{name[1:-5]}a.jpg">图片一</a><a href="/f{name[1:-5]}b.jpg">图片二</a>'
            else:
                body = "JFIF 图片" * 20
            data = f"<html><head><title>{name}</title></head><body>{body}</body></html>".encode()
            self.send_response(200 if name != "robots.txt" and "not-found" not in name else 404)
            self.send_header("Content-Type", "image/jpeg" if name.endswith(".jpg") else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = tmp_path / "out"
        run_cli("scan", f"http://127.0.0.1:{server.server_address[1]}/", "--out", str(out), "--a11y", "off",
                "--as-of", AS_OF.isoformat())
    finally:
        server.shutdown()
        server.server_close()
    assert sum(n for path, n in hits.items() if path.endswith(".jpg")) >= 2 * 2 * pages  # HEAD, then GET
    assert_requests_are_recorded_attempts(out, dict(hits))


def test_suspect_links_are_retested_and_keep_their_history(demo_scan):
    _, findings = demo_scan
    suspect = by_rule(findings, "links.suspect")
    refused = [f for f in suspect.values() if f["error"] == "refused"]
    assert refused, "the off-site link to a closed loopback port must be reported as suspect"
    for f in refused:
        assert f["scope"] == "external"
        assert len(f["attempts"]) >= 3 and all(a["error"] == "refused" for a in f["attempts"])
        times = [a["at"] for a in f["attempts"]]
        assert times == sorted(times) and times[-1] - times[0] >= 5  # re-tests are spaced out


def test_wrong_links_redirect_loop_and_soft_404(demo_site, demo_scan):
    server, manifest = demo_site
    _, findings = demo_scan
    loops = by_rule(findings, "links.redirect_loop")
    soft = by_rule(findings, "links.soft404")
    for entry in manifest.planted.get("redirect_loop", []):
        assert server.base_url + entry["target"] in loops
    assert manifest.planted.get("soft404")
    for entry in manifest.planted["soft404"]:
        assert server.base_url + entry["target"] in soft


def test_robots_txt_is_obeyed_and_reported_as_coverage(demo_site, demo_scan):
    server, manifest = demo_site
    _, findings = demo_scan
    disallowed = [line.split(":", 1)[1].strip() for line in manifest.robots.splitlines()
                  if line.lower().startswith("disallow:") and line.split(":", 1)[1].strip()]
    assert disallowed
    for prefix in disallowed:
        assert not any(path.startswith(prefix) for path in server.hits), f"{prefix} fetched despite robots.txt"
    reasons = {f["evidence"]["reason"] for f in findings if f["rule"] == "links.not_checked"}
    assert "robots" in reasons


def test_output_contract(demo_scan):
    out, findings = demo_scan
    for name in ("findings.jsonl", "summary.json", "report.html", "report.xlsx"):
        assert (out / name).stat().st_size > 0, name
    for f in findings:
        assert {"rule", "severity", "site", "url", "message", "evidence"} <= f.keys()
        assert f["severity"] in ("veto", "deduct", "warn", "info")
        if f["rule"].startswith("links.") and f["rule"] != "links.not_checked":
            assert {"sources", "source_count"} <= f.keys()


# -- bad input: hostile servers and pages --------------------------------------------------------------

HOSTILE_LINKS = {
    "/__gzip-bomb": "gzip bomb", "/__huge": "huge page", "/__binary": "binary as html", "/__reset": "reset",
    "/__close-early": "close early", "/__stall": "stall", "/__gbk-mislabelled": "GBK labelled UTF-8",
    "/__calendar?y=2026&m=11": "calendar trap", "/__session/page.html;jsessionid=abc": "session id",
    "/__status/410": "gone", "/__status/503": "unavailable", "/__chain/3": "short chain",
}


@pytest.fixture(scope="module")
def hostile_scan(tmp_path_factory):
    from govaudit.demo.server import DemoServer

    root = tmp_path_factory.mktemp("hostile")
    links = "\n".join(f'<li><a href="{href}">{text}</a></li>' for href, text in HOSTILE_LINKS.items())
    odd = ('<a href="javascript:void(0)">js</a><a href="mailto:zfb@example.gov.cn">mail</a><a href="tel:0871-1234">tel</a>'
           '<a href="http://[::1">bad ipv6</a><a href="/政务公开/通知.html">non-ASCII path</a><a href="/ok.html#frag">frag</a>'
           '<!-- <a href="/hidden-in-comment.html">old</a> -->')
    (root / "index.html").write_text(f"<html><head><title>首页</title></head><body><ul>{links}</ul>{odd}"
                                     "<p>truncated <div><span>unclosed", encoding="utf-8")
    (root / "ok.html").write_text("<html><head><title>正常</title></head><body>ok</body></html>", encoding="utf-8")
    (root / "hidden-in-comment.html").write_text("<title>隐藏</title>", encoding="utf-8")
    out = tmp_path_factory.mktemp("hostile-out")
    with DemoServer(root, None, stall_seconds=4) as server:
        proc = run_cli("scan", server.base_url + "/", "--out", str(out), "--timeout", "1.5", "--as-of", AS_OF.isoformat(),
                       "--a11y", "off")
        hits = dict(server.hits)
        base = server.base_url
    return base, out, read_findings(out), hits, proc


def test_hostile_server_scan_completes_with_clear_verdicts(hostile_scan):
    base, out, findings, hits, proc = hostile_scan
    suspect = by_rule(findings, "links.suspect")
    dead = by_rule(findings, "links.dead")
    assert suspect[base + "/__stall"]["error"] == "timeout"
    assert suspect[base + "/__reset"]["error"] in ("reset", "other")
    assert base + "/__close-early" in suspect
    assert base + "/__status/503" in suspect
    assert dead[base + "/__status/410"]["status"] == 410
    assert "links.dead" not in {f["rule"] for f in findings if f["url"] == base + "/__chain/3"}


def test_oversized_and_binary_responses_do_not_break_the_scan(hostile_scan):
    base, out, findings, hits, _ = hostile_scan
    with sqlite3.connect(out / "govaudit.sqlite") as db:
        rows = dict(db.execute("SELECT url, coalesce(error, '') FROM urls"))
    assert rows[base + "/__binary"] == "binary_body"
    assert rows[base + "/__gzip-bomb"] in ("too_large", "other")
    assert rows[base + "/__huge"] in ("too_large", "other")


def test_charset_contradiction_is_decoded_from_the_bytes(hostile_scan):
    base, out, *_ = hostile_scan
    with sqlite3.connect(out / "govaudit.sqlite") as db:
        facts = json.loads(db.execute("SELECT facts FROM urls WHERE url=?", (base + "/__gbk-mislabelled",)).fetchone()[0])
    assert facts["charset"] == "gb18030"
    assert "\ufffd" not in (facts["title"] or "") and any("\u4e00" <= c <= "\u9fff" for c in facts["title"])


def test_traps_are_bounded_and_session_ids_collapse(hostile_scan):
    base, out, findings, hits, _ = hostile_scan
    calendar = sum(n for path, n in hits.items() if path.startswith("/__calendar"))
    assert 1 < calendar <= 60
    sessions = sum(n for path, n in hits.items() if path.startswith("/__session"))
    assert sessions <= 2


def test_non_web_links_are_never_requested_and_odd_urls_are_handled(hostile_scan):
    base, out, findings, hits, _ = hostile_scan
    assert "/hidden-in-comment.html" in hits  # links in HTML comments are followed
    assert hits.get("/ok.html") == 1  # the #fragment did not make a second URL
    assert not any("mailto" in p or "javascript" in p or "tel:" in p for p in hits)
    urls = {f["url"] for f in findings}
    assert any(u.startswith("invalid:") for u in urls), "a malformed href is reported, not dropped"
    assert hits.get("/%E6%94%BF%E5%8A%A1%E5%85%AC%E5%BC%80/%E9%80%9A%E7%9F%A5.html") == 1  # percent-encoded once


def test_a_failing_extractor_loses_only_its_own_facts():
    from govaudit.crawler.extract import PageContext, run_extractors
    from govaudit.crawler.extract.core import extract as core_extract
    from govaudit.crawler.extract.core import page_context

    def broken(ctx: PageContext) -> dict:
        raise ValueError("hostile page")

    ctx = page_context("http://x.gov.cn/", "<title>首页</title><a href='/a.html'>a</a>".encode())
    facts = run_extractors(ctx, [broken, core_extract])
    assert facts["title"] == "首页" and len(ctx.links) == 1
    assert "hostile page" in next(iter(facts["extractor_errors"].values()))


def test_idn_and_odd_hrefs_normalise_without_network():
    from govaudit.crawler.extract.core import absolute_url

    assert absolute_url("http://www.example.gov.cn/a/", "http://例子.政务/首页.html") == \
        "http://xn--fsqu00a.xn--zfr164b/%E9%A6%96%E9%A1%B5.html"
    assert absolute_url("http://x.gov.cn/a/b.html", " ../c.html#top ") == "http://x.gov.cn/c.html"
    assert absolute_url("http://x.gov.cn/", "JavaScript:void(0)") is None
    assert absolute_url("http://x.gov.cn/", "mailto:a@b.cn") is None
    assert absolute_url("http://x.gov.cn/", "http://[::1").startswith("invalid:")


# -- store and resume -----------------------------------------------------------------------------------

def test_killed_scan_resumes_without_losing_or_duplicating_findings(demo_site, demo_scan, tmp_path):
    server, _ = demo_site
    _, complete = demo_scan
    out = tmp_path / "resumed"
    cmd = [sys.executable, "-m", "govaudit.cli", "scan", server.base_url + "/", "--out", str(out),
           "--as-of", AS_OF.isoformat(), "--timeout", "2", "--concurrency", "1", "--delay", "0.05", "--quiet",
           "--a11y", "off"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    store = out / "govaudit.sqlite"
    while time.time() < deadline:  # kill it once it has fetched some pages, well before the end
        time.sleep(0.3)
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    if db.execute("SELECT count(*) FROM urls WHERE state='done'").fetchone()[0] >= 20:
                        break
            except sqlite3.OperationalError:
                continue
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run_cli("scan", server.base_url + "/", "--out", str(out), "--as-of", AS_OF.isoformat(), "--timeout", "2", "--resume",
            "--a11y", "off")
    resumed = read_findings(out)
    key = lambda f: (f["rule"], f["url"], f.get("discriminator", ""))  # noqa: E731
    assert len(resumed) == len({key(f) for f in resumed}), "duplicated findings after resume"
    link_rules = ("links.dead", "links.soft404", "links.redirect_loop", "links.suspect")
    assert {key(f) for f in resumed if f["rule"] in link_rules} == {key(f) for f in complete if f["rule"] in link_rules}
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == 1
        assert db.execute("SELECT state FROM scans").fetchone()[0] == "finished"


def test_corrupt_or_foreign_store_gives_a_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    proc = run_cli("scan", "http://127.0.0.1:9/", "--out", str(tmp_path / "o"), "--store", str(bad), check=False)
    assert proc.returncode == 1
    assert "not a usable govaudit store" in proc.stderr and "Traceback" not in proc.stderr
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE t (x)")
    proc = run_cli("scan", "http://127.0.0.1:9/", "--out", str(tmp_path / "o"), "--store", str(foreign), check=False)
    assert proc.returncode == 1 and "not a govaudit store" in proc.stderr


def test_benchmark_profile_is_refused_for_remote_sites(tmp_path):
    proc = run_cli("scan", "http://www.example.gov.cn/", "--profile", "local-benchmark", "--out", str(tmp_path),
                   check=False)
    assert proc.returncode == 1 and "only allowed for sites on this machine" in proc.stderr


def test_unreachable_site_is_a_tool_error_with_a_finding_not_a_pass(tmp_path):
    proc = run_cli("scan", "http://127.0.0.1:9/", "--out", str(tmp_path), "--a11y", "off", "--timeout", "2", check=False)
    assert proc.returncode == 1 and "could not be read (refused)" in proc.stderr
    home = [f for f in read_findings(tmp_path) if f["rule"] == "availability.home"]
    assert home and home[0]["evidence"]["reason"] == "refused" and len(home[0]["attempts"]) >= 3


def test_meta_refresh_is_followed_as_a_link():
    from govaudit.crawler.extract.core import page_context

    ctx = page_context("http://x.gov.cn/", b"<meta http-equiv='Refresh' content=\"0; URL='/col/index.html'\">")
    assert [(l.url, l.tag) for l in ctx.links] == [("http://x.gov.cn/col/index.html", "meta-refresh")]


@pytest.mark.parametrize("end, last", [("</body></html>", "</html>"), ("</BODY>\n</HTML>", "</HTML>"),
                                       ("</html>", ""), ("</body>", "</html>")])
def test_markup_after_the_document_end_is_in_the_body_as_a_browser_shows_it(end, last):
    """libxml2 drops what follows ``</html>`` and leaves what follows ``</body>`` outside the body; real CMS
    footers sit there (tests/corpus/pages/cznd-20160720.html keeps its 网站标识码 and ICP number after ``</html>``)."""
    from govaudit.crawler.extract.core import page_context

    body = (f'<html><body><p>正文</p>{end}<script src="/stat.js"></script>'
            '<div class="site-bottom">网站标识码:3204110029 <a href="https://beian.miit.gov.cn/">苏ICP备06004659号</a></div>'
            f'{last}').encode()
    ctx = page_context("http://x.gov.cn/", body)
    assert [(l.url, l.tag) for l in ctx.links] == [("http://x.gov.cn/stat.js", "script"), ("https://beian.miit.gov.cn/", "a")]
    assert ctx.tree.find("body/div").text_content().startswith("网站标识码")
    plain = page_context("http://x.gov.cn/", b"<html><body><p>\xe6\xad\xa3\xe6\x96\x87</p></body>\n</html>\n")
    assert [el.tag for el in plain.tree.iter()] == ["html", "body", "p"]  # nothing after the end: the page as it was


def test_bad_urls_are_refused_clearly(tmp_path):
    for url in ("ftp://example.gov.cn/", "http://"):
        proc = run_cli("scan", url, "--out", str(tmp_path), check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_scrapy_crawl_from_scrapy_cfg_then_report(demo_site, tmp_path):
    """The Scrapyd path: ``scrapy crawl site`` (scrapy.cfg) fills a store; ``govaudit report`` checks and scores it."""
    server, manifest = demo_site
    store = tmp_path / "scrapyd.sqlite"
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={server.base_url}/",
                           "-a", f"store={store}", "-s", "LOG_LEVEL=ERROR", "-s", "DOWNLOAD_TIMEOUT=2"],
                          cwd=repo, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_cli("report", str(store), "--out", str(tmp_path / "out"))
    dead = {f["url"] for f in read_findings(tmp_path / "out") if f["rule"] == "links.dead"}
    planted = {e["target"] if "://" in e["target"] else server.base_url + e["target"] for e in manifest.planted["dead"]}
    assert planted <= dead
