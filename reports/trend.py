"""Trends over a site's scans: the series the HTML report draws and the Excel trend sheet lists.

A point is one scan (its score, verdict and the findings counted by each series); the series are data in the
rule set (``params.history.trend``: an id, a title and the rules whose findings it counts), so no renderer
names a rule.  Points come from the store (``govaudit.history.previous_points``) and the current scorecard;
they travel in ``summary.json`` (``trend``), which is what the reports render from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from govaudit.ruleset import RuleSet

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 560, 110, 40


def ruleset_ref(rules: RuleSet) -> dict[str, str]:
    """{id, version, hash}: the hash is of the merged rule set (inherited files and plugin defaults included)."""
    text = json.dumps(rules.data, sort_keys=True, ensure_ascii=False, default=str)
    return {"id": rules.id, "version": rules.version, "hash": hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]}


def series_defs(rules: RuleSet) -> dict[str, dict[str, Any]]:
    """{series id: {title, rules}} from the rule set (empty when it defines none)."""
    defs = rules.param("history.trend") if _has_param(rules, "history.trend") else {}
    return {str(k): dict(v) for k, v in (defs or {}).items() if isinstance(v, dict)}


def _has_param(rules: RuleSet, dotted: str) -> bool:
    node: Any = rules.data.get("params", {})
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def point(*, scan_id: int | None, as_of: str, started: float | None, ruleset: dict[str, Any] | None,
          score: float | None, verdict: str | None, by_rule: dict[str, int], rules: RuleSet) -> dict[str, Any]:
    """One scan as a trend point; each series counts the findings of its rules in ``by_rule``."""
    series = {sid: sum(int(by_rule.get(r, 0)) for r in d.get("rules", [])) for sid, d in series_defs(rules).items()}
    return {"scan_id": scan_id, "as_of": as_of, "started": started, "ruleset": ruleset,
            "score": None if score is None else round(float(score), 2), "verdict": verdict, "series": series}


def line_charts(trend: list[dict[str, Any]], rules: RuleSet, lang: str, score_title: str) -> list[dict[str, Any]]:
    """Geometry of one small line chart per series (score first); the template draws them as inline SVG.

    Hand-written because the report is one offline file under a strict CSP: a charting library would mean
    shipping and hashing its script for four polylines.  A scan without a value (an older store's scan has
    no score) leaves a gap: its x position is kept, no point is drawn.
    """
    if len(trend) < 2:
        return []
    defs = series_defs(rules)
    wanted = [("score", score_title, [p.get("score") for p in trend])]
    wanted += [(sid, rules.text(d.get("title", sid), lang), [p.get("series", {}).get(sid) for p in trend])
               for sid, d in defs.items()]
    step = (CHART_WIDTH - 2 * CHART_PAD) / (len(trend) - 1)
    plot = CHART_HEIGHT - 2 * CHART_PAD
    charts = []
    for sid, title, values in wanted:
        known = [v for v in values if v is not None]
        if not known:
            continue
        lo, hi = min(known), max(known)  # the series' own range: a change of 81 → 79 must be visible

        def y(v: float, lo: float = lo, hi: float = hi) -> float:
            return round(CHART_PAD + (plot / 2 if hi == lo else plot * (hi - v) / (hi - lo)), 1)

        pts = [{"x": round(CHART_PAD + i * step, 1), "y": y(v), "v": v, "label": trend[i].get("as_of", "")}
               for i, v in enumerate(values) if v is not None]
        charts.append({"id": sid, "title": title, "points": pts, "polyline": " ".join(f"{p['x']},{p['y']}" for p in pts),
                       "width": CHART_WIDTH, "height": CHART_HEIGHT, "base": CHART_HEIGHT - CHART_PAD + 18,
                       "xs": [{"x": round(CHART_PAD + i * step, 1), "label": p.get("as_of", "")} for i, p in enumerate(trend)]})
    return charts
