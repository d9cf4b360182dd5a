"""The freshness extractor on saved CMS pages (tests/fixtures/pages) and on hand-written edge cases."""

import json
from datetime import date
from pathlib import Path

import pytest
from govaudit.crawler.extract.core import page_context
from govaudit.crawler.extract.freshness import MAX_ITEMS, extract

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(EXPECTED["as_of"])


def facts_of(html: str, url: str = "http://127.0.0.1:9/col/index.html", *, encoding: str = "utf-8",
             is_home: bool = False) -> dict:
    return extract(page_context(url, html.encode(encoding), is_home=is_home, as_of=AS_OF))


def page(body: str, meta: str = "", charset: str = "utf-8") -> str:
    return f'<html><head><meta charset="{charset}"><title>测试栏目_某县政府</title>{meta}</head><body>{body}</body></html>'


@pytest.mark.parametrize("name", sorted(EXPECTED["lists"]))
def test_fixture_list_newest_date(name):
    exp = EXPECTED["lists"][name]
    facts = extract(page_context(exp["url"], (FIXTURES / name).read_bytes(), as_of=AS_OF))
    dates = [i["date"] for i in facts["list_items"] if i["date"]]
    assert facts["kind"] == "list"
    assert (max(dates) if dates else None) == exp["newest"]
    assert facts["list_items"], "a list page has items (dated or not)"


@pytest.mark.parametrize("name", sorted(EXPECTED["articles"]))
def test_fixture_article_date(name):
    exp = EXPECTED["articles"][name]
    facts = extract(page_context(exp["url"], (FIXTURES / name).read_bytes(), as_of=AS_OF))
    assert facts["kind"] == "article"
    assert facts["article"]["date"] == exp["date"]
    assert facts["article"]["meta_date"] == exp["meta_date"]


def test_fixture_set_covers_cms_styles_and_encodings():
    names = " ".join(EXPECTED["lists"]) + " ".join(EXPECTED["articles"])
    for style in ("trs_", "hanweb_", "ucap_", "jsp_"):
        assert style in names
    charsets = {e["charset"] for e in [*EXPECTED["lists"].values(), *EXPECTED["articles"].values()]}
    assert charsets == {"utf-8", "gbk"}
    assert len(EXPECTED["lists"]) >= 40 and len(EXPECTED["articles"]) >= 40


def test_title_dates_are_not_publication_dates():
    facts = facts_of(page('<ul><li><a href="/a/1.html">关于印发2027年1月1日起施行办法的通知</a><span>2025-11-03</span></li>'
                          '<li><a href="/a/2.html">2026年工作计划</a><span>2025-10-01</span></li></ul>'))
    assert [i["date"] for i in facts["list_items"]] == ["2025-11-03", "2025-10-01"]
    assert facts["list_items"][0]["title"] == "关于印发2027年1月1日起施行办法的通知"


def test_header_clock_is_not_an_item_date():
    facts = facts_of(page('<div class="top">今天是2026年11月20日 星期五 <a href="/">网站首页</a></div>'
                          '<ul><li><a href="/a/1.html">县政府召开常务会议</a><span>2025-11-03</span></li></ul>'))
    assert [(i["title"], i["date"]) for i in facts["list_items"]] == [("县政府召开常务会议", "2025-11-03")]


def test_truncated_title_takes_title_attribute_and_unsorted_list():
    facts = facts_of(page('<ul><li><a href="1.html" title="关于开展安全生产大检查的通知全文">关于开展安全生产…</a><span>2024-01-02</span></li>'
                          '<li><a href="2.html">县政府召开常务会议</a><span>2025-12-30</span></li>'
                          '<li><a href="3.html">教育局部署校园安全</a><span>2025-03-01</span></li></ul>'))
    assert facts["list_items"][0]["title"] == "关于开展安全生产大检查的通知全文"
    assert max(i["date"] for i in facts["list_items"]) == "2025-12-30"
    assert facts["list_items"][1]["url"] == "http://127.0.0.1:9/col/2.html"


