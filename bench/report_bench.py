"""Report generation at scale: HTML and Excel write times for N findings (default 100,000), and how
responsive the HTML stays in headless Chromium (time to first render, filter latency).

A benchmark, not a test: it prints figures, asserts nothing.  Issue 6 target: HTML and Excel each under
30 s for 100,000 findings here, and the report usable in a browser.

    python bench/report_bench.py                 # 100,000 findings
    python bench/report_bench.py --n 10000       # a quick look on the shared machine
    python bench/report_bench.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govaudit.reports.excel import write_workbook  # noqa: E402
from govaudit.reports.html import write_html  # noqa: E402
from govaudit.reports.scoring import score  # noqa: E402

from govaudit.model import Finding  # noqa: E402
from govaudit.ruleset import load_ruleset  # noqa: E402

SITE = "http://www.example-county.gov.cn/"


def synthetic_findings(n: int, seed: int = 6) -> list[Finding]:
    """A mix shaped like a large county portal: mostly dead links, then columns, letters, accessibility."""
    rng = random.Random(seed)
    out: list[Finding] = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.6:
            sources = [{"url": f"{SITE}xxgk/{rng.randrange(5000)}.html", "anchor": f"关于印发第{i}号通知的通知", "tag": "a"}
                       for _ in range(rng.randrange(1, 4))]
            out.append(Finding("links.dead", "deduct", SITE, f"{SITE}uploads/{i}.pdf", "链接目标返回 404", {},
                               {"sources": sources, "source_count": len(sources), "on_homepage": rng.random() < 0.01,
                                "status": 404, "attempts": [{"method": "HEAD", "status": 404}]}))
        elif kind < 0.7:
            out.append(Finding("links.suspect", "warn", SITE, f"http://127.0.0.1:9/ext/{i}", "连接超时", {},
                               {"sources": [{"url": SITE, "anchor": "友情链接", "tag": "a"}], "error": "timeout"}))
        elif kind < 0.8:
            age = rng.randrange(15, 800)
            out.append(Finding("columns.stale", "deduct", SITE, f"{SITE}col/{i}/", f"栏目 {age} 天未更新",
                               {"column": f"部门动态{i}", "newest_title": "某某局召开工作会议", "newest_date": "2024-01-01",
                                "age_days": age, "window_days": 14}))
        elif kind < 0.9:
            out.append(Finding("interaction.unanswered", "deduct", SITE, f"{SITE}hd/{i}.html", "留言超过 3 个月未答复",
                               {"asked": "2024-01-05", "days_waiting": rng.randrange(60, 400), "title": "咨询社保缴费问题"}))
        else:
            out.append(Finding("a11y.image-alt", "deduct", SITE, f"{SITE}p/{i}.html", "图片缺少替代文本",
                               {"selector": f"#main > img:nth-child({i % 9})", "html": '<img src="banner.jpg">', "impact": "critical"}))
    return out


def browser_figures(html: Path) -> dict[str, float]:
    from govaudit.crawler.browser.pool import plain_driver

    profile = tempfile.mkdtemp(prefix="govaudit-bench-")
    driver = plain_driver(profile)
    try:
        t = time.perf_counter()
        driver.get(html.as_uri())
        load_wall = time.perf_counter() - t
        nav = driver.execute_script("const n = performance.getEntriesByType('navigation')[0];"
                                    "return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd};")
        figures = {"load_wall_s": round(load_wall, 2), "dom_content_loaded_ms": round(nav["dcl"]),
                   "load_event_ms": round(nav["load"]),
                   "script_parse_and_first_page_ms": round(driver.execute_script("return window.govaudit.renderMs"), 1),
                   "rows_in_dom": driver.execute_script("return document.querySelectorAll('#rows tr').length")}
        # first search builds the lower-cased index; later ones are the steady state
        figures["first_search_ms"] = round(driver.execute_script("return window.govaudit.filter('uploads/1234')"), 1)
        times = [driver.execute_script(f"return window.govaudit.filter('{q}')") for q in ("col/77", "社保", "img", "404")]
        figures["search_ms_median"] = round(sorted(times)[len(times) // 2], 1)
        figures["severity_filter_ms"] = round(driver.execute_script("return window.govaudit.filter('', '2')"), 1)
        t = time.perf_counter()
        driver.find_element("id", "next").click()
        figures["next_page_wall_ms"] = round((time.perf_counter() - t) * 1000, 1)
        return figures
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="findings to generate (default 100000)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    parser.add_argument("--keep", type=Path, help="write the reports here instead of a temporary directory")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    rules = load_ruleset()
    out = args.keep or Path(tempfile.mkdtemp(prefix="govaudit-report-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    findings = synthetic_findings(args.n)
    gen = time.perf_counter() - t
    t = time.perf_counter()
    card = score(findings, rules)
    scoring = time.perf_counter() - t
    t = time.perf_counter()
    write_html(out / "report.html", card, findings, rules, lang="zh", base_dir=out)
    html_s = time.perf_counter() - t
    t = time.perf_counter()
    write_workbook(out / "report.xlsx", card, findings, rules, lang="zh")
    xlsx_s = time.perf_counter() - t
    figures: dict[str, object] = {
        "findings": args.n, "generate_s": round(gen, 2), "score_s": round(scoring, 2),
        "html_write_s": round(html_s, 2), "html_mb": round((out / "report.html").stat().st_size / 1e6, 1),
        "xlsx_write_s": round(xlsx_s, 2), "xlsx_mb": round((out / "report.xlsx").stat().st_size / 1e6, 1),
    }
    print(f"{args.n} findings: score {scoring:.2f} s · HTML {html_s:.2f} s ({figures['html_mb']} MB) · "
          f"Excel {xlsx_s:.2f} s ({figures['xlsx_mb']} MB)   [target < 30 s each]")
    if not args.no_browser:
        browser = browser_figures(out / "report.html")
        figures["chromium"] = browser
        print("Chromium: " + ", ".join(f"{k} {v}" for k, v in browser.items()))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
