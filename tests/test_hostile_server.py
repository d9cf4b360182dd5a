"""A scan of a server that misbehaves at the socket level (issue 9.6): per fault, the scan finishes, the verdict
is clear, and nothing else is lost.  The faults an HTTP library can produce are in test_crawl.py (demo server);
these need raw sockets (tests/hostile_server.py)."""

from __future__ import annotations

import json

import pytest
from conftest import AS_OF, read_findings, run_cli
from hostile_server import GOOD_PAGES, MANY_LINKS, HostileServer

from govaudit.store import Store

# Re-tests one second apart (the rule set's 5 s would only make the test slower); everything else is gov-2019.
RULES = """id: hostile-test
version: "1"
inherits: gov-2019
params:
  crawl:
    retest_delay_seconds: 1
"""


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-raw")
    (tmp / "rules.yaml").write_text(RULES, encoding="utf-8")
    out = tmp / "out"
    with HostileServer() as server:
        # --exclude: the punycode host must never be resolved (no DNS beyond 127.0.0.1); it is still recorded.
        proc = run_cli("scan", server.base_url + "/", "--out", str(out), "--timeout", "3", "--a11y", "off",
                       "--rules", str(tmp / "rules.yaml"), "--exclude", "xn--", "--as-of", AS_OF.isoformat(), timeout=300)
        hits = dict(server.hits)
    store = Store(out / "govaudit.sqlite")
    view = store.view(store.latest_scan())
    yield server, out, read_findings(out), hits, view, proc
    store.close()


def verdict(findings, url):
    return {f["rule"]: f for f in findings if f["url"] == url}


def test_the_scan_finishes_and_leaves_nothing_pending(scan):
    server, out, _findings, _hits, view, proc = scan
    assert view.info.state == "finished" and json.loads((out / "summary.json").read_text())["verdict"]
    assert not [r.url for r in view.urls() if r.state in ("pending", "retest")]
    for path in GOOD_PAGES[:3]:  # linked from the homepage, the 9 MB line and the 100,000-deep DOM
        rec = view.get(server.base_url + path)
        assert rec is not None and rec.status == 200 and rec.facts is not None, path
    assert "Traceback" not in proc.stderr


def test_reset_mid_body_is_a_retested_suspect_link(scan):
    server, _, findings, _hits, *_ = scan
    suspect = verdict(findings, server.base_url + "/reset-mid-body")["links.suspect"]
    assert suspect["error"] == "reset" and len(suspect["attempts"]) == 3
    assert suspect["sources"][0]["url"] == server.base_url + "/"


@pytest.mark.parametrize("path", ["/bad-status-code", "/garbage-status-line", "/bad-content-length"])
def test_answers_that_are_not_http_are_malformed_not_a_reset(scan, path):
    server, _, findings, *_ = scan
    suspect = verdict(findings, server.base_url + path)["links.suspect"]
    assert suspect["error"] == "malformed" and len(suspect["attempts"]) == 1  # garbage again would teach nothing
    assert "不是合法的 HTTP 响应" in suspect["message"]


def test_no_status_line_and_a_header_without_colon(scan):
    server, _, findings, _, view, _ = scan
    assert verdict(findings, server.base_url + "/no-status-line")["links.suspect"]["error"] in ("reset", "malformed")
    tolerated = view.get(server.base_url + "/header-without-colon")  # Twisted skips the line, as browsers do
    assert tolerated.status == 200 and tolerated.facts["title"] == "坏头部"


@pytest.mark.parametrize("path", ["/endless-chunked", "/huge-line"])
def test_bodies_past_the_size_cap_are_too_large(scan, path):
    server, _, findings, hits, *_ = scan
    suspect = verdict(findings, server.base_url + path)["links.suspect"]
    assert suspect["error"] == "too_large" and hits[path] == 1  # too large now is too large later: no re-test


def test_a_trickle_times_out(scan):
    server, _, findings, _hits, *_ = scan
    suspect = verdict(findings, server.base_url + "/trickle")["links.suspect"]
    assert suspect["error"] == "timeout" and [a["error"] for a in suspect["attempts"]] == ["timeout"] * 3


def test_a_9_mb_single_line_is_parsed_to_its_end(scan):
    server, _, _findings, _hits, view, _ = scan
    rec = view.get(server.base_url + "/long-line")
    assert rec.facts["title"] == "一行九兆" and rec.size > 9_000_000
    assert [r.source for r in view.refs(server.base_url + "/after-long-line.html")] == [server.base_url + "/long-line"]


