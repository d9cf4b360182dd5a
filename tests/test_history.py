"""Scan history, diffs and trends: two scans of a demo site whose fault set changes between them, and a store
written by the schema-2 code migrated with its data."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from conftest import read_findings, run_cli

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF_1, AS_OF_2 = date(2026, 11, 20), date(2026, 11, 27)
FIXED = "/ztzl/yhyshj/"            # planted dead in the demo site; a page is put there before the second scan
BROKEN = "/zt/gone-in-scan-2.html"  # linked from the homepage before the second scan, never served
BROKEN_TOO = "/zt/also-gone.html"   # a second new dead link: the dead-link trend goes up by one


def test_schema_2_store_is_migrated_with_its_data(tmp_path):
    """A store as the schema-2 code wrote it (DDL kept verbatim in tests/fixtures) opens, migrates in place,
    keeps its scan, URLs and findings, and lists the old scan in the history with counts from its findings."""
    from govaudit.history import history_rows
    from govaudit.model import url_key
    from govaudit.ruleset import load_ruleset
    from govaudit.store import SCHEMA_VERSION, Store

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / "store-schema-2.sql").read_text(encoding="utf-8"))
    db.execute("INSERT INTO scans (site, start_url, started, finished, state, as_of, options, stats, tool_version) "
               "VALUES ('http://old.example/', 'http://old.example/', 1.0, 2.0, 'finished', '2026-01-05', '{}', "
               "'{\"pages_crawled\": 3}', '0.0.9')")
    db.execute("INSERT INTO urls (scan_id, key, url, kind, state, status, digest) VALUES (1, ?, 'http://old.example/', "
               "'page', 'done', 200, 'abc')", (url_key("http://old.example/"),))
    for seq, rule in enumerate(["links.dead", "links.dead", "columns.stale"]):
        body = {"rule": rule, "severity": "deduct", "site": "http://old.example/", "url": f"http://old.example/{seq}",
                "message": "old", "evidence": {}}
        db.execute("INSERT INTO findings VALUES (1, ?, ?, 'deduct', ?, ?)", (seq, rule, body["url"], json.dumps(body)))
    db.commit()
    db.close()
    assert SCHEMA_VERSION == 3

    with Store(path, create=False) as store:
        assert store.schema_version() == SCHEMA_VERSION
        info = store.scan(1)
        assert (info.site, info.state, info.stats, info.tool_version) == ("http://old.example/", "finished",
                                                                          {"pages_crawled": 3}, "0.0.9")
        assert info.ruleset is None and info.result is None
        assert store.view(1).get("http://old.example/").status == 200
        assert [f.rule for f in store.findings(1)] == ["links.dead", "links.dead", "columns.stale"]
        rows = history_rows(store, "http://old.example/", load_ruleset())
        assert len(rows) == 1
        assert rows[0]["score"] is None and rows[0]["findings"] == 3
        assert rows[0]["series"]["dead_links"] == 2 and rows[0]["series"]["stale_columns"] == 1
        assert store.probes("http://old.example/") == []  # the new tables exist
    with Store(path, create=False) as store:  # a second open finds nothing to migrate and loses nothing
        assert len(list(store.findings(1))) == 3


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory):
    """Scan 1 of a fresh demo site; then one planted dead link is fixed and a new one broken; scan 2."""
    from govaudit.demo.server import DemoServer
    from govaudit.demo.sitegen import generate_site

    base = tmp_path_factory.mktemp("history")
    root = base / "site"
    manifest = generate_site(root, as_of=AS_OF_1)
    assert any(d["target"] == FIXED for d in manifest.planted["dead"])
    store = base / "store.sqlite"
    out1, out2 = base / "out1", base / "out2"
    with DemoServer(root, manifest, stall_seconds=6) as server:
        url = server.base_url + "/"
        common = ["--store", str(store), "--timeout", "2", "--a11y", "off"]
        run_cli("scan", url, "--out", str(out1), "--as-of", AS_OF_1.isoformat(), *common)
        (root / FIXED.strip("/")).mkdir(parents=True, exist_ok=True)
        (root / FIXED.strip("/") / "index.html").write_text(
            "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>优化营商环境</title></head>"
            "<body><h1>优化营商环境</h1></body></html>", encoding="utf-8")
        home = root / "index.html"
        html = home.read_text(encoding="utf-8")
        home.write_text(html.replace("</body>", f"<a href='{BROKEN}'>新专题</a><a href='{BROKEN_TOO}'>另一专题</a></body>", 1), encoding="utf-8")
        run_cli("scan", url, "--out", str(out2), "--as-of", AS_OF_2.isoformat(), *common)
    return url, store, out1, out2


def _dead(out: Path) -> set[str]:
    return {f["url"].split("/", 3)[3] for f in read_findings(out) if f["rule"] == "links.dead"}


def test_diff_of_two_output_folders_and_of_two_scan_ids(two_scans):
    url, store, out1, out2 = two_scans
    assert FIXED.lstrip("/") in _dead(out1) and BROKEN.lstrip("/") not in _dead(out1)
    assert BROKEN.lstrip("/") in _dead(out2) and FIXED.lstrip("/") not in _dead(out2)

    folders = json.loads(run_cli("diff", str(out1), str(out2), "--json").stdout)
    ids = json.loads(run_cli("diff", "1", "2", "--store", str(store), "--json").stdout)
    prints = {part: sorted(f["fingerprint"] for f in folders[part]) for part in ("new", "fixed", "persisting")}
    assert prints == {part: sorted(f["fingerprint"] for f in ids[part]) for part in ("new", "fixed", "persisting")}
    new_dead = {f["url"] for f in folders["new"] if f["rule"] == "links.dead"}
    fixed_dead = {f["url"] for f in folders["fixed"] if f["rule"] == "links.dead"}
    assert url.rstrip("/") + BROKEN in new_dead
    assert url.rstrip("/") + FIXED in fixed_dead
    first = {f["fingerprint"] for f in read_findings(out1)}
    second = {f["fingerprint"] for f in read_findings(out2)}
    assert set(prints["persisting"]) == first & second
    assert set(prints["new"]) == second - first and set(prints["fixed"]) == first - second
    assert folders["by_rule"]["links.dead"]["new"] >= 1 and folders["by_rule"]["links.dead"]["fixed"] >= 1
    text = run_cli("diff", str(out1), str(out2)).stdout
    assert f"+ links.dead\t{url.rstrip('/')}{BROKEN}" in text and f"- links.dead\t{url.rstrip('/')}{FIXED}" in text


def test_history_lists_both_scans_with_their_rule_set(two_scans):
    url, store, out1, out2 = two_scans
    rows = json.loads(run_cli("history", url, "--store", str(store), "--json").stdout)
    assert [r["scan_id"] for r in rows] == [1, 2]
    assert [r["as_of"] for r in rows] == [AS_OF_1.isoformat(), AS_OF_2.isoformat()]
    for row, out in zip(rows, (out1, out2)):
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert row["score"] == summary["score"] and row["verdict"] == summary["verdict"]
        assert row["findings"] == len(read_findings(out))
        assert row["series"]["dead_links"] == len(_dead(out))
        assert row["ruleset"]["id"] == "gov-2019" and len(row["ruleset"]["hash"]) == 12
    assert rows[0]["ruleset"]["hash"] == rows[1]["ruleset"]["hash"]
    text = run_cli("history", url, "--store", str(store)).stdout.splitlines()
    assert len(text) == 3 and text[0].startswith("scan\tas_of") and text[2].startswith("2\t" + AS_OF_2.isoformat())
    missing = run_cli("history", "http://not-scanned.example/", "--store", str(store), check=False)
    assert missing.returncode == 1 and "holds no scan" in missing.stderr


def test_trend_in_summary_html_and_excel(two_scans):
    import openpyxl

    url, store, out1, out2 = two_scans
    first = json.loads((out1 / "summary.json").read_text(encoding="utf-8"))
    summary = json.loads((out2 / "summary.json").read_text(encoding="utf-8"))
    assert len(first["trend"]) == 1  # no history yet: no charts
    trend = summary["trend"]
    assert [p["scan_id"] for p in trend] == [1, 2]
    assert trend[0]["score"] == first["score"] and trend[1]["score"] == summary["score"]
    assert [p["series"]["dead_links"] for p in trend] == [len(_dead(out1)), len(_dead(out2))]
    assert trend[1]["series"]["dead_links"] == trend[0]["series"]["dead_links"] + 1  # one fixed, two broken
    html = (out2 / "report.html").read_text(encoding="utf-8")
    assert 'id="trend"' in html and 'id="trend"' not in (out1 / "report.html").read_text(encoding="utf-8")
    for series in ("score", "dead_links", "stale_columns", "open_letters"):
        assert f'data-series="{series}"' in html
    book = openpyxl.load_workbook(out2 / "report.xlsx", read_only=True)
    assert "历次检查趋势" in book.sheetnames
    rows = list(book["历次检查趋势"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [1, 2]
    assert [r[3] for r in rows[1:]] == [trend[0]["score"], trend[1]["score"]]
    assert "历次检查趋势" not in openpyxl.load_workbook(out1 / "report.xlsx", read_only=True).sheetnames


def test_rescoring_with_another_rule_set_is_kept_with_its_version_and_hash(two_scans, tmp_path):
    url, store, out1, out2 = two_scans
    before = {r["scan_id"]: r for r in json.loads(run_cli("history", url, "--store", str(store), "--json").stdout)}
    run_cli("report", str(store), "--scan", "1", "--rules", "example-province", "--out", str(tmp_path / "re"))
    after = {r["scan_id"]: r for r in json.loads(run_cli("history", url, "--store", str(store), "--json").stdout)}
    assert after[1]["ruleset"]["id"] == "example-province" and after[1]["ruleset"]["hash"] != before[1]["ruleset"]["hash"]
    assert after[2] == before[2]
    summary = json.loads((tmp_path / "re" / "summary.json").read_text(encoding="utf-8"))
    assert [p["scan_id"] for p in summary["trend"]] == [1]  # re-scoring scan 1 draws no later scan
