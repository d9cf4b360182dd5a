"""The HTML report: one self-contained file an inspector can open from a USB stick, with no network.

Layout: the scorecard first (score, verdict, vetoes hit), then each indicator with its deductions and
example evidence, small inline-SVG charts, coverage, and finally every finding in a table that filters
and pages client-side.

Safety: crawled text is hostile.  The template autoescapes, links are emitted only for http(s) URLs, the
findings are embedded as JSON with ``<``, ``>`` and ``&`` escaped (so ``</script>`` in a title cannot
close the data block), the page's script writes crawled text only through ``textContent``, and a
Content-Security-Policy allows only this file's own script (by hash), no network at all.

Speed: 100,000 findings would be 100,000 table rows; instead the rows are a compact JSON array and the
script renders one page of them at a time, so the DOM stays small whatever the scan size.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from govaudit.reports.scoring import Scorecard
from govaudit.reports.text import (
    LABELS,
    clean,
    evidence_items,
    family,
    fields_to_items,
    first_number,
    label,
    message,
    ranking_tables,
    screenshot_path,
    skip_reason,
)
from govaudit.reports.trend import line_charts

from govaudit import checks
from govaudit.model import Finding
from govaudit.ruleset import RuleSet

TEMPLATES = Path(__file__).resolve().parent / "templates"
SAMPLES_PER_INDICATOR = 10
DETAIL_ROWS = 5              # records per evidence table kept per finding in the embedded data (all are in findings.jsonl)
DETAIL_CHARS = 300           # characters per evidence value kept in the embedded data
SAMPLE_ROWS = 10             # records per evidence table in the indicator samples
VETO_ROWS = 100              # records per evidence table under a veto (the columns behind it)
SCREENSHOT_MAX_BYTES = 400_000
SCREENSHOT_BUDGET_BYTES = 15_000_000  # a report stays small enough to mail; further screenshots are linked by path
SEVERITY_ORDER = {"veto": 0, "deduct": 1, "warn": 2, "info": 3}


def safe_href(url: Any) -> str | None:
    """The URL if it is an http(s) link, else None: a crawled ``javascript:`` URL must never become a link."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def embed_json(document: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["href"] = safe_href
    env.filters["clean"] = clean
    return env


def _screenshot_uri(path: str, base_dir: Path | None) -> tuple[str | None, int]:
    candidate = Path(path)
    if not candidate.is_absolute() and base_dir is not None:
        candidate = base_dir / candidate
    try:
        data = candidate.read_bytes()
    except OSError:
        return None, 0
    if len(data) > SCREENSHOT_MAX_BYTES:
        return None, 0
    kind = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpeg" if data[:3] == b"\xff\xd8\xff" else None
    if kind is None:
        return None, 0  # not an image we produced; never embed arbitrary bytes
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}", len(data)


def _histogram(values: list[float], buckets: list[float], lang: str) -> list[tuple[str, int]]:
    """Counts per bucket ``[b_i, b_i+1)`` plus an open last bucket; labels are plain numbers."""
    counts = [0] * len(buckets)
    for v in values:
        idx = max(i for i, b in enumerate(buckets) if v >= b) if v >= buckets[0] else 0
        counts[idx] += 1
    labels = [f"{int(buckets[i])}–{int(buckets[i + 1]) - 1}" for i in range(len(buckets) - 1)] + [f"≥{int(buckets[-1])}"]
    return list(zip(labels, counts))


def _bars(data: list[tuple[str, int]], width: int = 560, bar: int = 18) -> dict[str, Any]:
    """Geometry for a horizontal bar chart; the template draws it as inline SVG (labels autoescaped)."""
    top = max((n for _, n in data), default=0) or 1
    rows = [{"label": lab, "n": n, "y": i * (bar + 6), "w": round((width - 260) * n / top, 1)} for i, (lab, n) in enumerate(data)]
    return {"rows": rows, "height": max(1, len(rows)) * (bar + 6), "width": width, "bar": bar}


