"""Static accessibility facts, template signatures, and the accessibility check over a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from govaudit.checks.accessibility import run, wcag_from_tags
from govaudit.crawler.browser.sampling import PageInfo, choose
from govaudit.crawler.extract import PageContext
from govaudit.crawler.extract.a11y_static import MAX_ELEMENTS, extract, template_signature
from lxml import html as lxml_html

from govaudit.model import UrlRecord, url_key
from govaudit.readings import find_elder_entry
from govaudit.ruleset import load_ruleset
from govaudit.store import Store, StoreWriter


def facts_of(source: str, url: str = "http://gov.test/a.html", home: bool = False) -> dict:
    return extract(PageContext(url=url, tree=lxml_html.fromstring(source), is_home=home))


def rules_of(facts: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in facts["a11y_static"]:
        out.setdefault(item["rule"], []).append(item)
    return out


def gov_page(title: str, items: int, body_class: str = "article", extra: str = "") -> str:
    """A page shaped like a CMS template of a government site (header, nav, list/article, footer)."""
    nav = "".join(f'<li><a href="/col{i}/">栏目{i}</a></li>' for i in range(12))
    rows = "".join(f'<li><a href="/art/{i}.html" title="标题{i}">关于开展第{i}项工作的通知</a><span>2025-01-{i % 28 + 1:02d}</span></li>'
                   for i in range(items))
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="header"><div class="logo"><img src="/logo.png" alt="某市人民政府"></div>
<div class="search"><form action="/search"><label for="kw">搜索</label><input id="kw" name="q"><button>搜索</button></form></div></div>
<div class="nav" id="nav"><ul>{nav}</ul></div>
<div class="main {body_class}"><div class="left"><h2>{title}</h2><ul class="list">{rows}</ul></div>{extra}</div>
<div class="footer"><p>主办单位：某市人民政府办公室 网站标识码：1234000001 ICP备案号</p></div></body></html>"""


def test_clean_page_has_no_static_failures():
    facts = facts_of(gov_page("政务动态", 20))
    assert facts["a11y_static"] == [] and facts["a11y_static_counts"] == {}


def test_each_static_rule_with_selector_and_snippet():
    facts = facts_of("""<html><head><title>  </title></head><body>
<img src="/a.png"><img src="/b.png" alt=""><img src="/c.png" role="presentation">
<a href="/x"></a><a href="/y"><img src="/i.png" alt="首页"></a><a href="/z" aria-label="关闭"></a><a name="anchor"></a>
<button></button><button>提交</button><input type="button"><input type="image" src="/go.png">
<input type="text" id="q"><label for="q2">姓名</label><input id="q2"><label>电话<input name="tel"></label>
<input placeholder="请输入关键词"><input type="hidden" name="t"><select name="s"></select><textarea></textarea>
<div id="dup"></div><p id="dup">x</p><span id="dup"></span></body></html>""")
    found = rules_of(facts)
    assert [i["html"] for i in found["image-alt"]] == ['<img src="/a.png">']
    assert [i["html"] for i in found["link-name"]] == ['<a href="/x">']
    assert len(found["button-name"]) == 1 and len(found["input-button-name"]) == 1
    assert len(found["input-image-alt"]) == 1
    assert [i["html"] for i in found["label"]] == ['<input type="text" id="q">', "<textarea>"]
    assert len(found["select-name"]) == 1
    assert len(found["duplicate-id"]) == 1 and found["duplicate-id"][0]["html"] == '<p id="dup">'
    assert set(found) >= {"html-has-lang", "document-title", "bypass"}
    # the selector finds exactly the failing element again
    tree = lxml_html.fromstring(lxml_html.tostring(lxml_html.fromstring("<html><body><div><img src='/a.png'></div></body></html>")))
    sel = rules_of(extract(PageContext(url="http://x/", tree=tree)))["image-alt"][0]["selector"]
    from lxml.cssselect import CSSSelector  # noqa: PLC0415 (only here to verify selectors)
    assert len(CSSSelector(sel)(tree)) == 1


def test_bypass_passes_with_skip_link_landmark_or_heading():
    base = '<html lang="zh"><head><title>t</title></head><body>{}<div><a href="/a">a</a></div></body></html>'
    assert "bypass" in rules_of(facts_of(base.format("")))
    for ok in ('<a href="#content">跳到主要内容</a>', "<main>x</main>", '<div role="navigation">n</div>', "<h2>标题</h2>"):
        assert "bypass" not in rules_of(facts_of(base.format(ok))), ok


