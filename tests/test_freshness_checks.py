"""govaudit.checks.freshness on a real scan store: stale, blank and undated columns, the homepage, the veto counts."""

from datetime import date, timedelta

from govaudit.checks.freshness import classify_column, list_key, run
from govaudit.crawler.extract.core import page_context
from govaudit.crawler.extract.freshness import extract

from govaudit.model import UrlRecord, url_key
from govaudit.ruleset import load_ruleset
from govaudit.store import Store, StoreWriter

SITE = "http://127.0.0.1:9/"
AS_OF = "2026-11-20"


def list_facts(name, dates, *, pagination=(), kind="list", placeholder=None, sources=None, name_source="meta ColumnName",
               first=0):
    items = [{"title": f"{name}信息{n}", "url": f"{SITE}{abs(hash(name)) % 997}/a{n}.html", "date": d,
              "date_text": d, "source": (sources or {}).get(n, "html")} for n, d in enumerate(dates, first)]
    return {"kind": kind, "column": {"name": name, "name_source": name_source, "type": None, "type_reason": None,
                                     "breadcrumb": [], "short_texts": [placeholder] if placeholder else []},
            "list_items": items, "pagination": [{"url": u, "index": i} for i, u in enumerate(pagination, 1)],
            "article": {"date": None, "date_text": None, "source": None, "meta_date": None}}


def days_ago(n):
    return (date.fromisoformat(AS_OF) - timedelta(days=n)).isoformat()


def make_view(tmp_path, pages, as_of=AS_OF):
    """pages: {url: facts | (facts, final_url, depth)} written through the store's real writer."""
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, as_of, {}, "test")
    writer = StoreWriter(store, scan)
    for url, value in pages.items():
        facts, final_url, depth = value if isinstance(value, tuple) else (value, None, 1)
        writer.add_url(url_key(url), url, "page", depth)
        writer.record(UrlRecord(url=url, kind="page", depth=depth, state="done", status=200, final_url=final_url,
                                content_type="text/html", facts=facts))
    writer.flush()
    return store.view(scan)


def findings(view, rules=None):
    return list(run(view, rules or load_ruleset()))


def by_rule(found, rule):
    return [f for f in found if f.rule == rule]


def home(dates):
    facts = list_facts("首页", dates, kind="home")
    return facts


def test_stale_news_column_with_evidence(tmp_path):
    view = make_view(tmp_path, {SITE: (home([days_ago(1)]), None, 0),
                                f"{SITE}xwzx/gzdt/index.html": list_facts("工作动态", [days_ago(30), days_ago(40)])})
    [f] = by_rule(findings(view), "columns.stale")
    assert f.url == f"{SITE}xwzx/gzdt/index.html" and f.severity == "deduct"
    ev = f.evidence
    assert ev["type"] == "news" and ev["window_days"] == 14 and "动态" in ev["type_reason"]
    assert ev["newest_date"] == days_ago(30) and ev["days_over"] == 16 and ev["newest_url"].endswith("a0.html")
    assert ev["list_pages"] == [f"{SITE}xwzx/gzdt/index.html"]
    assert "超期 16 天" in f.message
    assert by_rule(findings(view), "home.stale") == []


def test_fresh_and_unwindowed_columns_give_nothing(tmp_path):
    view = make_view(tmp_path, {f"{SITE}tzgg/index.html": list_facts("通知公告", [days_ago(100)]),
                                f"{SITE}zcjd/index.html": list_facts("政策解读", [days_ago(1000)])})
    assert by_rule(findings(view), "columns.stale") == []


def test_check_date_decides(tmp_path):
    view = make_view(tmp_path, {f"{SITE}tzgg/index.html": list_facts("通知公告", ["2026-05-01"])}, as_of="2026-11-20")
    [f] = by_rule(findings(view), "columns.stale")
    assert f.evidence["days_over"] == (date(2026, 11, 20) - date(2026, 5, 1)).days - 183
    view = make_view(tmp_path / "b", {f"{SITE}tzgg/index.html": list_facts("通知公告", ["2026-05-01"])}, as_of="2026-06-01")
    assert by_rule(findings(view), "columns.stale") == []