def _compact(items: list[dict[str, Any]], label_index: dict[str, int]) -> list[list[Any]]:
    """Evidence items as small arrays for the embedded data: ``[label, parts]`` for a field and
    ``[label, headers, rows, more]`` for a table, labels as indexes into ``evlabels``, a part as its text or
    ``[text, href]`` (http(s) only).  The page's script builds the elements with ``textContent``."""
    def idx(text: str) -> int:
        n = label_index.get(text)
        if n is None:
            n = label_index[text] = len(label_index)
        return n

    def parts(ps: list[tuple[str, str | None]]) -> list[Any]:
        return [[t, h] if safe_href(h) else t for t, h in ps]

    out: list[list[Any]] = []
    for item in items:
        if "parts" in item:
            out.append([idx(item["label"]), parts(item["parts"])])
        else:
            out.append([idx(item["label"]), [idx(h) for h in item["headers"]],
                        [[parts(c) for c in row] for row in item["rows"]], item["more"]])
    return out


def _chart_values(findings: list[Finding], order: list[int], chart_defs: list[Any]) -> dict[str, list[float]]:
    """Each chart's values, in the findings table's order."""
    values: dict[str, list[float]] = {c.id: [] for c in chart_defs}
    for i in order:
        f = findings[i]
        for chart in chart_defs:
            if family(f.rule) in chart.families:
                v = first_number(f.evidence, chart.keys)
                if v is not None:
                    values[chart.id].append(v)
    return values


def _data_json(findings: list[Finding], order: list[int], rules: RuleSet, lang: str, base_dir: Path | None,
               rule_ids: list[str], indicator_ids: list[str], indicator_of: dict[str, str]) -> Iterator[str]:
    """The embedded data (``embed_json`` of ``{rules, indicators, severities, rows, shots, labels, evlabels}``) in
    pieces, a findings-table row at a time, as the template is written out: with every row built and held
    first, the data and the page rendered from it were the report's largest allocation (≈ 6 KB per finding)."""
    rule_index = {r: n for n, r in enumerate(rule_ids)}
    ind_index = {r: n for n, r in enumerate(indicator_ids)}
    sev = list(SEVERITY_ORDER)
    label_index: dict[str, int] = {}
    shots: dict[str, str] = {}
    budget = SCREENSHOT_BUDGET_BYTES
    yield "{" + embed_json({
        "rules": [[r, clean(rules.title_of(r, lang), 200)] for r in rule_ids],
        "indicators": [[i, clean(rules.title_of(i, lang), 200) if i else "—"] for i in indicator_ids],
        "severities": [[s, label(s, lang)] for s in sev]})[1:-1] + ',"rows":['
    for n, i in enumerate(order):
        f = findings[i]
        detail = _compact(evidence_items(f, lang, rows=DETAIL_ROWS, limit=DETAIL_CHARS), label_index)
        yield ("," if n else "") + embed_json([rule_index[f.rule], sev.index(f.severity) if f.severity in sev else 3,
                                               ind_index[indicator_of[f.rule]], clean(f.url, 2000),
                                               clean(message(f, lang), 1000), detail])
        shot = screenshot_path(f)
        if shot and budget > 0:
            uri, size = _screenshot_uri(shot, base_dir)
            if uri:
                shots[str(n)] = uri
                budget -= size
    yield "]," + embed_json({"shots": shots, "labels": {k: v.get(lang, v["zh"]) for k, v in LABELS.items()},
                             "evlabels": list(label_index)})[1:]