def test_undated_rows_kept_beside_dated_ones_but_not_navigation():
    facts = facts_of(page('<ul class="nav"><li><a href="/zwgk/">政务公开栏目</a></li><li><a href="/hd/">互动交流栏目</a></li></ul>'
                          '<ul><li><a href="/a/1.html">县政府召开常务会议</a><span>2025-11-03</span></li>'
                          '<li><a href="/a/2.html">教育局部署校园安全</a></li></ul>'))
    assert [(i["title"], i["date"]) for i in facts["list_items"]] == [("县政府召开常务会议", "2025-11-03"), ("教育局部署校园安全", None)]


def test_short_titles_count_as_dated_rows_of_a_list_only():
    """嘉奖令 (3 characters) is an item where long dated rows make the block a list (柘城 政府文件, tests/corpus);
    short dated labels elsewhere, undated short rows and 更多 never are."""
    rows = "".join(f'<li><a href="/zfwj/{i}.html">{t}</a><span>{d}</span></li>' for i, (t, d) in enumerate([
        ("县人民政府关于印发防汛抗旱应急预案的通知", "2018-07-10"), ("嘉奖令", "2018-06-11"), ("嘉奖令", "2018-06-07"),
        ("通报", ""), ("更多", "2018-06-01")]))
    side = '<div class="side"><ul><li><a href="/a.html">公告</a><span>2018-07-20</span></li></ul></div>'
    items = facts_of(page(f"<ul>{rows}</ul>{side}"))["list_items"]
    assert [(i["title"], i["date"]) for i in items] == [
        ("县人民政府关于印发防汛抗旱应急预案的通知", "2018-07-10"), ("嘉奖令", "2018-06-11"), ("嘉奖令", "2018-06-07")]


def test_impossible_and_future_dates_in_rows():
    facts = facts_of(page('<ul><li><a href="/a/1.html">县政府召开常务会议</a><span>2025-02-30</span></li>'
                          '<li><a href="/a/2.html">教育局部署校园安全</a><span>2030-01-01</span></li>'
                          '<li><a href="/a/3.html">农业农村局开展检查</a><span>2025-02-01</span></li></ul>'))
    assert [i["date"] for i in facts["list_items"]] == [None, "2030-01-01", "2025-02-01"]


def test_items_in_comments_datastore_and_script_json_carry_their_source():
    body = ('<ul><!-- <li><a href="/c/1.html">注释里的信息条目</a><em>2025-11-01</em></li> --></ul>'
            '<script type="text/xml"><datastore><recordset><record><![CDATA[<li><a href="/art/2025/11/2/art_1_2.html">'
            '大汉数据仓里的信息</a><span>2025-11-02</span></li>]]></record></recordset></datastore></script>'
            '<script>var listData = {"data": [{"docTitle": "脚本变量里的信息", "docPubUrl": "/j/3.html", '
            '"pubDate": "2025-11-03 09:30:00"}]};</script>')
    items = {i["source"]: i for i in facts_of(page(body))["list_items"]}
    assert items["comment"]["date"] == "2025-11-01" and items["comment"]["title"] == "注释里的信息条目"
    assert items["datastore"]["date"] == "2025-11-02"
    assert items["datastore"]["url"] == "http://127.0.0.1:9/art/2025/11/2/art_1_2.html"
    assert items["script-json"]["date"] == "2025-11-03" and items["script-json"]["url"] == "http://127.0.0.1:9/j/3.html"