def test_100000_links_are_all_recorded_and_the_trap_is_capped_with_its_reason(scan):
    server, _, findings, hits, view, _ = scan
    base = server.base_url
    many = [r for r in view.urls("page") if r.url.startswith(base + "/m?i=")]
    assert len(many) == MANY_LINKS
    fetched = [r for r in many if r.state == "done"]
    assert all(r.status == 200 for r in fetched) and len(fetched) == sum(n for p, n in hits.items() if p.startswith("/m?"))
    assert {r.skip_reason for r in many if r.state != "done"} == {"trap"}
    assert view.ref_count(base + f"/m?i={MANY_LINKS - 1}") == 1
    trap = next(f for f in findings if f["rule"] == "links.not_checked" and f["evidence"]["reason"] == "trap")
    assert trap["count"] == MANY_LINKS - len(fetched)


def test_a_dom_100000_deep_is_analysed_and_its_deepest_link_kept(scan):
    server, _, _findings, hits, view, _ = scan
    rec = view.get(server.base_url + "/deep")
    assert rec.facts["title"] == "深" and not rec.facts.get("extractor_errors")
    assert hits.get("/after-deep.html") == 1
    assert next(view.refs(server.base_url + "/after-deep.html")).anchor == "深处"


@pytest.mark.parametrize("path, title, charset", [
    ("/gbk-unlabelled", "县政府信息公开", "gb18030"),  # no label anywhere: the bytes decide
    ("/mixed-encoding", "政务公开栏目", "utf-8"),  # labelled GBK, UTF-8 with a pasted GBK word
    ("/invalid-bytes", "无效字节", "utf-8"),  # UTF-8 with a few bytes that are not
    ("/bogus-charset", "未知编码", "utf-8"),  # a charset no codec knows, in the header and the meta tag
])
def test_invalid_and_mixed_encodings_decode_to_readable_text(scan, path, title, charset):
    server, _, _, _, view, _ = scan
    facts = view.get(server.base_url + path).facts
    assert (facts["title"], facts["charset"]) == (title, charset)


def test_non_web_idn_and_overlong_links(scan):
    server, _, findings, hits, view, _ = scan
    base = server.base_url
    assert not [p for p in hits if any(s in p.lower() for s in ("javascript", "data:", "mailto", "ftp:", "/pub/", "%3c"))]
    assert not [r.url for r in view.urls() if r.url.startswith(("javascript:", "data:", "mailto:", "ftp:"))]
    assert not [f for f in findings if f["rule"] == "links.dead"]
    idn = view.get(f"http://localhost:{server.port}/idn-target.html")  # ＬＯＣＡＬＨＯＳＴ, IDNA-mapped, then checked
    assert idn.kind == "external" and idn.status == 200 and hits.get("/idn-target.html") == 1
    puny = view.get(f"http://xn--fsqu00a.xn--0zwm56d:{server.closed_port}/")  # 例子.测试 as punycode
    assert puny.state == "skipped" and puny.skip_reason == "excluded"
    overlong = [r for r in view.urls() if r.url.startswith(base + "/long?")]
    assert len(overlong) == 1 and len(overlong[0].url) > 10_000
    assert overlong[0].state == "skipped" and overlong[0].skip_reason == "url_too_long"
    assert not [p for p in hits if p.startswith("/long?")]
    reasons = {f["evidence"]["reason"] for f in findings if f["rule"] == "links.not_checked"}
    assert {"url_too_long", "excluded"} <= reasons


def test_redirects_to_another_scheme(scan):
    server, _, findings, *_ = scan
    base = server.base_url
    closed = verdict(findings, base + "/to-https-closed-port")["links.suspect"]
    assert closed["error"] == "refused" and closed["redirects"] == [base + "/to-https-closed-port"]
    assert closed["final_url"] == f"https://127.0.0.1:{server.closed_port}/"
    assert verdict(findings, base + "/to-https-same-port")["links.suspect"]["error"] == "tls"
    ftp = verdict(findings, base + "/to-ftp")["links.suspect"]
    assert ftp["error"] == "redirect_scheme" and ftp["status"] == 302
    assert ftp["redirects"][-1] == f"ftp://127.0.0.1:{server.closed_port}/file.txt"
