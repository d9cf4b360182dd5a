"""The freshness checks end to end on the demo county site: every columns.* finding is a planted defect.

The ground truth is the site generator's manifest (``planted``: stale_columns, long_stale_columns,
blank_columns, fresh_columns), never the extractor's output.  Static pages that carry ColumnName meta
(联系我们, 网站地图, 无障碍, 走进云溪) are not columns, a picture-news list with dated items is not blank, and the
single-veto counts follow from the columns found.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from urllib.parse import urlsplit

from govaudit.demo.server import DemoServer
from govaudit.demo.sitegen import generate_site
from govaudit.ruleset import load_ruleset

AS_OF = date(2026, 11, 20)
_INDEX = re.compile(r"index\.(?:s?html?|jsp|aspx?|php)$", re.I)


def column_path(url: str) -> str:
    """A column's list-page path, ``/zwgk/czyjs/index.html`` and ``/zwgk/czyjs/`` alike."""
    return _INDEX.sub("", urlsplit(url).path)


def scan(base_url: str, out) -> tuple[subprocess.CompletedProcess, list[dict]]:
    env = {**os.environ, "CI": "true"}
    proc = subprocess.run([sys.executable, "-m", "govaudit.cli", "scan", base_url + "/", "--out", str(out),
                           "--as-of", AS_OF.isoformat(), "--a11y", "off", "--timeout", "2"],
                          capture_output=True, text=True, timeout=300, env=env)
    path = out / "findings.jsonl"
    assert path.exists(), f"scan wrote no findings (exit {proc.returncode})\n{proc.stderr[-4000:]}"
    return proc, [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_demo_column_findings_match_the_planted_columns(tmp_path):
    root = tmp_path / "site"
    manifest = generate_site(root, as_of=AS_OF)
    planted = manifest.planted
    with DemoServer(root, manifest, stall_seconds=4) as server:
        proc, found = scan(server.base_url, tmp_path / "out")

    by_rule: dict[str, list[dict]] = {}
    for f in found:
        if f["rule"].startswith(("columns.", "home.")):
            by_rule.setdefault(f["rule"], []).append(f)
    report = "\n".join(f"{f['rule']} {f['url']} {f['message']}" for fs in by_rule.values() for f in fs)

    # columns.empty: exactly the planted blank columns, each with the evidence an inspector shows.
    empty = {column_path(f["url"]): f for f in by_rule.get("columns.empty", [])}
    blank_paths = {c["path"] for c in planted["blank_columns"]}
    assert set(empty) == blank_paths, report
    assert len(by_rule.get("columns.empty", [])) == len(blank_paths), report
    for c in planted["blank_columns"]:
        ev = empty[c["path"]]["evidence"]
        assert ev["column"] == c["name"], report
        assert ev["placeholders"] or ev["list_containers"] or ev["list_signals"], ev

    # columns.stale: exactly the planted stale and long-stale columns, with the planted newest date.
    stale = {column_path(f["url"]): f for f in by_rule.get("columns.stale", [])}
    stale_planted = {c["path"]: c for c in planted["stale_columns"] + planted["long_stale_columns"]}
    assert set(stale) == set(stale_planted), report
    assert len(by_rule.get("columns.stale", [])) == len(stale_planted), report
    for path, c in stale_planted.items():
        ev = stale[path]["evidence"]
        assert ev["newest_date"] == c["newest"] and ev["window_days"] == c["window_days"], (path, ev)
        assert ev["days_since"] == c["days_since_newest"], (path, ev)

    # No fresh column and no static page is reported by any per-column rule.
    fresh_paths = {c["path"] for c in planted["fresh_columns"]}
    reported = {column_path(f["url"]) for rule in ("columns.empty", "columns.stale") for f in by_rule.get(rule, [])}
    assert not reported & fresh_paths, report
    for static in ("/lxwm/", "/wzdt/", "/wza/", "/zjyx/"):
        assert static not in reported, report

    # The single-veto counts follow from the planted columns and the rule set's thresholds.
    rules = load_ruleset()
    expected = {"columns.veto_stale": len(planted["stale_columns"]),
                "columns.veto_long_stale": len(stale_planted) + len(blank_paths),
                "columns.veto_blank": len(blank_paths)}
    keys = {"columns.veto_stale": "veto_stale_count", "columns.veto_long_stale": "veto_long_stale_count",
            "columns.veto_blank": "veto_blank_count"}
    for rule_id, count in expected.items():
        threshold = int(rules.param(f"freshness.{keys[rule_id]}"))
        got = by_rule.get(rule_id, [])
        if count >= threshold:
            assert len(got) == 1 and got[0]["evidence"]["count"] == count, (rule_id, count, report)
            assert {column_path(c["url"]) for c in got[0]["evidence"]["columns"]} <= set(stale_planted) | blank_paths
        else:
            assert got == [], (rule_id, count, report)

    # The homepage is fresh on the demo site.
    assert "home.stale" not in by_rule, report
    assert proc.returncode in (0, 2), f"scan exited {proc.returncode}\n{proc.stderr[-4000:]}"
