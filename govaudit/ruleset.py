"""Rule sets: the inspection indicators as data an inspector can read and a province can override.

A rule set is a YAML file under ``rules/`` (or anywhere, by path).  It may ``inherits:`` another one and
then states only what differs; mappings merge key by key, everything else is replaced.  Under them all lies
what the installed check plugins declare (each rule's title, help, message templates and default severity,
each plugin's parameter defaults): a rule set states the scoring and overrides, and may only name rules and
checks that an installed plugin provides.  Every value that the domain reference marks [R], [I] or NF lives
here, commented, never in code.

Errors name the file, the line and the key at fault, because the person fixing a provincial rule set is
an inspector with a text editor, not a developer with a debugger.
"""

from __future__ import annotations

import copy
import difflib
from numbers import Real
from pathlib import Path
from typing import Any

import yaml

import govaudit.rules
from govaudit.model import SEVERITIES

RULES_DIR = Path(govaudit.rules.__file__).resolve().parent  # the package data; the top-level rules/ in a checkout
DEFAULT_RULESET = "gov-2019"


class RuleSetError(Exception):
    """A rule set cannot be loaded; the message names file, line and key."""


def _line_of(node: yaml.Node | None, path: list[str]) -> int | None:
    """The 1-based line of the key ``path`` in a composed YAML tree (the nearest existing ancestor if absent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if k.value == key:
                line, node = k.start_mark.line + 1, v
                break
        else:
            break
    return line


class RuleSet:
    """A loaded, merged rule set.  ``param`` reads a value; ``rule`` reads a rule's metadata."""

    def __init__(self, data: dict[str, Any], sources: list[tuple[Path, yaml.Node | None]]) -> None:
        self.data = data
        self.sources = sources  # own file first, then what it inherits from

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def title(self) -> str:
        return str(self.data.get("title", self.id))

    @property
    def path(self) -> Path:
        return self.sources[0][0]

    def where(self, dotted: str) -> str:
        """``file:line`` of the file that sets ``dotted`` last (for error messages and report footnotes)."""
        path = _split_dotted(self.data, dotted)
        for file, node in self.sources:
            if node is not None and _has(node, path):
                return f"{file}:{_line_of(node, path)}"
        return f"{self.path}"

    def param(self, dotted: str) -> Any:
        """A value under ``params:``, e.g. ``param("links.timeout_seconds")``."""
        node: Any = self.data.get("params", {})
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise RuleSetError(f"{self.where('params.' + dotted)}: rule set {self.id} has no value params.{dotted}")
            node = node[part]
        return node

    def rule(self, rule_id: str) -> dict[str, Any]:
        """Metadata of a finding rule (title, severity, indicator, help, message): the plugin's, overridden by the rule set."""
        rules = self.data.get("rules", {})
        if rule_id not in rules:
            raise RuleSetError(f"{self.where('rules')}: rule set {self.id} does not describe rule {rule_id!r}")
        return rules[rule_id]

    def severity(self, rule_id: str) -> str:
        return str(self.rule(rule_id)["severity"])

    def enabled(self, rule_id: str) -> bool:
        return bool(self.data.get("rules", {}).get(rule_id, {}).get("enabled", True))

    # -- scoring sections (owned by reports/) -------------------------------------------------------
    @property
    def scoring(self) -> dict[str, Any]:
        """The ``scoring:`` mechanics (deduction total, fail line, bonus gate, no-service rule)."""
        return self.data.get("scoring", {})

    @property
    def indicators(self) -> dict[str, dict[str, Any]]:
        """扣分指标 (and non-scored notes such as ``coverage``) in file order."""
        return self.data.get("indicators", {})

    @property
    def vetoes(self) -> dict[str, dict[str, Any]]:
        """单项否决 items in file order."""
        return self.data.get("vetoes", {})

    @property
    def rules(self) -> dict[str, dict[str, Any]]:
        return self.data.get("rules", {})

    def rule_veto(self, rule_id: str) -> str | None:
        """The veto a rule's veto-severity findings hit: its ``veto:``, else its ``indicator:`` if that is a veto."""
        meta = self.rules.get(rule_id, {})
        veto = meta.get("veto") or meta.get("indicator")
        return veto if veto in self.vetoes else None

    def text(self, value: Any, lang: str = "zh") -> str:
        """A display text that may be plain or a ``{zh, en}`` mapping; falls back to the other language."""
        if isinstance(value, dict):
            return str(value.get(lang) or value.get("zh") or value.get("en") or next(iter(value.values()), ""))
        return "" if value is None else str(value)

    def title_of(self, item_id: str, lang: str = "zh") -> str:
        """The title of a rule, an indicator or a veto (the id itself when the rule set has none)."""
        for section in (self.rules, self.indicators, self.vetoes):
            if item_id in section and "title" in section[item_id]:
                return self.text(section[item_id]["title"], lang)
        return item_id

    def display_title(self, lang: str = "zh") -> str:
        return self.text(self.data.get("title", self.id), lang)


