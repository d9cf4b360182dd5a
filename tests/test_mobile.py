"""Mobile adaptation: the static viewport checks over a crawl of tests/speed_site.py, and the viewport parser.

The browser half (overflow at 375 px, small text, tap targets, the mobile site's redirect loop) is in
tests/test_speed_browser.py, which drives Chromium.
"""

from __future__ import annotations

import pytest
from conftest import read_findings, run_cli
from govaudit.checks.mobile import parse_viewport, viewport_problems
from speed_site import SpeedSite

from govaudit.readings import mobile_host


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    out = tmp_path_factory.mktemp("mobile-scan")
    with SpeedSite() as site:
        run_cli("scan", site.base + "/", "--out", str(out), "--as-of", "2026-11-20", "--timeout", "5", "--a11y", "off")
        return site.base, [f for f in read_findings(out) if f["rule"].startswith("mobile.")]


@pytest.mark.parametrize("content, problems", [
    ("width=device-width, initial-scale=1", []),
    ("width=device-width;initial-scale=1.0", []),
    ("initial-scale=1", []),
    ("width=1024", ["fixed_width"]),
    ("", ["fixed_width"]),
    ("width=device-width, user-scalable=no", ["zoom_disabled"]),
    ("width=device-width, maximum-scale=1.0", ["zoom_disabled"]),
    ("width=device-width, maximum-scale=5", []),
    ("width=980, user-scalable=0", ["fixed_width", "zoom_disabled"]),
    (None, ["missing"]),
])
def test_viewport_problems(content, problems):
    assert viewport_problems(content) == problems


def test_parse_viewport_lowercases_and_accepts_both_separators():
    assert parse_viewport(" Width = Device-Width ; Initial-Scale=1 ") == {"width": "device-width", "initial-scale": "1"}


def test_static_viewport_faults_found_light_pages_clean(findings):
    base, found = findings
    by_rule: dict[str, list[str]] = {}
    for f in found:
        urls = [e["url"] for e in f["evidence"].get("examples", [])] or [f["url"]]
        by_rule.setdefault(f["rule"], []).extend(urls)
    assert by_rule.get("mobile.no_viewport") == [base + "/noviewport/"]
    assert by_rule.get("mobile.viewport_fixed") == [base + "/fixed/"]
    assert by_rule.get("mobile.zoom_disabled") == [base + "/fixed/"]
    assert {f["evidence"].get("viewport") for f in found if f["rule"] == "mobile.viewport_fixed"} == {
        "width=1024, user-scalable=no"}
    assert not any(base + "/light/" in urls for urls in by_rule.values())


def test_separate_mobile_site_announced_by_mobile_agent(findings):
    _, found = findings
    assert [(f["evidence"]["mobile_url"], f["evidence"]["via"]) for f in found if f["rule"] == "mobile.separate_site"] == [
        ("http://127.0.0.1:9/m/", "mobile_agent_meta")]


def test_mobile_host_is_a_sibling_of_the_site():
    assert mobile_host("m.example.gov.cn", "www.example.gov.cn")
    assert mobile_host("wap.example.gov.cn", "example.gov.cn")
    assert not mobile_host("m.other.gov.cn", "www.example.gov.cn")
    assert not mobile_host("www.example.gov.cn", "www.example.gov.cn")
    assert not mobile_host("mail.example.gov.cn", "www.example.gov.cn")

