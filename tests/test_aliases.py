"""One page, one set of findings: redirect sources and aliases of one document are one page (issue 9.2)."""

from __future__ import annotations

import sqlite3

from conftest import AS_OF, read_findings, run_cli

from govaudit.model import UrlRecord, url_key
from govaudit.store import SCHEMA_VERSION, Store, StoreWriter

SITE = "http://gov.test/"


def view_of(tmp_path, records):
    """records: (url, digest | None, final_url | None, depth), written through the store's real writer."""
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    for url, digest, final_url, depth in records:
        facts = None if digest is None else {"title": url, "digest": digest}
        writer.add_url(url_key(url), url, "page", depth)
        writer.record(UrlRecord(url=url, kind="page", depth=depth, state="done", status=200, final_url=final_url,
                                facts=facts))
    writer.flush()
    return store.view(scan)


def test_pages_yields_each_document_once_under_its_final_url(tmp_path):
    view = view_of(tmp_path, [
        (SITE, "home", None, 0),
        (SITE + "index.html", "home", None, 1),
        (SITE + "fault/redirect-ok?id=25", "home", SITE + "index.html", 1),  # analysed before its target was
        (SITE + "col/index.html", "col", None, 1),
        (SITE + "col/", "col", None, 2),
        (SITE + "col", None, SITE + "col/", 1),  # a redirect the crawler did not analyse again
        (SITE + "a.html", "a", None, 2),
        (SITE + "moved.html", "b", SITE + "b.html", 2),  # only reached through a redirect
        (SITE + "gone.html", None, SITE + "404.html", 2),  # a redirect to nothing analysed: no page at all
        ("http://other.test/", "home", None, 1),  # the same body on another host is another page
    ])
    pages = {rec.url: rec for rec in view.pages()}
    assert sorted(pages) == sorted([SITE, SITE + "col/", SITE + "a.html", SITE + "b.html", "http://other.test/"])
    assert pages[SITE].aliases == [SITE + "fault/redirect-ok?id=25", SITE + "index.html"]
    assert pages[SITE].facts["title"] == SITE  # the facts of the record fetched at the page's own URL
    assert pages[SITE + "col/"].aliases == [SITE + "col", SITE + "col/index.html"]
    assert pages[SITE + "b.html"].aliases == [SITE + "moved.html"] and pages[SITE + "b.html"].final_url is None
    assert pages[SITE + "a.html"].aliases == [] and pages["http://other.test/"].aliases == []
    # Link checks still see every URL.
    assert {r.url for r in view.urls("page")} >= {SITE + "index.html", SITE + "col", SITE + "gone.html"}


def test_a_redirected_start_url_makes_its_target_the_homepage(tmp_path):
    view = view_of(tmp_path, [(SITE, "home", SITE + "portal/index.html", 0), (SITE + "portal/", "home", None, 1)])
    assert [(r.url, r.aliases) for r in view.pages()] == [(SITE + "portal/", [SITE, SITE + "portal/index.html"])]


