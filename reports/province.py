"""Multi-site summary (省级汇总): rank several scans by score, with their vetoes, linking to each site's report.

Reads each output directory's ``summary.json`` (and the early-warning findings in its ``findings.jsonl``) — the
scorecards are already computed, nothing is re-scored here, so a province's summary always agrees with the
sites' own reports.

What an inspection office reads first comes first: sites whose scan failed (loudly: a schedule must not pass
them over), early warnings (预警, with the days or items left before the veto), the vetoed sites, then the
ranking and one table per region.  ``govaudit summary`` passes output directories; ``govaudit batch`` passes
``SiteEntry``s carrying what its site list says (name, region, department, type) and each scan's state.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import xlsxwriter
from govaudit.reports import ReportError, atomic_outputs
from govaudit.reports.excel import neutralise
from govaudit.reports.html import TEMPLATES, safe_href
from govaudit.reports.text import LABELS, clean, label, message

from govaudit.sites import Site

# What an early warning has left before its veto, and the words for it.
LEFT_UNITS = {"days_left": "days_unit", "items_left": "items_unit", "failures_left": "failures_unit"}

# The summary's own words (reports/text.py LABELS holds the ones shared with the site reports).
PROVINCE_LABELS: dict[str, dict[str, str]] = {
    "name": {"zh": "网站名称", "en": "Site name"},
    "region": {"zh": "地区", "en": "Region"},
    "department": {"zh": "主办单位", "en": "Department"},
    "site_type": {"zh": "网站类型", "en": "Site type"},
    "portal": {"zh": "政府门户网站", "en": "Portal"},
    "department_site": {"zh": "部门网站", "en": "Department site"},
    "state": {"zh": "扫描状态", "en": "Scan state"},
    "error": {"zh": "错误", "en": "Error"},
    "failed_title": {"zh": "扫描失败的网站", "en": "Sites whose scan failed"},
    "failed_banner": {"zh": "本次运行有 {n} 个网站扫描失败，结果不完整", "en": "{n} site(s) failed in this run: the results are incomplete"},
    "unfinished_banner": {"zh": "本次运行未完成：{n} 个网站尚未扫描完毕（重新运行同一命令即可继续）",
                          "en": "This run did not finish: {n} site(s) not scanned yet (re-run the same command to resume)"},
    "early_title": {"zh": "预警网站", "en": "Early warnings"},
    "early_note": {"zh": "预警线取自监管平台预设，标注“未确认”者未见于官方文件；列出的网站尚未达到单项否决。",
                   "en": "Warning lines are a monitoring platform's presets; those marked unconfirmed are in no official text. "
                         "The sites listed have not reached the veto yet."},
    "warning": {"zh": "预警项", "en": "Warning"},
    "detail": {"zh": "情况", "en": "Detail"},
    "left": {"zh": "距否决", "en": "Left before the veto"},
    "days_unit": {"zh": "{n} 天", "en": "{n} days"},
    "items_unit": {"zh": "{n} 个", "en": "{n} items"},
    "failures_unit": {"zh": "{n} 次失败", "en": "{n} failures"},
    "unconfirmed": {"zh": "未确认", "en": "unconfirmed"},
    "vetoed_title": {"zh": "单项否决网站", "en": "Vetoed sites"},
    "ranking_title": {"zh": "排名", "en": "Ranking"},
    "regions_title": {"zh": "分地区情况", "en": "By region"},
    "region_stats": {"zh": "网站 {n} 个，合格 {p} 个，单项否决 {v} 个，平均分 {avg}",
                     "en": "{n} sites, {p} passed, {v} vetoed, mean score {avg}"},
    "no_region": {"zh": "（未填地区）", "en": "(no region)"},
    "bad_rows_title": {"zh": "网站名单中未采用的行", "en": "Rows of the site list not used"},
    "line": {"zh": "行号", "en": "Line"},
    "reason": {"zh": "原因", "en": "Reason"},
}
STATES = {"pending": {"zh": "未开始", "en": "not started"}, "running": {"zh": "扫描中", "en": "running"},
          "done": {"zh": "完成", "en": "done"}, "failed": {"zh": "失败", "en": "failed"},
          "interrupted": {"zh": "已中断", "en": "interrupted"}}


def L(key: str, lang: str, **fmt: Any) -> str:
    entry = PROVINCE_LABELS.get(key)
    text = entry.get(lang, entry["zh"]) if entry else label(key, lang)
    return text.format(**fmt) if fmt else text


@dataclass
class SiteEntry:
    """One site of a summary: its output directory and, from a batch, the site list's entry and the run's state."""

    dir: Path
    site: Site | None = None
    state: str = "done"
    error: str = ""


UNLISTED = Site(name="", url="", type="")  # a plain output directory (`govaudit summary DIR...`): no list entry


def read_site(out: Path) -> dict[str, Any]:
    """One site's summary, with the paths the province page links to."""
    out = Path(out)
    summary = out / "summary.json"
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(f"{out}: has no summary.json (not a govaudit output directory, or its run did not finish)") from exc
    except (OSError, ValueError) as exc:
        raise ReportError(f"{summary}: cannot read ({exc})") from exc
    if not isinstance(data, dict) or "score" not in data or "verdict" not in data:
        raise ReportError(f"{summary}: is not a govaudit summary (no score/verdict)")
    data["_dir"] = out
    return data


