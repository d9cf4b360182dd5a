"""The demo site is ground truth for the whole suite, so its manifest must be exactly right.

These tests open the generated files back (and fetch them through the real demo server) and check every
planted defect against what the pages actually carry, independently of the crawler's extractors.
"""

from __future__ import annotations

import filecmp
import http.client
import re
import socket
import threading
import urllib.error
import urllib.request
import zlib
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
from lxml import etree

from govaudit.demo.server import DemoServer
from govaudit.demo.sitegen import Manifest, generate_site

AS_OF = date(2025, 11, 3)
BASE = "http://site"
DATE_RE = re.compile(r"(20\d\d)[-/年](\d{1,2})[-/月](\d{1,2})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    root = tmp_path_factory.mktemp("demo") / "www"
    manifest = generate_site(root, as_of=AS_OF, closed_port=_free_port())
    return root, manifest


@pytest.fixture(scope="module")
def server(site: tuple[Path, Manifest]):
    root, manifest = site
    with DemoServer(root, manifest, stall_seconds=0.3) as srv:
        yield srv


# ---- helpers --------------------------------------------------------------------------------------------

def read_page(root: Path, manifest: Manifest, path: str) -> str:
    return Manifest.file_for(root, path).read_bytes().decode(manifest.charset_of(path))


def parse(root: Path, manifest: Manifest, path: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(read_page(root, manifest, path))


def links_of(root: Path, manifest: Manifest, path: str) -> list[tuple[str, str, str]]:
    """(target as a site path or absolute URL, tag, anchor) for every a/img, including those in comments."""
    out: list[tuple[str, str, str]] = []

    def key(ref: str) -> str:
        url = urljoin(BASE + path, ref)
        return url[len(BASE):] if url.startswith(BASE + "/") else url

    def walk(tree: etree._Element) -> None:
        for el in tree.iter("a", "img"):
            if el.tag == "a" and el.get("href"):
                out.append((key(el.get("href")), "a", el.text_content().strip()))
            elif el.tag == "img" and el.get("src"):
                out.append((key(el.get("src")), "img", el.get("alt") or ""))
        for comment in tree.iter(etree.Comment):
            if comment.text and "<a " in comment.text:
                walk(lxml.html.fragment_fromstring(comment.text, create_parent="div"))

    walk(parse(root, manifest, path))
    return out


def list_page_paths(column: dict) -> list[str]:
    return [column["path"] + ("index.html" if k == 0 else f"index_{k}.html") for k in range(column["list_pages"])]


def dates_in_lists(root: Path, manifest: Manifest, column: dict) -> list[date]:
    """Every date printed in the column's list boxes (HTML, Hanweb script records and comments alike)."""
    found = []
    for path in list_page_paths(column):
        doc = parse(root, manifest, path)
        for box in doc.xpath("//div[@class='content']/div[contains(@class,'box')]"):
            raw = etree.tostring(box, encoding="unicode")
            found += [date(int(y), int(m), int(d)) for y, m, d in DATE_RE.findall(raw)]
    return found


def get(server: DemoServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# ---- generation -----------------------------------------------------------------------------------------

def test_deterministic_for_seed_and_date(tmp_path: Path) -> None:
    a = generate_site(tmp_path / "a", as_of=AS_OF)
    b = generate_site(tmp_path / "b", as_of=AS_OF)
    assert a.to_json() == b.to_json()
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", [str(p) for p in files_a], shallow=False)
    assert mismatch == [] and errors == []
    generate_site(tmp_path / "c", as_of=AS_OF, seed=7)
    assert (tmp_path / "c" / "index.html").read_bytes() != (tmp_path / "a" / "index.html").read_bytes()


def test_demo_size_and_manifest_roundtrip(site: tuple[Path, Manifest], tmp_path: Path) -> None:
    root, manifest = site
    html_files = list(root.rglob("*.html"))
    assert 150 <= manifest.pages <= 300
    assert manifest.pages == len(html_files)
    assert manifest.home == "/" and (root / "index.html").is_file()
    manifest.save(tmp_path / "manifest.json")
    assert Manifest.load(tmp_path / "manifest.json").to_json() == manifest.to_json()
    assert not list(root.rglob("manifest*.json")), "the manifest must not be inside the web root"


def test_every_planted_link_is_carried_by_its_sources(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    entries = list(manifest.links()) + manifest.planted["comment_links"] + manifest.planted["robots"]
    assert len(entries) >= 18
    for entry in entries:
        refs = entry.get("refs") or [{"source": s, "anchor": a} for s in entry["sources"] for a in entry["anchors"]]
        for ref in refs:
            carried = links_of(root, manifest, ref["source"])
            assert (entry["target"], entry.get("tag", "a"), ref["anchor"]) in carried, (entry["target"], ref)
        assert Manifest.file_for(root, ref["source"]).is_file()


def test_dead_link_plants_cover_the_brief(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    dead = manifest.planted["dead"]
    statuses = {e["status"] for e in dead}
    assert {404, 403, 410} <= statuses
    home_dead = [e for e in dead if "/" in e["sources"]]
    assert home_dead and len(home_dead[0]["sources"]) >= 3 and len(home_dead[0]["anchors"]) >= 2
    assert any(e["tag"] == "img" for e in dead)
    assert any(e["target"].endswith(".pdf") for e in dead) and any(e["target"].endswith(".docx") for e in dead)
    for e in dead:
        if not e["target"].startswith("/__"):
            assert not Manifest.file_for(root, e["target"]).exists(), e["target"]
    refused = [e for e in manifest.planted["suspect"] if e["status"] == "refused"]
    assert refused and refused[0]["target"] == f"http://127.0.0.1:{manifest.closed_port}/"
    assert {e["status"] for e in manifest.planted["suspect"]} >= {"refused", "timeout", 500}
    static_soft = [e for e in manifest.planted["soft404"] if not e["target"].startswith("/__")]
    assert static_soft
    doc = parse(root, manifest, static_soft[0]["target"])
    assert "页面不存在" in doc.findtext(".//title")
    kinds = {e["kind"] for e in manifest.planted["trap"]}
    assert kinds == {"calendar", "session"}
    assert manifest.planted["redirect_loop"][0]["target"] == "/__loop/a"


def test_non_hostile_site_has_no_dynamic_links(tmp_path: Path) -> None:
    manifest = generate_site(tmp_path, as_of=AS_OF, hostile=False)
    assert all(not e["target"].startswith("/__") for e in manifest.links())
    assert manifest.planted["dead"] and manifest.planted["soft404"]
    for file in tmp_path.rglob("*.html"):
        assert b'"/__' not in file.read_bytes(), file


def test_variance_adds_the_large_pages_of_real_portals(tmp_path: Path) -> None:
    """Issue 16: full numbered pagers, a site map of every article, a 信息公开目录 of every 政务公开 document;
    the same site without the option has none of them (and the rest of its pages are the same files)."""
    plain = generate_site(tmp_path / "plain", as_of=AS_OF, pages=2000, hostile=False)
    varied = generate_site(tmp_path / "varied", as_of=AS_OF, pages=2000, hostile=False, variance=True)
    assert not (tmp_path / "plain" / "wzdt" / "all.html").exists()
    sitemap = lxml.html.fromstring((tmp_path / "varied" / "wzdt" / "all.html").read_bytes())
    hrefs = {a.get("href") for a in sitemap.iter("a")}
    planted = {e["target"] for e in varied.links()}  # soft 404s and the like are not articles
    articles = {"/" + p.relative_to(tmp_path / "varied").as_posix() for col in varied.columns
                for p in (tmp_path / "varied").glob(col["path"].strip("/") + "/**/t*.html")} - planted
    assert len(articles) > 500 and articles <= hrefs  # every article of the site
    catalogue = lxml.html.fromstring((tmp_path / "varied" / "zwgk" / "xxgkml" / "index.html").read_bytes())
    assert len(catalogue.findall(".//tbody/tr")) > 100
    index = lxml.html.fromstring((tmp_path / "varied" / "wzdt" / "index.html").read_bytes())
    assert {"/wzdt/all.html", "/zwgk/xxgkml/"} <= {a.get("href") for a in index.iter("a")}
    # a list page of a many-page column carries a link to every page of it
    col = max((c for c in varied.columns if c["style"] in ("plain", "table")), key=lambda c: c["list_pages"])
    page = lxml.html.fromstring((tmp_path / "varied" / col["path"].strip("/") / "index_1.html").read_bytes())
    numbered = {a.get("href") for a in page.iter("a") if (a.text or "").isdigit()}
    assert numbered == {"index.html" if i == 0 else f"index_{i}.html" for i in range(col["list_pages"]) if i != 1}
    plain_page = (tmp_path / "plain" / col["path"].strip("/") / "index_1.html").read_bytes()
    assert not any((a.text or "").isdigit() for a in lxml.html.fromstring(plain_page).iter("a"))
    assert plain.pages + 2 == varied.pages


def test_column_newest_dates_and_classes(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    p = manifest.planted
    assert len(p["stale_columns"]) >= 5 and len(p["blank_columns"]) >= 5
    assert [c["name"] for c in p["long_stale_columns"]] == ["人事信息"]
    for cat in ("stale_columns", "fresh_columns", "long_stale_columns"):
        for col in p[cat]:
            dates = [d for d in dates_in_lists(root, manifest, col) if d <= AS_OF]
            assert dates, col["name"]
            newest = max(dates)
            assert newest.isoformat() == col["newest"], col["name"]
            age = (AS_OF - newest).days
            if cat == "fresh_columns":
                assert age <= col["window_days"], col["name"]
            elif cat == "stale_columns":
                assert col["window_days"] < age <= 365, col["name"]
            else:
                assert age > 365
    kinds = {c["type"] for c in p["stale_columns"]}
    assert {"news", "notice", "policy"} <= kinds
    for col in p["blank_columns"]:
        doc = parse(root, manifest, col["path"])
        box = doc.xpath("//div[@class='content']/div[contains(@class,'box')]")[0]
        assert not box.xpath(".//li | .//tbody/tr"), col["name"]
        assert DATE_RE.search(etree.tostring(box, encoding="unicode")) is None


def test_homepage_is_fresh_and_has_elder_entries(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    doc = parse(root, manifest, "/")
    box = doc.xpath("//div[contains(@class,'box')][h2[starts-with(normalize-space(.),'要闻')]]")[0]
    newest = max(date(int(y), int(m), int(d)) for y, m, d in DATE_RE.findall(box.text_content()))
    assert (AS_OF - newest).days <= 14
    anchors = {a.text_content().strip(): a.get("href") for a in doc.iter("a")}
    assert "无障碍" in anchors and "长者模式" in anchors
    assert Manifest.file_for(root, anchors["长者模式"]).is_file()


def test_date_plants(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    plants = {d["kind"]: d for d in manifest.planted["dates"]}
    undated = plants["undated"]
    item = [a for a in parse(root, manifest, undated["list"]).iter("a") if a.text_content() == undated["title"]][0]
    assert not DATE_RE.search(item.getparent().text_content())
    article = parse(root, manifest, undated["path"])
    assert not article.xpath("//meta[@name='PubDate']")
    future = plants["future"]
    assert date.fromisoformat(future["date"]) > AS_OF
    assert future["date"] in read_page(root, manifest, future["path"])


def test_meta_tags_from_the_design_spec(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    col = manifest.planted["fresh_columns"][0]
    list_doc = parse(root, manifest, col["path"])
    metas = {m.get("name"): m.get("content") for m in list_doc.iter("meta") if m.get("name")}
    for name in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnDescription", "ColumnKeywords", "ColumnType"):
        assert metas.get(name), name
    assert metas["SiteIDCode"] == manifest.footer["site_id_code"]
    first_article = [h for h, tag, _ in links_of(root, manifest, col["path"]) if re.search(r"/t\d{8}_\d+\.html$", h)][0]
    art = {m.get("name"): m.get("content") for m in parse(root, manifest, first_article).iter("meta") if m.get("name")}
    for name in ("ArticleTitle", "PubDate", "ContentSource", "Keywords", "Author", "Description", "Url"):
        assert art.get(name), name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", art["PubDate"])


def test_cms_styles_present(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    styles = {c["style"]: c for c in manifest.columns}
    trs = read_page(root, manifest, styles["trs"]["path"])
    assert re.search(r'createPageHTML\(\d+, 0, "index", "html"\)', trs)
    hanweb = read_page(root, manifest, styles["hanweb"]["path"])
    assert '<script type="text/xml"><datastore>' in hanweb and "<record><![CDATA[" in hanweb
    assert "<table class=\"list-table\">" in read_page(root, manifest, styles["table"]["path"])
    comment = manifest.planted["comment_links"][0]
    page = read_page(root, manifest, comment["sources"][0])
    body_without_comments = re.sub(r"<!--.*?-->", "", page, flags=re.S)
    assert comment["target"] in page and comment["target"] not in body_without_comments
    assert Manifest.file_for(root, comment["target"]).is_file()


def test_gbk_column_and_mislabelled_page(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    gbk, mislabelled = manifest.planted["charset"]
    assert gbk["body"] == "gbk" and len(gbk["pages"]) >= 2
    for path in gbk["pages"]:
        raw = Manifest.file_for(root, path).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode("gbk")
        assert "charset=gbk" in text and "人事信息" in text
        assert manifest.headers[path]["Content-Type"] == "text/html; charset=gbk"
    path = mislabelled["pages"][0]
    raw = Manifest.file_for(root, path).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert '<meta charset="gbk">' in raw.decode("gb18030")
    assert manifest.headers[path]["Content-Type"] == "text/html; charset=utf-8"


def test_letters_as_claimed(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    letters = manifest.planted["letters"]
    by_expect = {}
    for le in letters:
        for e in le["expect"]:
            by_expect.setdefault(e, []).append(le)
    for kind in ("unanswered", "late", "no_reply_text", "undated", "ok"):
        assert by_expect.get(kind), kind
    for le in by_expect["unanswered"]:
        age = (AS_OF - date.fromisoformat(le["asked"])).days
        assert 90 < age <= 365 and le["replied"] is None and le["status"] != "已回复"
    for le in by_expect["late"]:
        assert le["reply_days"] > 90
    list_text = "".join(parse(root, manifest, p).text_content()
                        for p in ["/hdjl/xzxx/"] + [f"/hdjl/xzxx/index_{k}.html" for k in (1, 2)])
    for le in letters:
        detail = parse(root, manifest, le["path"])
        rows = {tr.findtext("th"): (tr.find("td").text_content().strip()) for tr in detail.iter("tr")}
        assert rows["信件标题"] == le["title"] and le["title"] in list_text
        assert rows["处理状态"] == le["status"]
        assert (rows.get("来信时间") or "")[:10] == (le["asked"] or "")
        assert (rows.get("回复时间") or "")[:10] == (le["replied"] or "")
        if le["status"] == "已回复":
            assert bool(rows["回复内容"]) == le["has_reply_text"]


def test_a11y_and_identity_plants(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    a11y = {e["rule"]: e for e in manifest.planted["a11y"]}
    assert set(a11y) == {"image-alt", "html-has-lang", "label", "link-name", "document-title", "color-contrast"}
    for path in a11y["image-alt"]["pages"]:
        assert any(img.get("alt") is None for img in parse(root, manifest, path).iter("img")), path
    for path in a11y["html-has-lang"]["pages"]:
        assert parse(root, manifest, path).get("lang") is None
    for path in a11y["document-title"]["pages"]:
        assert parse(root, manifest, path).findtext(".//title") in (None, "")
    for path in a11y["link-name"]["pages"]:
        assert any(a.get("href") and not a.text_content().strip() and not a.xpath(".//img")
                   for a in parse(root, manifest, path).iter("a"))
    form = parse(root, manifest, a11y["label"]["pages"][0])
    labelled = {lab.get("for") for lab in form.iter("label")}
    assert any(i.get("id") not in labelled and not i.get("aria-label") for i in form.iter("input"))
    assert "color:#cccccc" in read_page(root, manifest, a11y["color-contrast"]["pages"][0])
    assert parse(root, manifest, "/").get("lang") == "zh-CN"

    identity = manifest.planted["identity"][0]
    psb = manifest.footer["psb"]
    assert identity["pages"]
    for path in identity["pages"]:
        assert psb not in read_page(root, manifest, path)
    home = read_page(root, manifest, "/")
    for key in ("psb", "icp", "site_id_code", "sponsor", "organizer"):
        assert manifest.footer[key] in home, key
    assert 'alt="党政机关网站标识"' in home


# ---- the server ----------------------------------------------------------------------------------------

def test_server_static_files(server: DemoServer, site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    status, headers, body = get(server, "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert body == (root / "index.html").read_bytes()
    status, headers, body = get(server, "/", "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) == (root / "index.html").stat().st_size
    status, headers, _ = get(server, "/xwzx/zwyw")
    assert status == 301 and headers["location"] == "/xwzx/zwyw/"
    assert get(server, "/css/style.css")[1]["content-type"].startswith("text/css")
    gbk_page = manifest.planted["charset"][0]["pages"][0]
    assert get(server, gbk_page)[1]["content-type"] == "text/html; charset=gbk"
    status, _, body = get(server, "/robots.txt")
    assert status == 200 and b"Disallow: /nbgl/" in body
    status, _, body = get(server, "/../../etc/passwd")
    assert status == 404


def test_server_answers_planted_links_as_manifest_says(server: DemoServer, site: tuple[Path, Manifest]) -> None:
    _, manifest = site
    for entry in manifest.links("dead", "soft404", "redirect_loop", "suspect"):
        target = entry["target"]
        if not target.startswith("/"):
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", manifest.closed_port), timeout=5).close()
            continue
        status, _, body = get(server, target)
        if entry["status"] == "timeout":
            continue  # the stall answers after stall_seconds; its own test covers it
        assert status == entry["status"], target
        if entry["rule"] == "links.soft404":
            assert "您访问的页面不存在".encode() in body
    status, _, body = get(server, "/no/such/page.html")
    assert status == 404 and "页面不存在".encode() in body


def test_server_status_routes(server: DemoServer) -> None:
    for code in (200, 403, 410, 500, 502):
        assert get(server, f"/__status/{code}")[0] == code
    for code in (429, 503):
        status, headers, _ = get(server, f"/__status/{code}")
        assert status == code and headers["retry-after"] == "1"


def test_server_redirects(server: DemoServer) -> None:
    assert get(server, "/__loop/a")[1]["location"] == "/__loop/b"
    assert get(server, "/__loop/b")[1]["location"] == "/__loop/a"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(server.url("/__loop/a"), timeout=10)
    with urllib.request.urlopen(server.url("/__chain/4"), timeout=10) as resp:
        assert resp.status == 200 and resp.url.endswith("/__chain/0")


def test_server_broken_transfers(server: DemoServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/__reset")
    with pytest.raises(ConnectionResetError):
        conn.getresponse()
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/__close-early")
    resp = conn.getresponse()
    assert resp.getheader("Content-Length") == "100000"
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()


def test_server_big_bodies(server: DemoServer) -> None:
    status, headers, body = get(server, "/__gzip-bomb")
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["content-type"].startswith("text/html")
    assert len(body) < 300_000
    inflater, expanded, data = zlib.decompressobj(31), 0, body
    while data:
        expanded += len(inflater.decompress(data, 1 << 22))
        data = inflater.unconsumed_tail
    assert expanded >= 200 * 1024 * 1024
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    conn.request("GET", "/__huge")
    resp = conn.getresponse()
    total = 0
    while chunk := resp.read(1 << 20):
        total += len(chunk)
    conn.close()
    assert total == 30 * 1024 * 1024 and resp.getheader("Content-Type").startswith("text/html")
    status, headers, body = get(server, "/__binary")
    assert headers["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_server_traps_and_flaky(server: DemoServer) -> None:
    _, _, body = get(server, "/__calendar?y=2025&m=12")
    assert b"/__calendar?y=2026&amp;m=1" in body and b"/__calendar?y=2025&amp;m=11" in body
    a = get(server, "/__session/page.html;jsessionid=AAA")[2]
    b = get(server, "/__session/page.html;jsessionid=AAA")[2]
    links = [re.search(rb'href="([^"]+)"', x).group(1) for x in (a, b)]
    assert links[0] != links[1] and all(x.startswith(b"/__session/page.html;jsessionid=") for x in links)
    sid = re.search(rb'href="([^"]+)"', get(server, "/__session/page.html?sid=x1")[2]).group(1)
    assert sid.startswith(b"/__session/page.html?sid=")
    statuses = [get(server, "/__flaky/t1?fail=2")[0] for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    status, _, body = get(server, "/__soft404/anything/here.html")
    assert status == 200 and "您访问的页面不存在".encode() in body
    status, headers, body = get(server, "/__gbk-mislabelled")
    assert headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert '<meta charset="gbk">' in body.decode("gb18030")
    status, _, body = get(server, "/__stall")
    assert status == 200


def test_server_counts_hits(server: DemoServer) -> None:
    path = "/zjyx/?counted=1"
    before = server.hits[path]
    get(server, path)
    get(server, path, "HEAD")
    assert server.hits[path] == before + 2
    assert server.method_hits[("HEAD", path)] >= 1


def test_server_stops_promptly_and_frees_port(site: tuple[Path, Manifest]) -> None:
    root, manifest = site
    srv = DemoServer(root, manifest, stall_seconds=120).start()
    port = srv.port
    result: list[object] = []

    def stalled() -> None:
        try:
            result.append(get(srv, "/__stall")[0])
        except Exception as exc:  # noqa: BLE001 - any outcome is fine, only that it ends
            result.append(exc)

    worker = threading.Thread(target=stalled, daemon=True)
    worker.start()
    while not srv.hits["/__stall"]:
        threading.Event().wait(0.01)
    srv.stop()
    worker.join(timeout=10)
    assert not worker.is_alive(), "stop() left a stalled request hanging"
    with socket.socket() as s:  # the port can be listened on again (as a restarted server would)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
    with pytest.raises(ValueError):
        DemoServer(root, host="0.0.0.0")


# ---- scale ---------------------------------------------------------------------------------------------

def test_scales_to_5000_pages(tmp_path: Path, site: tuple[Path, Manifest]) -> None:
    _, demo = site
    manifest = generate_site(tmp_path, as_of=AS_OF, pages=5000, hostile=False)
    assert 4500 <= manifest.pages <= 5500
    assert manifest.pages == sum(1 for _ in tmp_path.rglob("*.html"))
    names = lambda m, cat: sorted(c["name"] for c in m.planted[cat])  # noqa: E731
    for cat in ("stale_columns", "fresh_columns", "long_stale_columns", "blank_columns"):
        assert names(manifest, cat) == names(demo, cat)
    zwyw = next(c for c in manifest.columns if c["name"] == "政务要闻")
    assert zwyw["items"] > 500
    for path in list_page_paths(zwyw):
        assert Manifest.file_for(tmp_path, path).is_file()
    assert not Manifest.file_for(tmp_path, zwyw["path"] + f"index_{zwyw['list_pages']}.html").exists()
    assert re.search(rf'createPageHTML\({zwyw["list_pages"]}, 0,', read_page(tmp_path, manifest, zwyw["path"]))
    newest = max(d for d in dates_in_lists(tmp_path, manifest, zwyw) if d <= AS_OF)
    assert newest.isoformat() == zwyw["newest"] == (AS_OF - timedelta(days=1)).isoformat()