def test_undated_items_count_as_not_updated(tmp_path):
    view = make_view(tmp_path, {f"{SITE}gzdt/index.html": list_facts("部门动态", [None, None])})
    [f] = by_rule(findings(view), "columns.stale")
    assert f.evidence["newest_date"] is None and f.evidence["undated_items"] == 2
    assert "无日期信息视为未更新" in f.message


def test_undated_row_takes_its_article_date(tmp_path):
    col = list_facts("部门动态", [None])
    article = {"kind": "article", "list_items": [], "pagination": [], "column": {},
               "article": {"date": days_ago(2), "date_text": "", "source": "label", "meta_date": None}}
    view = make_view(tmp_path, {f"{SITE}gzdt/index.html": col, col["list_items"][0]["url"]: article})
    assert by_rule(findings(view), "columns.stale") == []


def test_undated_row_takes_the_date_of_the_article_it_redirects_to(tmp_path):
    """The item links to a URL that redirected to the article: any URL of the article page gives its date."""
    col = list_facts("部门动态", [None])
    moved = col["list_items"][0]["url"]
    article = {"kind": "article", "list_items": [], "pagination": [], "column": {},
               "article": {"date": days_ago(20), "date_text": "", "source": "label", "meta_date": None}}
    view = make_view(tmp_path, {f"{SITE}gzdt/index.html": col, f"{SITE}doc/1.html": article,
                                moved: (None, f"{SITE}doc/1.html", 2)})
    [f] = by_rule(findings(view), "columns.stale")
    assert f.evidence["newest_date"] == days_ago(20) and f.evidence["newest_date_from"] == "article page"
    assert f.evidence["undated_items"] == 0


def test_a_long_column_is_counted_whole_and_listed_in_part(tmp_path):
    """25 pages, each with its own row and the same side row: every row is counted, each (URL, title) judged
    once, and the finding lists the first 20 pages and the first 5 future-dated rows."""
    urls = [f"{SITE}gzdt/index.html"] + [f"{SITE}gzdt/index_{n}.html" for n in range(1, 25)]
    pages = {}
    for n, url in enumerate(urls):
        facts = list_facts("工作动态", ["2031-01-01" if n < 7 else days_ago(40 + n)], first=n, pagination=urls[1:2])
        facts["list_items"].append({"title": "侧栏", "url": f"{SITE}side.html", "date": None, "date_text": None,
                                    "source": "html"})
        pages[url] = facts
    [f] = by_rule(findings(make_view(tmp_path, pages)), "columns.stale")
    ev = f.evidence
    assert ev["list_page_count"] == 25 and ev["list_pages"] == sorted(urls)[:20]
    assert ev["items"] == 50 and ev["undated_items"] == 1
    assert [i["date"] for i in ev["future_dated_items"]] == ["2031-01-01"] * 5 and "另有 7 条信息" in f.message
    assert ev["newest_date"] == days_ago(47)


def test_future_dates_are_no_evidence_of_update(tmp_path):
    view = make_view(tmp_path, {f"{SITE}gzdt/index.html": list_facts("工作动态", ["2030-01-01", days_ago(60)])})
    [f] = by_rule(findings(view), "columns.stale")
    assert f.evidence["newest_date"] == days_ago(60)
    assert f.evidence["future_dated_items"][0]["date"] == "2030-01-01" and "晚于检查日" in f.message


def test_pagination_pages_form_one_column(tmp_path):
    first, second = f"{SITE}gzdt/index.html", f"{SITE}gzdt/index_1.html"
    view = make_view(tmp_path, {first: list_facts("工作动态", [days_ago(40)], pagination=[second]),
                                second: list_facts("工作动态", [days_ago(20)], name_source="title", first=1),
                                f"{SITE}other/list.jsp?page=2": list_facts("乡镇动态", [days_ago(50)], name_source="title")})
    stale = by_rule(findings(view), "columns.stale")
    assert sorted(f.url for f in stale) == [f"{SITE}gzdt/index.html", f"{SITE}other/list.jsp"]
    gzdt = next(f for f in stale if "gzdt" in f.url)
    assert gzdt.evidence["list_pages"] == [first, second] and gzdt.evidence["newest_date"] == days_ago(20)
    assert list_key(f"{SITE}a/index_12.shtml") == f"{SITE}a/index.shtml"
    assert list_key(f"{SITE}l.jsp?cid=3&pageNo=4") == f"{SITE}l.jsp?cid=3"


