"""Load metrics and the phone emulation in the accessibility stage's browsers (crawler/browser/metrics.py).

Real headless Chromium against tests/speed_site.py on 127.0.0.1: the 600 px table overflows at 375 px,
9 px text and links are too small, the light responsive page gets no finding; a page that never fires
load, an endless animation, a 50 MB image and a redirect loop for the phone's User-Agent each end in a
bounded time as "not measured" with the reason, and the other pages are measured.
"""

from __future__ import annotations

import shutil

import pytest
from govaudit.crawler.browser import audit_scan
from govaudit.crawler.browser.audit import _phone_pages
from govaudit.crawler.browser.pool import Limits
from govaudit.crawler.extract import PageContext
from govaudit.crawler.extract.a11y_static import extract
from govaudit.crawler.extract.core import extract as core_extract
from lxml import html as lxml_html
from speed_site import PAGES, SpeedSite

from govaudit import checks
from govaudit.model import UrlRecord, url_key
from govaudit.ruleset import load_ruleset
from govaudit.store import Store, StoreWriter

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="Debian chromium + chromium-driver are not installed")

PATHS = ["/light/", "/overflow/", "/small-text/", "/noviewport/", "/never/", "/spin/", "/huge-image/", "/m-loop/",
         "/ua/", "/heavy-png/"]


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("speed-browser")
    with SpeedSite() as site:
        store = Store(tmp / "scan.sqlite")
        scan = store.begin_scan(site.base + "/", site.base + "/light/", "2026-11-20", {}, "test")
        writer = StoreWriter(store, scan)
        for path in PATHS:
            url = site.base + path
            ctx = PageContext(url=url, tree=lxml_html.fromstring(PAGES[path]), is_home=path == "/light/")
            facts = {**core_extract(ctx), **extract(ctx), "kind": "article"}
            writer.add_url(url_key(url), url, "page", 1)
            writer.record(UrlRecord(url=url, kind="page", depth=1, state="done", status=200, facts=facts))
        writer.flush()
        # the phone profile on every page here, not one per template; a 1 MB transfer line, so that the 1.1 MB
        # image of /heavy-png/ is over it and still loads in time on the phone's throttled network
        every_page = tmp / "every-page.yaml"
        every_page.write_text("id: test-phone\nversion: '1'\ninherits: gov-2019\ntitle: {zh: t, en: t}\n"
                              "params: {speed: {browser: {phone_per_template: 0,\n"
                              "  lines: {transfer_bytes: {good: 1000000, poor: 2000000}}}}}\n", encoding="utf-8")
        rules = load_ruleset(every_page)
        coverage = audit_scan(store, scan, mode="all", browsers=2, rules=rules, measure=True,
                              limits=Limits(page_load=15, script=10, watchdog=5))
        view = store.view(scan)
        speed = {url.removeprefix(site.base): body for url, body in view.artifacts("speed")}
        found = list(checks.run_all(view, rules, families=["speed", "mobile"]))
        mobile_site = dict(view.artifacts("mobile_site"))
        yield site.base, coverage, speed, found, mobile_site


def test_every_sampled_page_has_figures_or_a_reason(audited):
    _, coverage, speed, _, _ = audited
    assert sorted(speed) == sorted(PATHS)
    for path, body in speed.items():
        for profile in ("desktop", "mobile"):
            m = body[profile]
            assert m["status"] in ("measured", "not_measured"), (path, profile, m)
            if m["status"] == "not_measured":
                assert m["reason"] and m["detail"], (path, profile, m)
            else:  # painted: the desktop tab renders while the phone tab stands behind it, and the other way round
                assert m["fcp_ms"] is not None and m["fcp_ms"] > 0, (path, profile, m)
    assert coverage["speed"]["desktop"] == {"measured": 8, "not_measured": {"page_load_timeout": 2}}
    assert coverage["speed"]["mobile"] == {"measured": 7, "not_measured": {"not_audited": 2, "redirect_loop": 1}}
    light = speed["/light/"]
    for profile in ("desktop", "mobile"):
        m = light[profile]
        assert m["status"] == "measured" and m["fcp_ms"] > 0 and m["lcp_ms"] >= m["fcp_ms"]
        assert m["transfer_bytes"] > 0 and m["requests"] >= 3  # HTML, stylesheet, logo
    assert light["mobile"]["layout"]["viewport_width"] == 375
    assert light["desktop"]["final_url"].endswith("/light/")


def test_bad_pages_not_measured_with_reason(audited):
    _, _, speed, _, _ = audited
    assert speed["/never/"]["desktop"]["reason"] == "page_load_timeout"
    assert speed["/huge-image/"]["desktop"]["reason"] == "page_load_timeout"
    assert speed["/m-loop/"]["desktop"]["status"] == "measured"   # the desktop User-Agent is not redirected
    assert speed["/m-loop/"]["mobile"]["reason"] == "redirect_loop"
    spin = speed["/spin/"]
    assert spin["desktop"]["status"] == "measured" and spin["mobile"]["status"] == "measured"  # bounded by settle


