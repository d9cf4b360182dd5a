"""The Excel workbook for inspectors: a summary laid out like the inspection score table, then one sheet per
rule family (the rule-id prefix, titled by the plugin that emits it, in the plugins' report order) with every finding (hyperlinks, frozen header, autofilter, sensible widths).

Written with XlsxWriter directly rather than through ``DataFrame.to_excel``: every cell needs its own
decision (neutralise a formula-looking string, make a hyperlink only for http(s) and only while the sheet
is under Excel's 65,530-link limit), and XlsxWriter's constant-memory mode streams 100,000 rows without
holding them.  Crawled text that starts with ``= + - @`` (or a tab/CR) is prefixed with an apostrophe so no
spreadsheet — or a CSV exported from it — ever evaluates it; formulas and automatic URL conversion are off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from govaudit.reports.html import safe_href
from govaudit.reports.scoring import Scorecard
from govaudit.reports.text import clean as _clean
from govaudit.reports.text import (
    evidence_fields,
    evidence_label,
    evidence_text,
    family,
    fields_of,
    label,
    message,
    ranking_tables,
    skip_reason,
)
from govaudit.reports.trend import series_defs
from xlsxwriter.worksheet import Worksheet

from govaudit import checks
from govaudit.model import Finding
from govaudit.ruleset import RuleSet

EXCEL_MAX_ROWS = 1_048_576          # Excel's hard limit per sheet (header included)
EXCEL_MAX_URLS = 65_530             # XlsxWriter/Excel hyperlink limit per sheet
EXCEL_MAX_CELL = 32_767             # characters per cell
URL_MAX = 2_079                     # Excel's URL length limit
MAX_EVIDENCE_COLUMNS = 20           # evidence keys beyond these stay in findings.jsonl
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any, limit: int = EXCEL_MAX_CELL - 1) -> Any:
    """A cell value that no spreadsheet will evaluate: numbers pass, text is cleaned and de-formula'd."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = _clean(value, limit - 40)
    return "'" + text if text.startswith(FORMULA_START) else text


def _sheet_name(base: str, part: int, used: set[str]) -> str:
    name = "".join("_" if c in "[]:*?/\\" else c for c in base)[:28]
    if part > 1:
        name = f"{name[:24]} ({part})"
    while name in used:
        name = name[:26] + "_"
    used.add(name)
    return name


class _Sheets:
    """Writes one logical table across as many sheets as Excel's row limit requires."""

    def __init__(self, book: xlsxwriter.Workbook, base: str, headers: list[str], widths: Sequence[float],
                 used: set[str], header_fmt: Any, link_fmt: Any, wrap_fmt: Any, rows_per_sheet: int) -> None:
        self.book, self.base, self.headers, self.widths, self.used = book, base, headers, widths, used
        self.header_fmt, self.link_fmt, self.wrap_fmt = header_fmt, link_fmt, wrap_fmt
        self.rows_per_sheet = rows_per_sheet
        self.part, self.row, self.links = 0, 0, 0
        self.sheet = self._new_sheet()

    def _new_sheet(self) -> Worksheet:
        self.part += 1
        sheet = self.book.add_worksheet(_sheet_name(self.base, self.part, self.used))
        self.sheet = sheet
        for col, width in enumerate(self.widths):
            self.sheet.set_column(col, col, width)
        self.sheet.write_row(0, 0, self.headers, self.header_fmt)
        self.sheet.freeze_panes(1, 0)
        self.row, self.links = 1, 0
        return sheet

    def _finish(self) -> None:
        self.sheet.autofilter(0, 0, max(self.row - 1, 1), len(self.headers) - 1)

    def write(self, values: list[Any], links: dict[int, str | None] | None = None) -> None:
        if self.row >= self.rows_per_sheet:
            self._finish()
            self._new_sheet()
        for col, value in enumerate(values):
            url = (links or {}).get(col)
            if url and self.links < EXCEL_MAX_URLS and len(url) <= URL_MAX:
                self.sheet.write_url(self.row, col, url, self.link_fmt, string=neutralise(value) or url)
                self.links += 1
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                self.sheet.write_number(self.row, col, value)
            else:
                self.sheet.write_string(self.row, col, neutralise(value))
        self.row += 1

    def close(self) -> None:
        self._finish()


def _reason(rules: RuleSet, result: Any, rule: str, findings: list[Finding], lang: str) -> str:
    count = int(result.by_rule[rule]["count"])
    example = next((findings[i].url for i in result.evidence if findings[i].rule == rule), "")
    text = f"{rules.title_of(rule, lang)} ×{count}"
    return f"{text}：{example}" + (" 等" if lang == "zh" and count > 1 else " …" if count > 1 else "") if example else text


