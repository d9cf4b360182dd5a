"""Page speed: crawl-side transfer facts and checks/speed.py against a site with known weights (tests/speed_site.py).

The crawl records what each download cost (TTFB, bytes, Content-Encoding, caching headers) in the URL's
final attempt; the check finds the uncompressed page, the 3 MB image with the page that uses it, the page
with 150 requests, and says nothing about the light, compressed page.
"""

from __future__ import annotations

import json

import pytest
from conftest import read_findings, run_cli
from govaudit.checks.speed import MAX_EXAMPLES, PerTemplate
from speed_site import MB, SpeedSite

from govaudit.model import UrlRecord
from govaudit.pipeline import STORE_NAME
from govaudit.store import Store


@pytest.fixture(scope="module")
def site():
    with SpeedSite() as s:
        yield s


@pytest.fixture(scope="module")
def crawl(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("speed-scan")
    run_cli("scan", site.base + "/", "--out", str(out), "--as-of", "2026-11-20", "--timeout", "5", "--a11y", "off")
    return out, read_findings(out)


def _speed(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["rule"].startswith("speed.")]


def test_attempts_carry_transfer_facts(site, crawl):
    out, _ = crawl
    store = Store(out / STORE_NAME)
    view = store.view(store.latest_scan())
    home = view.get(site.base + "/").attempts[-1]
    assert home["content_encoding"] == "gzip" and home["bytes"] > home["wire_bytes"] > 0
    assert isinstance(home["ttfb"], float) and home["ttfb"] >= 0
    plain = view.get(site.base + "/plain/").attempts[-1]
    assert "content_encoding" not in plain and plain["bytes"] == plain["wire_bytes"] > 500_000
    big = view.get(site.base + "/big.jpg")
    assert big.attempts[-1]["method"] == "HEAD" and big.attempts[-1]["wire_bytes"] == 3 * MB + 2
    assert big.attempts[-1]["cache_control"] == "max-age=86400" and "bytes" not in big.attempts[-1]


def test_known_faults_found_and_light_page_clean(site, crawl):
    _, findings = crawl
    speed = _speed(findings)
    by_rule: dict[str, list[dict]] = {}
    for f in speed:
        by_rule.setdefault(f["rule"], []).append(f)
    assert [f["url"] for f in by_rule["speed.uncompressed"]] == [site.base + "/plain/"]
    assert by_rule["speed.uncompressed"][0]["evidence"]["bytes"] > 500_000
    assert [f["url"] for f in by_rule["speed.html_size"]] == [site.base + "/plain/"]  # 600 KB over the 512 KiB limit
    heavy = by_rule["speed.heavy_resource"]
    assert [f["url"] for f in heavy] == [site.base + "/big.jpg"]
    assert heavy[0]["evidence"]["used_by"] == [site.base + "/heavy/"] and heavy[0]["evidence"]["type"] == "image"
    assert [f["url"] for f in by_rule["speed.requests"]] == [site.base + "/many/"]
    assert by_rule["speed.requests"][0]["evidence"]["requests"] == 1 + 1 + 150  # HTML, stylesheet, 150 images
    assert site.base + "/heavy/" in [f["url"] for f in by_rule["speed.page_weight"]]
    assert "speed.no_cache" not in by_rule  # every static resource sends Cache-Control
    # The light page: no page finding names it, as the worst page or as an example.
    light = site.base + "/light/"
    for f in speed:
        if f["severity"] == "info":
            continue
        assert f["url"] != light, f
        assert light not in [e["url"] for e in f["evidence"].get("examples", [])], f
        assert light not in f["evidence"].get("used_by", []), f
    # One summary per template, with the distribution the report charts.
    summaries = by_rule["speed.template"]
    assert sum(s["evidence"]["template_pages"] for s in summaries) == 8
    assert all(s["evidence"]["median_page_kib"] > 0 for s in summaries)


def test_reports_rank_heaviest_resources_with_their_pages(site, crawl):
    """The speed section: the plugin's rankings in report.html and as sheets of report.xlsx (crawled text escaped)."""
    from openpyxl import load_workbook

    out, _ = crawl
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "最大的资源及使用它的页面" in html and "各模板加载情况" in html and "最重的页面" in html
    start = html.index('id="rank-speed_heaviest_resources"')
    table = html[start:html.index("</table>", start)]
    assert site.base + "/big.jpg" in table and site.base + "/heavy/" in table
    book = load_workbook(out / "report.xlsx", read_only=True)
    sheet = next(book[n] for n in book.sheetnames if n.startswith("最大的资源"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == site.base + "/big.jpg" and rows[1][2] == 3 * MB + 2 and site.base + "/heavy/" in rows[1][5]
    templates = next(book[n] for n in book.sheetnames if n.startswith("各模板加载情况"))
    assert len(list(templates.iter_rows(values_only=True))) >= 3  # header + one row per template


def test_rankings_escape_crawled_text_and_neutralise_formulas(tmp_path):
    """A hostile resource URL and page list in a ranking: escaped in HTML, no formula in the workbook."""
    from govaudit.reports.excel import write_workbook
    from govaudit.reports.html import render_html
    from govaudit.reports.scoring import score
    from openpyxl import load_workbook

    from govaudit.model import Finding
    from govaudit.ruleset import load_ruleset

    rules = load_ruleset("gov-2019")
    bad = 'http://127.0.0.1:9/a.jpg"><script>alert(1)</script>'
    finding = Finding(rule="speed.heavy_resource", severity="warn", site="http://127.0.0.1:9/", url=bad, message="x",
                      evidence={"bytes": 5 * MB, "type": "image", "limit": MB, "page_count": 1,
                                "used_by": ["=HYPERLINK(\"http://evil\")<img src=x onerror=alert(2)>"]})
    html = render_html(score([finding], rules), [finding], rules)
    table = html[html.index('id="rank-speed_heaviest_resources"'):]
    table = table[:table.index("</table>")]
    assert "<script>alert(1)" not in table and "&lt;script&gt;" in table and "<img src=x" not in table
    write_workbook(tmp_path / "r.xlsx", score([finding], rules), [finding], rules)
    book = load_workbook(tmp_path / "r.xlsx")
    sheet = next(book[n] for n in book.sheetnames if n.startswith("最大的资源"))
    row = [c.value for c in sheet[2]]
    assert row[2] == 5 * MB and row[5].startswith("'=HYPERLINK") and sheet.cell(2, 6).data_type == "s"


def test_a_province_may_score_speed(tmp_path):
    """The 2019 indicators leave speed unscored; a rule set that gives speed_mobile points deducts them."""
    from govaudit.reports.scoring import score

    from govaudit.model import Finding
    from govaudit.ruleset import load_ruleset

    province = tmp_path / "province.yaml"
    province.write_text("id: p\nversion: '1'\ninherits: gov-2019\ntitle: {zh: p, en: p}\n"
                        "indicators: {speed_mobile: {scored: true, cap: 3, points: 1}}\n"
                        "rules: {mobile.no_viewport: {severity: deduct}}\n", encoding="utf-8")

    def found(rules):  # what checks.run_all makes of the Hit: the severity is the rule set's
        return Finding(rule="mobile.no_viewport", severity=rules.severity("mobile.no_viewport"), site="http://127.0.0.1:9/",
                       url="http://127.0.0.1:9/", message="x", evidence={"template": "t", "pages": 4})

    national_rules, province_rules = load_ruleset("gov-2019"), load_ruleset(province)
    national = score([found(national_rules)], national_rules).indicator("speed_mobile")
    scored = score([found(province_rules)], province_rules).indicator("speed_mobile")
    assert national is not None and national.findings == 1 and national.deducted == 0
    assert scored is not None and scored.findings == 1 and scored.deducted == 1


@pytest.mark.parametrize("value_key", [None, "overflow_px"])
def test_per_template_tally_equals_sorting_every_offender(value_key):
    """The streaming tally gives the Hits that sorting every offender of a template would: the worst page, the
    count, the examples in order (ties on value, depth and URL in order of arrival, as a stable sort keeps
    them), the evidence of the worst page only; and of each template it holds no more pages than it lists."""
    offenders = []
    for i in range(3 * MAX_EXAMPLES):
        template = "a" if i < 2 * MAX_EXAMPLES else "b"  # pages i and i + 10 are alike: ties of value, depth, url
        rec = UrlRecord(url=f"http://x/{i % 5}", kind="page", depth=i % 2, facts={"template": template},  # type: ignore[typeddict-item]
                        aliases=[f"http://x/alias{i}"])
        value = -rec.depth if value_key is None else (i * 37) % 5
        offenders.append((rec, value, {"seq": i}))
    sizes = {"a": 100, "b": 50}
    tally = PerTemplate("mobile.overflow", value_key)
    for rec, value, ev in offenders:
        tally.add(rec, value, ev)
    assert all(len(kept) == MAX_EXAMPLES for kept in tally.worst.values())
    want = []
    for template in ("a", "b"):
        items = sorted((o for o in offenders if o[0].facts["template"] == template), key=lambda o: (-o[1], o[0].depth, o[0].url))
        worst, value, ev = items[0]
        evidence = {**ev, "template": template, "pages": len(items), "template_pages": sizes[template],
                    "examples": [{"url": r.url, **({value_key: v} if value_key else {})} for r, v, _ in items[:MAX_EXAMPLES]]}
        if value_key:
            evidence[value_key] = value
        want.append(json.dumps(["mobile.overflow", worst.url, evidence, {"discriminator": template, "aliases": worst.aliases}]))
    assert [json.dumps([h.rule, h.url, h.evidence, h.extra]) for h in tally.hits(sizes)] == want  # key order too
