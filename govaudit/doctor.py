"""What each stage of a scan needs, whether this machine has it, and what to run when it does not.

One list of probes serves ``govaudit doctor`` (a person asking "why does my scan not audit accessibility?")
and any caller that must know before a crawl starts whether a stage can run. A probe never installs or
changes anything; it reports the version it found and, when something is missing, the command that fixes it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata

STAGES = ("crawl", "browser", "reports")

@dataclass(frozen=True)
class Probe:
    """One component a stage needs: found or not, with the version seen and the fix when missing."""

    stage: str
    component: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True  # False: the stage runs without it, only worse (e.g. CJK fonts in screenshots)


def _distribution(stage: str, name: str) -> Probe:
    try:
        return Probe(stage, name, True, metadata.version(name))
    except metadata.PackageNotFoundError:
        return Probe(stage, name, False, "not installed", f"pip install govaudit (or pip install {name})")


def browser_probes() -> list[Probe]:
    """Chromium, ChromeDriver (Debian's, never downloaded), the shipped axe-core, CJK fonts."""
    from govaudit.crawler.browser.axe import AXE_ENV, AxeNotInstalled, axe_path, axe_version
    from govaudit.preflight import binary_version, browser_binaries

    probes = []
    for path, name, env, package in browser_binaries():
        problem, version = binary_version(path, name, env, package, timeout=10)
        probes.append(Probe("browser", name.lower(), problem is None, problem or f"{version} ({path})",
                            f"apt-get install {package} (or set {env})" if problem else ""))
    try:
        probes.append(Probe("browser", "axe-core", True, f"{axe_version()} ({axe_path()})"))
    except AxeNotInstalled as exc:
        probes.append(Probe("browser", "axe-core", False, str(exc),
                            f"reinstall govaudit (the wheel ships axe-core), or set {AXE_ENV}"))
    fonts = ""
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20).stdout
        fonts = listed.strip().splitlines()[0] if listed.strip() else ""
    probes.append(Probe("browser", "CJK fonts", bool(fonts), fonts or "none found (Chinese renders as boxes in "
                        "screenshots)", "" if fonts else "apt-get install fonts-wqy-microhei", required=False))
    return probes


def probes(stages: tuple[str, ...] = STAGES) -> list[Probe]:
    out: list[Probe] = []
    if "crawl" in stages:
        out += [_distribution("crawl", n) for n in ("scrapy", "lxml", "htmldate", "charset-normalizer", "PyYAML",
                                                    "pyahocorasick")]
        from govaudit.dictionary import ENV, load_all
        words = load_all()
        out.append(Probe("crawl", "serious-error dictionaries", not words.errors,
                         f"{len(words.entries)} entries in {len(words.files)} files"
                         + (f"; {len(words.errors)} bad lines, first: {words.errors[0]}" if words.errors else ""),
                         f"fix the lines named (format: rules/dictionaries/README.md; extra files: {ENV})", required=False))
        from govaudit.ruleset import RULES_DIR, RuleSetError, load_ruleset
        for path in sorted(RULES_DIR.glob("*.yaml")):
            try:
                rules = load_ruleset(path)
                out.append(Probe("crawl", f"rule set {path.stem}", True, f"{rules.id} {rules.version}"))
            except RuleSetError as exc:
                out.append(Probe("crawl", f"rule set {path.stem}", False, str(exc), "reinstall govaudit"))
    if "browser" in stages:
        out += [_distribution("browser", "selenium"), *browser_probes()]
    if "reports" in stages:
        out += [_distribution("reports", n) for n in ("Jinja2", "XlsxWriter")]
    return out
