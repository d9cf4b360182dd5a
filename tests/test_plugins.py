"""Checks are plugins (issue 10): found through entry points, validated against the rule set, listed by
``govaudit rules list``, and rendered from their metadata — proven end to end by installing the example
provincial plugin from examples/ and scanning the demo site with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import AS_OF, read_findings, run_cli
from govaudit.crawler.extract import installed

from govaudit import checks
from govaudit.ruleset import RuleSetError, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "govaudit-province-columns"
RULE = "province.column_missing"
PROVINCE = """\
id: test-province
version: "1"
inherits: gov-2019
checks:
  province_columns: {enabled: true}
params:
  province_columns:
    required:
      - {name: 政策解读}
      - {name: 财政资金, aliases: [财政预决算]}
      - {name: 人事任免, column_type: 人事信息}
      - {name: 政府信息公开年报, aliases: [信息公开年报]}
      - {name: 依申请公开}
indicators:
  ded.province_columns:
    title: {zh: 省级规定栏目设置, en: Provincial required columns}
    cap: 5
    points: 1.5
rules:
  province.column_missing:
    severity: deduct
    indicator: ded.province_columns
"""
MISSING = {"政府信息公开年报", "依申请公开"}


def test_builtin_checks_and_extractors_register_through_entry_points() -> None:
    plugins = {p.id: p for p in checks.plugins()}
    assert {"availability", "links", "freshness", "interaction", "a11y"} <= set(plugins)
    assert all(p.source.startswith("govaudit ") for p in plugins.values())
    national = load_ruleset("gov-2019")
    for rule_id in national.rules:
        owner = checks.plugin_of(rule_id)
        assert owner is not None, rule_id
        for lang in ("zh", "en"):  # titles and help come from the plugin, in both languages
            assert national.title_of(rule_id, lang) != rule_id
            assert national.text(national.rule(rule_id)["help"], lang)
    assert national.title_of("links.dead", "en") == "Dead link" and national.title_of("links.dead") == "死链（确定不可用链接）"
    for p in plugins.values():
        assert set(p.extractors) <= set(installed()), p.id  # every extractor a check names is installed
    from govaudit.crawler.settings import GOVAUDIT_EXTRACTORS
    assert GOVAUDIT_EXTRACTORS == list(installed().values())
    assert "govaudit.crawler.extract.core.extract" in GOVAUDIT_EXTRACTORS


def test_rule_set_naming_a_check_that_is_not_installed_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nversion: '1'\ninherits: gov-2019\nchecks:\n  linkz: {enabled: false}\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=rf"{path}:5: checks.linkz: no such check plugin is installed; did you mean 'links'"):
        load_ruleset(path)
    path.write_text("id: p\nversion: '1'\ninherits: gov-2019\nchecks:\n  links: {enabled: maybe}\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=rf"{path}:5: checks.links: must be a mapping with enabled: true or false"):
        load_ruleset(path)
    # Without the example package installed, its rule is unknown: the error says so rather than scoring nothing.
    path.write_text(PROVINCE, encoding="utf-8")
    with pytest.raises(RuleSetError, match=rf"{path}:\d+: checks.province_columns: no such check plugin"):
        load_ruleset(path)


def test_disabling_a_check_in_the_rule_set_removes_its_findings(tmp_path: Path, demo_scan) -> None:
    out, findings = demo_scan
    assert any(f["rule"].startswith("links.") for f in findings)
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nversion: '1'\ninherits: gov-2019\nchecks:\n  links: {enabled: false}\n", encoding="utf-8")
    again = tmp_path / "out"
    run_cli("report", str(out), "--rules", str(path), "--out", str(again))
    rules = {f["rule"] for f in read_findings(again)}
    assert rules and not any(r.startswith("links.") for r in rules)
    assert rules == {f["rule"] for f in findings if not f["rule"].startswith("links.")}


def test_rules_list_prints_every_installed_check_and_rule() -> None:
    text = run_cli("rules", "list", "--lang", "en").stdout
    for plugin in checks.plugins():
        assert plugin.id in text
        for rule_id in plugin.rules:
            assert rule_id in text, rule_id
    assert "govaudit 0.1.0" in text and "Dead link" in text and "ded.link" in text and "a11y.*" in text
    line = next(l for l in text.splitlines() if "links.suspect" in l)
    assert "warn" in line
    province = run_cli("rules", "list", "--rules", "example-province").stdout
    assert "info" in next(l for l in province.splitlines() if "links.suspect" in l)  # the province's override


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory) -> dict[str, str]:
    """The example package installed with pip into its own directory (the venv stays clean), and the
    environment under which govaudit sees it: a user installing a provincial package, nothing more."""
    work = tmp_path_factory.mktemp("example")
    source = work / "src"
    shutil.copytree(EXAMPLE, source)  # setuptools writes build files next to the sources: not into the repository
    target = work / "site"
    # No network: the build uses this environment's setuptools (and, for setuptools < 70.1, the wheel package).
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                           "--target", str(target), str(source)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"pip could not install the example (setuptools < 70.1 needs `wheel`):\n{proc.stderr[-3000:]}"
    assert (target / "govaudit_province_columns" / "__init__.py").is_file()
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]), "CI": "true"}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "govaudit.cli", *args], capture_output=True, text=True, timeout=400, env=env)
    assert proc.returncode == 0, f"govaudit {' '.join(args)} exited {proc.returncode}\n{proc.stderr[-4000:]}"
    return proc


def test_example_plugin_scanned_scored_and_rendered_in_both_languages(example_installed, demo_site, tmp_path: Path,
                                                                      chrome) -> None:
    env = example_installed
    server, manifest = demo_site
    rules = tmp_path / "province.yaml"
    rules.write_text(PROVINCE, encoding="utf-8")

    listing = cli(env, "rules", "list", "--rules", str(rules)).stdout
    plugin_line = next(l for l in listing.splitlines() if "province_columns" in l and "govaudit-province-columns" in l)
    assert "0.1.0" in plugin_line and "yes" in plugin_line and "province_nav" in plugin_line
    assert RULE in listing and "ded.province_columns" in listing

    out = tmp_path / "zh"
    cli(env, "scan", server.base_url + "/", "--out", str(out), "--rules", str(rules), "--as-of", AS_OF.isoformat(),
        "--timeout", "2", "--a11y", "off")
    mine = [f for f in read_findings(out) if f["rule"] == RULE]
    assert {f["evidence"]["column"] for f in mine} == MISSING       # 政策解读 by name, 财政预决算 by alias, 人事信息 by ColumnType
    assert all(f["severity"] == "deduct" and f["url"] == server.base_url + "/" and f["evidence"]["pages"] > 100 for f in mine)
    assert {f["message"] for f in mine} >= {f"未找到规定栏目“依申请公开”（已检查 {mine[0]['evidence']['pages']} 个页面）"}
    assert any(f["rule"] == "links.dead" for f in read_findings(out))  # the built-in checks still ran beside it

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ind = next(i for i in summary["indicators"] if i["id"] == "ded.province_columns")
    assert ind["findings"] == 2 and ind["deducted"] == 3 and ind["by_rule"][RULE] == {"count": 2, "points": 3, "deducted": 3}
    assert summary["counts"]["by_rule"][RULE] == 2 and RULE not in summary["unscored_rules"]

    chrome.get((out / "report.html").as_uri())
    body = chrome.find_element("tag name", "body").text
    assert "省级规定栏目设置" in body and "缺少省级规定栏目" in body and "未找到规定栏目“政府信息公开年报”" in body
    assert "规定栏目" in body and "检查页面数" in body                 # evidence labelled from the plugin's fields

    en = tmp_path / "en"
    cli(env, "report", str(out), "--rules", str(rules), "--out", str(en), "--lang", "en")
    chrome.get((en / "report.html").as_uri())
    body = chrome.find_element("tag name", "body").text
    assert "Provincial required columns" in body and "Required provincial column missing" in body
    assert "Required column \u201c依申请公开\u201d not found" in body and "Pages checked" in body

    for folder, lang in ((out, "zh"), (en, "en")):
        book = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
        name = "省级规定栏目 province" if lang == "zh" else "Provincial columns province"
        rows = [list(r) for r in book[name].iter_rows(values_only=True)]
        header = rows[0]
        assert ("规定栏目" if lang == "zh" else "Required column") in header
        col = header.index("规定栏目" if lang == "zh" else "Required column")
        assert {r[col] for r in rows[1:]} == MISSING and all(r[1] == RULE for r in rows[1:])
        summary_rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        line = next(r for r in summary_rows if r[2] == ("缺少省级规定栏目" if lang == "zh" else "Required provincial column missing"))
        assert line[3] == 2 and line[4] == 3


def _codes(module_path: str, *patterns: str, within: str | None = None) -> set[str]:
    """Reason codes a module writes, read from its source (``within``: only that function's body)."""
    import re

    source = (ROOT / module_path).read_text(encoding="utf-8")
    if within:
        source = source[source.index(f"def {within}("):]
        source = source[:source.index("\n    def ", 1)]
    return {m for p in patterns for m in re.findall(p, source)}


def test_every_reason_code_a_stage_writes_has_words_in_its_check() -> None:
    """A report shows the code's words, not the code: a new skip or not-audited reason without a label would
    reach an inspector as a bare identifier."""
    from govaudit.checks.accessibility import NOT_AUDITED
    from govaudit.checks.availability import FIELDS as AVAILABILITY
    from govaudit.checks.links import FIELDS as LINKS

    spider = "crawler/spiders/site.py"
    skips = (_codes(spider, r'skip_reason="(\w+)"', r'_skip\(request, "(\w+)"\)', r'limit = "(\w+)"',
                    r'self\.skipped\["(\w+)"\]')
             | _codes(spider, r'return "(\w+)"', within="trap_reason")
             | _codes("govaudit/facts.py", r'return "(\w+)"'))  # unread_code: what self.skipped[unread_code(…)] counts
    assert {"robots", "stalled", "page_cap", "trap", "url_too_long", "not_analysed", "analysis_size"} <= skips  # the patterns still find the codes
    assert skips <= set(LINKS["reason"].values) <= set(AVAILABILITY["reason"].values)
    not_audited = _codes("crawler/browser/audit.py", r'NotAudited\("(\w+)"', r'return "(\w+)", ')
    assert {"page_load_timeout", "browser_hung", "error"} <= not_audited
    assert not_audited <= set(NOT_AUDITED)
