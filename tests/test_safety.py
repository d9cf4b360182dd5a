"""Content safety: hidden links, injected scripts, serious errors, private data — extractors, check, and a
scan of a fixture site served on 127.0.0.1 (every off-site URL a loopback address with a closed port)."""

from __future__ import annotations

import http.server
import os
import sqlite3
import threading
from functools import partial
from pathlib import Path

import pytest
from conftest import AS_OF, read_findings, run_cli
from govaudit.checks.safety import run
from govaudit.crawler.extract.content import MAX_CANDIDATES, classify, id_number_valid, luhn_valid, mask
from govaudit.crawler.extract.content import extract as content_extract
from govaudit.crawler.extract.core import page_context
from govaudit.crawler.extract.identity import extract as identity_extract

from govaudit.dictionary import Dictionary, load, load_all
from govaudit.model import UrlRecord, url_key
from govaudit.ruleset import load_ruleset
from govaudit.store import Store, StoreWriter

SITE = "http://www.yx.gov.cn/"
ID_OK = "11010519491231002X"  # the GB 11643 standard's own example
ID_BAD = "110105194912310021"  # same digits, wrong check character
FOOTER = ('<div class="footer"><p>主办单位：云溪县人民政府办公室 联系电话：0871-12345678</p>'
          '<p>网站标识码：5399210001 <a href="https://beian.miit.gov.cn/">滇ICP备05009876号-1</a> '
          '<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=53992102000001">滇公网安备 53992102000001号</a>'
          '<script src="https://dcs.conac.cn/js/33/000/0000/60429971/CA330000000604299710002.js"></script></p></div>')


def page(body: str, title: str = "页面") -> str:
    return (f'<html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a></div><div class="main">{body}</div>{FOOTER}</body></html>')


def facts_of(html: str, url: str = SITE + "a.html") -> dict:
    ctx = page_context(url, html.encode("utf-8"), site=SITE)
    return {**identity_extract(ctx), **content_extract(ctx)}