def _split_dotted(data: Any, dotted: str) -> list[str]:
    """Split ``indicators.ded.link.cap`` into keys, knowing that ids themselves contain dots (``ded.link``)."""
    parts, path = dotted.split("."), []
    while parts:
        for n in range(len(parts), 0, -1):  # longest key first
            key = ".".join(parts[:n])
            if isinstance(data, dict) and key in data:
                path.append(key)
                data, parts = data[key], parts[n:]
                break
        else:
            return path + parts
    return path


def _has(node: yaml.Node, path: list[str]) -> bool:
    for key in path:
        if not isinstance(node, yaml.MappingNode):
            return False
        for k, v in node.value:
            if k.value == key:
                node = v
                break
        else:
            return False
    return True


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve(name_or_path: str | Path) -> Path:
    """A built-in rule set by id (``gov-2019``) or a file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise RuleSetError(f"{path}: no such rule set file")
        return path
    builtin = RULES_DIR / f"{name_or_path}.yaml"
    if not builtin.is_file():
        builtin = _unzipped(f"{name_or_path}.yaml") or builtin
    if not builtin.is_file():
        known = ", ".join(sorted(p.stem for p in RULES_DIR.glob("*.yaml")))
        raise RuleSetError(f"unknown rule set {name_or_path!r}; built-in ones: {known}")
    return builtin


def _unzipped(name: str) -> Path | None:
    """A built-in rule set read out of a zipped package (Scrapyd runs a deployed egg from its zip file, where
    the YAML is a resource, not a file), copied once to a file so that errors can still name its lines."""
    import importlib.resources
    import os
    import tempfile

    from govaudit import __version__

    resource = importlib.resources.files("govaudit.rules") / name
    if not resource.is_file():
        return None
    target = Path(tempfile.gettempdir(), f"govaudit-{__version__}-rules-{os.getuid()}", name)
    data = resource.read_bytes()
    if not target.is_file() or target.read_bytes() != data:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return target


def _read(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError(f"{path}: cannot read rule set ({exc})") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        raise RuleSetError(f"{path}{line}: not valid YAML ({exc.problem})") from exc
    if not isinstance(data, dict):
        raise RuleSetError(f"{path}:1: a rule set must be a mapping with id, version, params and rules")
    return data, node


def _validate(data: dict[str, Any], sources: list[tuple[Path, yaml.Node | None]]) -> None:
    def fail(path: list[str], why: str) -> None:
        for file, node in sources:
            if node is not None and _has(node, path):
                raise RuleSetError(f"{file}:{_line_of(node, path)}: {'.'.join(path)}: {why}")
        file, node = sources[0]
        raise RuleSetError(f"{file}:{_line_of(node, path) or 1}: {'.'.join(path)}: {why}")

    for key in ("id", "version"):
        if key not in data:
            fail([key], "is required")
    if not isinstance(data.get("params", {}), dict):
        fail(["params"], "must be a mapping")
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        fail(["rules"], "must be a mapping of rule id to its description")
    for rule_id, meta in rules.items():
        if not isinstance(meta, dict):
            fail(["rules", rule_id], "must be a mapping (title, severity, indicator, help)")
        if meta.get("severity") not in SEVERITIES:
            fail(["rules", rule_id, "severity"], f"must be one of {', '.join(SEVERITIES)}, not {meta.get('severity')!r}")
        for key in ("title", "help"):
            if key in meta and not isinstance(meta[key], (str, dict)):
                fail(["rules", rule_id, key], "must be text, or a mapping of language to text")

    _validate_scoring(data, fail)
    _validate_crawl(data, fail)


def _validate_crawl(data: dict[str, Any], fail: Any) -> None:
    """The crawl's clocks and the analysis size: a watchdog of 0 s, a time-out of "15s" or a size of "2MB" must fail
    at load time, not mid-crawl."""
    crawl = data.get("params", {}).get("crawl", {})
    if not isinstance(crawl, dict):
        fail(["params", "crawl"], "must be a mapping")
    for key, least in (("timeout_seconds", 0), ("stall_seconds", 0), ("retest_delay_seconds", None),
                       ("analysis_budget_seconds", None)):
        if key not in crawl:
            continue
        value = crawl[key]
        if not _is_number(value) or (value <= least if least is not None else value < 0):
            fail(["params", "crawl", key], f"must be a number of seconds {'> 0' if least is not None else '≥ 0'}, "
                                           f"not {value!r}")
    size = crawl.get("analysis_max_bytes", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        fail(["params", "crawl", "analysis_max_bytes"], f"must be a whole number of bytes ≥ 0 (0: no limit), not {size!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _validate_scoring(data: dict[str, Any], fail: Any) -> None:
    """Check the sections reports/ reads, so a typo fails at load time with file:line, not mid-report."""
    scoring = data.get("scoring", {})
    if not isinstance(scoring, dict):
        fail(["scoring"], "must be a mapping")
    for key in ("deduction_total", "fail_below", "bonus_gate", "bonus_max"):
        if key in scoring and not _is_number(scoring[key]):
            fail(["scoring", key], f"must be a number, not {scoring[key]!r}")
    no_service = scoring.get("no_service", {})
    if not isinstance(no_service, dict):
        fail(["scoring", "no_service"], "must be a mapping with scored_out_of")
    out_of = no_service.get("scored_out_of")
    if out_of is not None and (not _is_number(out_of) or out_of <= 0):
        fail(["scoring", "no_service", "scored_out_of"], f"must be a positive number, not {out_of!r}")
    if "has_public_services" in scoring and not isinstance(scoring["has_public_services"], bool):
        fail(["scoring", "has_public_services"], "must be true or false")
    for section in ("indicators", "vetoes"):
        items = data.get(section, {})
        if not isinstance(items, dict):
            fail([section], "must be a mapping of id to its description")
        for item_id, meta in items.items():
            if not isinstance(meta, dict):
                fail([section, item_id], "must be a mapping (title, ...)")
            if "title" in meta and not isinstance(meta["title"], (str, dict)):
                fail([section, item_id, "title"], "must be text, or a mapping of language to text")
            for key in ("cap", "points", "homepage_points"):
                if key in meta and (not _is_number(meta[key]) or meta[key] < 0):
                    fail([section, item_id, key], f"must be a number ≥ 0, not {meta[key]!r}")
            if "rule_points" in meta:
                rp = meta["rule_points"]
                if not isinstance(rp, dict) or not all(_is_number(v) for v in rp.values()):
                    fail([section, item_id, "rule_points"], "must map rule ids to numbers")
            if meta.get("kind", "deduct") not in ("deduct", "bonus"):
                fail([section, item_id, "kind"], f"must be deduct or bonus, not {meta.get('kind')!r}")
    indicators, vetoes = data.get("indicators", {}), data.get("vetoes", {})
    if not indicators and not vetoes:
        return  # a rule set without scoring sections (e.g. a checks-only fixture): nothing to cross-check
    known = list(indicators) + list(vetoes)
    for rule_id, meta in data.get("rules", {}).items():
        indicator = meta.get("indicator")
        if indicator is not None and indicator not in indicators and indicator not in vetoes:
            near = difflib.get_close_matches(str(indicator), known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known: {', '.join(known)}"
            fail(["rules", rule_id, "indicator"], f"unknown indicator {indicator!r}{hint}")
        veto = meta.get("veto")
        if veto is not None and veto not in vetoes:
            near = difflib.get_close_matches(str(veto), list(vetoes), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known: {', '.join(vetoes)}"
            fail(["rules", rule_id, "veto"], f"unknown veto {veto!r}{hint}")
        if meta.get("severity") == "veto" and veto is None and indicator not in vetoes:
            fail(["rules", rule_id], "has severity veto but names no veto (set veto: <one of the vetoes>)")
    for item_id, meta in indicators.items():
        for rule_id in (meta.get("rule_points") or {}):
            if rule_id not in data.get("rules", {}):
                fail(["indicators", item_id, "rule_points", rule_id], "names a rule the rule set does not describe")


def _plugin_defaults() -> dict[str, Any]:
    """The base layer under every rule set: each installed plugin's rules (title, help, message, default
    severity) and parameter defaults (under ``params.<plugin id>``).  A rule set states scoring and overrides."""
    from govaudit import checks

    rules: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for plugin in checks.plugins():
        for rule_id, meta in plugin.rules.items():
            rules[rule_id] = {"title": dict(meta.title), "help": dict(meta.help), "severity": meta.severity}
            if meta.message:
                rules[rule_id]["message"] = dict(meta.message)
        if plugin.params:
            params[plugin.id] = copy.deepcopy(dict(plugin.params))
    return {"rules": rules, "params": params}


def _check_plugins(path: Path, data: dict[str, Any], node: yaml.Node | None) -> None:
    """Every rule id a rule set names must be one an installed plugin emits, and every ``checks:`` key an
    installed plugin: a typo (``links.deaad``) or a missing provincial package would otherwise silently
    change nothing.  The error names the file, line and key, with the nearest real id."""
    from govaudit import checks

    settings = data.get("checks", {})
    if not isinstance(settings, dict):
        raise RuleSetError(f"{path}:{_line_of(node, ['checks'])}: checks: must be a mapping of check id to its settings")
    known = [p.id for p in checks.plugins()]
    for check_id, value in settings.items():
        where = f"{path}:{_line_of(node, ['checks', str(check_id)])}: checks.{check_id}"
        if check_id not in known:
            near = difflib.get_close_matches(str(check_id), known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; installed checks: {', '.join(known)}"
            raise RuleSetError(f"{where}: no such check plugin is installed{hint}")
        if not isinstance(value, dict) or not isinstance(value.get("enabled", True), bool):
            raise RuleSetError(f"{where}: must be a mapping with enabled: true or false")
    rules = data.get("rules") or {}
    if isinstance(rules, dict):
        for rule_id in rules:
            if checks.plugin_of(str(rule_id)) is None:
                raise RuleSetError(f"{path}:{_line_of(node, ['rules', str(rule_id)])}: rules.{rule_id}: unknown check rule "
                                   f"(no installed check plugin emits it){checks.emitted_hint(str(rule_id))}")


def load_ruleset(name_or_path: str | Path = DEFAULT_RULESET) -> RuleSet:
    """Load, merge along ``inherits:``, and validate a rule set."""
    chain: list[tuple[Path, dict[str, Any], yaml.Node | None]] = []
    seen: set[Path] = set()
    target: str | Path | None = name_or_path
    while target is not None:
        path = resolve(target).resolve()
        if path in seen:
            raise RuleSetError(f"{path}: inherits from itself (cycle through {', '.join(str(p) for p in seen)})")
        seen.add(path)
        data, node = _read(path)
        chain.append((path, data, node))
        parent = data.get("inherits")
        if parent is not None and not isinstance(parent, str):
            raise RuleSetError(f"{path}:{_line_of(node, ['inherits'])}: inherits: must be a rule set id or path")
        if parent and not (RULES_DIR / f"{parent}.yaml").is_file():
            candidate = (path.parent / parent)
            parent = str(candidate) if candidate.exists() else parent
        target = parent
    merged = _plugin_defaults()
    for path, data, node in reversed(chain):
        _check_plugins(path, data, node)
        merged = _merge(merged, {k: v for k, v in data.items() if k != "inherits"})
    sources = [(p, n) for p, _, n in chain]
    _validate(merged, sources)
    return RuleSet(merged, sources)