def test_blank_columns_and_placeholders(tmp_path):
    placeholder = list_facts("人事信息", [])
    placeholder["list_items"] = [{"title": "暂无信息", "url": f"{SITE}rs/", "date": None, "date_text": None, "source": "html"}]
    view = make_view(tmp_path, {f"{SITE}rs/index.html": placeholder,
                                f"{SITE}gh/index.html": list_facts("规划计划", []),
                                f"{SITE}jg/index.html": list_facts("机构职能", [], kind="other", placeholder="栏目建设中……"),
                                f"{SITE}plain/index.html": list_facts("普通页面", [], kind="other")})
    empty = {f.url: f for f in by_rule(findings(view), "columns.empty")}
    assert set(empty) == {f"{SITE}rs/index.html", f"{SITE}gh/index.html", f"{SITE}jg/index.html"}
    assert "暂无信息" in empty[f"{SITE}rs/index.html"].message
    assert by_rule(findings(view), "columns.stale") == []


def test_veto_counts_reach_rule_set_thresholds(tmp_path):
    pages = {f"{SITE}d{n}/index.html": list_facts(f"区县动态{n}", [days_ago(30)]) for n in range(5)}
    pages.update({f"{SITE}b{n}/index.html": list_facts(f"人事任免{n}", []) for n in range(5)})
    found = findings(make_view(tmp_path, pages))
    [stale] = by_rule(found, "columns.veto_stale")
    assert stale.severity == "veto" and stale.evidence["count"] == 5 and stale.evidence["threshold"] == 5
    assert {c["column"] for c in stale.evidence["columns"]} == {f"区县动态{n}" for n in range(5)}
    [blank] = by_rule(found, "columns.veto_blank")
    assert blank.evidence["count"] == 5 and blank.url == SITE
    [long] = by_rule(found, "columns.veto_long_stale")
    assert long.evidence["count"] == 10
    # one column fewer: below every threshold
    pages.pop(f"{SITE}d0/index.html")
    pages.pop(f"{SITE}b0/index.html")
    found = findings(make_view(tmp_path / "b", pages))
    assert not [f for f in found if f.rule.startswith("columns.veto")]


def test_thresholds_and_windows_come_from_the_rule_set(tmp_path):
    override = tmp_path / "province.yaml"
    override.write_text("id: province\nversion: '1'\ninherits: gov-2019\nparams:\n  freshness:\n    veto_stale_count: 1\n"
                        "    column_types:\n      news:\n        window_days: 45\n      notice:\n        keywords: [工作动态]\n",
                        encoding="utf-8")
    rules = load_ruleset(override)
    view = make_view(tmp_path, {f"{SITE}gzdt/index.html": list_facts("工作动态", [days_ago(30)])})
    assert by_rule(findings(view, rules), "columns.stale") == []  # notice keyword 工作动态 (longer) → 183 days
    view = make_view(tmp_path / "b", {f"{SITE}xw/index.html": list_facts("新闻", [days_ago(50)])})
    found = findings(view, rules)
    assert by_rule(found, "columns.stale")[0].evidence["window_days"] == 45
    assert by_rule(found, "columns.veto_stale")[0].evidence["threshold"] == 1


def test_classify_column_reasons():
    rules = load_ruleset()
    assert classify_column("政策解读", None, rules).window_days is None
    news = classify_column("专栏", "工作动态", rules)
    assert news.id == "news" and news.reason.startswith("ColumnType meta")
    assert classify_column("友情链接", None, rules).id is None


def test_item_sources_filter(tmp_path):
    override = tmp_path / "r.yaml"
    override.write_text("id: r\nversion: '1'\ninherits: gov-2019\nparams:\n  freshness:\n    item_sources: [html]\n", encoding="utf-8")
    view = make_view(tmp_path, {f"{SITE}gzdt/index.html": list_facts("工作动态", [days_ago(1), days_ago(40)], sources={0: "comment"})})
    assert by_rule(findings(view), "columns.stale") == []
    [f] = by_rule(findings(view, load_ruleset(override)), "columns.stale")
    assert f.evidence["newest_date"] == days_ago(40)
    assert f.evidence["newest_url"].endswith("a1.html")


