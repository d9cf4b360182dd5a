"""Rule sets: the inspection indicators as data an inspector can read and a province can override.

A rule set is a YAML file under ``rules/`` (or anywhere, by path).  It may ``inherits:`` another one and
then states only what differs; mappings merge key by key, everything else is replaced.  Every value that
the domain reference marks [R], [I] or NF lives here, commented, never in code.

Errors name the file, the line and the key at fault, because the person fixing a provincial rule set is
an inspector with a text editor, not a developer with a debugger.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from govaudit.model import SEVERITIES

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
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
        path = dotted.split(".")
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
        """Metadata of a finding rule (title, severity, indicator, help), as the rule set states it."""
        rules = self.data.get("rules", {})
        if rule_id not in rules:
            raise RuleSetError(f"{self.where('rules')}: rule set {self.id} does not describe rule {rule_id!r}")
        return rules[rule_id]

    def severity(self, rule_id: str) -> str:
        return str(self.rule(rule_id)["severity"])

    def enabled(self, rule_id: str) -> bool:
        return bool(self.data.get("rules", {}).get(rule_id, {}).get("enabled", True))


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
        known = ", ".join(sorted(p.stem for p in RULES_DIR.glob("*.yaml")))
        raise RuleSetError(f"unknown rule set {name_or_path!r}; built-in ones: {known}")
    return builtin


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
    merged: dict[str, Any] = {}
    for _, data, _ in reversed(chain):
        merged = _merge(merged, {k: v for k, v in data.items() if k != "inherits"})
    sources = [(p, n) for p, _, n in chain]
    _validate(merged, sources)
    return RuleSet(merged, sources)
