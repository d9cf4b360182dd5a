"""Everything the chosen stages need, checked before the first request.

A missing axe-core used to show only after the whole site was crawled.  ``preflight`` looks at what the
requested stages will use — a writable output folder and store, and for the browser stage axe-core,
Chromium and ChromeDriver that exist and run — and raises one ``PreflightError`` naming every missing
piece with its fix.  The rule set is loaded by the caller before this runs (its errors name file, line
and key).  ``--a11y off`` is suggested when the browser stage is what fails, never applied silently.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from govaudit.errors import UserError
from govaudit.ruleset import RuleSet

if TYPE_CHECKING:
    from govaudit.pipeline import ScanRequest


class PreflightError(UserError):
    """Something a requested stage needs is missing; the message says how to fix each item."""


def browser_binaries() -> list[tuple[str, str, str, str]]:
    """(path, name, environment variable that overrides the path, Debian package) of each browser binary."""
    from govaudit.crawler.browser import pool

    return [(pool.CHROMIUM, "Chromium", "GOVAUDIT_CHROMIUM", "chromium"),
            (pool.CHROMEDRIVER, "ChromeDriver", "GOVAUDIT_CHROMEDRIVER", "chromium-driver")]


def binary_version(binary: str, what: str, env: str, package: str, timeout: float) -> tuple[str | None, str]:
    """(None, the version line) if ``binary --version`` answers; else (what is wrong and how to fix it, "")."""
    fix = f"install Debian's {package} (apt-get install {package}) or set {env} to the {what} binary"
    if not Path(binary).is_file():
        return f"{what} not found at {binary}: {fix}", ""
    try:
        proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{what} at {binary} did not answer `--version` within {timeout:g} s: {fix}", ""
    except OSError as exc:
        return f"{what} at {binary} cannot be run ({exc.strerror or exc}): {fix}", ""
    said = (proc.stdout or proc.stderr).strip().splitlines()[:1]
    if proc.returncode != 0:
        return f"{what} at {binary} failed `--version` (exit {proc.returncode}{': ' + said[0] if said else ''}): {fix}", ""
    return None, said[0] if said else "?"


def browser_problems(rules: RuleSet) -> list[str]:
    """What keeps the accessibility stage (axe-core in headless Chromium) from running here."""
    from govaudit.crawler.browser import AxeNotInstalled, axe_path

    problems = []
    try:
        axe_path()
    except AxeNotInstalled as exc:
        problems.append(str(exc))
    timeout = float(rules.param("a11y.browser.preflight_timeout_seconds"))
    for binary in browser_binaries():
        problem, _ = binary_version(*binary, timeout)
        if problem:
            problems.append(problem)
    return problems


def output_problems(out: Path, store: Path | str) -> list[str]:
    """An output folder that cannot be written, or a store that cannot be opened."""
    from govaudit.reports import ReportError, check_writable
    from govaudit.store import Store, StoreError, redacted

    problems = []
    try:
        check_writable(out)
    except ReportError as exc:
        problems.append(str(exc))
    try:
        if isinstance(store, Path):
            store.parent.mkdir(parents=True, exist_ok=True)
        with Store(store):
            pass
    except (StoreError, OSError) as exc:
        problems.append(f"scan store {redacted(store)}: {getattr(exc, 'strerror', None) or exc}")
    return problems


def preflight(req: ScanRequest, rules: RuleSet) -> None:
    """Raise ``PreflightError`` if a stage ``req`` asks for could not run; returns quietly otherwise."""
    problems = output_problems(req.out, req.store_path)
    browser = browser_problems(rules) if req.a11y != "off" else []
    if not problems and not browser:
        return
    lines = [*problems, *browser]
    hint = ("\n  the accessibility audits need these; to scan without them, pass --a11y off "
            "(static accessibility checks still run on every page)") if browser else ""
    raise PreflightError("cannot start the scan:\n  " + "\n  ".join(lines) + hint)