def test_home_stale_fresh_and_undated(tmp_path):
    assert by_rule(findings(make_view(tmp_path, {SITE: (home([days_ago(3)]), None, 0)})), "home.stale") == []
    [f] = by_rule(findings(make_view(tmp_path / "b", {SITE: (home([days_ago(20), None]), None, 0)})), "home.stale")
    assert f.severity == "veto" and f.evidence["days_over"] == 6 and f.evidence["undated_items"] == 1
    [f] = by_rule(findings(make_view(tmp_path / "c", {SITE: (home([None]), None, 0)})), "home.stale")
    assert f.evidence["newest_date"] is None and "无日期" in f.message


def test_navigation_only_homepage_is_judged_by_second_level_pages(tmp_path):
    pages = {SITE: (home([]), None, 0), f"{SITE}zw/index.html": (list_facts("政务公开", [days_ago(30)]), None, 1),
             f"{SITE}deep/index.html": (list_facts("工作动态", [days_ago(1)]), None, 2)}
    [f] = by_rule(findings(make_view(tmp_path, pages)), "home.stale")
    assert f.evidence["mode"].startswith("navigation") and f.evidence["pages"] == [f"{SITE}zw/index.html"]
    pages[f"{SITE}xw/index.html"] = (list_facts("新闻", [days_ago(2)]), None, 1)
    assert by_rule(findings(make_view(tmp_path / "b", pages)), "home.stale") == []


def test_column_redirected_off_site_is_not_judged(tmp_path):
    view = make_view(tmp_path, {f"{SITE}wb/index.html": (list_facts("外部动态", [days_ago(300)]), "http://127.0.0.2:9/x/", 1)})
    assert findings(view) == []


def test_end_to_end_from_saved_page(tmp_path):
    html = ('<html><head><meta charset="utf-8"><meta name="ColumnName" content="通知公告"></head><body>'
            '<ul><li><a href="1.html">关于印发2027年工作计划的通知</a><span>[2026-01-05]</span></li>'
            '<li><a href="2.html">关于公布历史建筑名录的公告</a><span>[2025-12-01]</span></li>'
            '<li><a href="3.html">关于征求规划意见的公示</a><span>[2025-11-11]</span></li></ul></body></html>')
    url = f"{SITE}tzgg/index.html"
    facts = extract(page_context(url, html.encode(), as_of=date.fromisoformat(AS_OF)))
    [f] = by_rule(findings(make_view(tmp_path, {url: facts})), "columns.stale")
    assert f.evidence["newest_date"] == "2026-01-05" and f.evidence["newest_url"] == f"{SITE}tzgg/1.html"
    assert f.evidence["days_over"] == (date(2026, 11, 20) - date(2026, 1, 5)).days - 183
    assert f.to_json()["rule"] == "columns.stale"