def test_counts_keep_the_total_when_elements_are_capped():
    facts = facts_of("<html lang='zh'><head><title>t</title></head><body><h1>x</h1>" + "<img src='/a.png'>" * 50 + "</body></html>")
    assert facts["a11y_static_counts"]["image-alt"] == 50
    assert len(rules_of(facts)["image-alt"]) == MAX_ELEMENTS


def test_template_signature_groups_by_layout_not_content():
    a = template_signature(lxml_html.fromstring(gov_page("政务动态", 20)))
    b = template_signature(lxml_html.fromstring(gov_page("通知公告", 7)))
    c = template_signature(lxml_html.fromstring(gov_page("文章", 3, body_class="detail",
                                                         extra='<div class="share"><a href="#">分享</a></div>')))
    assert a == b
    assert a != c
    # content ids that differ per article do not split the template
    d1 = template_signature(lxml_html.fromstring('<html><body><div id="content_123"><p>a</p></div></body></html>'))
    d2 = template_signature(lxml_html.fromstring('<html><body><div id="content_98765"><p>b</p><p>c</p></div></body></html>'))
    assert d1 == d2


def test_elder_entry_found_by_rule_set_words_or_toolbar_script():
    rules = load_ruleset()
    words, scripts = rules.param("a11y.elder.entry_keywords"), rules.param("a11y.elder.toolbar_scripts")
    home = facts_of('<html><body><div class="top"><a href="care/index.html">关怀版</a><a href="/">首页</a></div></body></html>',
                    url="http://gov.test/", home=True)
    entry = find_elder_entry(home["elder_candidates"], words, scripts)
    assert entry == {"text": "关怀版", "href": "http://gov.test/care/index.html", "via": "link", "selector": entry["selector"]}
    toolbar = facts_of('<html><head><script src="//wza.gov.test/assist/wza.js"></script></head><body><a href="/">首页</a></body></html>',
                       url="http://gov.test/", home=True)
    assert find_elder_entry(toolbar["elder_candidates"], words, scripts)["via"] == "script"
    plain = facts_of('<html><body><a href="/">首页</a></body></html>', url="http://gov.test/", home=True)
    assert find_elder_entry(plain["elder_candidates"], words, scripts) is None
    assert "elder_candidates" not in facts_of('<html><body><a href="/x">长者模式</a></body></html>')  # homepage only


def test_wcag_tags():
    assert wcag_from_tags(["cat.color", "wcag2aa", "wcag143"]) == (["1.4.3"], "AA")
    assert wcag_from_tags(["wcag2a", "wcag111", "wcag412"]) == (["1.1.1", "4.1.2"], "A")
    assert wcag_from_tags(["best-practice"]) == ([], None)


def test_sampling_must_haves_and_shares():
    pages = [PageInfo("http://s/", "H", "home", depth=0), PageInfo("http://s/mail", "M", "mailbox", depth=1)]
    pages += [PageInfo(f"http://s/c{i}/", "L", "list", column=f"栏目{i % 5}", depth=1) for i in range(10)]
    pages += [PageInfo(f"http://s/a/{i}", "A", "article", depth=2) for i in range(1000)]
    sample = choose(pages, mode="sample", home_url="http://s/", per_template=3, max_audits=100)
    assert sample.chosen[:2] == ["http://s/", "http://s/mail"]
    assert sum(1 for u in sample.chosen if sample.reasons[u] == "column_list") == 5  # one per column
    assert sum(1 for u in sample.chosen if "/a/" in u) == 3
    assert sum(sample.stands_for.values()) == len(pages)
    assert choose(pages, mode="all", home_url="http://s/", per_template=3, max_audits=100).chosen.__len__() == len(pages)
    assert choose(pages, mode="off", home_url="http://s/", per_template=3, max_audits=100).chosen == []
    capped = choose(pages, mode="sample", home_url="http://s/", per_template=3, max_audits=4)
    assert len(capped.chosen) == 4 and capped.chosen[:2] == ["http://s/", "http://s/mail"]


# ---- the check over a real store ----------------------------------------------------------------------

