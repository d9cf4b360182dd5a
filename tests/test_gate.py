"""The CI gate: the pure decision (``reports.gate.evaluate``), JUnit and SARIF outputs read back, and
``govaudit check`` / ``govaudit report`` / ``govaudit summary`` run as real processes against a site served
on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from govaudit.reports.ci import junit_xml, sarif_document
from govaudit.reports.gate import EXIT_GATE, EXIT_PASS, evaluate, load_baseline
from govaudit.reports.scoring import score

from govaudit.model import Finding
from govaudit.ruleset import load_ruleset

SITE = "http://127.0.0.1:9/"
RUNNER = ("import sys\nfrom govaudit import cli\nfrom govaudit.commands import COMMANDS\n"
          "COMMANDS.extend(n for n in ('check', 'report', 'summary') if n not in COMMANDS)\n"
          "sys.exit(cli.main(sys.argv[1:]))\n")


def govaudit(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """The CLI as a real process (Twisted's reactor starts once per process), with this task's commands."""
    return subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "CI": "true"}, cwd=Path(__file__).resolve().parent.parent)


def f(rule: str, severity: str, i: int = 0) -> Finding:
    return Finding(rule, severity, SITE, f"{SITE}{rule}/{i}", f"{rule} {i}")


FINDINGS = [f("home.stale", "veto"), f("links.dead", "deduct", 1), f("links.dead", "deduct", 2),
            f("links.suspect", "warn"), f("links.not_checked", "info")]


def test_fail_on_levels_include_graver_severities() -> None:
    rules = load_ruleset()
    no_veto = FINDINGS[1:]
    card = score(no_veto, rules)
    assert evaluate(no_veto, card, fail_on="veto").passed
    result = evaluate(no_veto, card, fail_on="deduct")
    assert not result.passed and result.exit_code == EXIT_GATE and len(result.failing) == 2
    assert len(evaluate(no_veto, card, fail_on="warn").failing) == 3
    assert evaluate([FINDINGS[-1]], score([FINDINGS[-1]], rules), fail_on="warn").exit_code == EXIT_PASS
    with_veto = score(FINDINGS, rules)
    assert [x.rule for x in evaluate(FINDINGS, with_veto, fail_on="veto").failing] == ["home.stale"]
    with pytest.raises(ValueError, match="--fail-on"):
        evaluate(FINDINGS, with_veto, fail_on="error")


def test_min_score_and_veto() -> None:
    rules = load_ruleset()
    links = [f("links.dead", "deduct", i) for i in range(30)]     # −3
    card = score(links, rules)
    assert evaluate(links, card, fail_on=None, min_score=97).passed
    result = evaluate(links, card, fail_on=None, min_score=97.5)
    assert not result.passed and "below --min-score 97.5" in result.reasons[0]
    vetoed = score(FINDINGS, rules)
    assert not evaluate(FINDINGS, vetoed, fail_on=None, min_score=0).passed   # a veto fails whatever the score


def test_baseline_fails_only_on_new_findings(tmp_path: Path) -> None:
    rules = load_ruleset()
    old = tmp_path / "old"
    old.mkdir()
    lines = [json.dumps(x.to_json(), ensure_ascii=False) for x in FINDINGS[:3]]
    legacy = FINDINGS[3].to_json()
    legacy.pop("fingerprint")                       # an older findings.jsonl without fingerprints
    (old / "findings.jsonl").write_text("\n".join(lines + [json.dumps(legacy)]) + "\n", encoding="utf-8")
    baseline = load_baseline(old)
    assert baseline == {x.fingerprint for x in FINDINGS[:4]}
    now = FINDINGS + [f("links.dead", "deduct", 3)]
    result = evaluate(now, score(now, rules), fail_on="deduct", baseline=baseline)
    assert [x.url for x in result.failing] == [f"{SITE}links.dead/3"] and not result.passed
    assert evaluate(FINDINGS, score(FINDINGS, rules), fail_on="deduct", baseline=baseline).passed
    (tmp_path / "bad.jsonl").write_text("not json\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_baseline(tmp_path / "bad.jsonl")


def test_junit_and_sarif_documents() -> None:
    rules = load_ruleset()
    now = FINDINGS + [f("links.dead", "deduct", 3)]
    card = score(now, rules)
    baseline = {x.fingerprint for x in FINDINGS}
    gate = evaluate(now, card, fail_on="deduct", min_score=99.9, baseline=baseline)
    root = ET.fromstring(junit_xml(now, card, gate, rules))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["links.dead"].find("failure") is not None and "links.dead/3" in cases["links.dead"].find("failure").text
    assert cases["home.stale"].find("failure") is None            # in the baseline: not new, does not fail
    assert cases["score"].find("failure") is not None             # veto hit → fails --min-score
    assert root.get("failures") == "2"
    doc = sarif_document(now, card, gate, rules)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0" and len(run["results"]) == len(now)
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {x.rule for x in now}
    states = {r["partialFingerprints"]["govaudit/v1"]: r["baselineState"] for r in run["results"]}
    assert states[now[-1].fingerprint] == "new" and states[FINDINGS[0].fingerprint] == "unchanged"
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"home.stale": "error", "links.dead": "error", "links.suspect": "warning", "links.not_checked": "note"}
    assert run["properties"]["ruleset"] == "gov-2019" and run["properties"]["gatePassed"] is False


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory):
    """Three pages on 127.0.0.1: the homepage links to a good page and to one that does not exist."""
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text('<html lang="zh-CN"><head><meta charset="utf-8"><title>测试政府网</title></head><body>'
                                     '<a href="/a.html">机构职能</a> <a href="/gone.html">已删除的通知</a></body></html>',
                                     encoding="utf-8")
    (root / "a.html").write_text('<html lang="zh-CN"><head><meta charset="utf-8"><title>机构职能</title></head>'
                                 '<body><a href="/">首页</a></body></html>', encoding="utf-8")
    handler = lambda *a, **kw: _Quiet(*a, directory=str(root), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _no_veto_rules(tmp_path: Path) -> Path:
    """A rule set under which no rule vetoes (every veto rule demoted to a warning), for the score-only gate."""
    rules = load_ruleset()
    body = "".join(f"  {r}:\n    severity: warn\n" for r, m in rules.rules.items() if m["severity"] == "veto")
    path = tmp_path / "no-veto.yaml"
    path.write_text(f"id: no-veto\nversion: '1'\ninherits: gov-2019\nrules:\n{body}", encoding="utf-8")
    return path


def test_check_command_end_to_end(tiny_site: str, tmp_path: Path) -> None:
    out, junit, sarif = tmp_path / "run1", tmp_path / "j.xml", tmp_path / "s.sarif"
    common = ["--as-of", "2026-11-20", "--timeout", "2", "--no-external"]
    proc = govaudit("check", tiny_site, "--out", str(out), "--fail-on", "deduct", "--junit", str(junit), "--sarif", str(sarif), *common)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "gate: FAIL" in proc.stderr and "links.dead" in proc.stderr
    findings = [json.loads(x) for x in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(x["rule"] == "links.dead" and x["url"].endswith("/gone.html") for x in findings)
    assert ET.parse(junit).getroot().get("failures") != "0"
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ruleset"]["id"] == "gov-2019" and (out / "report.html").exists() and (out / "report.xlsx").exists()

    # nothing new since the first run → the gate passes
    proc = govaudit("check", tiny_site, "--out", str(tmp_path / "run2"), "--fail-on", "deduct", "--baseline", str(out), *common)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "gate: PASS" in proc.stderr
    # the score gate alone: the dead link costs points (and the undated homepage may hit the stale-homepage veto)
    proc = govaudit("check", tiny_site, "--out", str(tmp_path / "run3"), "--fail-on", "none", "--min-score", "100", *common)
    assert proc.returncode == 2 and ("below --min-score 100" in proc.stderr or "veto hit" in proc.stderr), proc.stderr
    proc = govaudit("check", tiny_site, "--out", str(tmp_path / "run4"), "--fail-on", "none", "--min-score", "0",
                    "--rules", str(_no_veto_rules(tmp_path)), *common)
    assert proc.returncode == 0, proc.stderr[-3000:]

    # re-score the stored scan with the provincial rule set: no crawl, new rule-set id in every output
    rescored = tmp_path / "province"
    proc = govaudit("report", str(out), "--rules", "rules/example-province.yaml", "--out", str(rescored), "--lang", "en")
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = json.loads((rescored / "summary.json").read_text(encoding="utf-8"))
    assert again["ruleset"] == {"id": "example-province", "version": "2024.1", "title": again["ruleset"]["title"]}
    assert again["counts"]["by_rule"].get("links.dead") == summary["counts"]["by_rule"].get("links.dead")
    assert "example-province 2024.1" in (rescored / "report.html").read_text(encoding="utf-8")

    # province summary over the runs
    proc = govaudit("summary", str(out), str(rescored), "--out", str(tmp_path / "sum"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "sum" / "summary.html").exists() and (tmp_path / "sum" / "summary.xlsx").exists()


def test_tool_errors_exit_1(tiny_site: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nversion: '1'\ninherits: gov-2019\nindicators:\n  ded.link:\n    cap: lots\n", encoding="utf-8")
    proc = govaudit("check", tiny_site, "--out", str(tmp_path / "o"), "--rules", str(bad))
    assert proc.returncode == 1 and f"{bad}:6" in proc.stderr and "indicators.ded.link.cap" in proc.stderr
    proc = govaudit("check", tiny_site, "--out", str(tmp_path / "o"), "--baseline", str(tmp_path / "missing.jsonl"))
    assert proc.returncode == 1 and "missing.jsonl" in proc.stderr
    proc = govaudit("report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 1 and "no such store file" in proc.stderr
    proc = govaudit("summary", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 1 and "no summary.json" in proc.stderr