def test_item_less_page_is_a_blank_column_only_with_list_evidence(tmp_path):
    """kind "other" + placeholder or empty list container: a column when meta or a navigation entry names it."""
    def other(name, *, containers=(), placeholder=None, name_source="breadcrumb"):
        facts = list_facts(name, [], kind="other", placeholder=placeholder, name_source=name_source)
        facts["column"]["list_containers"] = list(containers)
        return facts

    pages = {f"{SITE}yjgl/index.html": other("应急管理", containers=["table.list-table: header “标题/发布日期”, no body row"]),
             f"{SITE}tjxx/index.html": other("统计信息", placeholder="暂无信息"),
             f"{SITE}hidden/index.html": other("内部页面", containers=["ul.list: empty"]),
             f"{SITE}lxwm/index.html": other("联系我们", name_source="meta ColumnName"),
             f"{SITE}meta/index.html": other("重大项目", containers=["ul.news-list: empty"], name_source="meta ColumnName")}
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, AS_OF, {}, "test")
    writer = StoreWriter(store, scan)
    writer.add_url(url_key(SITE), SITE, "page", 0)
    writer.record(UrlRecord(url=SITE, kind="page", depth=0, state="done", status=200, content_type="text/html",
                            facts=home([days_ago(1)])))
    for url, facts in pages.items():
        writer.add_url(url_key(url), url, "page", 1)
        writer.record(UrlRecord(url=url, kind="page", depth=1, state="done", status=200, content_type="text/html",
                                facts=facts))
    for url, anchor in ((f"{SITE}yjgl/index.html", "应急管理"), (f"{SITE}tjxx/index.html", "统计信息"),
                        (f"{SITE}hidden/index.html", "更多"), (f"{SITE}lxwm/index.html", "联系我们")):
        writer.add_ref(url_key(url), url_key(SITE), "a", anchor)
    writer.flush()
    empty = {f.url: f for f in by_rule(findings(store.view(scan)), "columns.empty")}
    assert set(empty) == {f"{SITE}yjgl/index.html", f"{SITE}tjxx/index.html", f"{SITE}meta/index.html"}
    assert empty[f"{SITE}yjgl/index.html"].evidence["list_containers"] == ["table.list-table: header “标题/发布日期”, no body row"]
    assert "暂无信息" in empty[f"{SITE}tjxx/index.html"].message


def test_early_warnings_between_the_warning_line_and_the_veto(tmp_path):
    """预警: 3 blank columns (> 2, < 5), 7 columns not updated (> 6, < 10), a homepage 12 days old (> 10, ≤ 14)."""
    pages = {SITE: (home([days_ago(12)]), None, 0)}
    pages.update({f"{SITE}b{n}/index.html": list_facts(f"人事任免{n}", []) for n in range(3)})
    pages.update({f"{SITE}d{n}/index.html": list_facts(f"人事信息{n}", [days_ago(400)]) for n in range(4)})
    found = findings(make_view(tmp_path, pages))
    assert not [f for f in found if f.severity == "veto"]
    [blank] = by_rule(found, "early.blank_columns")
    assert (blank.severity, blank.evidence["count"], blank.evidence["warn_over"], blank.evidence["threshold"],
            blank.evidence["items_left"], blank.evidence["confirmed"]) == ("warn", 3, 2, 5, 2, False)
    [stale] = by_rule(found, "early.columns_stale")
    assert (stale.evidence["count"], stale.evidence["items_left"]) == (7, 3)
    [homepage] = by_rule(found, "early.home_stale")
    assert (homepage.evidence["days_since"], homepage.evidence["days_left"], homepage.url) == (12, 3, SITE)
    assert "再过 3 天" in homepage.message
    # at the line itself there is no warning; past the veto the veto speaks, not the warning
    pages = {SITE: (home([days_ago(10)]), None, 0)}
    pages.update({f"{SITE}b{n}/index.html": list_facts(f"人事任免{n}", []) for n in range(2)})
    assert not [f for f in findings(make_view(tmp_path / "b", pages)) if f.rule.startswith("early.")]
    pages = {SITE: (home([days_ago(20)]), None, 0)}
    pages.update({f"{SITE}b{n}/index.html": list_facts(f"人事任免{n}", []) for n in range(5)})
    found = findings(make_view(tmp_path / "c", pages))
    assert not [f for f in found if f.rule in ("early.home_stale", "early.blank_columns")]
    assert by_rule(found, "home.stale") and by_rule(found, "columns.veto_blank")


def test_early_warning_lines_come_from_the_rule_set(tmp_path):
    override = tmp_path / "province.yaml"
    override.write_text("id: province\nversion: '1'\ninherits: gov-2019\nparams:\n  freshness:\n    early_warning:\n"
                        "      blank_columns_over: 0\n      confirmed: true\n", encoding="utf-8")
    view = make_view(tmp_path, {f"{SITE}b0/index.html": list_facts("人事任免", [])})
    [blank] = by_rule(findings(view, load_ruleset(override)), "early.blank_columns")
    assert blank.evidence["items_left"] == 4 and blank.evidence["confirmed"] is True
    assert by_rule(findings(view), "early.blank_columns") == []
