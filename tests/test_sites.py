"""The site-list reader: the files inspection offices export (UTF-8, UTF-8 with BOM, GBK, .xlsx), Chinese and
English headers, bad rows named by line and skipped, a site listed twice kept once and reported once."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from govaudit.errors import UserError
from govaudit.sites import read_sites

ZH = ("网站名称,网址,地区,主办单位,网站类型\n"
      "某县人民政府,www.a.gov.cn,某市,某县人民政府办公室,门户\n"
      "某县教育局,http://www.a.gov.cn/jyj/,某市,某县教育局,部门网站\n"
      "坏网址,ftp://x.gov.cn/,某市,,门户\n"
      ",http://nameless.gov.cn/,某市,,门户\n"
      "\n"
      "\"多行\n名称\",http://b.gov.cn,另一市,某单位,portal\n"
      "某县人民政府（重复）,HTTPS://WWW.A.GOV.CN/,某市,,门户\n"
      "类型不明,http://c.gov.cn/,某市,,博客\n"
      "没有网址,,某市,,门户\n"
      "再次重复,www.a.gov.cn/,某市,,门户\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_every_export_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes(ZH.encode(encoding))
    sites, bad = read_sites(path)
    assert [(s.name, s.url, s.region, s.department, s.type, s.line) for s in sites] == [
        ("某县人民政府", "http://www.a.gov.cn/", "某市", "某县人民政府办公室", "portal", 2),
        ("某县教育局", "http://www.a.gov.cn/jyj/", "某市", "某县教育局", "department", 3),
        ("多行\n名称", "http://b.gov.cn/", "另一市", "某单位", "portal", 7),
    ]
    assert [(b.line, b.reason.split(" (")[0].split(":")[0]) for b in bad] == [
        (4, "bad URL"), (5, "no site name"), (9, "duplicate of line 2"), (10, "unknown site type '博客'"), (11, "no URL")]
    assert "ftp" in bad[0].reason
    # the site on lines 2, 9 and 12 is reported once, naming every line
    dup = bad[2]
    assert dup.lines == (2, 9, 12) and "also line 12" in dup.reason


def test_unknown_type_is_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text("name,url,type\nA,http://a.gov.cn/,blog\nB,http://b.gov.cn/,Department\nC,http://c.gov.cn/,\n",
                    encoding="utf-8")
    sites, bad = read_sites(path)
    assert [(s.name, s.type) for s in sites] == [("B", "department"), ("C", "portal")]
    assert [(b.line, b.reason.split(" (")[0]) for b in bad] == [(2, "unknown site type 'blog'")]


def test_english_headers_title_row_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "sites.tsv"
    path.write_text("Province site list 2026\n\nSite Name\tURL\tRegion\tDepartment\tSite Type\n"
                    "Portal\thttp://127.0.0.1:8001/\tNorth\tOffice\tportal\n"
                    "Other port\thttp://127.0.0.1:8002/\tSouth\tOffice\tdepartment\n", encoding="utf-8")
    sites, bad = read_sites(path)
    assert bad == []
    assert [(s.url, s.region, s.type, s.line) for s in sites] == [
        ("http://127.0.0.1:8001/", "North", "portal", 4), ("http://127.0.0.1:8002/", "South", "department", 5)]


def test_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "sites.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["某省政府网站名单"])
    ws.append(["序号", "网站名称", "网址", "地区", "主办单位", "网站类型"])
    ws.append([1, "某市人民政府", "http://www.s.gov.cn", "某市", "某市政府办", "政府门户网站"])
    ws.append([2, "某市财政局", None, "某市", "某市财政局", "部门"])
    ws.append([3, 12345, "http://www.n.gov.cn/", "某市", None, None])
    book.save(path)
    sites, bad = read_sites(path)
    assert [(s.name, s.url, s.type, s.line) for s in sites] == [
        ("某市人民政府", "http://www.s.gov.cn/", "portal", 3), ("12345", "http://www.n.gov.cn/", "portal", 5)]
    assert [(b.line, b.reason) for b in bad] == [(4, "no URL")]


def test_unusable_files_are_one_clear_error(tmp_path: Path) -> None:
    no_header = tmp_path / "a.csv"
    no_header.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(UserError, match="no header row"):
        read_sites(no_header)
    not_text = tmp_path / "b.csv"
    not_text.write_bytes(b"\xff\xfe\x00\x81\x00name")
    with pytest.raises(UserError, match="neither UTF-8 nor GBK"):
        read_sites(not_text)
    fake_book = tmp_path / "c.xlsx"
    fake_book.write_text("not a zip", encoding="utf-8")
    with pytest.raises(UserError, match="not a readable .xlsx"):
        read_sites(fake_book)
    with pytest.raises(UserError, match="cannot read"):
        read_sites(tmp_path / "missing.csv")