def test_trs_pagination_and_query_pagination():
    facts = facts_of(page('<ul><li><a href="a.html">县政府召开常务会议</a><span>2025-11-03</span></li></ul>'
                          '<script>createPageHTML(500, 0, "index", "html");</script>'), "http://127.0.0.1:9/xxgk/tzgg/index.html")
    urls = [p["url"] for p in facts["pagination"]]
    assert urls[:2] == ["http://127.0.0.1:9/xxgk/tzgg/index_1.html", "http://127.0.0.1:9/xxgk/tzgg/index_2.html"]
    assert len(urls) == 50 and facts["pagination"][0]["index"] == 1  # a 500-page archive: capped, newest first
    facts = facts_of(page('<div class="pager"><a href="?page=2">下一页</a><a href="?page=9">尾页</a><a href="/other/?page=2">下一页</a>'
                          '<a href="/">首页面</a></div>'), "http://127.0.0.1:9/list.jsp?cid=5")
    assert [(p["url"], p["index"]) for p in facts["pagination"]] == [
        ("http://127.0.0.1:9/list.jsp?page=2", 2), ("http://127.0.0.1:9/list.jsp?page=9", 9)]


def test_newer_trs_pager_signature():
    facts = facts_of(page("<script>createPageHTML('page_div', 3, 1, 'index', 'shtml', 60);</script>"),
                     "http://127.0.0.1:9/zwdt/index_1.shtml")
    assert [p["url"] for p in facts["pagination"]] == ["http://127.0.0.1:9/zwdt/index.shtml", "http://127.0.0.1:9/zwdt/index_2.shtml"]


def test_blank_column_page():
    facts = facts_of(page('<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="./">人事信息</a></div>'
                          '<ul class="list"><li>暂无信息！</li></ul>', '<meta name="ColumnName" content="人事信息">'))
    assert facts["kind"] == "list" and facts["list_items"] == []
    assert facts["column"]["name"] == "人事信息" and facts["column"]["name_source"] == "meta ColumnName"
    assert "暂无信息！" in facts["column"]["short_texts"]


def test_column_evidence_from_breadcrumb_and_meta_type():
    facts = facts_of(page('<div class="crumb">当前位置：<a href="/">首页</a> » <a href="/zwgk/">政务公开</a> » <a href="./">部门动态</a></div>',
                          '<meta name="ColumnType" content="工作动态">'))
    col = facts["column"]
    assert col["name"] == "部门动态" and col["name_source"] == "breadcrumb"
    assert col["breadcrumb"] == ["首页", "政务公开", "部门动态"]
    assert col["type"] == "工作动态" and col["type_reason"] == "meta ColumnType"


def test_hundreds_of_dates_keep_the_newest():
    dates = [f"{2000 + n % 26}-0{1 + n % 9}-1{n % 10}" for n in range(900)]
    rows = "".join(f'<li><a href="/a/{n}.html">信息条目第{n}条标题</a><span>{d}</span></li>' for n, d in enumerate(dates))
    facts = facts_of(page(f"<ul>{rows}</ul>"))
    assert len(facts["list_items"]) == MAX_ITEMS and facts["column"]["items_total"] == 900
    kept = sorted((i["date"] for i in facts["list_items"]), reverse=True)
    assert kept == sorted(dates, reverse=True)[:MAX_ITEMS]


def test_the_newest_kept_are_what_one_stable_sort_of_every_row_gives():
    # 3,000 rows (several of _kept's chunks), few distinct dates (ties everywhere) and undated rows between them:
    # the newest first, page order among equals, the undated last.
    dates = [None if n % 7 == 0 else f"2026-0{1 + n % 5}-0{1 + n % 3}" for n in range(3000)]
    rows = "".join(f'<li><a href="/a/{n}.html">信息条目第{n}条标题</a><span>{d or "—"}</span></li>'
                   for n, d in enumerate(dates))
    facts = facts_of(page(f'<ul class="list">{rows}</ul>'))
    expected = sorted(range(3000), key=lambda n: dates[n] or "", reverse=True)[:MAX_ITEMS]
    assert [i["url"].rsplit("/", 1)[1] for i in facts["list_items"]] == [f"{n}.html" for n in expected]
    assert facts["column"]["items_total"] == 3000