def test_layout_faults_found_light_page_clean(audited):
    base, _, _, found, _ = audited
    by_rule: dict[str, set[str]] = {}
    for f in found:
        urls = {e["url"] for e in f.evidence.get("examples", [])} or {f.url}
        by_rule.setdefault(f.rule, set()).update(urls)
    assert by_rule["mobile.overflow"] == {base + "/overflow/", base.replace("127.0.0.1", "localhost") + "/m/wide.html"}
    assert base + "/small-text/" in by_rule["mobile.small_text"]
    assert base + "/small-text/" in by_rule["mobile.tap_targets"]
    assert {base + "/never/", base + "/huge-image/", base + "/m-loop/"} <= by_rule["speed.not_measured"]
    m_site = base.replace("127.0.0.1", "localhost") + "/m/"
    assert sorted((f.evidence["mobile_url"], f.evidence["via"], f.evidence["checked_pages"])
                  for f in found if f.rule == "mobile.separate_site") == [
        (base + "/m-loop/", "user_agent_redirect_loop", 0), (m_site, "user_agent_redirect", 4)]
    assert by_rule["speed.transfer_bytes"] == {base + "/heavy-png/"}  # the 1.1 MB image, on both profiles
    for f in found:
        if f.severity != "info":
            assert base + "/light/" not in {e["url"] for e in f.evidence.get("examples", [])} | {f.url}, f


def test_phone_pages_are_the_homepage_and_the_first_of_each_template():
    chosen = ["/", "/a1", "/a2", "/l1", "/a3", "/l2"]
    template = {"/": "h", "/a1": "a", "/a2": "a", "/a3": "a", "/l1": "l", "/l2": "l"}
    assert _phone_pages(chosen, template, "/", 1) == {"/", "/a1", "/l1"}
    assert _phone_pages(chosen, template, "/", 2) == {"/", "/a1", "/a2", "/l1", "/l2"}
    assert _phone_pages(chosen, template, "/", 0) == set(chosen)
    assert _phone_pages(chosen, template, "/", -1) == set()


def test_browser_findings_render_in_both_languages(audited):
    """Every speed.* and mobile.* message template renders over real evidence (report.html, zh and en)."""
    from govaudit.reports.html import render_html
    from govaudit.reports.scoring import score

    _, _, _, found, _ = audited
    rules = load_ruleset("gov-2019")
    for lang in ("zh", "en"):
        html = render_html(score(found, rules), found, rules, lang=lang)
        assert ("移动端" if lang == "zh" else "Mobile") in html
        assert "{small_text_share" not in html and "{overflow_px" not in html


def test_separate_mobile_site_sampled_and_checked_as_a_phone(audited):
    """/ua/ sends a phone to /m/ on another host: its entry and one page per URL shape are loaded as a phone
    (/m/art/2.html is the shape of /m/art/1.html; the off-site link is not followed) and judged by the mobile.*
    rules; the page that never loads and the User-Agent loop are "not measured" with the reason."""
    base, coverage, _, found, mobile_site = audited
    m_site = base.replace("127.0.0.1", "localhost") + "/m/"
    assert sorted(mobile_site) == sorted([base + "/m-loop/", m_site, m_site + "list/", m_site + "art/1.html",
                                          m_site + "wide.html", m_site + "never.html"])
    assert {b["site"] for u, b in mobile_site.items() if u.startswith(m_site)} == {m_site}
    entry = mobile_site[m_site]["mobile"]
    assert entry["status"] == "measured" and entry["layout"]["viewport_width"] == 375 and "links" not in entry
    assert mobile_site[m_site + "never.html"]["mobile"]["reason"] == "page_load_timeout"
    assert mobile_site[base + "/m-loop/"]["mobile"]["reason"] == "redirect_loop"
    assert coverage["mobile_site"] == {"measured": 4, "not_measured": {"page_load_timeout": 1, "redirect_loop": 1}}
    by_rule: dict[str, set[str]] = {}
    for f in found:
        by_rule.setdefault(f.rule, set()).update({e["url"] for e in f.evidence.get("examples", [])} | {f.url})
    assert by_rule["mobile.site_not_measured"] == {base + "/m-loop/", m_site + "never.html"}
    assert m_site + "wide.html" in by_rule["mobile.overflow"]
    assert m_site + "list/" in by_rule["mobile.no_viewport"]
    for f in found:
        if f.severity != "info":
            assert not {m_site, m_site + "art/1.html"} & ({e["url"] for e in f.evidence.get("examples", [])} | {f.url}), f
