"""HTML and Excel reports: hostile crawled text stays inert (proved in headless Chromium and by reading the
workbook back with openpyxl), sheets split at the row limit, bad input gives clear errors and never a partial
report that looks complete, and the province summary ranks sites."""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from pathlib import Path

import openpyxl
import pytest
from govaudit.reports import ReportError, write_reports
from govaudit.reports.excel import write_workbook
from govaudit.reports.province import write_province_summary
from govaudit.reports.scoring import score

from govaudit.model import Finding
from govaudit.ruleset import load_ruleset
from govaudit.store import Store

SITE = "http://127.0.0.1:9/"
EVIL = ('</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
        '</script ><img src=x onerror="window.__pwned=5"><!--')   # "</script " closes a script block too
FORMULA = "=HYPERLINK(\"http://127.0.0.1:9/x\",\"click\")"


def png(width: int = 4, height: int = 3) -> bytes:
    """A real, tiny PNG (red pixels) built with zlib, so the embedding test needs no image library."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def hostile_findings(shot: Path) -> list[Finding]:
    return [
        Finding("links.dead", "deduct", SITE, f"{SITE}gone?q={EVIL}", f"标题 {EVIL}", {},
                {"sources": [{"url": SITE, "anchor": f"链接 {EVIL}", "tag": "a"},
                             {"url": "javascript:window.__pwned=3", "anchor": FORMULA, "tag": "a"}],
                 "source_count": 2, "on_homepage": True, "status": 404}),
        Finding("links.dead", "deduct", SITE, "javascript:window.__pwned=4", FORMULA, {}, {"sources": [], "status": 404}),
        Finding("columns.stale", "deduct", SITE, f"{SITE}col/news/", "栏目 2 个月未更新",
                {"column": f"要闻 {EVIL}", "newest_title": "+cmd|' /C calc'!A0", "newest_date": "2024-03-01", "age_days": 61}),
        Finding("home.stale", "veto", SITE, SITE, "首页 2 周无更新", {"newest_date": "2024-04-01", "age_days": 30}),
        Finding("a11y.image-alt", "deduct", SITE, f"{SITE}a.html", "图片缺少替代文本",
                {"selector": "img.logo", "html": "<img src=logo.png onerror=alert(1)>", "screenshot": str(shot)}),
        Finding("links.suspect", "warn", SITE, f"{SITE}slow", "@SUM(1+1)", {"attempts": 3}, {"error": "timeout"}),
    ]


@pytest.fixture()
def scan_view(tmp_path: Path):
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, "2024-05-01", {}, "test")
    store.finish_scan(scan, {"pages_crawled": 10, "urls_checked": 20, "skipped": {"robots": 1}})
    yield store.view(scan)
    store.close()


def test_html_report_escapes_everything_crawled(tmp_path: Path, scan_view, chrome) -> None:
    shot = tmp_path / "shot.png"
    shot.write_bytes(png())
    findings = hostile_findings(shot)
    out = tmp_path / "out"
    card = write_reports(scan_view, findings, load_ruleset(), out)
    assert card.verdict == "veto"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html and "onerror=\"window" not in html

    chrome.get((out / "report.html").as_uri())   # an alert would raise UnexpectedAlertPresentException
    assert chrome.execute_script("return window.__pwned === undefined")
    assert chrome.execute_script("return typeof window.govaudit === 'object'")  # our own script did run
    assert chrome.execute_script("return performance.getEntriesByType('resource').length") == 0  # self-contained
    body = chrome.find_element("tag name", "body").text
    assert "首页不更新" in body and "不合格" in body                              # scorecard, veto first
    assert "</script><script>window.__pwned=1</script>" in body                 # shown as text, not run
    hrefs = chrome.execute_script("return Array.from(document.links).map(a => a.getAttribute('href'))")
    assert hrefs and not any(h.lower().startswith("javascript:") for h in hrefs)
    # the findings table: every crawled field set through textContent, links only for http(s)
    assert chrome.execute_script("return document.querySelectorAll('#rows tr.row').length") == len(findings)
    assert chrome.execute_script("return document.querySelectorAll('#rows img, #rows script').length") == 0
    # the accessibility finding's screenshot is embedded as a data URI
    srcs = chrome.execute_script("return Array.from(document.images).map(i => i.src)")
    assert any(s.startswith("data:image/png;base64,") for s in srcs)
    assert base64.b64encode(png()).decode() in html
    # dead link evidence: carrying page and anchor text; stale column: newest date
    assert "链接 </script>" in body and "2024-03-01" in body
    assert chrome.execute_script("return window.__pwned === undefined")


def test_html_evidence_is_labelled_and_tabled(tmp_path: Path, scan_view, chrome) -> None:
    """Evidence reads as labelled fields and small tables, never raw keys or JSON; links only http(s)."""
    columns = [{"column": f"栏目{i}", "url": f"{SITE}col/{i}/", "type": "news", "type_title": "动态要闻类",
                "newest_date": "2024-03-01", "days_over": 40 + i} for i in range(3)]
    columns.append({"column": f"坏栏目 {EVIL}", "url": "javascript:window.__pwned=6", "type": None, "type_title": "未分类",
                    "reason": "blank"})
    findings = [
        Finding("columns.veto_stale", "veto", SITE, SITE, "栏目不更新累计 4 个",
                {"count": 4, "threshold": 3, "columns": columns, "as_of": "2024-05-01"}),
        Finding("interaction.unanswered", "veto", SITE, f"{SITE}hd/1.html", "留言超过 3 个月未答复",
                {"title": "咨询", "asked": "2024-01-05", "replied": None, "status": "办理中", "unit": "县住建局",
                 "channel": "县长信箱", "channel_page": f"{SITE}hd/", "read_from": ["detail", "list"],
                 "days_waiting": 117, "reply_rate": 0.8261}, {"discriminator": "x"}),
        Finding("links.suspect", "warn", SITE, f"{SITE}slow", "超时", {"status": None, "error": "timeout", "attempts": 2},
                {"sources": [{"url": f"{SITE}a.html", "anchor": "办事指南", "tag": "a"}], "source_count": 1, "error": "timeout",
                 "attempts": [{"at": 1714500000.5, "method": "GET", "elapsed": 5.002, "error": "timeout"},
                              {"at": 1714500010.5, "method": "GET", "elapsed": 5.0, "error": "timeout"}]}),
        Finding("a11y.image-alt", "deduct", SITE, f"{SITE}p.html", "图片缺少替代文本",
                {"impact": "critical", "count": 1, "elements": [{"selector": "img.x", "html": f"<img src=a onerror=alert(1)>{EVIL}"}],
                 "brand_new_key": "kept"}),
    ]
    out = tmp_path / "out"
    write_reports(scan_view, findings, load_ruleset(), out)
    chrome.get((out / "report.html").as_uri())
    assert chrome.execute_script("return window.__pwned === undefined")
    body = chrome.find_element("tag name", "body").text
    for text in ("栏目清单", "栏目", "类型", "最新信息日期", "超期天数", "来信时间", "等待天数", "答复单位", "渠道页面",
                 "所在页面", "链接文字", "尝试记录", "问题元素", "影响程度", "严重", "82.6%", "超时", "空白栏目"):
        assert text in body, text
    for raw in ('{"', "days_over", "type_title", "read_from", "reply_rate", "channel_page", "discriminator", "fingerprint"):
        assert raw not in body, raw
    assert "brand_new_key" in body                               # unknown keys fall back to the key itself
    assert "1714500000" not in body and "5.002" not in body          # attempt times as dates, seconds rounded
    # the veto's column list is a table: a header row and one row per column, names linked to http(s) only
    veto = chrome.execute_script("""
        const t = Array.from(document.querySelectorAll('table.ev-table')).find(t => t.textContent.includes('超期天数'));
        return t && {heads: Array.from(t.querySelectorAll('th')).map(h => h.textContent),
                     rows: t.querySelectorAll('tbody tr').length,
                     links: Array.from(t.querySelectorAll('a')).map(a => a.getAttribute('href'))};""")
    assert veto and veto["heads"][:2] == ["栏目", "类型"] and veto["rows"] == 4
    assert veto["links"] == [f"{SITE}col/{i}/" for i in range(3)]
    assert f"坏栏目 {EVIL}" in body                                # crawled text shown as text
    hrefs = chrome.execute_script("return Array.from(document.links).map(a => a.getAttribute('href'))")
    assert not any(h.lower().startswith("javascript:") for h in hrefs)
    # the findings table's detail row renders the same way (built by the script with textContent)
    chrome.execute_script("document.querySelector('#rows tr.row').click()")
    detail = chrome.find_element("css selector", "#rows tr.detail-row").text
    assert "超期天数" in detail and '{"' not in detail
    assert chrome.execute_script("return document.querySelectorAll('#rows tr.detail-row table.ev-table tbody tr').length") == 4
    assert chrome.execute_script("return document.querySelectorAll('#rows script, #rows img').length") == 0
    assert chrome.execute_script("return window.__pwned === undefined")
    # English labels with --lang en
    out_en = tmp_path / "en"
    write_reports(scan_view, findings, load_ruleset(), out_en, lang="en")
    chrome.get((out_en / "report.html").as_uri())
    body = chrome.find_element("tag name", "body").text
    for text in ("Days overdue", "Asked", "Days waiting", "Replying unit", "Pages carrying it", "Link text", "Attempts"):
        assert text in body, text
    assert '{"' not in body and "days_over" not in body
    # the workbook: readable evidence text, labelled headers, no JSON
    book = openpyxl.load_workbook(out / "report.xlsx")
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any('{"' in c or "{'" in c for c in cells)
    header = [c.value for c in book["互动回应 interaction"][1]]
    assert "来信时间" in header and "答复单位" in header and "read_from" not in header
    assert any("栏目：栏目0" in c and "超期天数：40" in c for c in cells)


def test_html_filter_and_paging_stay_small(tmp_path: Path, scan_view, chrome) -> None:
    findings = [Finding("links.dead", "deduct", SITE, f"{SITE}gone/{i}", f"dead {i}", {},
                        {"sources": [{"url": SITE, "anchor": "a", "tag": "a"}], "on_homepage": False})
                for i in range(2500)] + [Finding("links.suspect", "warn", SITE, f"{SITE}slow/{i}", "slow") for i in range(30)]
    out = tmp_path / "out"
    write_reports(scan_view, findings, load_ruleset(), out, lang="en")
    chrome.get((out / "report.html").as_uri())
    assert chrome.execute_script("return document.querySelectorAll('#rows tr').length") == 100  # one page, not 2530 rows
    assert "Link availability" in chrome.find_element("tag name", "body").text        # English report
    chrome.execute_script("window.govaudit.filter('gone/123')")
    assert chrome.execute_script("return window.govaudit.count()") == 11              # 123, 1230..1239
    chrome.execute_script("window.govaudit.filter('', '2')")                          # severity index 2 = warn
    assert chrome.execute_script("return window.govaudit.count()") == 30
    rows = chrome.execute_script("return Array.from(document.querySelectorAll('#rows tr.row td:nth-child(4)')).map(t => t.textContent)")
    assert all("/slow/" in r for r in rows)


def test_workbook_reads_back_with_neutralised_formulas(tmp_path: Path) -> None:
    findings = hostile_findings(tmp_path / "missing.png")
    rules = load_ruleset()
    card = score(findings, rules)
    path = tmp_path / "r.xlsx"
    write_workbook(path, card, findings, rules)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["汇总", "检查覆盖率"]
    summary = book["汇总"]
    cells = [[c.value for c in row] for row in summary.iter_rows()]
    assert any(r[0] == "结论" and r[1] == "不合格（单项否决）" for r in cells)
    link_row = next(r for r in cells if r[2] == "死链（确定不可用链接）")
    assert link_row[0] == "链接可用性（错链、死链）" and link_row[3] == 2 and link_row[4] == 1.1  # −1 homepage, −0.1 other
    assert "×2" in link_row[5]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(("=", "+", "-", "@")), (sheet.title, c.coordinate, c.value)
    links = book["链接 links"]
    assert links.freeze_panes == "A2" and links.auto_filter.ref
    header = [c.value for c in links[1]]
    assert header[:5] == ["严重程度", "规则", "指标", "地址", "说明"]
    values = [[c.value for c in row] for row in links.iter_rows(min_row=2)]
    assert any(v[4] == "'" + FORMULA for v in values)
    assert links.cell(row=2, column=4).hyperlink is not None                      # http URL → hyperlink
    js_row = next(i for i, v in enumerate(values, 2) if v[3] == "javascript:window.__pwned=4")
    assert links.cell(row=js_row, column=4).hyperlink is None                     # javascript: → plain text
    assert links.column_dimensions["D"].width >= 40
    columns = book["栏目更新 columns"]
    col_values = [c.value for row in columns.iter_rows(min_row=2) for c in row]
    assert "'+cmd|' /C calc'!A0" in col_values


def test_sheets_split_cleanly_past_the_row_limit(tmp_path: Path) -> None:
    findings = [Finding("links.dead", "deduct", SITE, f"{SITE}gone/{i}", f"dead {i}") for i in range(120)]
    rules = load_ruleset()
    path = tmp_path / "split.xlsx"
    write_workbook(path, score(findings, rules), findings, rules, rows_per_sheet=50)   # 49 data rows a sheet
    book = openpyxl.load_workbook(path, read_only=True)
    parts = [n for n in book.sheetnames if n.startswith("链接")]
    assert parts == ["链接 links", "链接 links (2)", "链接 links (3)"]
    urls = []
    for name in parts:
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[0][0] == "严重程度" and len(rows) <= 50
        urls += [r[3] for r in rows[1:]]
    assert urls == [f.url for f in findings]


def test_huge_and_binary_text_and_old_findings(tmp_path: Path, scan_view, chrome) -> None:
    binary = bytes(range(256)).decode("latin-1") * 4000 + "\ud800"      # control chars, lone surrogate, 1 MB
    old = Finding.from_json({"rule": "links.dead", "severity": "deduct", "url": f"{SITE}old"})  # no site, message, evidence
    findings = [Finding("links.dead", "deduct", SITE, f"{SITE}bin", binary, {"title": binary}, {"sources": [{"url": binary}]}),
                old, Finding("mystery.rule", "deduct", SITE, f"{SITE}m", "unknown to the rule set")]
    out = tmp_path / "out"
    card = write_reports(scan_view, findings, load_ruleset(), out)
    assert card.unscored_rules == {"mystery.rule": 1}
    assert (out / "report.html").stat().st_size < 2_000_000                  # long text is truncated
    book = openpyxl.load_workbook(out / "report.xlsx")
    assert any(len(str(c.value or "")) > 1000 for row in book["链接 links"].iter_rows() for c in row)
    chrome.get((out / "report.html").as_uri())
    assert chrome.execute_script("return document.querySelectorAll('#rows tr.row').length") == 3


def test_unwritable_output_is_a_clear_error(tmp_path: Path, scan_view) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(ReportError, match="cannot write reports"):
        write_reports(scan_view, [], load_ruleset(), blocker / "out")
    if os.geteuid() != 0:  # root ignores permissions; the path above covers it
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(ReportError, match="cannot write reports"):
            write_reports(scan_view, [], load_ruleset(), ro)


def test_a_failing_renderer_leaves_no_report_that_looks_complete(tmp_path: Path, scan_view) -> None:
    out = tmp_path / "out"
    write_reports(scan_view, [], load_ruleset(), out)
    assert (out / "summary.json").exists()

    def broken(path: Path, *args: object, **kw: object) -> None:
        path.write_text("half a workbook")
        raise RuntimeError("disk full")

    from govaudit.reports.html import write_html
    with pytest.raises(RuntimeError, match="disk full"):
        write_reports(scan_view, [], load_ruleset(), out, renderers={"report.html": write_html, "report.xlsx": broken})
    assert not (out / "summary.json").exists() or json.loads((out / "summary.json").read_text())  # never half-written
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no temporaries left
    assert (out / "report.xlsx").read_bytes()[:2] == b"PK"                   # the old complete workbook, untouched


def test_province_summary_ranks_sites_and_links_reports(tmp_path: Path, scan_view, chrome) -> None:
    rules = load_ruleset()
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_reports(scan_view, [Finding("links.dead", "deduct", SITE, f"{SITE}x{i}", "") for i in range(20)], rules, a)  # 98
    write_reports(scan_view, [], rules, b)                                                                                 # 100
    write_reports(scan_view, [Finding("home.stale", "veto", SITE, SITE, EVIL)], rules, c)                                  # veto
    rows = write_province_summary([a, b, c], tmp_path / "province")
    assert [r["score"] for r in rows] == [100, 98, 100] and rows[2]["verdict_id"] == "veto"
    assert rows[2]["vetoes"] == "首页不更新"
    book = openpyxl.load_workbook(tmp_path / "province" / "summary.xlsx")
    assert book.sheetnames == ["单项否决网站", "网站检查汇总"]   # the vetoed sites first, then the ranking
    sheet = book["网站检查汇总"]
    assert [c.value for c in sheet[1]][:4] == ["排名", "网站", "得分", "结论"]
    assert sheet.cell(row=4, column=4).value == "不合格（单项否决）"
    assert sheet.cell(row=2, column=9).hyperlink.target.replace("\\", "/").endswith("../b/report.html")  # Excel stores Windows paths
    chrome.get((tmp_path / "province" / "summary.html").as_uri())
    link = chrome.find_elements("css selector", "#ranking a[href$='report.html']")[0]
    link.click()
    assert chrome.current_url.endswith("/b/report.html") and "政府网站检查报告" in chrome.title
    with pytest.raises(ReportError, match="no summary.json"):
        write_province_summary([tmp_path / "nothing"], tmp_path / "p2")
