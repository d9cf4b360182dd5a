"""Scoring: findings + rule set → scorecard (评分).  Renderers only display what this computes.

The mechanics are those of 国办秘函〔2019〕19号 as recorded in shared/indicators.md §1.1:

* 单项否决 — any finding of severity ``veto`` hits the veto its rule names; the site is 不合格 whatever
  else it scores (the deduction part is still computed, for reference only).
* 扣分指标 — the 100-point part starts full; each indicator deducts ``points`` per finding of severity
  ``deduct`` (``homepage_points`` when the finding sits on the homepage, ``rule_points`` per rule), never
  more than its ``cap`` (the indicator's value).
* < ``fail_below`` (60) → 不合格; > ``bonus_gate`` (80) → the bonus part (max 30) is added.
* departments without public services skip ``service: true`` items, are scored out of 75, then × 100/75.

Every number comes from the rule set; nothing here is a threshold.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govaudit.model import Finding
from govaudit.ruleset import RuleSet

EVIDENCE_SAMPLE = 20
"""How many example findings each indicator and veto keeps in ``summary.json`` (the full list is in
findings.jsonl and the HTML report); a bound so that the summary stays small at 100,000 findings."""


@dataclass(slots=True)
class IndicatorResult:
    """One 扣分指标 line of the score table: what was deducted, from how many findings, capped at what."""

    id: str
    cap: float | None
    deducted: float = 0.0          # after the cap
    raw: float = 0.0               # before the cap
    findings: int = 0              # findings mapped to this indicator (any severity)
    deducting: int = 0             # of which deducted points
    by_rule: dict[str, dict[str, float]] = field(default_factory=dict)  # rule -> {count, points, deducted}
    # ``deducted`` of a rule: its points, never more than the indicator's (capped) deduction — the figure the
    # score table shows on the rule's line, so that no renderer computes one
    service: bool = False
    scored: bool = True
    skipped: bool = False          # service item of a department without public services
    kind: str = "deduct"
    evidence: list[int] = field(default_factory=list)  # indexes into the findings list, worst first

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.raw > self.cap


@dataclass(slots=True)
class VetoHit:
    """A 单项否决 item that was hit, with the findings that hit it."""

    id: str
    title: Any = None
    findings: int = 0
    rules: list[str] = field(default_factory=list)
    evidence: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Scorecard:
    """The result of scoring one scan against one rule set; ``to_json()`` is ``summary.json``."""

    ruleset_id: str
    ruleset_version: str
    ruleset_title: dict[str, str] | str
    site: str
    start_url: str
    as_of: str
    scan_id: int | None
    has_public_services: bool
    verdict: str                   # pass | fail | veto
    deduction_score: float         # the 100-point part (after the no-service scaling)
    bonus: float
    bonus_eligible: bool
    total: float
    vetoes: list[VetoHit]
    indicators: list[IndicatorResult]
    counts_by_rule: dict[str, int]
    counts_by_severity: dict[str, int]
    coverage: dict[str, Any]
    unscored_rules: dict[str, int]  # findings whose rule the rule set does not describe (or disables)
    finding_count: int = 0
    points_deducted: float = 0.0   # the deduction part's points lost (scored deduct indicators, after caps)
    params: dict[str, Any] = field(default_factory=dict)  # the scoring values used, for the report footnote
    trend: list[dict[str, Any]] = field(default_factory=list)  # this site's scans, oldest first, this one last (reports/trend.py)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def indicator(self, indicator_id: str) -> IndicatorResult | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    def to_json(self, findings: list[Finding] | None = None) -> dict[str, Any]:
        """The ``summary.json`` document.  Evidence indexes become finding references when ``findings`` is given."""
        def refs(indexes: list[int]) -> list[Any]:
            if findings is None:
                return list(indexes)
            return [{"rule": findings[i].rule, "url": findings[i].url, "fingerprint": findings[i].fingerprint}
                    for i in indexes]

        out = {
            "score": round(self.total, 2),
            "verdict": self.verdict,
            "passed": self.passed,
            "deduction_score": round(self.deduction_score, 2),
            "points_deducted": round(self.points_deducted, 2),
            "bonus": round(self.bonus, 2),
            "bonus_eligible": self.bonus_eligible,
            "vetoes_hit": [{"id": v.id, "title": v.title, "findings": v.findings, "rules": v.rules, "evidence": refs(v.evidence)}
                           for v in self.vetoes],
            "indicators": [
                {"id": i.id, "cap": i.cap, "deducted": round(i.deducted, 2), "raw": round(i.raw, 2),
                 "capped": i.capped, "findings": i.findings, "deducting": i.deducting,
                 "by_rule": {r: {"count": int(v["count"]), "points": round(v["points"], 2), "deducted": round(v["deducted"], 2)}
                             for r, v in i.by_rule.items()},
                 "service": i.service, "scored": i.scored, "skipped": i.skipped, "kind": i.kind,
                 "evidence": refs(i.evidence)}
                for i in self.indicators],
            "counts": {"findings": self.finding_count, "by_rule": self.counts_by_rule,
                       "by_severity": self.counts_by_severity},
            "unscored_rules": self.unscored_rules,
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version, "title": self.ruleset_title},
            "site": self.site, "start_url": self.start_url, "as_of": self.as_of, "scan_id": self.scan_id,
            "has_public_services": self.has_public_services,
            "coverage": self.coverage,
            "scoring": self.params,
            "trend": self.trend,
        }
        return out


def _num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def finding_points(finding: Finding, indicator: dict[str, Any]) -> float:
    """Points one deducting finding costs under ``indicator`` (rule override, then homepage, then default)."""
    rule_points = indicator.get("rule_points") or {}
    if finding.rule in rule_points:
        return float(rule_points[finding.rule])
    if "homepage_points" in indicator and (finding.extra.get("on_homepage") or finding.evidence.get("on_homepage")):
        return float(indicator["homepage_points"])
    return _num(indicator.get("points"), 0.0)


def score(findings: list[Finding], rules: RuleSet, *, coverage: dict[str, Any] | None = None,
          has_public_services: bool | None = None, site: str = "", start_url: str = "", as_of: str = "",
          scan_id: int | None = None) -> Scorecard:
    """Score ``findings`` with ``rules``.  Pure: same inputs, same scorecard (re-scoring needs no crawl)."""
    sc = rules.scoring
    total_points = _num(sc.get("deduction_total"), 100.0)
    services = bool(sc.get("has_public_services", True)) if has_public_services is None else has_public_services
    out_of = _num((sc.get("no_service") or {}).get("scored_out_of"), total_points) if not services else total_points

    results: dict[str, IndicatorResult] = {}
    for ind_id, meta in rules.indicators.items():
        service = bool(meta.get("service", False))
        results[ind_id] = IndicatorResult(
            id=ind_id, cap=_num(meta["cap"], 0.0) if "cap" in meta else None, service=service,
            scored=bool(meta.get("scored", True)), skipped=service and not services, kind=str(meta.get("kind", "deduct")))
    veto_hits: dict[str, VetoHit] = {}
    by_rule: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    unscored: Counter[str] = Counter()
    costs: dict[str, list[tuple[float, int]]] = defaultdict(list)

    for index, finding in enumerate(findings):
        by_rule[finding.rule] += 1
        by_severity[finding.severity] += 1
        rule_meta = rules.rules.get(finding.rule)
        if rule_meta is None or not rules.enabled(finding.rule):
            unscored[finding.rule] += 1
            continue
        if finding.severity == "veto":
            veto_id = rules.rule_veto(finding.rule) or finding.rule
            if services or not rules.vetoes.get(veto_id, {}).get("service", False):
                hit = veto_hits.setdefault(veto_id, VetoHit(veto_id, rules.vetoes.get(veto_id, {}).get("title", veto_id)))
                hit.findings += 1
                if finding.rule not in hit.rules:
                    hit.rules.append(finding.rule)
                if len(hit.evidence) < EVIDENCE_SAMPLE:
                    hit.evidence.append(index)
        result = results.get(str(rule_meta.get("indicator")))
        if result is None:
            continue
        result.findings += 1
        line = result.by_rule.setdefault(finding.rule, {"count": 0, "points": 0.0})
        line["count"] += 1
        # deduction indicators count only `deduct` findings; a bonus indicator counts any non-veto finding
        counts_points = finding.severity == "deduct" if result.kind == "deduct" else finding.severity != "veto"
        if not counts_points or not result.scored or result.skipped:
            costs[result.id].append((0.0, index))
            continue
        points = finding_points(finding, rules.indicators[result.id])
        result.raw += points
        result.deducting += 1
        line["points"] += points
        costs[result.id].append((points, index))

    deducted = 0.0
    bonus_raw = 0.0
    for result in results.values():
        result.deducted = min(result.raw, result.cap) if result.cap is not None else result.raw
        worst = sorted(costs.get(result.id, []), key=lambda c: (-c[0], c[1]))[:EVIDENCE_SAMPLE]
        result.evidence = [i for _, i in worst]
        counted = result.scored and not result.skipped
        for line in result.by_rule.values():
            line["deducted"] = min(line["points"], result.deducted) if counted else 0.0
        if result.kind == "bonus":
            bonus_raw += result.deducted
        elif result.scored and not result.skipped:
            deducted += result.deducted

    part = max(0.0, out_of - deducted) * (total_points / out_of)
    gate = _num(sc.get("bonus_gate"), total_points)
    bonus_eligible = part > gate
    bonus = min(bonus_raw, _num(sc.get("bonus_max"), 0.0)) if bonus_eligible else 0.0
    if veto_hits:
        verdict = "veto"
    elif part < _num(sc.get("fail_below"), 0.0):
        verdict = "fail"
    else:
        verdict = "pass"
    order = list(rules.vetoes)
    vetoes = sorted(veto_hits.values(), key=lambda v: order.index(v.id) if v.id in order else len(order))
    return Scorecard(
        ruleset_id=rules.id, ruleset_version=rules.version, ruleset_title=rules.data.get("title", rules.id),
        site=site, start_url=start_url, as_of=as_of, scan_id=scan_id, has_public_services=services,
        verdict=verdict, deduction_score=part, bonus=bonus, bonus_eligible=bonus_eligible, total=part + bonus,
        vetoes=vetoes, indicators=list(results.values()), counts_by_rule=dict(by_rule.most_common()),
        counts_by_severity={s: by_severity[s] for s in ("veto", "deduct", "warn", "info") if by_severity[s]},
        coverage=coverage or {}, unscored_rules=dict(unscored), finding_count=len(findings), points_deducted=deducted,
        params={"deduction_total": total_points, "scored_out_of": out_of, "fail_below": sc.get("fail_below"),
                "bonus_gate": sc.get("bonus_gate"), "bonus_max": sc.get("bonus_max")})


def coverage_of(view: Any, findings: Iterable[Finding], rules: RuleSet) -> dict[str, Any]:
    """What the score rests on and what it could not see (robots, caps, timeouts, JS-only pages ...).

    Read from the crawler's stats (``view.info.stats``), the scan state, the findings of non-scored
    indicators (``links.not_checked`` ...), and the accessibility sampling artifact when present.
    """
    stats = dict(getattr(getattr(view, "info", None), "stats", None) or {}) if view is not None else {}
    skipped = stats.get("skipped") or {}
    if not isinstance(skipped, dict):
        skipped = {}
    notes: Counter[str] = Counter()
    for finding in findings:
        meta = rules.rules.get(finding.rule, {})
        indicator = rules.indicators.get(str(meta.get("indicator")), {})
        if indicator and not indicator.get("scored", True):
            notes[finding.rule] += 1
    out: dict[str, Any] = {
        "pages_crawled": stats.get("pages_crawled"),
        "urls_checked": stats.get("urls_checked"),
        "skipped": {str(k): v for k, v in sorted(skipped.items(), key=lambda kv: -_num(kv[1], 0))},
        "not_checked_findings": dict(notes),
        "scan_state": getattr(getattr(view, "info", None), "state", None),
    }
    if view is not None and hasattr(view, "artifacts"):
        try:
            sampling = {str(k): v for k, v in view.artifacts("a11y_sampling")}
        except Exception:  # an older store without the artifact table content: coverage stays partial
            sampling = {}
        if sampling:
            out["a11y_sampling"] = sampling
    out["complete"] = bool(out["scan_state"] in (None, "finished", "crawled") and not any(_num(v, 0) for v in out["skipped"].values())
                           and not notes)
    return out
