"""Rule sets as data: the national set loads and is self-consistent, a province inherits and overrides,
and a malformed rule set is rejected with the file, line and key at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from govaudit.ruleset import RULES_DIR, RuleSetError, load_ruleset


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_national_rule_set_is_complete_and_consistent() -> None:
    rules = load_ruleset("gov-2019")
    assert (rules.id, rules.version) == ("gov-2019", "2019.1")
    sc = rules.scoring
    assert (sc["deduction_total"], sc["fail_below"], sc["bonus_gate"], sc["bonus_max"]) == (100, 60, 80, 30)
    assert sc["no_service"]["scored_out_of"] == 75
    scored = [m for m in rules.indicators.values() if m.get("scored", True) and m.get("kind", "deduct") == "deduct"]
    assert sum(m["cap"] for m in scored) == sc["deduction_total"]
    service = sum(m["cap"] for m in scored if m.get("service"))
    assert sc["deduction_total"] - service == sc["no_service"]["scored_out_of"]
    for veto in ("veto.unreachable", "veto.home_stale", "veto.columns_stale", "veto.columns_long_stale",
                 "veto.blank_columns", "veto.interaction", "veto.service", "veto.security"):
        assert veto in rules.vetoes
    # every rule names a known indicator or veto (the loader enforces it; this proves the shipped file passes)
    for rule_id, meta in rules.rules.items():
        assert meta.get("indicator") in rules.indicators or meta.get("indicator") in rules.vetoes, rule_id
        if meta["severity"] == "veto":
            assert rules.rule_veto(rule_id) in rules.vetoes
    assert rules.indicators["ded.link"]["points"] == 0.1 and rules.indicators["ded.link"]["homepage_points"] == 1


def test_uncertain_values_are_commented_with_their_tag() -> None:
    """Values indicators.md marks [R], [I] or NF carry that tag on their line, so a province knows what to override."""
    lines = (RULES_DIR / "gov-2019.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("indicators:"))
    end = next(i for i, l in enumerate(lines[start + 1:], start + 1) if l and not l.startswith((" ", "#")))
    valued = [l for l in lines[start:end] if l.strip().startswith(("cap:", "points:", "homepage_points:"))]
    assert valued and all("#" in l and any(tag in l for tag in ("NF", "[R]", "[I]", "[S]", "[S2]")) for l in valued), valued


def test_province_inherits_and_changes_only_what_differs() -> None:
    national, province = load_ruleset("gov-2019"), load_ruleset(RULES_DIR / "example-province.yaml")
    assert (province.id, province.version) == ("example-province", "2024.1")
    assert province.indicators["ded.link"]["cap"] == 10
    assert province.indicators["ded.link"]["points"] == national.indicators["ded.link"]["points"]
    assert province.indicators["ded.link"]["title"] == national.indicators["ded.link"]["title"]
    assert province.severity("links.suspect") == "info" and national.severity("links.suspect") == "warn"
    assert province.scoring["bonus_max"] == 20 and province.scoring["fail_below"] == 60
    assert province.where("indicators.ded.link.cap").endswith("example-province.yaml:18")
    assert "gov-2019.yaml:" in province.where("indicators.ded.link.points")


def test_province_by_relative_path_and_by_id(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "id: base\nversion: '1'\ninherits: gov-2019\nscoring:\n  fail_below: 50\n")
    child = write(tmp_path, "child.yaml", "id: child\nversion: '2'\ninherits: base.yaml\nscoring:\n  bonus_gate: 85\n")
    rules = load_ruleset(child)
    assert (rules.scoring["fail_below"], rules.scoring["bonus_gate"], rules.scoring["deduction_total"]) == (50, 85, 100)


@pytest.mark.parametrize("body, where, words", [
    ("indicators:\n  ded.link:\n    cap: ten\n", ":7", ["indicators.ded.link.cap", "number"]),
    ("rules:\n  links.dead:\n    indicator: ded.lnk\n", ":7", ["rules.links.dead.indicator", "ded.lnk", "did you mean 'ded.link'"]),
    ("rules:\n  links.deaad:\n    severity: info\n", ":6", ["links.deaad", "unknown check rule", "did you mean 'links.dead'"]),
    ("rules:\n  links.dead:\n    severity: veto\n", ":6", ["links.dead", "names no veto"]),
    ("rules:\n  links.dead:\n    severity: veto\n    veto: veto.unreachabel\n", ":8", ["unknown veto", "veto.unreachable"]),
    ("scoring:\n  no_service:\n    scored_out_of: 0\n", ":7", ["scoring.no_service.scored_out_of", "positive"]),
    ("indicators:\n  ded.link:\n    kind: extra\n", ":7", ["indicators.ded.link.kind"]),
    ("rules:\n  links.dead:\n    severity: fatal\n", ":7", ["rules.links.dead.severity", "fatal"]),
])
def test_malformed_rule_set_names_file_line_and_key(tmp_path: Path, body: str, where: str, words: list[str]) -> None:
    path = write(tmp_path, "bad.yaml", "# a provincial rule set with one mistake\nid: bad\nversion: '1'\ninherits: gov-2019\n" + body)
    with pytest.raises(RuleSetError) as info:
        load_ruleset(path)
    message = str(info.value)
    assert f"{path}{where}" in message, message
    for word in words:
        assert word in message, message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "id: x\nversion: '1'\nscoring:\n  fail_below: [60\n  bonus_gate: 80\n")
    with pytest.raises(RuleSetError, match=rf"{path}:\d+: not valid YAML"):
        load_ruleset(path)


def test_a_rule_no_installed_plugin_emits_is_a_load_error(tmp_path: Path) -> None:
    """Issue 10: a complete rule (title, severity) that no check plugin emits would score nothing, silently."""
    path = write(tmp_path, "p.yaml", "id: p\nversion: '1'\ninherits: gov-2019\nrules:\n  links.mixed_content:\n"
                 "    title: {zh: 混合内容, en: Mixed content}\n    severity: warn\n    indicator: ded.link\n")
    with pytest.raises(RuleSetError, match=rf"{path}:5: rules.links.mixed_content: unknown check rule \(no installed check plugin"):
        load_ruleset(path)


def test_a_rule_under_a_plugins_open_prefix_is_accepted(tmp_path: Path) -> None:
    """The accessibility plugin emits every axe-core rule id, listed or not: a province may score one."""
    path = write(tmp_path, "p.yaml", "id: p\nversion: '1'\ninherits: gov-2019\nrules:\n  a11y.meta-viewport:\n"
                 "    title: {zh: 禁止缩放, en: Zoom disabled}\n    severity: warn\n    indicator: ded.accessibility\n")
    rules = load_ruleset(path)
    assert rules.severity("a11y.meta-viewport") == "warn" and rules.title_of("a11y.meta-viewport", "en") == "Zoom disabled"
