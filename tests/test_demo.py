"""The README's first command: ``govaudit demo`` scans the generated site end to end, browser stage included."""

from __future__ import annotations

import json

from conftest import AS_OF, read_findings, run_cli
from openpyxl import load_workbook


def test_demo_finds_every_planted_dead_link_and_writes_every_report(tmp_path):
    out = tmp_path / "demo-out"
    proc = run_cli("demo", "--out", str(out), "--as-of", AS_OF.isoformat(), timeout=600)
    assert "planted dead links found: 7/7" in proc.stderr
    findings = read_findings(out)
    rules = {f["rule"] for f in findings}
    assert {"links.dead", "columns.stale", "interaction.unanswered", "a11y.image-alt"} <= rules
    alt = next(f for f in findings if f["rule"] == "a11y.image-alt")
    assert alt["evidence"]["elements"][0]["selector"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "veto"  # the demo site plants veto-level staleness and unanswered letters
    workbook = load_workbook(out / "report.xlsx", read_only=True)
    assert len(workbook.sheetnames) >= 3