def make_store(tmp_path: Path, pages: dict[str, dict], artifacts: dict[tuple[str, str], dict]) -> tuple[Store, int]:
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan("http://gov.test/", "http://gov.test/", "2026-01-15", {}, "test")
    writer = StoreWriter(store, scan)
    for url, facts in pages.items():
        writer.add_url(url_key(url), url, "page", 0)
        writer.record(UrlRecord(url=url, kind="page", state="done", status=200, facts=facts))
    writer.flush()
    for (name, key), body in artifacts.items():
        store.put_artifact(scan, name, key, body)
    return store, scan


NOLANG = "<html><head><title>t</title></head><body><main><img src='/a.png'><input id='q'></main></body></html>"


def test_check_merges_static_and_axe_and_lets_axe_win(tmp_path):
    home, other = "http://gov.test/", "http://gov.test/a.html"
    pages = {home: {**facts_of(NOLANG, home, home=True), "kind": "home"}, other: {**facts_of(NOLANG, other), "kind": "article"}}
    axe = {"status": "audited", "url": home, "stands_for": 40, "ran": ["html-has-lang", "label"],
           "violations": [{"id": "image-alt", "impact": "critical", "tags": ["wcag2a", "wcag111"], "help": "Images must have alt",
                           "helpUrl": "https://dequeuniversity.com/rules/axe/4.14/image-alt", "count": 1,
                           "nodes": [{"target": ["img"], "html": "<img src=\"/a.png\">", "failureSummary": "Fix any"}],
                           "screenshot": "/tmp/x.png"}],
           "incomplete": [{"id": "color-contrast", "impact": "serious", "tags": ["wcag2aa", "wcag143"], "help": "contrast",
                           "count": 2, "nodes": [{"target": ["p"], "html": "<p>", "failureSummary": "bg image"}]}]}
    store, scan = make_store(tmp_path, pages, {("axe", home): axe, ("a11y_sampling", "groups"): {"mode": "sample", "pages": 2, "groups": [], "stands_for": {home: 40}}})
    findings = list(run(store.view(scan), load_ruleset()))
    on_home = {(f.rule, f.severity, f.extra.get("discriminator", "")) for f in findings if f.url == home}
    # one image-alt finding, from both sources; lang/label passed in the browser, so the static hits are dropped
    assert ("a11y.image-alt", "deduct", "") in on_home
    assert not any(r in ("a11y.html-has-lang", "a11y.label") for r, _, _ in on_home)
    assert ("a11y.color-contrast", "info", "review") in on_home
    alt = next(f for f in findings if f.url == home and f.rule == "a11y.image-alt")
    assert alt.evidence["sources"] == ["axe", "static"] and alt.evidence["stands_for"] == 40
    assert alt.evidence["screenshot"] == "/tmp/x.png" and alt.evidence["gbt_level"] == "一级"
    assert alt.extra["on_homepage"] is True
    # the page the browser did not audit keeps all its static findings
    on_other = {f.rule for f in findings if f.url == other}
    assert on_other == {"a11y.image-alt", "a11y.html-has-lang", "a11y.label"}
    assert len({f.fingerprint for f in findings}) == len(findings)
    # no elderly entry on this homepage
    assert any(f.rule == "elder.entry" and f.url == home for f in findings)


def test_check_without_browser_audit_reports_coverage(tmp_path):
    home = "http://gov.test/"
    store, scan = make_store(tmp_path, {home: {**facts_of(NOLANG, home, home=True), "kind": "home"}}, {})
    findings = list(run(store.view(scan), load_ruleset()))
    cover = [f for f in findings if f.rule == "a11y.coverage"]
    assert len(cover) == 1 and cover[0].evidence["audited"] == 0


def test_province_can_disable_a_rule(tmp_path):
    home = "http://gov.test/"
    override = tmp_path / "prov.yaml"
    override.write_text("id: prov\nversion: '1'\ninherits: gov-2019\nrules:\n  a11y.image-alt:\n    severity: warn\n    enabled: false\n",
                        encoding="utf-8")
    store, scan = make_store(tmp_path, {home: {**facts_of(NOLANG, home, home=True), "kind": "home"}}, {})
    rules = {f.rule for f in run(store.view(scan), load_ruleset(override))}
    assert "a11y.image-alt" not in rules and "a11y.label" in rules


@pytest.mark.parametrize("title", ['<script>alert("x")</script>', "=HYPERLINK(\"http://evil\")"])
def test_hostile_text_is_kept_as_data(title):
    facts = facts_of(f"<html><head><title>{title}</title></head><body><img src='/a.png' alt='{title}'></body></html>")
    assert "document-title" not in rules_of(facts)
