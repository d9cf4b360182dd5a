"""Scan history: the rule set a scan was scored with, the figures of that scoring, and the trend of a site.

Every scan stays in the store; ``record`` keeps with it the rule set's id, version and a hash of its content
(two files both called ``2019.1`` but differing in one threshold must not look like the same yardstick) and
the scoring's figures, so ``govaudit history`` and the report's trend never re-score old scans.  Scans of a
store older than schema 3 have no recorded figures: their counts come from their stored findings, their
score stays unknown.
"""

from __future__ import annotations

from typing import Any

from govaudit.errors import UserError
from govaudit.reports.scoring import Scorecard
from govaudit.reports.trend import point, ruleset_ref
from govaudit.ruleset import RuleSet
from govaudit.store import ScanInfo, Store

__all__ = ["figures", "history_rows", "previous_points", "record", "result_of", "ruleset_ref", "site_scans"]


def result_of(card: Scorecard) -> dict[str, Any]:
    return {"score": round(card.total, 2), "verdict": card.verdict, "findings": card.finding_count,
            "by_severity": dict(card.counts_by_severity), "by_rule": dict(card.counts_by_rule),
            "vetoes": [v.id for v in card.vetoes]}


def record(store: Store, scan_id: int, rules: RuleSet, card: Scorecard) -> None:
    store.record_result(scan_id, ruleset_ref(rules), result_of(card))


def figures(store: Store, info: ScanInfo) -> dict[str, Any]:
    """A scan's recorded figures, or for a scan never scored under schema 3 its counts from stored findings."""
    if info.result is not None:
        return info.result
    by_rule = store.finding_counts(info.id)
    return {"score": None, "verdict": None, "findings": sum(by_rule.values()), "by_severity": {}, "by_rule": by_rule,
            "vetoes": []}


def site_scans(store: Store, site: str) -> list[ScanInfo]:
    """A site's scans by check date (then id); ``site`` is its start URL as scanned or its name."""
    from govaudit.urls import normalise_start_url

    found = store.scans(site)
    if not found:
        try:
            found = store.scans(normalise_start_url(site))
        except UserError:
            found = []
    return sorted(found, key=lambda i: (i.as_of, i.id))


def previous_points(store: Store, scan_id: int, rules: RuleSet) -> list[dict[str, Any]]:
    """Trend points of the site's earlier scans (by check date, then id) that have figures to show."""
    current = store.scan(scan_id)
    out = []
    for info in site_scans(store, current.start_url):
        if info.id == scan_id or (info.as_of, info.id) > (current.as_of, current.id) or info.state == "running":
            continue
        fig = figures(store, info)
        if fig["score"] is None and not fig["by_rule"]:
            continue  # never analysed: nothing to draw
        out.append(point(scan_id=info.id, as_of=info.as_of, started=info.started, ruleset=info.ruleset,
                         score=fig["score"], verdict=fig["verdict"], by_rule=fig["by_rule"], rules=rules))
    return out


def history_rows(store: Store, site: str, rules: RuleSet) -> list[dict[str, Any]]:
    """What ``govaudit history`` lists: each scan's trend point with its state and counts."""
    out = []
    for info in site_scans(store, site):
        fig = figures(store, info)
        p = point(scan_id=info.id, as_of=info.as_of, started=info.started, ruleset=info.ruleset, score=fig["score"],
                  verdict=fig["verdict"], by_rule=fig["by_rule"], rules=rules)
        out.append({**p, "state": info.state, "findings": fig["findings"], "by_severity": fig["by_severity"],
                    "vetoes": fig["vetoes"]})
    return out
