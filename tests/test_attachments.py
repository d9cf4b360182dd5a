"""Attachments' text (PDF, DOCX, XLSX) and off-site link targets read for content safety (issue 14): the
readers on generated files (written with the libraries that read them: python-docx, openpyxl, pypdf), hostile
files (encrypted, corrupt, a zip bomb, 200 MB), and one scan of a fixture site on 127.0.0.1 whose off-site
targets are other loopback addresses (127.0.0.2, 127.0.0.3) and whose HTTPS probe meets a local TLS server."""

from __future__ import annotations

import io
import json
import sqlite3
import ssl
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docx
import openpyxl
import pytest
import trustme
from conftest import AS_OF, read_findings, run_cli
from govaudit.crawler.analysis import read_body, unread
from govaudit.crawler.extract.attachments import Caps, attachment_facts
from govaudit.crawler.extract.content import offsite_facts
from govaudit.reports import text as report_text
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from govaudit.model import Finding
from govaudit.readings import format_of

ID_OK = "11010519491231002X"  # the GB 11643 standard's own example
ID_BAD = "110105194912310021"  # the same digits, a wrong check character
MOBILE = "13912345678"
SMALL = Caps(max_bytes=1 << 20, max_pages=5, max_unzipped_bytes=5 << 20, max_chars=100_000)


