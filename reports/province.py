"""Multi-site summary (省级汇总): rank several scans by score, with their vetoes, linking to each site's report.

Reads each output directory's ``summary.json`` — the scorecards are already computed, nothing is
re-scored here, so a province's summary always agrees with the sites' own reports.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jinja2
import xlsxwriter
from govaudit.reports import ReportError, atomic_outputs
from govaudit.reports.excel import neutralise
from govaudit.reports.html import TEMPLATES, safe_href
from govaudit.reports.text import LABELS, clean, label


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


def write_province_summary(out_dirs: list[Path], out_dir: Path, *, lang: str = "zh") -> list[dict[str, Any]]:
    """Write ``summary.html``, ``summary.xlsx`` and ``summary.json`` (the ranking) into ``out_dir``."""
    if not out_dirs:
        raise ReportError("give at least one scan output directory")
    sites = rank([read_site(Path(d)) for d in out_dirs])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for site in sites:
        report = Path(site["_dir"]) / "report.html"
        # "./" keeps a directory named like "javascript:..." from becoming a URL scheme
        site["_link"] = "./" + Path(os.path.relpath(report.resolve(), out_dir.resolve())).as_posix() if report.exists() else None
        site["_veto_titles"] = [_text(v.get("title"), lang) or v.get("id") for v in site.get("vetoes_hit") or []]
    verdicts = {"pass": {"zh": "合格", "en": "Pass"}, "fail": {"zh": "不合格", "en": "Fail"},
                "veto": {"zh": "不合格（单项否决）", "en": "Fail (veto)"}}
    rows = [{"rank": s["_rank"], "site": clean(s.get("site") or s.get("start_url") or s["_dir"].name, 300),
             "score": s.get("score"), "verdict": verdicts.get(str(s.get("verdict")), {}).get(lang, s.get("verdict")),
             "verdict_id": s.get("verdict"), "vetoes": ", ".join(clean(v, 100) for v in s["_veto_titles"]),
             "findings": (s.get("counts") or {}).get("findings"), "link": s["_link"],
             "ruleset": f"{(s.get('ruleset') or {}).get('id', '')} {(s.get('ruleset') or {}).get('version', '')}".strip(),
             "as_of": s.get("as_of", "")} for s in sites]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["href"] = safe_href
    html = env.get_template("province.html.j2").render(rows=rows, L=lambda k: label(k, lang), lang=lang,
                                                       style=jinja2.utils.markupsafe.Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")))
    with atomic_outputs(out_dir, ["summary.html", "summary.xlsx", "summary.json"]) as tmp:
        tmp["summary.html"].write_text(html, encoding="utf-8")
        _workbook(tmp["summary.xlsx"], rows, lang)
        tmp["summary.json"].write_text(json.dumps([{k: v for k, v in r.items()} for r in rows], ensure_ascii=False, indent=2),
                                       encoding="utf-8")
    return rows


def _workbook(path: Path, rows: list[dict[str, Any]], lang: str) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = book.add_worksheet(label("province_report", lang)[:31])
    header = book.add_format({"bold": True, "bg_color": "#EEF0F3", "border": 1})
    link = book.add_format({"font_color": "blue", "underline": 1})
    heads = [label("rank", lang), label("site", lang), label("score", lang), label("verdict", lang), label("vetoes", lang),
             label("findings", lang), label("ruleset", lang), label("as_of", lang), label("report_link", lang)]
    for col, width in enumerate([6, 44, 8, 18, 40, 10, 20, 12, 40]):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, heads, header)
    for n, r in enumerate(rows, 1):
        values = [r["rank"], r["site"], r["score"], r["verdict"], r["vetoes"], r["findings"], r["ruleset"], r["as_of"]]
        for col, value in enumerate(values):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(n, col, value)
            else:
                ws.write_string(n, col, neutralise(value))
        if r["link"]:
            ws.write_url(n, 8, f"external:{r['link']}", link, string=neutralise(r["link"]))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, len(rows)), len(heads) - 1)
    book.close()


__all__ = ["write_province_summary", "read_site", "rank", "LABELS"]
