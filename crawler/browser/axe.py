"""Locating and running axe-core (Deque's accessibility engine) in a page.

axe-core comes from the npm package pinned in the repo's ``package.json`` (``npm ci`` puts it in
``node_modules/``); the Python wrappers on PyPI bundle years-old copies on Python 3.11 (shared/design.md).
It is injected with ``execute_script`` after the page has loaded and run with options passed as JSON,
never as a Python repr.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_ENV = "GOVAUDIT_AXE_JS"


class AxeNotInstalled(RuntimeError):
    """axe.min.js cannot be found: the message says how to install it."""


def axe_path() -> Path:
    """``$GOVAUDIT_AXE_JS`` if set, else ``node_modules/axe-core/axe.min.js`` under the repo root."""
    env = os.environ.get(AXE_ENV)
    path = Path(env) if env else REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        where = f"${AXE_ENV} points to {path}, which" if env else f"{path}"
        raise AxeNotInstalled(f"axe-core not found: {where} does not exist. Run `npm ci` in {REPO_ROOT} "
                              f"(installs the pinned axe-core from package-lock.json), or set {AXE_ENV} to an axe.min.js.")
    return path


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