# -- generated files -------------------------------------------------------------------------------------------
def make_pdf(pages: list[str], user_password: str | None = None) -> bytes:
    """A PDF written with pypdf: one Helvetica text line per page (ASCII: the numbers are what matters here;
    a CJK font program is beyond a fixture).  ``user_password`` encrypts it ("" : only an owner password)."""
    writer = PdfWriter()
    for text in pages:
        page = writer.add_blank_page(595, 842)
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): writer._add_object(font)})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("拟录用人员公示")
    document.add_paragraph(f"张三，身份证号 {ID_OK}。")
    document.add_paragraph(f"文号 {ID_BAD}，中国共产觉领导。")
    table = document.add_table(rows=2, cols=2)
    table.cell(1, 0).text = "李四"
    table.cell(1, 1).text = f"手机 {MOBILE}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append(["姓名", "身份证号", "手机"])
    sheet.append(["张三", ID_BAD, "0871-12345678"])  # a failing checksum and an office line: not personal data
    sheet.append(["李四", ID_OK, int(MOBILE)])  # a number typed into a cell is an int
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_zip_bomb(unzipped: int) -> bytes:
    """A DOCX-shaped zip whose document.xml inflates to ``unzipped`` bytes (zeros compress ~1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(unzipped >> 20):
                member.write(chunk)
    return out.getvalue()


# -- readers -----------------------------------------------------------------------------------------------------
def test_formats_read_are_named_by_the_path():
    assert format_of("http://x/a/b.PDF?id=1") == "pdf" and format_of("http://x/a.docx") == "docx"
    assert format_of("http://x/a.xlsx#s") == "xlsx" and format_of("http://x/a.doc") is None
    assert format_of("http://x/dir.pdf/") is None and format_of("http://x/page.html") is None


def test_pdf_numbers_found_masked_with_their_page():
    facts = attachment_facts(make_pdf(["Notice of the hearing", f"Zhang San ID {ID_OK} tel {MOBILE}",
                                       f"file no. {ID_BAD}"]), "pdf", SMALL)
    assert facts["attachment"] == {"format": "pdf", "parts": 3, "chars": facts["attachment"]["chars"]}
    found = {(i["kind"], i["masked"], json.dumps(i["where"])) for i in facts["private_data"]}
    assert found == {("id_number", "1101************2X", '{"page": 2}'), ("mobile", "139****5678", '{"page": 2}')}
    assert ID_OK not in json.dumps(facts) and MOBILE not in json.dumps(facts)


def test_docx_paragraphs_tables_and_dictionary():
    facts = attachment_facts(make_docx(), "docx", SMALL)
    where = {i["kind"]: i["where"] for i in facts["private_data"]}
    assert where == {"id_number": {"paragraph": 2}, "mobile": {"table": 1, "row": 2}}
    assert [(t["term"], t["expected"], t["where"]) for t in facts["serious_terms"]] == [
        ("中国共产觉", "中国共产党", {"paragraph": 3})]


def test_xlsx_sheet_and_row_and_near_misses():
    facts = attachment_facts(make_xlsx(), "xlsx", SMALL)
    assert [(i["kind"], i["where"]) for i in facts["private_data"]] == [
        ("id_number", {"sheet": "名单", "row": 3}), ("mobile", {"sheet": "名单", "row": 3})]
    assert "reason" not in facts["attachment"]


def test_hostile_files_are_facts_not_crashes():
    encrypted = attachment_facts(make_pdf([f"ID {ID_OK}"], user_password="secret"), "pdf", SMALL)
    assert encrypted["attachment"]["reason"] == "encrypted" and encrypted["private_data"] == []
    # only an owner password ("protected" against printing): readable, as a PDF viewer reads it
    owner_only = attachment_facts(make_pdf([f"ID {ID_OK}"], user_password=""), "pdf", SMALL)
    assert [i["kind"] for i in owner_only["private_data"]] == ["id_number"]
    corrupt = attachment_facts(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n" + bytes(range(256)) * 40, "pdf", SMALL)
    assert corrupt["attachment"]["reason"] == "corrupt" and corrupt["attachment"]["error"]
    not_a_zip = attachment_facts(b"PK\x03\x04 this is no zip", "docx", SMALL)
    assert not_a_zip["attachment"]["reason"] == "corrupt"
    bomb = make_zip_bomb(20 << 20)
    assert len(bomb) < 100_000
    assert attachment_facts(bomb, "docx", SMALL)["attachment"]["reason"] == "zip_bomb"
    assert attachment_facts(bomb, "xlsx", SMALL)["attachment"]["reason"] == "zip_bomb"
    long_pdf = attachment_facts(make_pdf([f"page {n}" for n in range(8)]), "pdf", SMALL)
    assert long_pdf["attachment"]["reason"] == "page_cap" and long_pdf["attachment"]["parts"] == 5


def test_over_budget_attachment_is_abandoned():
    """A file that takes longer than the budget is abandoned (SIGALRM in the analysing process), not waited for."""
    big = make_pdf([f"line {n} " * 30 for n in range(300)])
    empty = {"attachment": {"format": "pdf", "parts": 0, "chars": 0}}
    facts = read_body(attachment_facts, (big, "pdf", Caps(max_pages=1000, max_chars=10**9)), 0.001,
                      unread(empty, "analysis_budget"))
    assert facts == {"attachment": {"format": "pdf", "parts": 0, "chars": 0, "reason": "analysis_budget"}}


def test_offsite_words_counted_and_excerpt_masked(tmp_path):
    lists = tmp_path / "off.txt"
    lists.write_text("prohibited | 六合彩 | | 打击六合彩\nprohibited | 真人百家乐 |\n", encoding="utf-8")
    page = "<html><body><p>六合彩开奖直播，真人百家乐注册送彩金 13912345678。</p><p>六合彩</p></body></html>"
    facts = offsite_facts(page.encode("utf-8"), "utf-8", (str(lists),))["offsite"]
    assert facts["words"] == [{"term": "六合彩", "count": 2}, {"term": "真人百家乐", "count": 1}]
    assert "六合彩" not in facts["excerpt"] and "六**开奖直播" in facts["excerpt"] and "***********" in facts["excerpt"]
    news = "<html><body><p>公安机关依法打击六合彩等非法赌博活动。</p></body></html>"
    assert offsite_facts(news.encode("utf-8"), None, (str(lists),))["offsite"]["words"] == []


# -- a scan: attachments, off-site targets and the HTTPS probe --------------------------------------------------
BIG = 200 << 20


class Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # responses without Content-Length end with the connection
    routes: dict[str, tuple[str, bytes]] = {}

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head: bool = False):
        path = self.path.split("?")[0]
        if path in ("/big.pdf", "/chunked.pdf"):  # 200 MB, declared or not: the crawl must stop reading it
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            if path == "/big.pdf":
                self.send_header("Content-Length", str(BIG))
            self.end_headers()
            try:
                chunk = b"%PDF-1.4\n" + b"0" * 65527
                for _ in range(0 if head else BIG // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if path not in self.routes:
            self.send_error(404)
            return
        ctype, body = self.routes[path]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


def serve(host: str, routes: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    handler = type("Handler", (Site,), {"routes": routes})
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def html(body: str) -> tuple[str, bytes]:
    return "text/html; charset=utf-8", f'<html lang="zh"><head><title>t</title></head><body>{body}</body></html>'.encode()


def tls_server(tmp_path: Path) -> ThreadingHTTPServer:
    """A HTTPS server on 127.0.0.1 with a throwaway certificate (trustme): offered, but not a valid chain."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (Site,), {"routes": {"/": html("<p>ok</p>")}}))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attach")
    gambling = serve("127.0.0.2", {"/": html("<p>六合彩开奖直播，真人百家乐注册就送。</p>")})
    news = serve("127.0.0.3", {"/": html("<p>公安机关依法打击六合彩等非法赌博活动。</p>")})
    tls = tls_server(tmp)
    links = "".join(f'<li><a href="{u}">{u}</a></li>' for u in (
        "leak.docx", "list.xlsx", "gone.xlsx", "scan.pdf", "locked.pdf", "broken.pdf", "bomb.docx", "big.pdf", "chunked.pdf", "old.doc", "late.pdf",
        f"http://127.0.0.2:{gambling.server_port}/", f"http://127.0.0.3:{news.server_port}/"))
    news_url = f"http://127.0.0.3:{news.server_port}/"
    hidden = (f'<link rel="stylesheet" href="/css/site.css"><div class="yqlj"><ul><li><a href="{news_url}?yqlj">'
              f'澳门赌场</a></li></ul></div><ul class="nav"><li><ul class="sub"><li><a href="{news_url}?menu">新闻</a>'
              '</li></ul></li></ul>')
    site = serve("127.0.0.1", {
        "/": html(f"<ul>{links}</ul><p>办公电话：0871-12345678</p>{hidden}"),
        "/css/site.css": ("text/css", b".yqlj ul{position:absolute;left:-9999px}.nav .sub{display:none}"
                                      b".nav li:hover .sub{display:block}"),
        "/leak.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", make_docx()),
        "/list.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", make_xlsx()),
        "/scan.pdf": ("application/pdf", make_pdf(["cover", f"ID {ID_OK}"])),
        "/locked.pdf": ("application/pdf", make_pdf([f"ID {ID_OK}"], user_password="secret")),
        "/broken.pdf": ("application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 64),
        "/bomb.docx": ("application/octet-stream", make_zip_bomb(20 << 20)),
        "/late.pdf": ("application/pdf", make_pdf([f"ID {ID_OK}"])),  # the 10th attachment: past max_files
        "/old.doc": ("application/msword", b"\xd0\xcf\x11\xe0" + b"\0" * 2000),
        "/gone.xlsx": html("<p>文件不存在或已删除</p>"),
    })
    rules = tmp / "rules.yaml"
    rules.write_text(f"""id: attach-test
version: "1"
inherits: gov-2019
params:
  safety:
    attachments: {{max_bytes: 1048576, max_unzipped_bytes: 5242880, max_files: 9}}
  identity:
    https_port: {tls.server_port}
""", encoding="utf-8")
    out = tmp / "out"
    try:
        run_cli("scan", f"http://127.0.0.1:{site.server_port}/", "--out", str(out), "--as-of", AS_OF.isoformat(),
                "--timeout", "5", "--a11y", "off", "--ignore-robots", "--rules", str(rules))
    finally:
        for server in (site, gambling, news, tls):
            server.shutdown()
    return out, read_findings(out), f"http://127.0.0.1:{site.server_port}/", gambling.server_port, news.server_port