def test_visible_date_wins_over_meta_and_signing_date_loses():
    html = page('<h1>关于做好秋冬季安全工作的通知</h1><table><tr><td>成文日期：</td><td>2025年10月20日</td>'
                '<td>发布日期：</td><td>2025年11月03日</td></tr></table><p>会议时间：2026年12月1日</p>',
                '<meta name="PubDate" content="2025-10-30 08:00"><meta name="ArticleTitle" content="关于做好秋冬季安全工作的通知">')
    facts = facts_of(html, "http://127.0.0.1:9/a/t1.html")
    assert facts["kind"] == "article"
    assert facts["article"] == {"date": "2025-11-03", "date_text": "2025年11月03日", "source": "label", "meta_date": "2025-10-30"}


def test_gbk_page():
    html = page('<ul><li><a href="/a/1.html">县政府召开常务会议</a><span>2025年11月3日</span></li>'
                '<li><a href="/a/2.html">教育局部署校园安全</a><span>2025年10月3日</span></li>'
                '<li><a href="/a/3.html">农业农村局开展检查</a><span>2025年9月3日</span></li></ul>', charset="gbk")
    facts = facts_of(html, encoding="gb18030")
    assert facts["kind"] == "list" and facts["list_items"][0]["title"] == "县政府召开常务会议"
    assert facts["list_items"][0]["date"] == "2025-11-03"


@pytest.mark.parametrize("html", ["", "<html", "<html><body><a href='x'>" + "<div>" * 500, "\x00\x01binary",
                                  "<script>var x = {\"title\": [</script>", "<script type='text/xml'><datastore><record>"])
def test_broken_markup_does_not_crash(html):
    facts = facts_of(html)
    assert facts["kind"] in ("other", "list", "article") and isinstance(facts["list_items"], list)


def test_home_kind():
    facts = facts_of(page('<ul><li><a href="/a/1.html">县政府召开常务会议</a><span>11-03</span></li></ul>'), "http://127.0.0.1:9/",
                     is_home=True)
    assert facts["kind"] == "home" and facts["list_items"][0]["date"] == "2026-11-03"


STATIC_META = '<meta name="ColumnName" content="联系我们">'
SIDE = ('<div class="side"><ul><li><a href="/zwgk/tzgg/">通知公告</a></li><li><a href="/zwgk/czyjs/">财政预决算</a></li>'
        '<li><a href="/zwgk/yjgl/">应急管理</a></li></ul></div>')


@pytest.mark.parametrize("body", [
    '<div class="article"><h1>联系我们</h1><p>主办单位：某县人民政府办公室</p><p>联系电话：0551-6123456</p></div>',
    '<div class="article"><h1>无障碍浏览服务</h1><p>本网站提供页面放大、高对比度、语音阅读等辅助浏览功能。</p></div>',
    '<div class="box"><h2>网站地图</h2><ul class="cols"><li><a href="/xw/">新闻</a></li><li><a href="/zwgk/tzgg/">通知公告</a>'
    '</li><li><a href="/zwgk/czyjs/">财政预决算</a></li><li><a href="/hdjl/xzxx/">县长信箱</a></li></ul></div>',
])
def test_static_page_with_column_meta_is_not_a_column_list(body):
    facts = facts_of(page(f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="./">联系我们</a></div>{body}',
                          STATIC_META + '<meta name="ColumnType" content="概况信息">'))
    assert facts["kind"] == "other" and facts["list_items"] == [] and facts["column"]["list_containers"] == []
    assert facts["column"]["name"] == "联系我们"  # the evidence is still recorded


@pytest.mark.parametrize("body, evidence", [
    ('<ul class="news-list">\n</ul>', "ul.news-list: empty"),
    ('<table class="list-table"><thead><tr><th>序号</th><th>标题</th><th>发布日期</th></tr></thead><tbody></tbody></table>',
     "header “序号/标题/发布日期”"),
    ('<table><tr><th>标题</th><th>发布时间</th></tr><tr><td colspan="2">暂无数据</td></tr></table>', "only “暂无数据”"),
    ('<div class="no-data">暂无信息</div>', "div.no-data: only “暂无信息”"),
])
def test_empty_list_container_with_column_meta_is_a_blank_list(body, evidence):
    facts = facts_of(page(SIDE + f'<div class="content"><h2>财政预决算</h2><div style="padding:8px">{body}</div></div>',
                          '<meta name="ColumnName" content="财政预决算">'))
    assert facts["kind"] == "list" and facts["list_items"] == []
    [container] = facts["column"]["list_containers"]
    assert evidence in container