def early_warnings(out: Path) -> list[dict[str, Any]]:
    """The site's 预警 findings from its findings.jsonl: ``warn`` findings that say how much is left before a
    veto (evidence ``days_left``, ``items_left`` or ``failures_left``) — the freshness check's ``early.*``, the
    availability monitor's warning, or a province plugin's, without this renderer naming any of them."""
    found = []
    try:
        with open(Path(out) / "findings.jsonl", encoding="utf-8") as fh:
            for line in fh:
                if '"warn"' not in line or "_left" not in line:
                    continue
                finding = json.loads(line)
                evidence = finding.get("evidence") or {}
                if finding.get("severity") == "warn" and any(k in evidence for k in LEFT_UNITS):
                    found.append(finding)
    except (OSError, ValueError):
        return []
    return found


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or "")
    return "" if value is None else str(value)


def rank(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Vetoed sites after the others (they are 不合格 whatever their score); then by score, high first."""
    ordered = sorted(sites, key=lambda s: (s.get("verdict") == "veto", -float(s.get("score") or 0), str(s.get("site"))))
    for n, site in enumerate(ordered, 1):
        site["_rank"] = n
    return ordered


def _warning_rows(entry: SiteEntry, lang: str) -> list[dict[str, Any]]:
    from govaudit import checks
    from govaudit.model import Finding

    rows = []
    for data in early_warnings(entry.dir):
        finding = Finding.from_json(data)
        key = next(k for k in LEFT_UNITS if k in finding.evidence)
        left = finding.evidence[key]
        meta = checks.rule_meta(finding.rule)
        rows.append({"rule": clean(finding.rule, 100), "title": clean(_text(meta.title, lang) if meta else finding.rule, 200),
                     "message": clean(message(finding, lang), 400), "left_n": left, "left": L(LEFT_UNITS[key], lang, n=left),
                     "confirmed": finding.evidence.get("confirmed") is True})
    return rows


def _row(entry: SiteEntry, site: dict[str, Any] | None, out_dir: Path, lang: str) -> dict[str, Any]:
    verdicts = {"pass": {"zh": "合格", "en": "Pass"}, "fail": {"zh": "不合格", "en": "Fail"},
                "veto": {"zh": "不合格（单项否决）", "en": "Fail (veto)"}}
    report = entry.dir / "report.html"
    # "./" keeps a directory named like "javascript:..." from becoming a URL scheme
    link = "./" + Path(os.path.relpath(report.resolve(), out_dir.resolve())).as_posix() if report.exists() else None
    site = site or {}
    listed = entry.site or UNLISTED
    veto_titles = [_text(v.get("title"), lang) or v.get("id") for v in site.get("vetoes_hit") or []]
    type_label = {"portal": L("portal", lang), "department": L("department_site", lang)}.get(listed.type, listed.type)
    return {"rank": site.get("_rank"), "site": clean(listed.url or site.get("site") or site.get("start_url") or entry.dir.name, 300),
            "name": clean(listed.name, 200), "region": clean(listed.region, 100), "department": clean(listed.department, 200),
            "type": clean(type_label, 50), "type_id": listed.type,
            "score": site.get("score"), "verdict": verdicts.get(str(site.get("verdict")), {}).get(lang, site.get("verdict")),
            "verdict_id": site.get("verdict"), "vetoes": ", ".join(clean(v, 100) for v in veto_titles),
            "findings": (site.get("counts") or {}).get("findings"), "link": link,
            "ruleset": f"{(site.get('ruleset') or {}).get('id', '')} {(site.get('ruleset') or {}).get('version', '')}".strip(),
            "as_of": site.get("as_of", ""), "state": STATES.get(entry.state, {}).get(lang, entry.state),
            "state_id": entry.state, "error": clean(entry.error, 400),
            "warnings": _warning_rows(entry, lang) if site else []}


def _regions(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["region"] or L("no_region", lang), []).append(r)
    out = []
    for region in sorted(groups):
        members = groups[region]
        scores = [float(r["score"]) for r in members if isinstance(r["score"], (int, float))]
        stats = L("region_stats", lang, n=len(members), p=sum(r["verdict_id"] == "pass" for r in members),
                  v=sum(r["verdict_id"] == "veto" for r in members),
                  avg=f"{sum(scores) / len(scores):.2f}" if scores else "—")
        out.append({"region": clean(region, 100), "stats": stats, "rows": members})
    return out


def write_province_summary(sites: Sequence[Path | str | SiteEntry], out_dir: Path, *, lang: str = "zh",
                           bad_rows: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Write ``summary.html``, ``summary.xlsx`` and ``summary.json`` (the ranking) into ``out_dir``.

    A plain directory must hold a finished scan's summary; a ``SiteEntry`` without one (a failed or unfinished
    site of a batch) is listed among the failures instead of ranked.
    """
    if not sites:
        raise ReportError("give at least one scan output directory")
    entries = [s if isinstance(s, SiteEntry) else SiteEntry(dir=Path(s)) for s in sites]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    strict = not any(isinstance(s, SiteEntry) for s in sites)   # `govaudit summary`: every directory must be a scan
    summaries: list[tuple[SiteEntry, dict[str, Any] | None]] = []
    for entry in entries:
        try:
            summaries.append((entry, read_site(entry.dir)))
        except ReportError as exc:
            if strict:
                raise
            if entry.state == "done" or (entry.dir / "summary.json").exists():
                entry.state, entry.error = "failed", entry.error or str(exc)
            summaries.append((entry, None))
    # A site whose scan failed (its homepage never answered, say) has reports but no assessment: it is listed
    # among the failures with them, never ranked — a dead site must not rank as a pass.
    rank([s for e, s in summaries if s is not None and e.state != "failed"])
    summaries = [(e, s if e.state != "failed" else None) for e, s in summaries]
    rows = [_row(e, s, out_dir, lang) for e, s in summaries]
    ranking = sorted((r for r in rows if r["rank"] is not None), key=lambda r: r["rank"])
    failed = [r for r in rows if r["state_id"] == "failed"]
    unfinished = [r for r in rows if r["state_id"] in ("pending", "running", "interrupted")]
    warned = sorted((r for r in ranking if r["warnings"]), key=lambda r: min(w["left_n"] or 0 for w in r["warnings"]))
    page = {"rows": ranking, "failed": failed, "unfinished": unfinished, "warned": warned,
            "vetoed": [r for r in ranking if r["verdict_id"] == "veto"],
            "regions": _regions(ranking, lang) if any(r["region"] for r in ranking) else [],
            "bad_rows": [{"line": b.line, "reason": clean(b.reason, 400)} for b in bad_rows],
            "batch": any(e.site for e in entries)}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["href"] = safe_href
    html = env.get_template("province.html.j2").render(**page, L=lambda k, **fmt: L(k, lang, **fmt), lang=lang,
                                                       style=jinja2.utils.markupsafe.Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")))
    with atomic_outputs(out_dir, ["summary.html", "summary.xlsx", "summary.json"]) as tmp:
        tmp["summary.html"].write_text(html, encoding="utf-8")
        _workbook(tmp["summary.xlsx"], page, lang)
        tmp["summary.json"].write_text(json.dumps(ranking + failed + unfinished, ensure_ascii=False, indent=2),
                                       encoding="utf-8")
    return ranking


def _cells(ws: Any, row: int, values: list[Any], fmt: Any = None) -> None:
    for col, value in enumerate(values):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, neutralise(value), fmt)


def _sheet(book: Any, title: str, heads: list[str], widths: list[int], header: Any) -> Any:
    ws = book.add_worksheet(title[:31])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    _cells(ws, 0, heads, header)
    ws.freeze_panes(1, 0)
    return ws


def _workbook(path: Path, page: dict[str, Any], lang: str) -> None:
    """Sheets in the page's order: failures, early warnings, vetoed, ranking, by region, rows not used."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    header = book.add_format({"bold": True, "bg_color": "#EEF0F3", "border": 1})
    bold = book.add_format({"bold": True})
    link = book.add_format({"font_color": "blue", "underline": 1})
    batch = page["batch"]
    site_heads = [L("name", lang), L("site", lang), L("region", lang), L("department", lang), L("site_type", lang)] if batch \
        else [L("site", lang)]

    def site_cells(r: dict[str, Any]) -> list[Any]:
        return [r["name"], r["site"], r["region"], r["department"], r["type"]] if batch else [r["site"]]

    problems = page["failed"] + page["unfinished"]
    if problems:
        ws = _sheet(book, L("failed_title", lang), [*site_heads, L("state", lang), L("error", lang)],
                    [30, 40, 14, 30, 14, 12, 80][-len(site_heads) - 2:], header)
        for n, r in enumerate(problems, 1):
            _cells(ws, n, [*site_cells(r), r["state"], r["error"]])
    if page["warned"]:
        ws = _sheet(book, L("early_title", lang), [*site_heads, L("warning", lang), L("detail", lang), L("left", lang),
                    L("unconfirmed", lang)], [30, 40, 14, 30, 14, 40, 80, 12, 10][-len(site_heads) - 4:], header)
        n = 0
        for r in page["warned"]:
            for w in r["warnings"]:
                n += 1
                _cells(ws, n, [*site_cells(r), w["title"], w["message"], w["left"],
                               "" if w["confirmed"] else L("unconfirmed", lang)])
    heads = [L("rank", lang), *site_heads, L("score", lang), L("verdict", lang), L("vetoes", lang), L("findings", lang),
             L("ruleset", lang), L("as_of", lang), L("report_link", lang)]
    widths = [6, *([30, 40, 14, 30, 14] if batch else [44]), 8, 18, 40, 10, 20, 12, 40]
    if page["vetoed"]:
        _rank_rows(_sheet(book, L("vetoed_title", lang), heads, widths, header), 1, page["vetoed"], site_cells, link)
    ws = _sheet(book, L("province_report", lang), heads, widths, header)
    _rank_rows(ws, 1, page["rows"], site_cells, link)
    ws.autofilter(0, 0, max(1, len(page["rows"])), len(heads) - 1)
    if page["regions"]:
        ws = _sheet(book, L("regions_title", lang), heads, widths, header)
        n = 1
        for region in page["regions"]:
            ws.write_string(n, 0, neutralise(f"{region['region']}：{region['stats']}"), bold)
            n = _rank_rows(ws, n + 1, region["rows"], site_cells, link) + 1
    if page["bad_rows"]:
        ws = _sheet(book, L("bad_rows_title", lang), [L("line", lang), L("reason", lang)], [8, 100], header)
        for n, b in enumerate(page["bad_rows"], 1):
            _cells(ws, n, [b["line"], b["reason"]])
    book.close()


def _rank_rows(ws: Any, start: int, rows: list[dict[str, Any]], site_cells: Any, link: Any) -> int:
    n = start
    for r in rows:
        values = [r["rank"], *site_cells(r), r["score"], r["verdict"], r["vetoes"], r["findings"], r["ruleset"], r["as_of"]]
        _cells(ws, n, values)
        if r["link"]:
            ws.write_url(n, len(values), f"external:{r['link']}", link, string=neutralise(r["link"]))
        n += 1
    return n


__all__ = ["write_province_summary", "read_site", "rank", "early_warnings", "SiteEntry", "LABELS", "LEFT_UNITS",
           "PROVINCE_LABELS"]
