"""Machine-readable gate outputs for CI systems: JUnit XML (GitLab, Jenkins, most CI UIs) and SARIF 2.1.0
(GitHub code scanning).  Both are written atomically, like every other report.
"""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from govaudit.reports.gate import GateResult
from govaudit.reports.scoring import Scorecard
from govaudit.reports.text import clean, family, message

from govaudit import __version__
from govaudit.model import Finding
from govaudit.ruleset import RuleSet

JUNIT_MAX_LISTED = 500   # URLs listed in one failure's text; CI UIs truncate long bodies anyway
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"veto": "error", "deduct": "error", "warn": "warning", "info": "note"}


def _atomic_write(path: Path, data: bytes) -> None:
    from govaudit.reports import ReportError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def junit_xml(findings: list[Finding], card: Scorecard, gate: GateResult, rules: RuleSet, lang: str = "en") -> bytes:
    """One testsuite per check family, one testcase per rule (failed when the gate failed on it), plus a
    ``score`` testcase for the verdict and ``--min-score``."""
    failing = {id(f) for f in gate.failing}
    by_family: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        by_family[family(f.rule)][f.rule].append(f)
    root = ET.Element("testsuites", name="govaudit", tests="0", failures="0")
    total_tests = total_fail = 0
    for fam, per_rule in sorted(by_family.items()):
        suite = ET.SubElement(root, "testsuite", name=f"govaudit.{fam}")
        tests = fails = 0
        for rule, items in sorted(per_rule.items()):
            case = ET.SubElement(suite, "testcase", classname=f"govaudit.{fam}", name=rule)
            tests += 1
            bad = [f for f in items if id(f) in failing]
            body = "\n".join(f"[{f.severity}] {clean(f.url, 500)} — {clean(message(f, lang), 300)}" for f in (bad or items)[:JUNIT_MAX_LISTED])
            if bad:
                fails += 1
                fail = ET.SubElement(case, "failure", type=bad[0].severity,
                                     message=clean(f"{len(bad)} finding(s): {rules.title_of(rule, lang)}", 300))
                fail.text = body
            else:
                ET.SubElement(case, "system-out").text = f"{len(items)} finding(s) below the gate level\n{body}"
        suite.set("tests", str(tests))
        suite.set("failures", str(fails))
        total_tests += tests
        total_fail += fails
    suite = ET.SubElement(root, "testsuite", name="govaudit.score", tests="1")
    case = ET.SubElement(suite, "testcase", classname="govaudit.score", name="score")
    score_reasons = [gate.score_reason] if gate.score_reason else []
    ET.SubElement(case, "system-out").text = (f"score {card.total:.2f}, verdict {card.verdict}, rule set {card.ruleset_id} "
                                              f"{card.ruleset_version}")
    if score_reasons:
        ET.SubElement(case, "failure", type="score", message=clean("; ".join(score_reasons), 500))
        total_fail += 1
    suite.set("failures", "1" if score_reasons else "0")
    root.set("tests", str(total_tests + 1))
    root.set("failures", str(total_fail))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def sarif_document(findings: list[Finding], card: Scorecard, gate: GateResult, rules: RuleSet,
                   lang: str = "en") -> dict[str, Any]:
    """A SARIF 2.1.0 log: rules from the rule set, one result per finding, located at its URL.

    ``partialFingerprints`` carry the finding fingerprint so code-scanning UIs track a problem across runs;
    with a baseline, ``baselineState`` says whether it is new.
    """
    new = {id(f) for f in gate.new}
    used = sorted({f.rule for f in findings})
    rule_index = {r: i for i, r in enumerate(used)}
    descriptors = []
    for r in used:
        meta = rules.rules.get(r, {})
        descriptors.append({
            "id": r, "name": r,
            "shortDescription": {"text": clean(rules.title_of(r, lang), 300)},
            "help": {"text": clean(rules.text(meta.get("help", ""), lang), 2000) or r},
            "defaultConfiguration": {"level": SARIF_LEVEL.get(str(meta.get("severity")), "warning")},
            "properties": {"indicator": meta.get("indicator"), "severity": meta.get("severity")},
        })
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.rule, "ruleIndex": rule_index[f.rule], "level": SARIF_LEVEL.get(f.severity, "note"),
            "message": {"text": clean(message(f, lang) or f.rule, 1000)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": clean(f.url, 2000)}}}],
            "partialFingerprints": {"govaudit/v1": f.fingerprint},
            "properties": {"severity": f.severity},
        }
        if gate.baseline_size is not None:
            result["baselineState"] = "new" if id(f) in new else "unchanged"
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "govaudit", "version": __version__, "informationUri": "https://github.com/govaudit/govaudit",
                                "rules": descriptors}},
            "results": results,
            "properties": {"score": round(card.total, 2), "verdict": card.verdict, "ruleset": card.ruleset_id,
                           "rulesetVersion": card.ruleset_version, "gatePassed": gate.passed, "gateReasons": gate.reasons},
        }],
    }


def write_junit(path: Path, findings: list[Finding], card: Scorecard, gate: GateResult, rules: RuleSet) -> None:
    _atomic_write(path, junit_xml(findings, card, gate, rules))


def write_sarif(path: Path, findings: list[Finding], card: Scorecard, gate: GateResult, rules: RuleSet) -> None:
    _atomic_write(path, json.dumps(sarif_document(findings, card, gate, rules), ensure_ascii=False, indent=1).encode("utf-8"))