def write_summary_sheet(book: xlsxwriter.Workbook, card: Scorecard, findings: list[Finding], rules: RuleSet,
                        lang: str, fmts: dict[str, Any], used: set[str]) -> None:
    """The inspection score table: indicator, rule, points deducted, reason — under a header with the verdict."""
    ws = book.add_worksheet(_sheet_name(label("summary", lang), 1, used))
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 34)
    ws.set_column(3, 4, 10)
    ws.set_column(5, 5, 80)
    verdict = rules.text((rules.scoring.get("verdicts") or {}).get(card.verdict, card.verdict), lang)
    head = [(label("site", lang), card.site), (label("as_of", lang), card.as_of),
            (label("ruleset", lang), f"{rules.text(card.ruleset_title, lang)} ({card.ruleset_id} {card.ruleset_version})"),
            (label("score", lang), round(card.total, 2)), (label("deduction_score", lang), round(card.deduction_score, 2)),
            (label("bonus", lang), round(card.bonus, 2)), (label("verdict", lang), verdict),
            (label("vetoes", lang), "；".join(f"{rules.title_of(v.id, lang)} ×{v.findings}" for v in card.vetoes)
             or label("no_veto", lang))]
    for row, (key, value) in enumerate(head):
        ws.write_string(row, 0, key, fmts["bold"])
        if isinstance(value, (int, float)):
            ws.write_number(row, 1, value)
        else:
            ws.write_string(row, 1, neutralise(value))
    top = len(head) + 1
    headers = [label("indicator", lang), label("cap", lang), label("rule", lang), label("count", lang),
               label("deducted", lang), label("reason", lang)]
    ws.write_row(top, 0, headers, fmts["header"])
    row = top + 1
    for result in card.indicators:
        rules_here = list(result.by_rule) or [""]
        for n, rule in enumerate(rules_here):
            ws.write_string(row, 0, rules.title_of(result.id, lang) if n == 0 else "")
            if n == 0 and result.cap is not None:
                ws.write_number(row, 1, result.cap)
            ws.write_string(row, 2, rules.title_of(rule, lang) if rule else "")
            if rule:
                ws.write_number(row, 3, int(result.by_rule[rule]["count"]))
                if result.scored and not result.skipped:
                    ws.write_number(row, 4, round(result.by_rule[rule]["deducted"], 2))
                ws.write_string(row, 5, neutralise(_reason(rules, result, rule, findings, lang)))
            elif not result.scored:
                ws.write_string(row, 5, label("not_scored", lang))
            elif result.skipped:
                ws.write_string(row, 5, label("skipped_service", lang))
            row += 1
        if result.capped:
            ws.write_string(row - 1, 5, neutralise(f"{label('capped', lang)}（{result.raw:.2f} → {result.deducted:.2f}）"))
    ws.write_string(row, 0, label("deducted", lang), fmts["bold"])
    ws.write_number(row, 4, round(card.points_deducted, 2))
    ws.freeze_panes(top + 1, 0)
    ws.autofilter(top, 0, row, len(headers) - 1)

    cov = book.add_worksheet(_sheet_name(label("coverage", lang), 1, used))
    cov.set_column(0, 0, 40)
    cov.set_column(1, 1, 60)
    lines: list[tuple[str, Any]] = [(label("pages_crawled", lang), card.coverage.get("pages_crawled")),
                                    (label("urls_checked", lang), card.coverage.get("urls_checked"))]
    lines += [(f"{label('skipped', lang)}：{skip_reason(k, lang)}", v) for k, v in (card.coverage.get("skipped") or {}).items()]
    lines += [(rules.title_of(k, lang), v) for k, v in (card.coverage.get("not_checked_findings") or {}).items()]
    lines += [(f"{label('unscored_rules', lang)}：{k}", v) for k, v in card.unscored_rules.items()]
    lines.append((label("coverage", lang), label("complete" if card.coverage.get("complete", True) else "incomplete", lang)))
    cov.write_row(0, 0, [label("coverage", lang), label("count", lang)], fmts["header"])
    for n, (key, value) in enumerate(lines, 1):
        cov.write_string(n, 0, neutralise(key))
        cov.write(n, 1, neutralise(value) if not isinstance(value, (int, float)) else value)
    cov.freeze_panes(1, 0)


def write_trend_sheet(book: xlsxwriter.Workbook, card: Scorecard, rules: RuleSet, lang: str, fmts: dict[str, Any],
                      used: set[str]) -> None:
    """One row per scan of the site (oldest first, this one last): score, verdict and each trend series."""
    if len(card.trend) < 2:
        return
    defs = series_defs(rules)
    verdicts = rules.scoring.get("verdicts") or {}
    ws = book.add_worksheet(_sheet_name(label("trend", lang), 1, used))
    headers = [label("scan_id", lang), label("as_of", lang), label("ruleset", lang), label("score", lang),
               label("verdict", lang)] + [rules.text(d.get("title", sid), lang) for sid, d in defs.items()]
    for col, width in enumerate([10, 12, 30, 10, 18] + [14] * len(defs)):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, headers, fmts["header"])
    for row, p in enumerate(card.trend, 1):
        rs = p.get("ruleset") or {}
        values: list[Any] = [p.get("scan_id"), p.get("as_of"), " ".join(str(rs[k]) for k in ("id", "version", "hash") if rs.get(k)),
                             p.get("score"), rules.text(verdicts.get(p.get("verdict"), p.get("verdict") or ""), lang)]
        values += [p.get("series", {}).get(sid) for sid in defs]
        for col, value in enumerate(values):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, neutralise(value))
    ws.freeze_panes(1, 0)


