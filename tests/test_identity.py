"""Site identity (footer identifiers) and page tags, judged per template: extractor, check over a real store,
and a scan of a fixture site served on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
from functools import partial
from pathlib import Path

import pytest
from conftest import AS_OF, read_findings, run_cli
from govaudit.checks.identity import run
from govaudit.crawler.extract.a11y_static import extract as a11y_extract
from govaudit.crawler.extract.core import extract as core_extract
from govaudit.crawler.extract.core import page_context
from govaudit.crawler.extract.identity import extract as identity_extract

from govaudit.model import UrlRecord, url_key
from govaudit.ruleset import load_ruleset
from govaudit.store import Store, StoreWriter

SITE = "https://www.yx.gov.cn/"
SITE_META = {"SiteName": "云溪县人民政府", "SiteDomain": "www.yx.gov.cn", "SiteIDCode": "5399210001"}
COLUMN_META = {"ColumnName": "通知公告", "ColumnDescription": "发布通知公告", "ColumnKeywords": "通知,公告", "ColumnType": "工作动态"}
ARTICLE_META = {"ArticleTitle": "关于开展检查的通知", "PubDate": "2026-11-02 09:30", "ContentSource": "县政府办"}


def footer(site_id: str = "5399210001", icp_link: bool = True, police: str = "53992102000001", conac: bool = True,
           sponsor: bool = True, contact: bool = True) -> str:
    icp = "滇ICP备05009876号-1"
    icp_html = f'<a href="https://beian.miit.gov.cn/">{icp}</a>' if icp_link else icp
    return ('<div class="footer">'
            + ('<p>主办单位：云溪县人民政府办公室</p>' if sponsor else "")
            + ('<p>联系电话：0871-12345678</p>' if contact else "")
            + (f'<p>网站标识码：{site_id}</p>' if site_id else "")
            + f'<p>{icp_html} <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode={police}">滇公网安备 {police}号</a></p>'
            + ('<a href="https://bszs.conac.cn/sitename?method=show&id=1"><img src="https://dcs.conac.cn/image/red.png" alt="党政机关"></a>' if conac else "")
            + "</div>")


def html(meta: dict[str, str], body: str = "<p>正文</p>", foot: str | None = None, layout: str = "article") -> str:
    tags = "".join(f'<meta name="{k}" content="{v}">' for k, v in meta.items())
    return (f'<html lang="zh"><head><meta charset="utf-8"><title>t</title>{tags}</head><body>'
            f'<div class="head"><a href="/">首页</a></div><div class="{layout}"><div class="c">{body}</div></div>'
            f'{footer() if foot is None else foot}</body></html>')


def facts_of(source: str, url: str, kind: str) -> dict:
    ctx = page_context(url, source.encode("utf-8"), site=SITE, is_home=kind == "home")
    return {**core_extract(ctx), **a11y_extract(ctx), **identity_extract(ctx), "kind": kind}


def view_of(tmp_path: Path, pages: dict[str, tuple[str, str]], site: str = SITE):
    """Pages written through the store's writer (bodies must differ: one body at two URLs is one document)."""
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(site, site, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    for url, (source, kind) in pages.items():
        writer.add_url(url_key(url), url, "page", 1)
        writer.record(UrlRecord(url=url, kind="page", depth=1, state="done", status=200, content_type="text/html",
                                facts=facts_of(source, url, kind)))
    writer.flush()
    return store.view(scan)


def found(tmp_path, pages, site=SITE, rules=None):
    return list(run(view_of(tmp_path, pages, site), rules or load_ruleset()))


def test_footer_identifiers_are_read():
    facts = facts_of(html(SITE_META), SITE + "a.html", "article")["identity"]
    assert facts["site_id"] == "5399210001" and facts["icp"] == "滇ICP备05009876号-1"
    assert facts["police"] == "53992102000001" and facts["police_link"].startswith("http://www.beian.gov.cn/")
    assert facts["icp_link"] == "https://beian.miit.gov.cn/" and "conac.cn" in facts["conac"]
    assert facts["sponsor"] == "云溪县人民政府办公室" and facts["contact"] is True and facts["footer"] == "footer"


def test_a_footer_split_in_two_and_printed_after_the_page_end_is_read_whole():
    """A Changzhou template: 主办单位 and contacts in ``div.footer_con``, then scripts, ``</body></html>``, then the
    identifiers in ``table.site-bottom`` — one footer to a visitor (tests/corpus/pages/cznd-20160720.html)."""
    page = ('<html lang="zh"><head><meta charset="utf-8"><title>t</title></head><body><div class="c"><p>正文</p></div>'
            '<div class="footer_con"><p>主办单位：云溪县人民政府办公室</p><p>联系电话：0871-12345678</p></div>'
            '<script src="/a.js"></script><style>p{}</style></body></html>'
            '<table class="site-bottom"><tr><td>滇公网安备 53992102000001号 网站标识码：5399210001 '
            '<a href="https://beian.miit.gov.cn/">滇ICP备05009876号-1</a></td></tr></table>')
    facts = facts_of(page, SITE + "a.html", "article")["identity"]
    assert facts["site_id"] == "5399210001" and facts["icp"] == "滇ICP备05009876号-1" and facts["police"] == "53992102000001"
    assert facts["sponsor"] == "云溪县人民政府办公室" and facts["contact"] is True and facts["footer"] == "footer"


@pytest.mark.parametrize("printed, field, value", [
    ("晋ICP备05003854", "icp", "晋ICP备05003854"),  # no 号 (taiyuan)
    ("蜀ICP备：19007388号", "icp", "蜀ICP备：19007388号"),  # a colon after 备 (sctcm)
    ("鄂ICP备19031037-2号", "icp", "鄂ICP备19031037-2号"),  # the suffix before 号 (swj-wuhan)
    ("京ICP备05084924号-5", "icp", "京ICP备05084924号-5"),
    ("粤公网安备号 44030402003007", "police", "44030402003007"),  # wtl-sz
    ("公安机关备案号： 36010802000157", "police", "36010802000157"),  # wgxj-nc
    ("西安市人民政府办公厅主办 | 关于我们", "sponsor", "西安市人民政府办公厅"),  # "A主办" as a segment (xa-qxrd)
    ("鄂公网安备 42010202000792号 武汉市人民政府主办 武汉市数据局承办", "sponsor", "武汉市人民政府"),
    ("主办：广州开发区管委会 广州市黄埔区人民政府 承办：广州市黄埔区政务服务和数据管理局", "sponsor",
     "广州开发区管委会 广州市黄埔区人民政府"),  # two bodies (hp-xxgk)
    ("主办单位：安溪县人民政府办公室 为确保最佳浏览效果，建议使用IE9以上浏览器", "sponsor", "安溪县人民政府办公室"),
    ("活动由河北省中山国文化研究会、石家庄日报社主办，协会承办", "sponsor", None),  # a sentence names no sponsor
])
def test_footer_wordings_of_real_sites_are_read(printed, field, value):
    """Each wording is one a real corpus page prints (tests/corpus/manifest.yaml, identity labels)."""
    facts = facts_of(html(SITE_META, foot=f'<div class="footer"><p>{printed}</p></div>'), SITE + "a.html", "article")
    assert facts["identity"].get(field) == value


def test_a_phone_footer_does_not_hide_the_desktop_one():
    """A responsive template (乌鲁木齐): the desktop footer prints every identifier, the phone one, last, fewer."""
    page = ('<html lang="zh"><head><meta charset="utf-8"><title>t</title></head><body>'
            '<div class="pc"><div class="c">正文</div><div class="copy">主办：乌鲁木齐市人民政府办公室 网站标识码6501000002 '
            '新ICP备05001907号 新公网安备 65010502000005号</div></div>'
            '<div class="phone"><div class="c">正文</div><div class="copy">主办：乌鲁木齐市人民政府办公室 新ICP备05001907号</div>'
            '</div></body></html>')
    facts = facts_of(page, SITE + "a.html", "article")["identity"]
    assert (facts["site_id"], facts["icp"], facts["police"]) == ("6501000002", "新ICP备05001907号", "65010502000005")


def test_the_real_split_footer_is_read_whole():
    source = (Path(__file__).parent / "corpus/pages/cznd-20160720.html").read_text(encoding="utf-8")
    facts = facts_of(source, "http://www.cznd.gov.cn/a.html", "article")["identity"]
    assert (facts["site_id"], facts["icp"], facts["police"]) == ("3204110029", "苏ICP备06004659号", "32041102001034")
    assert facts["sponsor"].startswith("常州国家高新技术产业开发区") and facts["contact"] is True


def test_a_footer_written_by_script_is_read_from_its_strings_and_says_so(tmp_path):
    """广东省人民政府 (tests/corpus/pages/gd-ywbd-20230225.html) writes its whole footer from a script string: a
    visitor sees every identifier, the markup has none.  They are read from the string literals (escapes undone,
    nothing run), named in ``from_script``, and the site is not reported for lacking them."""
    markup = footer(sponsor=False)
    pieces = [markup[i:i + 60] for i in range(0, len(markup), 60)]
    sponsor = "<p>\\u4e3b\\u529e\\u5355\\u4f4d\\uff1a云溪县人民政府办公室</p>"  # 主办单位： as JavaScript escapes
    script = ("<script>var foot = " + " +\n  ".join(f"'{p}'" for p in pieces) + f' + "{sponsor}";'
              "document.write(foot);</script>")
    page = html(SITE_META, foot=script)
    facts = facts_of(page, SITE + "a.html", "article")["identity"]
    assert (facts["site_id"], facts["icp"], facts["police"]) == ("5399210001", "滇ICP备05009876号-1", "53992102000001")
    assert facts["sponsor"] == "云溪县人民政府办公室" and facts["contact"] is True
    assert facts["icp_link"] == "https://beian.miit.gov.cn/" and "conac.cn" in facts["conac"]
    assert facts["from_script"] == ["site_id", "icp", "police", "sponsor", "contact", "icp_link", "police_link", "conac"]
    assert not [hit.rule for hit in found(tmp_path, {SITE + "a.html": (page, "article")}) if hit.rule.startswith("identity.")]
    # printed in the markup: read there, nothing from the script
    assert "from_script" not in facts_of(html(SITE_META) + script, SITE + "b.html", "article")["identity"]
    # a script with no footer in its strings, or an unterminated string, adds nothing
    bare = html(SITE_META, foot="<script>var icp = 'ICP; var x = \"主办\" + y;</script>")
    assert "site_id" not in facts_of(bare, SITE + "c.html", "article")["identity"]


def test_the_real_footer_written_by_script_is_read():
    source = (Path(__file__).parent / "corpus/pages/gd-ywbd-20230225.html").read_text(encoding="utf-8")
    facts = facts_of(source, "http://www.gd.gov.cn/a.html", "article")["identity"]
    assert (facts["site_id"], facts["icp"], facts["police"], facts["sponsor"]) == (
        "4400000131", "粤ICP备05070829号", "44010402001160", "广东省人民政府办公厅")
    assert "site_id" in facts["from_script"]


def test_complete_site_gives_no_finding(tmp_path):
    pages = {SITE: (html(SITE_META, layout="home"), "home"),
             SITE + "tzgg/": (html({**SITE_META, **COLUMN_META}, layout="list"), "list")}
    pages.update({SITE + f"tzgg/{i}.html": (html({**SITE_META, **COLUMN_META, **ARTICLE_META}, f"<p>正文{i}</p>"), "article")
                  for i in range(5)})
    assert found(tmp_path, pages) == []


def test_missing_tag_on_a_template_is_one_finding_with_count_and_examples(tmp_path):
    pages = {SITE: (html(SITE_META, layout="home"), "home")}
    no_title = {**SITE_META, **COLUMN_META, **{k: v for k, v in ARTICLE_META.items() if k != "ArticleTitle"}}
    pages.update({SITE + f"art/{i:02d}.html": (html(no_title, f"<p>正文{i}</p>"), "article") for i in range(40)})
    hits = [h for h in found(tmp_path, pages) if h.rule == "meta.article_tags"]
    assert len(hits) == 1
    ev = hits[0].evidence
    assert ev["pages"] == 40 and ev["template_pages"] == 40 and len(ev["examples"]) == 5
    assert ev["expected"].startswith("ArticleTitle") and ev["found"] == "缺少 ArticleTitle 标签"


def test_one_odd_page_does_not_condemn_its_template(tmp_path):
    pages = {SITE + f"art/{i}.html": (html({**SITE_META, **COLUMN_META, **ARTICLE_META}, f"<p>{i}</p>"), "article")
             for i in range(4)}
    pages[SITE + "art/odd.html"] = (html({**SITE_META, **COLUMN_META}), "article")
    assert not [h for h in found(tmp_path, pages) if h.rule == "meta.article_tags"]


def test_identity_findings_say_what_was_expected_and_found(tmp_path):
    bad = footer(site_id="5399210002", icp_link=False, police="5399210200000", conac=False, sponsor=False, contact=False)
    pages = {SITE: (html(SITE_META, foot=bad, layout="home"), "home")}
    by = {h.rule: h.evidence for h in found(tmp_path, pages)}
    assert "与 SiteIDCode 标签“5399210001”不一致" in by["identity.site_id_code"]["found"]
    assert by["identity.icp"]["found"] == "ICP备案编号“滇ICP备05009876号-1”未链接到 beian.miit.gov.cn"
    assert by["identity.police_record"]["found"] == "公安机关备案号“5399210200000”为 13 位"
    assert {"identity.conac", "identity.sponsor", "identity.contact"} <= set(by)
    assert "beian.miit.gov.cn" in by["identity.icp"]["expected"]


def test_meta_values_format_vocabulary_domain_and_consistency(tmp_path):
    odd = {**SITE_META, **COLUMN_META, **ARTICLE_META, "PubDate": "2026/11/02", "ColumnType": "杂项",
           "SiteDomain": "yx.example.com"}
    pages = {SITE + f"a/{i}.html": (html(odd, f"<p>{i}</p>"), "article") for i in range(3)}
    pages[SITE + "b/1.html"] = (html({**SITE_META, "SiteIDCode": "5399210009"}, layout="other"), "other")
    by = {h.rule: h.evidence for h in found(tmp_path, pages)}
    assert by["meta.pubdate_format"]["found"] == "PubDate“2026/11/02”"
    assert by["meta.columntype_vocab"]["found"] == "ColumnType“杂项”"
    assert by["meta.sitedomain_host"]["found"] == "SiteDomain“yx.example.com”，网站为 www.yx.gov.cn"
    assert "5399210009（1 页）" in by["meta.siteidcode_consistent"]["found"]


def test_domain_and_https(tmp_path):
    pages = {"http://www.yunxi.com/": (html(SITE_META, layout="home"), "home")}
    by = {h.rule: h.evidence for h in found(tmp_path, pages, site="http://www.yunxi.com/")}
    assert by["identity.domain"]["found"] == "www.yunxi.com" and ".gov.cn" in by["identity.domain"]["expected"]
    assert "未重定向到 HTTPS" in by["identity.https"]["found"]
    (tmp_path / "secure").mkdir()
    secure = {"https://www.yx.gov.cn/": (html(SITE_META, layout="home"), "home")}
    rules = {h.rule for h in found(tmp_path / "secure", secure, site="https://www.yx.gov.cn/")}
    assert not rules & {"identity.domain", "identity.https"}


# -- HTTPS: the probe (crawler/https_probe.py) and what the check makes of its host facts --------------------------
@pytest.fixture(scope="module")
def tls_port(tmp_path_factory):
    """A TLS server on 127.0.0.1 with a throwaway certificate (trustme) for the address; yields (port, CA file)."""
    import ssl

    import trustme

    ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield server.server_port, ca_file
    server.shutdown()


def test_https_probe_offered_valid_invalid_and_not(tls_port, monkeypatch):
    from govaudit.crawler.https_probe import probe

    port, ca_file = tls_port
    untrusted = probe("127.0.0.1", port, timeout=5)
    assert untrusted["offered"] is True and untrusted["cert_valid"] is False
    assert "certificate" in untrusted["cert_error"] or "issuer" in untrusted["cert_error"]
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the throwaway CA trusted: the same server verifies
    trusted = probe("127.0.0.1", port, timeout=5)
    assert trusted["offered"] is True and trusted["cert_valid"] is True and trusted["tls_version"].startswith("TLS")
    monkeypatch.delenv("SSL_CERT_FILE")
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:  # an HTTP server on the port: something answers, but not TLS
        assert probe("127.0.0.1", plain.server_port, timeout=5) == {"port": plain.server_port, "offered": False,
                                                                   "error": "tls_handshake"}
    finally:
        plain.shutdown()
    closed = probe("127.0.0.1", 9, timeout=5)
    assert closed == {"port": 9, "offered": False, "error": "refused"}


def https_findings(tmp_path, site: str, host_facts: dict) -> dict:
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(site, site, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    writer.add_url(url_key(site), site, "page", 0)
    writer.record(UrlRecord(url=site, kind="page", depth=0, state="done", status=200, content_type="text/html",
                            facts=facts_of(html(SITE_META, layout="home"), site, "home")))
    writer.flush()
    store.set_host_facts(scan, "www.yx.gov.cn", host_facts)
    return {h.rule: h.evidence for h in run(store.view(scan), load_ruleset()) if h.rule.startswith("identity.https")}


def test_https_check_reads_the_probe(tmp_path):
    valid = {"https_probe": {"port": 443, "offered": True, "cert_valid": True, "tls_version": "TLSv1.3"}}
    # started at https:// and http:// redirects there: nothing to say
    assert https_findings(tmp_path / "a", SITE, {**valid, "http_probe": {"status": 301, "to_https": True}}) == {}
    # started at https://, but http:// answers without redirecting
    by = https_findings(tmp_path / "b", SITE, {**valid, "http_probe": {"status": 200, "to_https": False}})
    assert by == {"identity.https": {"expected": "443 端口提供 HTTPS，HTTP 访问重定向到 HTTPS", "https_offered": True,
                                     "http_redirects": False, "found": "443 端口提供 HTTPS，但 HTTP 访问未重定向到 HTTPS"}}
    # a site served over http:// whose port 443 refuses
    by = https_findings(tmp_path / "c", "http://www.yx.gov.cn/", {"https_probe": {"port": 443, "offered": False, "error": "refused"}})
    assert by["identity.https"]["found"] == "443 端口未提供 HTTPS（refused），HTTP 访问未重定向到 HTTPS"
    # offered with a self-signed certificate: its own finding, besides the missing redirect
    bad = {"https_probe": {"port": 443, "offered": True, "cert_valid": False, "cert_error": "self-signed certificate"}}
    by = https_findings(tmp_path / "d", "http://www.yx.gov.cn/", bad)
    assert by["identity.https_certificate"]["found"] == "证书无效：self-signed certificate"
    assert by["identity.https"]["https_offered"] is True


def test_thresholds_come_from_the_rule_set(tmp_path):
    rules = load_ruleset()
    rules.data["params"]["identity"]["police_digits"] = 13
    pages = {SITE: (html(SITE_META, foot=footer(police="5399210200000"), layout="home"), "home")}
    assert "identity.police_record" not in {h.rule for h in found(tmp_path, pages, rules=rules)}


# -- a scan of a served fixture site ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("identity-site")
    (root / "index.html").write_text(html(SITE_META, body='<a href="tzgg/index.html">通知公告</a>', layout="home"),
                                     encoding="utf-8")
    (root / "tzgg").mkdir()
    links = "".join(f'<li><a href="{i}.html">通知{i}</a></li>' for i in range(6))
    (root / "tzgg" / "index.html").write_text(html({**SITE_META, **COLUMN_META}, body=f"<ul>{links}</ul>", layout="list"),
                                              encoding="utf-8")
    no_police = footer(police="")  # the article template lost its 公安备案 number
    for i in range(6):
        meta = {**SITE_META, **COLUMN_META, **{k: v for k, v in ARTICLE_META.items() if k != "ContentSource"}}
        (root / "tzgg" / f"{i}.html").write_text(html(meta, body=f"<h1>通知{i}</h1><p>发布时间：2026-11-0{i + 1}</p>",
                                                      foot=no_police), encoding="utf-8")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = tmp_path_factory.mktemp("identity-out")
    try:
        run_cli("scan", f"http://127.0.0.1:{server.server_port}/", "--out", str(out), "--as-of", AS_OF.isoformat(),
                "--timeout", "2", "--a11y", "off", "--ignore-robots", "--no-external")  # the record sites are off-site: never fetched
    finally:
        server.shutdown()
    return read_findings(out), f"http://127.0.0.1:{server.server_port}/"


def test_scan_reports_per_template(served):
    findings, base = served
    rules = [f for f in findings if f["rule"].startswith(("identity.", "meta."))]
    police = [f for f in rules if f["rule"] == "identity.police_record"]
    assert len(police) == 1 and police[0]["evidence"]["pages"] == 6, rules
    assert police[0]["url"].startswith(base + "tzgg/") and police[0]["severity"] == "deduct"
    assert police[0]["message"].startswith("1 个模板的 6 个页面：应为") and "实为页脚未见公安机关备案号" in police[0]["message"]
    source = [f for f in rules if f["rule"] == "meta.article_tags"]
    assert [f["evidence"]["found"] for f in source] == ["缺少 ContentSource 标签"] and source[0]["evidence"]["pages"] == 6
    # the homepage and the list page are complete; a loopback host has no domain to judge
    assert {f["rule"] for f in rules} == {"identity.police_record", "meta.article_tags", "identity.https"}, rules


def test_pages_without_identity_facts_are_not_judged_on_their_footer(tmp_path):
    """A store written before the identity extractor existed (or with it switched off) says nothing of footers."""
    store = Store(tmp_path / "old.sqlite")
    scan = store.begin_scan(SITE, SITE, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    writer.add_url(url_key(SITE), SITE, "page", 0)
    writer.record(UrlRecord(url=SITE, kind="page", depth=0, state="done", status=200, content_type="text/html",
                            facts={"meta": dict(SITE_META), "template": "t1", "kind": "home"}))
    writer.flush()
    assert list(run(store.view(scan), load_ruleset())) == []


def test_templates_with_the_same_problem_are_one_finding(tmp_path):
    """One site-wide footer shared by several layouts: one finding naming every template, examples from each."""
    no_conac = footer(conac=False)
    pages = {SITE: (html(SITE_META, foot=no_conac, layout="home"), "home")}
    pages.update({SITE + f"a/{i}.html": (html(SITE_META, f"<p>{i}</p>", foot=no_conac), "article") for i in range(6)})
    pages.update({SITE + f"l/{i}.html": (html(SITE_META, f"<p>{i}</p>", foot=no_conac, layout="list"), "list")
                  for i in range(3)})
    pages[SITE + "x.html"] = (html(SITE_META, foot=footer(conac=False, police="123"), layout="other"), "other")
    conac = [h for h in found(tmp_path, pages) if h.rule == "identity.conac"]
    assert len(conac) == 1
    ev = conac[0].evidence
    assert ev["template_count"] == 4 and ev["pages"] == 11 and conac[0].url == SITE
    assert {u.rsplit("/", 2)[-2] for u in ev["examples"][:4]} == {"www.yx.gov.cn", "a", "l"}  # one of each layout first
    (tmp_path / "p").mkdir()
    police = [h.evidence for h in found(tmp_path / "p", pages) if h.rule == "identity.police_record"]
    assert [(e["template_count"], e["found"]) for e in police] == [(1, "公安机关备案号“123”为 3 位")]
