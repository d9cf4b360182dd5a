"""Column lists loaded by script (issue 11 item 3): the crawl fetches the endpoint a column page's script names,
and the column's newest date is the endpoint's.

The site is generated here and served on 127.0.0.1 by a server that records every request (method, path, body),
so the tests can see what the crawler asked for as well as what it concluded.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AS_OF, read_findings, run_cli
from govaudit.crawler.extract import PageContext
from govaudit.crawler.extract.answers import read_answer, read_letters
from govaudit.crawler.extract.core import parse_html
from govaudit.crawler.extract.endpoints import extract

from govaudit.readings import fetched_endpoint, record_url
from govaudit.store import Store

PROXY = "/module/web/jpage/dataproxy.jsp"
CRAWL_DELAY = 0.5


def column_page(name: str, script: str, side: str = "") -> str:
    """A column page whose list container is empty in the HTML: the script fills it in a browser."""
    return (f'<html><head><meta charset="utf-8"><meta name="ColumnName" content="{name}"><title>{name}_某县人民政府</title>'
            f'</head><body><div class="crumb">当前位置：首页 &gt; {name}</div><ul class="list" id="list"></ul>{side}'
            f"<script>{script}</script></body></html>")


def jpage(columnid: int) -> str:
    return ("$(function(){ $('#list').jpage({proxyUrl:'" + PROXY + "', perPage:15, dataBefore:'<ul>', "
            "ajaxParam:{col:1, appid:1, webid:3, path:'/', columnid:" + str(columnid) + ", unitid:5678, "
            "webname:'某县人民政府', permissiontype:0}}); });")


def datastore(rows: list[tuple[str, str, str]]) -> str:
    records = "".join(f'<record><![CDATA[<li><a href="{url}" target="_blank">{title}</a><span>{when}</span></li>]]></record>'
                      for url, title, when in rows)
    return (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{len(rows)}</totalrecord>'
            f"<totalpage>1</totalpage><recordset>{records}</recordset></datastore>")


FRESH_ROWS = [("/art/2026/11/18/art_101_1.html", "县政府召开全县冬季森林防火工作会议", "2026-11-18"),
              ("/art/2026/11/02/art_101_2.html", "副县长带队督导安全生产大检查工作", "2026-11-02")]
STALE_ROWS = [("/art/2026/08/01/art_102_1.html", "全县防汛抗旱工作推进会召开", "2026-08-01"),
              ("/art/2026/07/15/art_102_2.html", "县领导调研乡村振兴示范点建设", "2026-07-15")]
JSON_ANSWER = {"code": 200, "data": {"total": 2, "list": [
    {"title": "县人民政府关于做好冬季供暖保障工作的通知", "url": "/xxgk/tzgg/1.html", "publishDate": "2026-11-12"},
    {"title": "县人民政府关于开展消防安全专项整治的通知", "url": "/xxgk/tzgg/2.html", "publishDate": "2026-10-20"}]}}
# A 县长信箱 whose letter list its script loads: one letter asked in July and still 办理中 (unanswered past any
# reply window), one answered within a week.
LETTERS_ANSWER = {"code": 0, "data": {"total": 2, "rows": [
    {"id": 31, "letterTitle": "关于城南小区污水管道堵塞的反映", "createTime": "2026-07-06 10:21:00", "replyTime": "",
     "statusName": "办理中", "status": 1, "userName": "王**", "url": "/hdjl/xzxx/31.html"},
    {"id": 32, "letterTitle": "咨询城乡居民医保缴费截止时间", "createTime": "2026-10-12 08:40:00",
     "replyTime": "2026-10-16 15:02:00", "statusName": "已办结", "status": 3, "replyDept": "县医保局",
     "url": "/hdjl/xzxx/32.html"}]}}
# A side list of the freshest headlines on every page: it must not date a column whose list comes from its endpoint.
SIDE = '<div class="side"><ul><li><a href="/art/2026/11/19/art_1_9.html">今日要闻县委常委会召开专题会议</a><span>2026-11-19</span></li></ul></div>'


def routes() -> dict[tuple[str, str], tuple[int, str, str]]:
    """(method, path) → (status, content type, body).  Column ids 1 (fresh), 2 (stale) are Hanweb datastore
    columns; /tzgg/ loads JSON by $.ajax; /broken/ gets an HTML error page; /secret/'s endpoint is robots-disallowed."""
    html = "text/html; charset=utf-8"
    home = ('<html><head><meta charset="utf-8"><title>某县人民政府</title></head><body><h1>某县人民政府</h1>'
            '<a href="/col/col1/index.html">工作动态</a> <a href="/col/col2/index.html">部门动态</a> '
            '<a href="/tzgg/index.html">通知公告</a> <a href="/broken/index.html">乡镇动态</a> '
            '<a href="/secret/index.html">图片新闻</a> <a href="/busy/index.html">政务动态</a> '
            '<a href="/hdjl/xzxx/index.html">县长信箱</a></body></html>')
    ajax = ('$.ajax({url: "/api/tzgg/list.json", type: "get", data: {pageNo: 1, pageSize: 10}, dataType: "json",'
            ' success: function (res) { render(res.data.list); }, error: function () {} });')
    return {
        ("GET", "/robots.txt"): (200, "text/plain", f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\nDisallow: /api/secret/\n"),
        ("GET", "/"): (200, html, home),
        ("GET", "/col/col1/index.html"): (200, html, column_page("工作动态", jpage(1), SIDE)),
        ("GET", "/col/col2/index.html"): (200, html, column_page("部门动态", jpage(2), SIDE)),
        ("GET", "/tzgg/index.html"): (200, html, column_page("通知公告", ajax)),
        ("GET", "/broken/index.html"): (200, html, column_page("乡镇动态", '$.getJSON("/api/broken/list.json", function(d){});')),
        ("GET", "/secret/index.html"): (200, html, column_page("图片新闻", 'fetch("/api/secret/list.json").then(r => r.json());')),
        ("GET", "/busy/index.html"): (200, html, column_page("政务动态", '$.getJSON("/api/busy/list.json");')),
        ("GET", "/hdjl/xzxx/index.html"): (200, html, column_page("县长信箱", '$.getJSON("/api/xzxx/list.json", function(d){});')),
        ("GET", "/api/xzxx/list.json"): (200, "application/json; charset=utf-8", json.dumps(LETTERS_ANSWER, ensure_ascii=False)),
        ("GET", "/api/tzgg/list.json"): (200, "application/json; charset=utf-8", json.dumps(JSON_ANSWER, ensure_ascii=False)),
        ("GET", "/api/broken/list.json"): (200, html, "<html><head><title>系统繁忙</title></head><body>系统繁忙，请稍后再试</body></html>"),
        ("GET", "/api/secret/list.json"): (200, "application/json", json.dumps(JSON_ANSWER)),
    }


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.routes = routes()
        self.log: list[tuple[str, str, str]] = []
        self.times: list[float] = []  # when each logged request arrived (monotonic clock)
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the CMSs' Tomcat/IIS servers answer

    def log_message(self, *args):  # noqa: D401 - silence
        pass

    def _answer(self, method: str, send_body: bool) -> None:
        site: Site = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        path = urlsplit(self.path).path
        with site.lock:
            site.log.append((method, self.path, body))
            site.times.append(time.monotonic())
        if path == "/api/busy/list.json" and sum(1 for _, p, _ in site.log if p == self.path) == 1:
            answer = (503, "text/html", "<title>503 Service Unavailable</title>")  # busy at first, then answers
        elif path == "/api/busy/list.json":
            answer = (200, "application/json", json.dumps(JSON_ANSWER))
        elif method == "POST" and path == PROXY:
            form = {k: v[0] for k, v in parse_qs(body).items()}
            rows = {"1": FRESH_ROWS, "2": STALE_ROWS}.get(form.get("columnid", ""))
            answer = (200, "text/xml; charset=utf-8", datastore(rows)) if rows else (404, "text/html", "<title>404</title>")
        else:
            answer = site.routes.get(("GET", path)) or (
                (200, "text/html; charset=utf-8", "<html><head><title>正文</title></head><body><p>正文</p></body></html>")
                if path.startswith(("/art/", "/xxgk/", "/hdjl/xzxx/3")) else (404, "text/html", "<title>404</title>"))
        status, ctype, text = answer
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._answer("GET", True)

    def do_HEAD(self):  # noqa: N802
        self._answer("HEAD", False)

    def do_POST(self):  # noqa: N802
        self._answer("POST", True)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    site = Site()
    threading.Thread(target=site.serve_forever, daemon=True).start()
    out = tmp_path_factory.mktemp("endpoints-scan")
    try:
        run_cli("scan", site.base + "/", "--out", str(out), "--as-of", AS_OF.isoformat(), "--a11y", "off",
                "--no-external", "--timeout", "5")
    finally:
        site.shutdown()
        site.server_close()
    return site, out, read_findings(out)


def _endpoint_records(out) -> dict[str, dict]:
    with Store(out / "govaudit.sqlite") as store:
        view = store.view(store.latest_scan())
        return {rec.url: {"state": rec.state, "status": rec.status, "skip": rec.skip_reason, "facts": rec.facts}
                for rec in view.urls("endpoint")}


def _column_findings(findings: list[dict], path: str) -> list[dict]:
    return [f for f in findings if f["rule"].startswith("columns.") and urlsplit(f["url"]).path == path]


def test_hanweb_dataproxy_post_is_fetched_once_per_column_with_its_form(scanned):
    site, _, _ = scanned
    posts = [(p, parse_qs(b)) for m, p, b in site.log if m == "POST"]
    assert sorted(q["columnid"][0] for _, q in posts) == ["1", "2"]  # one request per column page, first page only
    for path, form in posts:
        assert urlsplit(path).path == PROXY
        assert parse_qs(urlsplit(path).query) == {"startrecord": ["1"], "endrecord": ["15"], "perpage": ["15"]}
        assert form["unitid"] == ["5678"] and form["webname"] == ["某县人民政府"]


def test_endpoint_requests_keep_the_hosts_crawl_delay(scanned):
    site, _, _ = scanned
    endpoint_at = [i for i, (m, p, _) in enumerate(site.log) if p.startswith(("/api/", PROXY))]
    assert len(endpoint_at) == 7  # 2 datastore POSTs, 2 JSON GETs, the broken GET, the busy one twice (never the disallowed)
    gaps = [site.times[i] - site.times[i - 1] for i in endpoint_at if i > 0 and site.log[i - 1][1] != "/robots.txt"]
    assert gaps and min(gaps) >= CRAWL_DELAY - 0.1, gaps


def test_the_columns_newest_date_is_the_endpoints(scanned):
    _, out, findings = scanned
    # The fresh datastore column and the JSON column: items from their endpoints, so neither blank nor stale.
    assert _column_findings(findings, "/col/col1/index.html") == []
    assert _column_findings(findings, "/tzgg/index.html") == []
    records = _endpoint_records(out)
    answered = {r["facts"]["endpoint"]["page"].rsplit("/", 2)[-2]: r["facts"] for r in records.values() if r["facts"]}
    assert [i["date"] for i in answered["col1"]["list_items"]] == ["2026-11-18", "2026-11-02"]
    assert answered["tzgg"]["list_items"][0]["date"] == "2026-11-12"
    assert all(i["source"] == "endpoint" for f in answered.values() for i in f["list_items"])


def test_a_stale_endpoint_column_is_stale_despite_a_fresh_side_list(scanned):
    _, _, findings = scanned
    stale = _column_findings(findings, "/col/col2/index.html")
    assert [f["rule"] for f in stale] == ["columns.stale"]
    evidence = stale[0]["evidence"]
    assert evidence["newest_date"] == "2026-08-01" and evidence["newest_url"].endswith("/art_102_1.html")
    assert evidence["endpoint_items"] == 2 and evidence["endpoint_reason"] is None and "columnid=2" in evidence["endpoint"]


def test_a_mailboxs_letters_from_its_endpoint_are_judged_by_name(scanned):
    """The letters a mailbox page's script loads are the page's: the open July letter is called by its title,
    the answered one raises nothing."""
    site, out, findings = scanned
    answer = _endpoint_records(out)[site.base + "/api/xzxx/list.json"]["facts"]
    assert [(l["title"], l["asked"], l["replied"], l["status"]) for l in answer["letters"]] == [
        ("关于城南小区污水管道堵塞的反映", "2026-07-06", None, "办理中"),
        ("咨询城乡居民医保缴费截止时间", "2026-10-12", "2026-10-16", "已办结")]
    assert "王" not in json.dumps(answer, ensure_ascii=False)  # the writer's name is never stored
    letters = [f for f in findings if f["rule"] in ("interaction.unanswered", "interaction.late")]
    assert [urlsplit(f["url"]).path for f in letters] == ["/hdjl/xzxx/31.html"]
    assert "关于城南小区污水管道堵塞的反映" in letters[0]["message"]
    assert not [f for f in findings if f["rule"].startswith("interaction.") and "消防安全" in f["message"]]


def test_a_broken_endpoint_is_recorded_and_the_scan_goes_on(scanned):
    site, out, findings = scanned
    records = _endpoint_records(out)
    broken = [r for url, r in records.items() if "/api/broken/" in url]
    assert len(broken) == 1 and broken[0]["facts"]["endpoint"]["reason"] == "html_page"
    assert broken[0]["facts"]["list_items"] == []
    blank = _column_findings(findings, "/broken/index.html")
    assert [f["rule"] for f in blank] == ["columns.empty"] and blank[0]["evidence"]["endpoint_reason"] == "html_page"
    # the scan went on: the articles the other endpoints list were crawled
    assert any(p.startswith("/art/2026/08/01/") for m, p, _ in site.log if m == "GET")


def test_a_busy_endpoint_is_tried_once_more(scanned):
    site, out, findings = scanned
    assert [m for m, p, _ in site.log if p.startswith("/api/busy/")] == ["GET", "GET"]
    assert _column_findings(findings, "/busy/index.html") == []  # dated by the second answer: not blank
    busy = [r for url, r in _endpoint_records(out).items() if "/api/busy/" in url]
    assert busy[0]["status"] == 200 and busy[0]["facts"]["endpoint"]["items"] == 2


def test_robots_txt_disallowing_the_endpoint_is_respected(scanned):
    site, out, findings = scanned
    assert not [p for _, p, _ in site.log if p.startswith("/api/secret/")]
    secret = [r for url, r in _endpoint_records(out).items() if "/api/secret/" in url]
    assert secret and secret[0]["state"] == "skipped" and secret[0]["skip"] == "robots"
    blank = _column_findings(findings, "/secret/index.html")
    assert [f["rule"] for f in blank] == ["columns.empty"] and blank[0]["evidence"]["endpoint_reason"] == "robots"


# -- the extractor and the answer reader on their own -----------------------------------------------------------
def endpoints_of(script: str, url: str = "http://127.0.0.1:8000/col/col7/index.html") -> list[dict]:
    return extract(PageContext(url=url, tree=parse_html(f"<html><body><script>{script}</script></body></html>")))["list_endpoints"]


def test_only_literal_list_requests_are_named_hanweb_first():
    found = endpoints_of('$.post("/api/visitcount.jsp", {id: 3});'           # a counter: not a list
                         '$.ajax({url: base + "/list", type: "post"});'        # computed URL: not guessed
                         'fetch(`/api/news/list?channel=${id}`);'               # computed template: not guessed
                         '$.getJSON("/api/news/list.json", {page: 1, col: colId});'
                         + jpage(7))
    assert [(e["kind"], e["method"], e["call"]) for e in found] == [("dataproxy", "POST", "$().jpage"),
                                                                    ("json", "GET", "$.getJSON")]
    assert found[1]["url"] == "http://127.0.0.1:8000/api/news/list.json?page=1"  # colId is a variable: left out
    assert record_url(found[0]).startswith("http://127.0.0.1:8000/module/web/jpage/dataproxy.jsp?startrecord=1&")
    assert "columnid=7" in record_url(found[0]) and "columnid=7" not in found[0]["url"]


def test_a_broken_script_names_nothing_and_does_not_raise():
    assert endpoints_of("$.ajax({url: '/api/list.json', type: 'get'") == []  # cut off: the call never happens
    assert endpoints_of("}}}{{{ $.ajax( ((( fetch(") == []


@pytest.mark.parametrize(("body", "ctype", "reason"), [
    (b"<html><body>500 Internal Server Error</body></html>", "text/html", "html_page"),
    (b'{"data": {"list": [', "application/json", "malformed"),
    (b"", "application/json", "empty"),
    (b"\x00\x01\x02 not data", "application/octet-stream", "malformed"),
    (b'{"code": 0, "msg": "ok"}', "application/json", "no_items"),
    (b"<datastore><recordset><record>", "text/xml", "no_items"),
    (b"[" + b'{"title": "x", "url": "/a.html"},' * 100_000 + b"{}]", "application/json", "too_large"),
])
def test_a_bad_answer_gives_no_items_and_a_reason(body, ctype, reason):
    assert read_answer(body, ctype, "http://127.0.0.1:8000/api/list", date(2026, 11, 20)) == ([], reason)


def test_answers_are_read_with_the_page_readers():
    ref = date(2026, 11, 20)
    items, reason = read_answer(datastore(STALE_ROWS).encode(), "text/xml", "http://h/module/web/jpage/dataproxy.jsp", ref)
    assert reason is None and [(i["url"], i["date"]) for i in items] == [
        ("http://h/art/2026/08/01/art_102_1.html", "2026-08-01"), ("http://h/art/2026/07/15/art_102_2.html", "2026-07-15")]
    jsonp = 'jQuery1124({list: [{title: "县政府关于冬季供暖的通知", link: "/t/1.html", pubDate: "2026-11-12"}]});'
    items, reason = read_answer(jsonp.encode("gbk"), "application/javascript; charset=gbk", "http://h/api/x", ref)
    assert reason is None and items[0]["title"] == "县政府关于冬季供暖的通知" and items[0]["date"] == "2026-11-12"
    fragment = '<li><a href="/t/2.html">关于征求意见的公告内容</a><span>2026-10-09</span></li>'
    items, _ = read_answer(fragment.encode(), "text/html", "http://h/api/y", ref)
    assert [(i["url"], i["date"], i["source"]) for i in items] == [("http://h/t/2.html", "2026-10-09", "endpoint")]


def _letters_of(body: str, ctype: str = "application/json") -> list[tuple]:
    found = read_letters(body.encode("utf-8"), ctype, "http://h/api/xx/list", date(2026, 11, 20))
    return [(l["title"], l["url"], l["asked"], l["replied"], l["status"], l["unit"], l["has_reply_text"],
             l["reply_shown"]) for l in found]


def test_a_mailbox_endpoints_letters_are_read_by_their_keys_and_rows():
    # Pinyin keys, a reply text, a status code beside its word, a reply-unit key that holds no date.
    data = json.dumps({"rows": [{"bt": "建议增设城东公交站点", "tjsj": "2026-09-01", "hfsj": "2026-09-30",
                                 "zt": "已回复", "hfnr": "您好，经研究已列入明年线路调整计划。", "replyDept": "县交通局"},
                                {"letterTitle": "反映村道路灯不亮的问题", "sendTime": "2026-11-02", "replyTime": "",
                                 "state": 2, "phone": "138****0000"}]}, ensure_ascii=False)
    assert _letters_of(data) == [
        ("建议增设城东公交站点", None, "2026-09-01", "2026-09-30", "已回复", "县交通局", True, True),
        ("反映村道路灯不亮的问题", None, "2026-11-02", None, None, None, None, True)]
    # An object literal in a JSONP call, with Chinese keys.
    assert _letters_of("cb({list:[{'留言标题':'咨询老年证办理地点','留言时间':'2026-10-08','办理状态':'处理完毕',"
                       "url:'/ly/9.html'}]})", "text/javascript") == [
        ("咨询老年证办理地点", "http://h/ly/9.html", "2026-10-08", None, "处理完毕", None, None, False)]
    rows = ('<tr><td><a href="/xx/1.html">关于学区划分的咨询</a></td><td>2026-11-01</td><td>已回复</td></tr>',
            '<tr><td><a href="/xx/2.html">夜间施工噪音扰民问题</a></td><td>2026-11-05</td><td>办理中</td></tr>')
    store = "<datastore><recordset>" + "".join(f"<record><![CDATA[{r}]]></record>" for r in rows) + "</recordset></datastore>"
    assert [(t, u, a, s) for t, u, a, _, s, *_ in _letters_of(store, "text/xml")] == [
        ("关于学区划分的咨询", "http://h/xx/1.html", "2026-11-01", "已回复"),
        ("夜间施工噪音扰民问题", "http://h/xx/2.html", "2026-11-05", "办理中")]


def test_a_columns_notices_are_no_letters():
    assert _letters_of(json.dumps(JSON_ANSWER, ensure_ascii=False)) == []  # title + date, nothing of a letter
    assert _letters_of(datastore(FRESH_ROWS), "text/xml") == []
    assert _letters_of("<html><body>系统繁忙</body></html>", "text/html") == []


def test_the_crawl_sends_no_post_it_does_not_know_to_be_a_read():
    # as on the field corpus' pages: a comment list, a comment save, a page-view counter, a search suggestion
    named = endpoints_of('$.post("/creatorCMS/doccomment/findDocCommentPageList.page", {docId: 1});'
                         '$.ajax({url: "/creatorCMS/doccomment/saveReplyComment.page", type: "post"});'
                         '$.ajax({url: "/mdl/liulanliang.jsp", type: "post", data: {id: 3}});'
                         '$.ajax({url: "/igs/front/suggest/term.jhtml", type: "get"});'
                         '$.ajax({url: "/api/news/list", type: "post", data: {page: 1}});')
    assert [e["url"].rsplit("/", 1)[-1] for e in named] == ["list"]  # named (POST), ...
    assert fetched_endpoint({"kind": "list", "list_endpoints": named}) is None  # ... not fetched: a POST
    get = endpoints_of('$.getJSON("/api/news/list", {page: 1});')
    assert fetched_endpoint({"kind": "list", "list_endpoints": get}) == get[0]
    assert fetched_endpoint({"kind": "article", "list_endpoints": get}) is None
    hanweb = endpoints_of(jpage(9))
    assert fetched_endpoint({"kind": "article", "list_endpoints": get + hanweb}) == hanweb[0]
    assert fetched_endpoint({"kind": "letter", "list_endpoints": hanweb}) is None


def test_an_empty_datastore_names_its_proxy_a_full_one_does_not():
    nextgroup = ('<datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&amp;webid=1&amp;'
                 'columnid=4110&amp;unitid=325"></a>]]></nextgroup><recordset>{}</recordset></datastore>')
    page = '<html><body><div id="4110"><script type="text/xml">{}</script></div></body></html>'
    url = "http://127.0.0.1:8000/col/col4110/index.html"
    empty = extract(PageContext(url=url, tree=parse_html(page.format(nextgroup.format("")))))["list_endpoints"]
    assert [(e["method"], e["url"], e["kind"]) for e in empty] == [
        ("GET", "http://127.0.0.1:8000/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=4110&unitid=325", "dataproxy")]
    full = nextgroup.format('<record><![CDATA[<li><a href="/art/1.html">关于开展安全检查的通知</a>2026-11-01</li>]]></record>')
    assert extract(PageContext(url=url, tree=parse_html(page.format(full))))["list_endpoints"] == []
