"""Layers point one way (issue 10, item 4): crawl → store → checks → score → report.

A check reads stored facts and never the crawler's or the browser's code (what both need lives in the core,
``govaudit.readings``); the crawler never imports the scan pipeline, the checks, the reports or the CLI; the
reports never import the CLI or the crawler.  Read from the source's import statements, so a new import that
crosses a layer fails here, whoever adds it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"crawler": "govaudit.crawler", "checks": "govaudit.checks", "reports": "govaudit.reports"}
FORBIDDEN = {
    "checks": ("govaudit.crawler", "govaudit.reports", "govaudit.pipeline", "govaudit.cli", "govaudit.commands"),
    "crawler": ("govaudit.checks", "govaudit.reports", "govaudit.pipeline", "govaudit.cli", "govaudit.commands"),
    "reports": ("govaudit.crawler", "govaudit.cli", "govaudit.commands", "govaudit.pipeline"),
}


def imports(path: Path) -> set[str]:
    """Every module a file imports, by absolute name (relative imports are resolved against its package)."""
    package = FOLDERS[path.relative_to(ROOT).parts[0]] + "".join("." + p for p in path.relative_to(ROOT).parts[1:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def crossings(folder: str) -> list[str]:
    return sorted(f"{path.relative_to(ROOT)} imports {name}" for path in (ROOT / folder).rglob("*.py")
                  for name in imports(path) if name.startswith(FORBIDDEN[folder]))


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_crosses_a_layer(folder: str) -> None:
    assert crossings(folder) == []


def test_the_reader_sees_a_crossing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above would pass on a reader that found nothing: show it finds both spellings of an import."""
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "bad.py").write_text("import govaudit.crawler.analysis\nfrom ..crawler import browser\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert crossings("checks") == ["checks/bad.py imports govaudit.crawler", "checks/bad.py imports govaudit.crawler.analysis",
                                   "checks/bad.py imports govaudit.crawler.browser"]