def build_context(card: Scorecard, findings: list[Finding], rules: RuleSet, lang: str, base_dir: Path | None) -> dict[str, Any]:
    """Everything the template shows, computed once in Python (the template only lays it out); the embedded
    findings data (``data_json``) is computed piece by piece while the template is written out."""
    rule_ids = sorted({f.rule for f in findings})
    indicator_of = {r: str(rules.rules.get(r, {}).get("indicator", "")) for r in rule_ids}
    indicator_ids = [i.id for i in card.indicators] + sorted({v for v in indicator_of.values()} - {i.id for i in card.indicators})
    order = sorted(range(len(findings)), key=lambda i: (SEVERITY_ORDER.get(findings[i].severity, 9),
                                                          indicator_ids.index(indicator_of[findings[i].rule]), findings[i].rule, i))
    chart_defs = [c for p in checks.plugins() for c in p.charts]  # every plugin's charts, in report order
    chart_values = _chart_values(findings, order, chart_defs)
    per_indicator: dict[str, list[dict[str, Any]]] = {}
    for result in card.indicators:
        samples = []
        for idx in result.evidence[:SAMPLES_PER_INDICATOR]:
            f = findings[idx]
            shot = screenshot_path(f)
            uri = _screenshot_uri(shot, base_dir)[0] if shot else None
            samples.append({"f": f, "title": rules.title_of(f.rule, lang), "ev": evidence_items(f, lang, rows=SAMPLE_ROWS), "shot": uri,
                            "url": clean(f.url, 500), "message": clean(message(f, lang), 500)})
        per_indicator[result.id] = samples
    veto_samples = {v.id: [{"url": clean(findings[i].url, 500), "message": clean(message(findings[i], lang), 500),
                            "rule": findings[i].rule, "ev": evidence_items(findings[i], lang, rows=VETO_ROWS)} for i in v.evidence[:SAMPLES_PER_INDICATOR]]
                    for v in card.vetoes}
    counts = Counter(indicator_of[f.rule] for f in findings)
    charts = {"by_indicator": {**_bars([(rules.title_of(i, lang) if i else "—", counts[i]) for i in indicator_ids if counts[i]]),
                               "title": label("by_indicator", lang)}}
    for chart in chart_defs:
        if chart_values[chart.id]:
            charts[chart.id] = {**_bars(_histogram(chart_values[chart.id], list(chart.buckets), lang)),
                                "title": rules.text(dict(chart.title), lang)}
    coverage = card.coverage
    return {
        "card": card, "lang": lang, "L": lambda key: label(key, lang), "skip_reason": lambda code: skip_reason(code, lang), "T": lambda item: rules.title_of(item, lang),
        "text": lambda value: rules.text(value, lang), "rules": rules, "per_indicator": per_indicator,
        "veto_samples": veto_samples, "charts": charts, "rankings": ranking_tables(findings, lang),
        "trend_charts": line_charts(card.trend, rules, lang, label("score", lang)), "coverage": coverage,
        "data_json": _data_json(findings, order, rules, lang, base_dir, rule_ids, indicator_ids, indicator_of),
        "total_findings": len(findings), "verdict_text": rules.text((rules.scoring.get("verdicts") or {}).get(card.verdict, card.verdict), lang),
        "sampling_items": {str(k): fields_to_items(list(v.items()) if isinstance(v, dict) else [(str(k), v)], lang, None, SAMPLE_ROWS)
                           for k, v in (coverage.get("a11y_sampling") or {}).items()},
        "fmt": lambda x: "—" if x is None else (f"{x:.2f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)),
    }


def _render(card: Scorecard, findings: list[Finding], rules: RuleSet, lang: str, base_dir: Path | None) -> Iterator[str]:
    """The report's text in pieces (inline CSS, JS and charts; a CSP that allows nothing else)."""
    env = _environment()
    script = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    style = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    context = build_context(card, findings, rules, lang, base_dir)
    context.update(script=jinja2.utils.markupsafe.Markup(script), style=jinja2.utils.markupsafe.Markup(style),
                   script_hash=f"sha256-{digest}")
    return env.get_template("report.html.j2").generate(**context)


def render_html(card: Scorecard, findings: list[Finding], rules: RuleSet, *, lang: str = "zh",
                base_dir: Path | None = None) -> str:
    """The report as one HTML string."""
    return "".join(_render(card, findings, rules, lang, base_dir))


def write_html(path: Path, card: Scorecard, findings: list[Finding], rules: RuleSet, *, lang: str = "zh",
               base_dir: Path | None = None, **_: Any) -> None:
    """Write the report to ``path`` as it is rendered, never held whole (the caller renames it into place when
    every output is complete)."""
    with open(path, "w", encoding="utf-8", errors="replace") as fh:
        fh.writelines(_render(card, findings, rules, lang, base_dir))