LINK_COLUMNS = ("sources", "source_count", "status", "error")  # the links sheet has its own columns for these


def _family_columns(items: list[Finding], is_links: bool) -> list[str]:
    """Evidence keys for a family's sheet, most frequent first (internal fields hidden; bounded)."""
    counts: dict[str, int] = defaultdict(int)
    for f in items[:5000]:
        for key, _ in evidence_fields(f):
            if not (is_links and key in LINK_COLUMNS):
                counts[key] += 1
    return sorted(counts, key=lambda k: -counts[k])[:MAX_EVIDENCE_COLUMNS]


def write_workbook(path: Path, card: Scorecard, findings: list[Finding], rules: RuleSet, *, lang: str = "zh",
                   rows_per_sheet: int = EXCEL_MAX_ROWS, **_: Any) -> None:
    """Write the workbook to ``path``.  ``rows_per_sheet`` exists so tests can prove the split at a small size."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False})
    try:
        fmts = {"header": book.add_format({"bold": True, "bg_color": "#EEF0F3", "border": 1}),
                "bold": book.add_format({"bold": True}),
                "link": book.add_format({"font_color": "blue", "underline": 1}),
                "wrap": book.add_format({"text_wrap": True})}
        used: set[str] = set()
        write_summary_sheet(book, card, findings, rules, lang, fmts, used)
        write_trend_sheet(book, card, rules, lang, fmts, used)
        by_family: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            by_family[family(f.rule)].append(f)
        order = [prefix for p in checks.plugins() for prefix in p.families]
        for fam, items in sorted(by_family.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0])):
            is_links = any("sources" in f.extra for f in items[:1000])
            ev_keys = _family_columns(items, is_links)
            headers = [label("severity", lang), label("rule", lang), label("indicator", lang), label("url", lang), label("message", lang)]
            widths = [8, 28, 24, 60, 50]
            if is_links:
                headers += [label("source_count", lang), label("sources", lang), label("anchor", lang),
                            label("status", lang), label("error", lang)]
                widths += [10, 60, 24, 8, 16]
            fields = fields_of(items[0])
            headers += [evidence_label(k, lang, fields) for k in ev_keys] + [label("fingerprint", lang)]
            widths += [20] * len(ev_keys) + [18]
            title = rules.text(checks.family_title(fam), lang) or fam
            sheets = _Sheets(book, title if title == fam else f"{title} {fam}", headers, widths, used,
                             fmts["header"], fmts["link"], fmts["wrap"], rows_per_sheet)
            ind_cache: dict[str, str] = {}
            for f in items:
                ind = ind_cache.get(f.rule)
                if ind is None:
                    ind = ind_cache[f.rule] = rules.title_of(str(rules.rules.get(f.rule, {}).get("indicator", "")), lang)
                values: list[Any] = [label(f.severity, lang), f.rule, ind, f.url, message(f, lang)]
                links = {3: safe_href(f.url)} if safe_href(f.url) else {}
                if is_links:
                    raw_sources = f.extra.get("sources")
                    sources = raw_sources if isinstance(raw_sources, list) else []
                    first = sources[0] if sources and isinstance(sources[0], dict) else {}
                    values += [f.extra.get("source_count", len(sources)), first.get("url", ""), first.get("anchor", ""),
                               f.extra.get("status", ""), evidence_text("error", f.extra.get("error"), lang, fields_of(f))
                               if f.extra.get("error") else ""]
                    if safe_href(first.get("url")):
                        links[6] = first["url"]
                shown = dict(evidence_fields(f))
                specs = fields_of(f)
                for key in ev_keys:
                    values.append(evidence_text(key, shown[key], lang, specs) if key in shown else "")
                values.append(f.fingerprint)
                sheets.write(values, links)
            sheets.close()
        for table in ranking_tables(findings, lang):  # the plugins' ranked tables: slowest pages, heaviest resources
            sheets = _Sheets(book, table["title"], table["headers"], [60, 50] + [18] * (len(table["headers"]) - 2), used,
                             fmts["header"], fmts["link"], fmts["wrap"], rows_per_sheet)
            for row in table["rows"]:
                sheets.write([row["url"], row["message"], *row["cells"]], {0: safe_href(row["url"])} if safe_href(row["url"]) else {})
            sheets.close()
    except Exception:
        try:
            book.close()
        except Exception:  # the original error is the one worth reporting
            pass
        raise
    book.close()
