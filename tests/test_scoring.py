"""Scoring mechanics (indicators.md §1.1) on findings we construct, and coverage read from a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from govaudit.reports import write_reports
from govaudit.reports.scoring import score

from govaudit.model import Finding
from govaudit.ruleset import load_ruleset
from govaudit.store import Store

SITE = "http://127.0.0.1:9/"


def dead(i: int, home: bool = False, severity: str = "deduct") -> Finding:
    return Finding("links.dead", severity, SITE, f"{SITE}gone/{i}", "404", {},
                   {"sources": [{"url": SITE, "anchor": f"link {i}", "tag": "a"}], "source_count": 1, "on_homepage": home,
                    "status": 404})


def finding(rule: str, severity: str, i: int = 0, **evidence: object) -> Finding:
    return Finding(rule, severity, SITE, f"{SITE}{rule}/{i}", rule, dict(evidence))


def province(tmp_path: Path, body: str):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nversion: '9'\ninherits: gov-2019\n" + body, encoding="utf-8")
    return load_ruleset(path)


def test_dead_links_cost_more_on_the_homepage_and_stop_at_the_cap() -> None:
    rules = load_ruleset("gov-2019")
    card = score([dead(1, home=True), dead(2), dead(3)], rules)
    link = card.indicator("ded.link")
    assert link.deducted == pytest.approx(1.2) and link.deducting == 3
    assert card.total == pytest.approx(98.8) and card.verdict == "pass"
    # 10 on the homepage (−10) exceed the cap of 5: deduction stops at 5, raw kept for the report
    card = score([dead(i, home=True) for i in range(10)], rules)
    link = card.indicator("ded.link")
    assert (link.raw, link.deducted, link.capped) == (10.0, 5.0, True)
    assert card.total == 95.0
    assert link.evidence[0] == 0  # worst first, bounded sample


def test_warn_and_info_never_deduct() -> None:
    card = score([finding("links.suspect", "warn"), finding("links.not_checked", "info")], load_ruleset())
    assert card.total == 100 and card.indicator("ded.link").findings == 1 and card.indicator("ded.link").deducted == 0
    assert card.counts_by_severity == {"warn": 1, "info": 1}


def test_a_veto_fails_the_site_whatever_the_score() -> None:
    rules = load_ruleset()
    card = score([finding("home.stale", "veto"), dead(1)], rules)
    assert card.verdict == "veto" and not card.passed
    assert [v.id for v in card.vetoes] == ["veto.home_stale"]
    assert card.vetoes[0].title["zh"] == "首页不更新"
    assert card.total == pytest.approx(99.9)  # still computed, for reference


def test_below_the_fail_line_fails(tmp_path: Path) -> None:
    rules = province(tmp_path, "indicators:\n  ded.info_update:\n    points: 5\n  ded.link:\n    points: 1\n")
    findings = [finding("columns.stale", "deduct", i) for i in range(10)] + [dead(i) for i in range(10)]
    card = score(findings, rules)
    # info_update capped at 15, link at 5: 100 − 20 = 80 → pass but not above the bonus gate
    assert card.total == 80 and card.verdict == "pass" and not card.bonus_eligible
    rules = province(tmp_path, "scoring:\n  fail_below: 85\nindicators:\n  ded.info_update:\n    points: 5\n"
                               "  ded.link:\n    points: 1\n")
    assert score(findings, rules).verdict == "fail"


def test_bonus_only_above_the_gate_and_capped(tmp_path: Path) -> None:
    body = ("scoring:\n  bonus_max: 3\nindicators:\n  bonus.survey:\n    title: 调查征集\n    kind: bonus\n    cap: 10\n"
            "    points: 2\nrules:\n  interaction.channel_stats:\n    severity: info\n"
            "    indicator: bonus.survey\n")   # a rule set may only score rules an installed plugin emits
    rules = province(tmp_path, body)
    bonus = [finding("interaction.channel_stats", "info", i) for i in range(4)]
    card = score(bonus, rules)
    assert card.bonus_eligible and card.bonus == 3 and card.total == 103
    low = bonus + [finding("columns.stale", "deduct", i) for i in range(15)] + [dead(i, home=True) for i in range(5)]
    card = score(low, rules)
    assert card.deduction_score == 80 and not card.bonus_eligible and card.bonus == 0 and card.total == 80


def test_department_without_public_services_scored_out_of_75_times_four_thirds() -> None:
    rules = load_ruleset()
    findings = [finding("columns.stale", "deduct", i) for i in range(15)]   # −15 in a non-service indicator
    with_services = score(findings, rules)
    without = score(findings, rules, has_public_services=False)
    assert with_services.total == 85
    assert without.total == pytest.approx((75 - 15) * 4 / 3)
    service = without.indicator("ded.service")
    assert service.skipped and service.deducted == 0
    assert without.to_json()["has_public_services"] is False


def test_service_veto_not_applied_to_departments_without_services(tmp_path: Path) -> None:
    rules = province(tmp_path, "rules:\n  availability.home:\n    title: 未提供办事服务\n    severity: veto\n"
                               "    indicator: ded.service\n    veto: veto.service\n")   # a rule an installed plugin emits
    f = [finding("availability.home", "veto")]
    assert score(f, rules).verdict == "veto"
    assert score(f, rules, has_public_services=False).verdict == "pass"


def test_unknown_and_disabled_rules_are_listed_not_scored(tmp_path: Path) -> None:
    rules = province(tmp_path, "rules:\n  links.soft404:\n    enabled: false\n")
    card = score([finding("content.typo", "deduct"), finding("links.soft404", "deduct")], rules)
    assert card.total == 100 and card.unscored_rules == {"content.typo": 1, "links.soft404": 1}


def test_rescoring_with_a_province_changes_the_result_not_the_findings() -> None:
    findings = [dead(i) for i in range(80)]  # −8 raw
    national, prov = load_ruleset("gov-2019"), load_ruleset("rules/example-province.yaml")
    assert score(findings, national).total == 95       # capped at 5
    assert score(findings, prov).total == pytest.approx(92)  # province cap 10
    assert score(findings, prov).ruleset_id == "example-province"


def test_write_reports_summary_from_a_real_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, "2024-05-01", {}, "test")
    store.put_artifact(scan, "a11y_sampling", "templates", {"templates": 3, "audited": 6, "pages": 120})
    store.finish_scan(scan, {"pages_crawled": 120, "urls_checked": 300, "skipped": {"robots": 4, "page_cap": 0, "timeout": 2}})
    view = store.view(scan)
    findings = [dead(1, home=True), finding("home.stale", "veto"), finding("links.not_checked", "info")]
    card = write_reports(view, findings, load_ruleset(), tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "veto" and summary["score"] == card.total == 99
    assert summary["ruleset"]["id"] == "gov-2019" and summary["ruleset"]["version"] == "2019.1"
    assert summary["vetoes_hit"][0]["id"] == "veto.home_stale"
    assert summary["vetoes_hit"][0]["evidence"][0]["url"] == f"{SITE}home.stale/0"
    assert summary["counts"] == {"findings": 3, "by_rule": {"links.dead": 1, "home.stale": 1, "links.not_checked": 1},
                                 "by_severity": {"veto": 1, "deduct": 1, "info": 1}}
    cov = summary["coverage"]
    assert cov["pages_crawled"] == 120 and cov["skipped"]["robots"] == 4 and cov["skipped"]["timeout"] == 2
    assert cov["a11y_sampling"]["templates"]["audited"] == 6
    assert cov["not_checked_findings"] == {"links.not_checked": 1} and cov["complete"] is False
    assert summary["scan_id"] == scan and summary["site"] == SITE and summary["as_of"] == "2024-05-01"