def by_rule(findings: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in findings:
        out.setdefault(f["rule"], []).append(f)
    return out


def test_scan_reports_attachment_findings_with_where_and_who_links(scan):
    out, findings, base, _, news_port = scan
    rules = by_rule(findings)
    private = sorted(((f["url"].removeprefix(base), f["evidence"]["kind"], f["evidence"]["location"]) for f in rules["content.private_data"]),
                     key=lambda t: t[:2])
    assert private == [("leak.docx", "id_number", {"paragraph": 2}), ("leak.docx", "mobile", {"table": 1, "row": 2}),
                       ("list.xlsx", "id_number", {"sheet": "名单", "row": 3}), ("list.xlsx", "mobile", {"sheet": "名单", "row": 3}),
                       ("scan.pdf", "id_number", {"page": 2})]
    for f in rules["content.private_data"]:
        assert f["evidence"]["linked_from"] == [base] and f["evidence"]["attachment"] == f["url"]
    (docx_id,) = [f for f in rules["content.private_data"] if f["url"].endswith("leak.docx") and f["evidence"]["kind"] == "id_number"]
    assert docx_id["message"].startswith("附件（第 2 段）含 1 个疑似个人信息号码（如 1101************2X")
    # the English report says the place in English: the evidence keeps the place as data, the message has both
    sheet = Finding.from_json(next(f for f in rules["content.private_data"] if f["url"].endswith("list.xlsx")))
    assert report_text.message(sheet, "en").startswith("1 personal numbers in the attachment (sheet \u201c名单\u201d, row 3)")
    (where,) = [i for i in report_text.evidence_items(sheet, "en") if i["label"] == "Where in the file"]
    assert where["headers"] == ["Sheet", "Row"] and where["rows"] == [[[("名单", None)], [("3", None)]]]
    assert [(f["url"].removeprefix(base), f["evidence"]["expected"]) for f in rules["content.serious_error"]] == [
        ("leak.docx", "中国共产党")]


def test_scan_hostile_attachments_are_reported_unread_and_the_scan_goes_on(scan):
    out, findings, base, _, news_port = scan
    rules = by_rule(findings)
    unread = {f["evidence"]["reason"]: f for f in rules["content.attachment_unread"]}
    assert set(unread) == {"encrypted", "corrupt", "zip_bomb", "too_large", "html_page", "not_read"}
    assert unread["not_read"]["evidence"]["examples"] == [base + "late.pdf"]  # past max_files: only checked
    assert unread["html_page"]["evidence"]["examples"] == [base + "gone.xlsx"]
    assert sorted(unread["too_large"]["evidence"]["examples"]) == [base + "big.pdf", base + "chunked.pdf"]
    assert unread["encrypted"]["evidence"]["examples"] == [base + "locked.pdf"]
    assert unread["zip_bomb"]["message"] == "1 个附件未能读取（解压后过大（疑似压缩炸弹））"
    # every link of the site works (the attachments are links too, checked with the one GET that read them)
    assert not [f for f in findings if f["rule"].startswith("links.")]
    db = sqlite3.connect(out / "govaudit.sqlite")
    (old_doc,) = db.execute("SELECT facts FROM urls WHERE url=?", (base + "old.doc",)).fetchone()
    assert old_doc is None  # .doc: not downloaded, only checked
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary


def test_scan_offsite_target_with_prohibited_words_and_news_page_not(scan):
    out, findings, base, gambling_port, _ = scan
    (hit,) = by_rule(findings)["content.offsite_prohibited"]
    assert hit["url"] == base and hit["evidence"]["target"] == f"http://127.0.0.2:{gambling_port}/"
    assert hit["evidence"]["words"] == ["六合彩", "真人百家乐"] and hit["evidence"]["pages"] == 1
    assert "六**开奖直播" in hit["evidence"]["excerpt"]
    assert hit["message"] == f"1 个页面链接的 http://127.0.0.2:{gambling_port}/ 含禁止内容（六合彩、真人百家乐）：六**开奖直播，真****注册就送。"


def test_scan_https_offered_with_an_invalid_certificate(scan):
    out, findings, base, _, news_port = scan
    rules = by_rule(findings)
    (https,) = rules["identity.https"]
    assert https["evidence"]["https_offered"] is True and https["evidence"]["http_redirects"] is False
    (cert,) = rules["identity.https_certificate"]
    assert "certificate" in cert["evidence"]["found"] or "证书" in cert["evidence"]["found"]


def test_scan_links_hidden_by_the_site_style_sheet(scan):
    out, findings, base, _, news_port = scan
    (hit,) = by_rule(findings)["content.hidden_link"]  # not the hover menu's link
    assert hit["url"] == base and hit["evidence"]["target"] == f"http://127.0.0.3:{news_port}/?yqlj"
    assert hit["evidence"]["how"] == f".yqlj ul {{left:-9999px}}（{base}css/site.css）"


def test_scan_stores_no_clear_number(scan):
    out, *_ = scan
    for path in (out / "govaudit.sqlite", out / "findings.jsonl", out / "report.html"):
        data = path.read_bytes()
        assert ID_OK.encode() not in data and MOBILE.encode() not in data, path


def test_bodies_are_read_only_while_their_rule_is_on():
    """The crawl downloads attachments, style sheets and off-site pages in full only for a rule that is on."""
    from govaudit.crawler.spiders.site import reading_options

    from govaudit.ruleset import load_ruleset

    rules = load_ruleset()
    on = reading_options(rules)
    assert on["read_attachments"] and on["read_stylesheets"] and on["https_port"] == 443
    assert on["offsite_dictionaries"] and all(Path(p).exists() for p in on["offsite_dictionaries"])
    for rule in ("content.private_data", "content.offsite_prohibited", "content.hidden_link", "identity.https"):
        rules.data["rules"][rule]["enabled"] = False
    off = reading_options(rules)
    assert off == {**on, "read_attachments": False, "offsite_dictionaries": (), "read_stylesheets": False, "https_port": 0}