def test_empty_container_in_menu_or_footer_is_no_list_evidence():
    facts = facts_of(page('<div class="footer"><ul class="links-list"></ul></div><ul class="nav news-list"></ul>'
                          '<div class="article"><p>主办单位：某县人民政府办公室</p></div>', STATIC_META))
    assert facts["column"]["list_containers"] == [] and facts["kind"] == "other"


def test_picture_news_list_with_image_links_is_a_dated_list():
    rows = "".join(f'<li><a href="/tp/{n}.html"><img src="/p/{n}.jpg"></a><a href="/tp/{n}.html">【图片新闻】乡镇生态保护见闻{n}</a>'
                   f'<span class="date">[2026-09-{10 + n}]</span></li>' for n in range(5))
    facts = facts_of(page(f'<ul class="pic-list">{rows}</ul>', '<meta name="ColumnName" content="图片新闻">'))
    assert facts["kind"] == "list" and facts["column"]["list_containers"] == []
    assert max(i["date"] for i in facts["list_items"]) == "2026-09-14" and len(facts["list_items"]) == 5


def test_date_line_under_the_title_outranks_a_later_pubdate_meta():
    """Real 开普云 pages (tests/corpus sc-10462-*) print '2024年12月07日 08时01分 来源' under the title and carry
    a later regeneration date in PubDate: the reader's date wins, the meta is kept beside it."""
    meta = '<meta name="ArticleTitle" content="全省医药健康产业供需对接活动举行"><meta name="PubDate" content="2024-12-10 08:23:48">'
    facts = facts_of(page('<h1>全省医药健康产业供需对接活动举行</h1><p>2024年12月07日 08时01分 来源: 四川日报</p>'
                          '<p>正文。</p>', meta))
    assert (facts["article"]["date"], facts["article"]["meta_date"]) == ("2024-12-07", "2024-12-10")


def test_a_labelled_content_date_after_the_title_does_not_outrank_the_meta():
    meta = '<meta name="ArticleTitle" content="第八届未来医疗生态展会"><meta name="PubDate" content="2024-03-01 16:39">'
    facts = facts_of(page('<h1>第八届未来医疗生态展会</h1><p>开始时间：2024-05-08</p><p>结束时间：2024-05-10</p>', meta))
    assert facts["article"]["date"] == "2024-03-01"


def test_object_literal_script_list_is_read_not_the_generation_time():
    """Issue 11: a list whose items exist only in ``var listData = {articleList:[…]}`` (unquoted keys, not
    JSON) was read as the page's generation time."""
    script = ("<script>var listData = {total:3, articleList:[{title:'关于春节放假的通知',url:'/a/1.html',"
              "pubDate:'2026-01-20'},{title:'关于安全检查的通知',url:'/a/2.html',pubDate:'2025-12-11'},"
              "{title:'关于征求意见的公告',url:'/a/3.html',pubDate:'2025-11-02'}]};</script>")
    facts = facts_of(page(f'<ul id="list"></ul>{script}<div class="footer">页面生成时间 2026-11-30</div>',
                          '<meta name="ColumnName" content="通知公告">'), "http://127.0.0.1:9/tzgg/index.html")
    assert facts["kind"] == "list"
    assert [(i["date"], i["source"]) for i in facts["list_items"]] == [
        ("2026-01-20", "script-json"), ("2025-12-11", "script-json"), ("2025-11-02", "script-json")]


def test_script_code_that_is_no_literal_is_skipped():
    facts = facts_of(page("<script>var cfg = {init: function(){ return 1; }, x: [1,2]};</script><p>正文</p>"))
    assert facts["list_items"] == []