def view_of(tmp_path: Path, pages: dict[str, dict], site: str = SITE):
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(site, site, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    for url, facts in pages.items():
        writer.add_url(url_key(url), url, "page", 1)
        writer.record(UrlRecord(url=url, kind="page", depth=1, state="done", status=200, content_type="text/html", facts=facts))
    writer.flush()
    return store.view(scan)


def hits(tmp_path: Path, pages: dict[str, str]) -> list:
    return list(run(view_of(tmp_path, {u: facts_of(h, u) for u, h in pages.items()}), load_ruleset()))


# -- private data -----------------------------------------------------------------------------------------------
def test_check_digits_decide():
    assert id_number_valid(ID_OK) and not id_number_valid(ID_BAD)
    assert not id_number_valid("110105194902301234")  # 30 February: no such birth date
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert classify(ID_OK) == "id_number" and classify(ID_BAD) is None
    assert classify("13912345678") == "mobile" and classify("12912345678") is None
    assert classify("6212345678901234") is None  # fails Luhn
    assert mask("mobile", "13912345678") == "139****5678"
    assert mask("id_number", ID_OK) == "1101************2X"


def test_private_data_found_masked_and_near_misses_not(tmp_path):
    found = hits(tmp_path, {
        SITE + "leak.html": page(f"<table><tr><td>张三</td><td>身份证号 {ID_OK}</td><td>手机 139-1234-5678</td>"
                                 "<td>银行卡 4111 1111 1111 1111</td></tr></table>"),
        SITE + "near.html": page(f"<p>文号 {ID_BAD}，办公电话：0871-12345678，咨询电话：13800138000，"
                                 "卡号 4111111111111112。</p>"),
    })
    private = {f.evidence["kind"]: f for f in found if f.rule == "content.private_data"}
    assert set(private) == {"id_number", "mobile", "bank_card"}
    assert all(f.url == SITE + "leak.html" for f in private.values())
    assert private["id_number"].evidence["examples"] == ["1101************2X"]
    assert private["mobile"].evidence["examples"] == ["139****5678"]
    assert private["bank_card"].evidence["examples"] == ["4111********1111"]
    for f in private.values():  # never the clear number, not even in the sentence
        text = repr(f.evidence)
        assert ID_OK not in text and "12345678" not in text.replace("0871", "") and "4111 1111" not in text


def test_public_phone_labels_come_from_the_rule_set(tmp_path):
    rules = load_ruleset()
    rules.data["params"]["safety"]["public_phone_labels"] = []
    view = view_of(tmp_path, {SITE + "c.html": facts_of(page("<p>咨询电话：13800138000</p>"))})
    assert [f.evidence["first"] for f in run(view, rules) if f.rule == "content.private_data"] == ["138****8000"]


def test_a_million_candidate_numbers_is_bounded():
    # 11-digit runs, none a mobile, in paragraphs (libxml2 caps one text node at 10 MB)
    paragraphs = "".join("<p>" + " ".join(str(20000000000 + i) for i in range(k, k + 100_000)) + "</p>"
                         for k in range(0, 1_000_000, 100_000))
    facts = facts_of(page(f"{paragraphs}<p>13912345678</p>"))
    assert facts["content_truncated"] is True
    assert facts["private_data"] == []  # the mobile at the end lies past the examined candidates
    assert MAX_CANDIDATES < 1_000_000


# -- hidden links and scripts -----------------------------------------------------------------------------------
HIDDEN = (
    '<div style="display:none"><a href="http://casino.example.com/">澳门赌场</a><a href="/xxgk/">信息公开</a></div>'
    '<div style="position:absolute; left:-9999px"><a href="http://pills.example.net/">x</a></div>'
    '<p style="background:#fff"><a style="color:#FFF" href="http://loan.example.org/">贷款</a></p>'
    '<ul class="menu" style="display:none"><li><a href="/zwgk/">政务公开</a></li></ul>'  # a hidden menu inside the site
    '<div style="display:none"><a href="http://www.other.gov.cn/">兄弟单位</a></div>'   # another government site
    '<a href="http://visible.example.com/">友情链接</a>'                               # off-site but visible
    '<style>.yc{display:none} .sub{display:none} .nav li:hover .sub{display:block}</style>'
    '<div class="box yc"><a href="http://spam.example.com/">x</a></div>'               # hidden by a <style> rule
    '<ul class="sub"><li><a href="http://menu.example.com/">y</a></li></ul>'           # a hover drop-down: shown again
    '<script src="http://evil.example.com/inject.js"></script><script src="https://hm.baidu.com/hm.js?x"></script>'
    '<script>document.write(\'<iframe src="http://frame.example.com/x"></iframe>\')</script>'
)


def test_hidden_off_site_links_and_injected_scripts(tmp_path):
    found = hits(tmp_path, {SITE + f"p{i}.html": page(HIDDEN) for i in range(3)})
    hidden = {f.evidence["host"]: f for f in found if f.rule == "content.hidden_link"}
    assert set(hidden) == {"casino.example.com", "pills.example.net", "loan.example.org", "spam.example.com"}
    assert hidden["spam.example.com"].evidence["how"] == ".yc {display:none}"
    assert hidden["casino.example.com"].evidence["how"] == "display:none"
    assert hidden["loan.example.org"].evidence["how"] == "color-as-background"
    assert hidden["casino.example.com"].evidence["pages"] == 3  # one finding per host, not per page
    scripts = {f.evidence["host"] for f in found if f.rule == "content.injected_script"}
    assert scripts == {"evil.example.com", "frame.example.com"}  # baidu statistics and the conac badge are allowed


STYLED = (
    '<style>/* 友情链接 */ div.yqlj ul li a {color:red}\n'
    '@media screen { .links > .x {display:none} }\n'
    '@media print { .pr {display:none} } @media (max-width: 768px) { .pc {display:none} }\n'
    '#ad { position:absolute; left:-9999px; }\n'
    '.nav .sub {display:none} .nav li:hover .sub {display:block}\n'
    '.tab:hover a {display:none} a[href^="http://weird"] {visibility:hidden}</style>'
    '<div class="links"><p class="x"><a href="http://media.example.com/">x</a></p></div>'   # @media screen, child combinator
    '<div class="links"><div><p class="x"><a href="http://deep.example.com/">x</a></p></div></div>'  # not a child: shown
    '<div class="pr"><a href="http://print.example.com/">p</a></div>'                           # hidden only on paper
    '<div class="pc"><a href="http://phone.example.com/">p</a></div>'                           # hidden on a phone only
    '<div id="ad"><span><a href="http://offscreen.example.com/">o</a></span></div>'
    '<ul class="nav"><li><ul class="sub"><li><a href="http://menu.example.com/">m</a></li></ul></li></ul>'  # hover menu
    '<div class="tab"><a href="http://hover.example.com/">h</a></div>'                          # :hover never matches statically
    '<a href="http://weird.example.com/">w</a>'                                                 # attribute selector
    '<div id="ad2" class="links"><p class="x"><a href="/local/">站内</a></p></div>'           # hidden, but inside the site
)


def test_style_block_selectors_are_matched_as_css(tmp_path):
    """<style> rules parsed with tinycss2 and matched with cssselect: compound, child and attribute selectors,
    @media blocks (not print, not a width query), off-screen positioning; a hover menu and :hover rules are not hiding."""
    hidden = {link["url"]: link["how"] for link in facts_of(page(STYLED))["hidden_links"]}
    assert hidden == {"http://media.example.com/": ".links > .x {display:none}",
                      "http://offscreen.example.com/": "#ad {left:-9999px}",
                      "http://weird.example.com/": 'a[href^="http://weird"] {visibility:hidden}'}


def test_links_hidden_by_a_same_site_style_sheet(tmp_path):
    """A page's off-host links (``link_chains``) matched with the hiding rules of the style sheet it links, as
    the crawl stored them (``css_hiding``, read in the analysis worker)."""
    from govaudit.crawler.extract.identity import css_facts

    css = b".yqlj ul {position:absolute; left:-9999px} .nav .sub{display:none} .nav li:hover .sub{display:block}"
    body = ('<link rel="stylesheet" href="/css/site.css?v=2"><div class="yqlj"><ul><li>'
            '<a href="http://casino.example.com/">澳门赌场</a></li></ul></div>'
            '<ul class="nav"><li><ul class="sub"><li><a href="http://news.example.com/">新闻</a></li></ul></li></ul>'
            '<a href="http://visible.example.com/">看得见</a>')
    facts = facts_of(page(body))
    assert facts["stylesheets"] == [SITE + "css/site.css?v=2"] and facts["hidden_links"] == []
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    for url, kind, f in ((SITE + "a.html", "page", facts), (SITE + "css/site.css?v=2", "resource", css_facts(css))):
        writer.add_url(url_key(url), url, kind, 1)
        writer.record(UrlRecord(url=url, kind=kind, depth=1, state="done", status=200, facts=f))
    writer.flush()
    found = [f for f in run(store.view(scan), load_ruleset()) if f.rule == "content.hidden_link"]
    assert [(f.evidence["host"], f.evidence["how"]) for f in found] == [
        ("casino.example.com", f".yqlj ul {{left:-9999px}}（{SITE}css/site.css?v=2）")]


def test_a_page_hiding_a_host_inline_and_by_its_style_sheet_counts_once(tmp_path):
    """One finding per host: its pages are those hiding a link to it inline, then those whose style sheet hides
    one, each page once even when it does both."""
    from govaudit.crawler.extract.identity import css_facts

    inline = '<a style="display:none" href="http://casino.example.com/x">澳门赌场</a>'
    by_sheet = ('<link rel="stylesheet" href="/css/site.css"><div class="yqlj"><ul><li>'
                '<a href="http://casino.example.com/">澳门赌场</a></li></ul></div>')
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    pages = {SITE + "both.html": inline + by_sheet, SITE + "sheet.html": by_sheet, SITE + "inline.html": inline}
    records = [(url, "page", facts_of(page(body), url)) for url, body in pages.items()]
    records.append((SITE + "css/site.css", "resource", css_facts(b".yqlj ul {position:absolute; left:-9999px}")))
    for url, kind, f in records:
        writer.add_url(url_key(url), url, kind, 1)
        writer.record(UrlRecord(url=url, kind=kind, depth=1, state="done", status=200, facts=f))
    writer.flush()
    found = [f for f in run(store.view(scan), load_ruleset()) if f.rule == "content.hidden_link"]
    assert [(f.evidence["host"], f.evidence["pages"]) for f in found] == [("casino.example.com", 3)]
    examples = found[0].evidence["examples"]
    assert sorted(examples) == sorted(pages) and found[0].url == examples[0]
    assert examples.index(SITE + "sheet.html") == 2  # the page found by its style sheet alone comes last


def test_allow_list_comes_from_the_rule_set(tmp_path):
    rules = load_ruleset()
    rules.data["params"]["safety"]["allowed_embed_hosts"].append("example.com")
    view = view_of(tmp_path, {SITE + "p.html": facts_of(page(HIDDEN))})
    assert not [f for f in run(view, rules) if f.rule == "content.injected_script"]


# -- dictionary -------------------------------------------------------------------------------------------------
def test_dictionary_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("# comment\nwrong | 中华人民共合国 | 中华人民共和国\nwrong | 总书计\nbogus | 某某 | x\nwrong | 党 | 党\n"
                    "prohibited | 赌场 | | 合法场所\nwrong | 中华人民共合国 | 中华人民共和国\nwrong|a|b|c|d\n", encoding="utf-8")
    d = Dictionary()
    load(path, d)
    assert list(d.entries) == ["中华人民共合国"]
    lines = [e.split(":")[1] for e in d.errors]
    assert lines == ["3", "4", "5", "6", "7", "8"], d.errors
    assert "needs the expected form" in d.errors[0] and "already listed at" in d.errors[4]
    broken = tmp_path / "gbk.txt"
    broken.write_bytes("wrong | 中华人民共合国 | 中华人民共和国".encode("gbk"))
    load(broken, d)
    assert d.errors[-1] == f"{broken}: is not UTF-8 text (byte 8)"  # after "wrong | "
    load(tmp_path / "missing.txt", d)
    assert d.errors[-1] == f"{tmp_path / 'missing.txt'}: cannot be read (No such file or directory)"


def test_serious_errors_with_expected_form_and_near_misses(tmp_path, monkeypatch):
    extra = tmp_path / "dict"
    extra.mkdir()
    (extra / "province.txt").write_text("wrong | 王某某书记 | 王某某同志\nwrong | 人民共 | 人民共和国\n", encoding="utf-8")
    monkeypatch.setenv("GOVAUDIT_DICTIONARIES", str(extra))
    from govaudit.crawler.extract import content
    content._automaton.cache_clear()
    try:
        found = hits(tmp_path, {
            SITE + "err.html": page("<p>会议指出，要深入学习中华人民共合国宪法。</p><p>澳门博彩广告。</p>"),
            SITE + "policy.html": page("<p>根据《中华人民共和国宪法》，依法打击六合彩等违法犯罪。</p>"),  # right forms only
        })
    finally:
        content._automaton.cache_clear()
    errors = [f for f in found if f.rule == "content.serious_error"]
    assert [(f.url, f.evidence["term"], f.evidence["expected"]) for f in errors] == [
        (SITE + "err.html", "中华人民共合国", "中华人民共和国")]
    assert errors[0].evidence["sentence"] == "会议指出，要深入学习中华人民共合国宪法。"
    assert [(f.url, f.evidence["term"]) for f in found if f.rule == "content.prohibited_word"] == [(SITE + "err.html", "澳门博彩")]


# -- a scan of a served fixture site ----------------------------------------------------------------------------
def write_site(root: Path) -> None:
    closed = "http://127.0.0.2:9"  # off-site: another loopback address, a closed port
    body = {
        "index.html": '<ul><li><a href="leak.html">公示</a></li><li><a href="policy.html">政策</a></li>'
                      '<li><a href="hijack.html">通知</a></li></ul>',
        "leak.html": f"<p>拟录用人员：张三，身份证号 {ID_OK}，手机 13912345678。</p>",
        "policy.html": f"<p>根据《中华人民共和国宪法》，编号 {ID_BAD}。办公电话：0871-12345678。</p>",
        "hijack.html": f'<p>中国共产觉领导。</p><p>云溪县长李某某主持会议。</p>'
                       f'<div style="display:none"><a href="{closed}/casino">博彩</a></div>'
                       f'<script src="http://127.0.0.3:9/inject.js"></script>',
    }
    for name, content in body.items():
        (root / name).write_text(page(content, name), encoding="utf-8")


@pytest.fixture(scope="module")
def served_scan(tmp_path_factory):
    root = tmp_path_factory.mktemp("safety-site")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    write_site(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = tmp_path_factory.mktemp("safety-out")
    # a province's own dictionary, with one bad line: the crawl's analysis workers must read it too
    province = tmp_path_factory.mktemp("province") / "yunxi.txt"
    province.write_text("wrong | 县长李某某 | 县长王某某\nwrong | 某\n", encoding="utf-8")
    os.environ["GOVAUDIT_DICTIONARIES"] = str(province)
    try:
        run_cli("scan", f"http://127.0.0.1:{server.server_port}/index.html", "--out", str(out), "--as-of",
                AS_OF.isoformat(), "--timeout", "2", "--a11y", "off", "--ignore-robots", "--no-external")
    finally:
        del os.environ["GOVAUDIT_DICTIONARIES"]
        server.shutdown()
    return out, read_findings(out), f"http://127.0.0.1:{server.server_port}/", province


def test_scan_reports_content_findings_and_stores_no_clear_number(served_scan):
    out, findings, base, province = served_scan
    by: dict[str, list[dict]] = {}
    for f in findings:
        by.setdefault(f["rule"], []).append(f)
    assert [(f["url"], f["evidence"]["kind"]) for f in by["content.private_data"]] == [
        (base + "leak.html", "id_number"), (base + "leak.html", "mobile")]
    assert [(f["url"], f["evidence"]["expected"]) for f in by["content.serious_error"]] == [
        (base + "hijack.html", "中国共产党"), (base + "hijack.html", "县长王某某")]
    assert [f["evidence"]["error"] for f in by["content.dictionary_error"]] == [
        f"{province}:2: term '某' is shorter than 2 characters (it would match everywhere)"]
    assert by["content.serious_error"][0]["message"] == "“中国共产觉”应为“中国共产党”：中国共产觉领导。"
    assert [(f["url"], f["evidence"]["host"]) for f in by["content.hidden_link"]] == [(base + "hijack.html", "127.0.0.2")]
    assert [f["evidence"]["host"] for f in by["content.injected_script"]] == ["127.0.0.3"]
    summary = (out / "summary.json").read_text(encoding="utf-8")
    assert '"veto"' in summary
    # the clear identity number and mobile never reach the store or the reports
    for path in (out / "govaudit.sqlite", out / "findings.jsonl", out / "report.html"):
        data = path.read_bytes()
        assert ID_OK.encode() not in data and b"13912345678" not in data, path
    db = sqlite3.connect(out / "govaudit.sqlite")
    assert db.execute("SELECT count(*) FROM urls WHERE facts LIKE '%1101************2X%'").fetchone()[0] == 1


def test_shipped_dictionary_loads_clean():
    d = load_all()
    assert not d.errors and len(d.entries) >= 10


def test_visible_text_puts_each_text_node_after_its_block_or_a_space_and_leaves_out_hidden_content() -> None:
    """visible_text reads the text nodes from one XPath (issue 16): a block's text and the text after a block (or a
    ``<br>``) on a line of its own, other text after a space, no edge spaces; the text under script, style and
    noscript left out, their tails and a comment's tail kept."""
    from govaudit.crawler.extract import content
    from lxml import html as lxml_html

    items = "".join(f"<li> 第{i}条 <b>通知</b></li>" for i in range(3))
    body = lxml_html.document_fromstring(
        f"<html><body>\n <ul>{items}</ul> 尾<script>var a;</script>脚本后<noscript><p>无脚本</p>里</noscript>"
        "<!-- 注释 -->注释后<br>换行\u3000<style>p{}</style></body></html>").find("body")
    assert content.visible_text(body) == "第0条 通知\n第1条 通知\n第2条 通知\n尾 脚本后 注释后\n换行"
    assert content.visible_text(body.find(".//noscript")) == ""
    assert content.visible_text(lxml_html.fragment_fromstring("<div>  </div>")) == ""
