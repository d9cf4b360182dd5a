"""Locating and running axe-core (Deque's accessibility engine) in a page.

axe-core is the npm package pinned in ``package-lock.json``; the build (``setup.py``) fetches it, checks its
integrity hash and ships ``axe.min.js`` with its licence as package data under ``vendor/axe-core/`` (an
editable install writes the same files into the checkout). The Python wrappers on PyPI bundle years-old
copies on Python 3.11 (shared/design.md).
It is injected with ``execute_script`` after the page has loaded and run with options passed as JSON,
never as a Python repr.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

VENDORED = Path(__file__).resolve().parent / "vendor" / "axe-core"
AXE_ENV = "GOVAUDIT_AXE_JS"


class AxeNotInstalled(RuntimeError):
    """axe.min.js cannot be found: the message says how to install it."""


def axe_path() -> Path:
    """``$GOVAUDIT_AXE_JS`` if set (another axe-core build), else the copy shipped with the package."""
    env = os.environ.get(AXE_ENV)
    path = Path(env) if env else VENDORED / "axe.min.js"
    if not path.is_file():
        where = f"${AXE_ENV} points to {path}, which" if env else f"{path}"
        raise AxeNotInstalled(f"axe-core not found: {where} does not exist. Reinstall govaudit (the build ships the "
                              f"pinned axe-core: `pip install .`, or `bin/setup` in a checkout), or set {AXE_ENV} "
                              "to an axe.min.js.")
    return path


def axe_version() -> str | None:
    """The version of the axe-core that audits will inject (None when it is not installed)."""
    try:
        path = axe_path()
    except AxeNotInstalled:
        return None
    meta = path.parent / "package.json"
    if meta.is_file():
        return str(json.loads(meta.read_text(encoding="utf-8")).get("version"))
    found = re.search(rb"axe v([0-9][0-9.]*)", path.read_bytes()[:400])
    return found.group(1).decode() if found else "unknown"


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def axe_source() -> str:
    path = axe_path()
    return _read(str(path), path.stat().st_mtime)


def axe_options(tags: list[str], enable: list[str]) -> str:
    """The ``axe.run`` options as JSON.

    ``tags`` selects the WCAG levels the rule set audits; ``enable`` switches on rules axe ships disabled
    (``duplicate-id``: WCAG 2.0/2.1 SC 4.1.1, which GB/T 37668 still follows, is deprecated in axe since
    WCAG 2.2 dropped it).  Frames are not followed: cross-origin frames cannot be injected, and axe would
    wait for an answer from each of them.
    """
    opts: dict[str, Any] = {
        "runOnly": {"type": "tag", "values": list(tags)},  # ``rules`` below adds to this selection
        "rules": {rule: {"enabled": True} for rule in enable},
        "resultTypes": ["violations", "incomplete"],
        "iframes": False,
        "elementRef": False,
    }
    return json.dumps(opts)


# Runs in the page.  Results are trimmed in the page so a huge DOM does not ship megabytes through WebDriver.
RUN_JS = r"""
var done = arguments[arguments.length - 1];
var opts = JSON.parse(arguments[0]), maxNodes = arguments[1], maxHtml = arguments[2];
if (!window.axe || !window.axe.run) { done({error: 'axe-core is not present in the page after injection'}); return; }
function node(n) {
  return {target: n.target, html: String(n.html || '').slice(0, maxHtml),
          failureSummary: String(n.failureSummary || '').slice(0, 1000), impact: n.impact};
}
function rule(r) {
  return {id: r.id, impact: r.impact, tags: r.tags, help: r.help, helpUrl: r.helpUrl,
          description: r.description, count: r.nodes.length, nodes: r.nodes.slice(0, maxNodes).map(node)};
}
try {
  window.axe.run(document, opts).then(function (r) {
    done({url: r.url, version: r.testEngine.version, violations: r.violations.map(rule),
          incomplete: r.incomplete.map(rule),
          ran: r.passes.concat(r.inapplicable).map(function (x) { return x.id; })});
  }, function (e) { done({error: String((e && e.message) || e)}); });
} catch (e) { done({error: String((e && e.message) || e)}); }
"""