def test_homepage_defect_is_reported_once_with_its_aliases(tmp_path):
    """The issue's case end to end: ``/``, ``/index.html`` and a link that 301-redirects to ``/`` are one page."""
    from govaudit.demo.server import DemoServer

    root = tmp_path / "site"
    (root / "col").mkdir(parents=True)
    (root / "index.html").write_text(
        '<html lang="zh-CN"><head><title>首页</title></head><body><img src="/logo.png">'
        '<a href="/index.html">首页</a><a href="/__status/301">旧首页</a><a href="/col">栏目</a>'
        '<a href="/col/index.html">栏目首页</a></body></html>', encoding="utf-8")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "col" / "index.html").write_text(
        '<html lang="zh-CN"><head><title>栏目</title></head><body><a href="/">返回首页</a></body></html>', encoding="utf-8")
    out = tmp_path / "out"
    with DemoServer(root, None) as server:
        base = server.base_url
        run_cli("scan", base + "/", "--out", str(out), "--as-of", AS_OF.isoformat(), "--timeout", "2", "--a11y", "off")
        hits = dict(server.hits)
    findings = read_findings(out)
    missing_alt = [f for f in findings if f["rule"] == "a11y.image-alt"]
    assert [f["url"] for f in missing_alt] == [base + "/"], missing_alt
    assert missing_alt[0]["evidence"]["aliases"] == [base + "/__status/301", base + "/index.html"]
    assert not [f for f in findings if f["url"] in (base + "/col", base + "/col/index.html") and not f["rule"].startswith("links.")]
    # Links to every alias are still checked and their referrers kept.
    store = Store(out / "govaudit.sqlite")
    view = store.view(store.latest_scan())
    for alias in ("/index.html", "/__status/301", "/col", "/col/index.html"):
        rec = view.get(base + alias)
        assert rec is not None and rec.state == "done" and rec.status in (200, 301), (alias, rec)
        assert list(view.refs(base + alias)), alias
    assert hits.get("/index.html") == 1 and hits.get("/col/index.html") == 1
    # A redirect whose target was already analysed is not analysed (nor stored) a second time.
    with sqlite3.connect(out / "govaudit.sqlite") as db:
        analysed = {u for (u,) in db.execute("SELECT url FROM urls WHERE facts IS NOT NULL")}
    assert base + "/__status/301" not in analysed and base + "/" in analysed
    store.close()


def test_view_page_finds_the_document_of_any_alias(tmp_path):
    view = view_of(tmp_path, [(SITE, "home", None, 0), (SITE + "old", None, SITE + "index.html", 1),
                              (SITE + "index.html", "home", None, 1)])
    for url in (SITE, SITE + "old", SITE + "index.html"):
        page = view.page(url)
        assert page is not None and page.url == SITE and page.aliases == [SITE + "index.html", SITE + "old"]
    assert view.page(SITE + "nowhere.html") is None


def test_only_documents_of_several_urls_are_held_and_the_others_still_found(tmp_path):
    """The view holds the grouping of the URLs that redirected, were redirected to or share a body, not an entry
    per page (≈ 1 KB a page at 100,000 pages); a page of its own is still a document with no alias."""
    view = view_of(tmp_path, [(SITE, "home", None, 0), (SITE + "index.html", "home", None, 1),
                              (SITE + "old", None, SITE + "new.html", 1), (SITE + "new.html", "new", None, 2),
                              (SITE + "a.html", "a", None, 2), ("http://other.test/a.html", "a", None, 2),
                              (SITE + "b.html", "b", None, 2), (SITE + "c.html", None, None, 2)])
    assert sorted((r.url, r.aliases) for r in view.pages()) == [
        (SITE, [SITE + "index.html"]), (SITE + "a.html", []), (SITE + "b.html", []), (SITE + "new.html", [SITE + "old"]),
        ("http://other.test/a.html", [])]
    assert SITE + "b.html" not in view._stored_as and SITE + "new.html" in view._stored_as
    assert view.document(SITE + "b.html") == (SITE + "b.html", ())
    page = view.page(SITE + "b.html")
    assert page is not None and page.url == SITE + "b.html" and page.aliases == [] and page.facts == {
        "title": SITE + "b.html", "digest": "b"}
    assert view.page(SITE + "c.html") is None  # stored, but never analysed


def test_a_schema_1_store_is_migrated_in_place_and_still_read(tmp_path):
    path = tmp_path / "old.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:  # what govaudit wrote before urls.digest existed
        db.execute("ALTER TABLE urls DROP COLUMN digest")
        db.execute("PRAGMA user_version=1")
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION  # 1 → the current schema at once
    scan = store.begin_scan(SITE, SITE, AS_OF.isoformat(), {}, "test")
    writer = StoreWriter(store, scan)
    for url in (SITE, SITE + "index.html"):
        writer.add_url(url_key(url), url, "page", 0)
        writer.record(UrlRecord(url=url, kind="page", state="done", status=200, facts={"digest": "d"}))
    writer.flush()
    assert [(r.url, r.aliases) for r in store.view(scan).pages()] == [(SITE, [SITE + "index.html"])]
    store.close()
