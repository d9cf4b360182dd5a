"""The built wheel is the product a pip user gets: it must carry every package, its data and axe-core, install
under one ``govaudit`` namespace, and scan (accessibility audits included) from outside any checkout.

The virtualenv sees the machine's site-packages for the third-party dependencies (downloading Scrapy and
friends again would only test PyPI), so each test asserts that govaudit itself is imported from the venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import AS_OF, read_findings

REPO = Path(__file__).resolve().parent.parent
# The repository's folders and the package each installs as (pyproject.toml [tool.setuptools.package-dir]).
FOLDERS = {"govaudit": "govaudit", "crawler": "govaudit/crawler", "checks": "govaudit/checks",
           "reports": "govaudit/reports", "rules": "govaudit/rules"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
                    "-w", str(out), str(REPO)], check=True, capture_output=True, text=True, timeout=600)
    (whl,) = out.glob("govaudit-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root)], check=True, timeout=300)
    subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    "--disable-pip-version-check", str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    return root


def tree_packages() -> set[str]:
    """Every package of the repository, by the name it must have in the wheel."""
    found = set()
    for folder, target in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            found.add(str(Path(target, init.parent.relative_to(REPO / folder))).rstrip("/."))
    return found


def test_wheel_has_one_namespace_every_package_and_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"govaudit", next(t for t in tops if t.endswith(".dist-info"))}, tops
    packages = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    assert tree_packages() <= packages, tree_packages() - packages
    for data in ("govaudit/rules/gov-2019.yaml", "govaudit/reports/templates/report.html.j2",
                 "govaudit/rules/dictionaries/starter.txt", "govaudit/rules/dictionaries/offsite/starter.txt",
                 "govaudit/crawler/browser/vendor/axe-core/axe.min.js",
                 "govaudit/crawler/browser/vendor/axe-core/LICENSE"):
        assert data in names, data
    pinned = json.loads((REPO / "package-lock.json").read_text())["packages"]["node_modules/axe-core"]["version"]
    shipped = json.loads(zipfile.ZipFile(wheel).read("govaudit/crawler/browser/vendor/axe-core/package.json"))
    assert shipped["version"] == pinned
    assert "Mozilla Public License" in zipfile.ZipFile(wheel).read(
        "govaudit/crawler/browser/vendor/axe-core/LICENSE").decode()


def run_installed(venv: Path, cwd: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GOVAUDIT_AXE_JS")}
    env["CI"] = "true"
    return subprocess.run([str(venv / "bin" / "govaudit"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_installed_wheel_imports_from_the_venv(venv, tmp_path):
    code = ("import govaudit, govaudit.crawler.spiders.site, govaudit.checks, govaudit.reports, govaudit.ruleset as r\n"
            "from govaudit.crawler.browser.axe import axe_path\n"
            "print(govaudit.__file__); print(govaudit.crawler.spiders.site.__file__); print(axe_path()); "
            "print(r.RULES_DIR)")
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "GOVAUDIT_AXE_JS"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.split():
        assert Path(line).resolve().is_relative_to(venv.resolve()), line


def test_installed_wheel_runs_the_demo_and_an_accessibility_scan_outside_the_checkout(venv, demo_site, tmp_path):
    demo = run_installed(venv, tmp_path, "demo", "--out", "demo-out", "--as-of", AS_OF.isoformat(), "--a11y", "off")
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "planted dead links found" in demo.stderr
    assert {"findings.jsonl", "summary.json", "report.html", "report.xlsx"} <= {
        p.name for p in (tmp_path / "demo-out").iterdir()}

    server, _ = demo_site
    scan = run_installed(venv, tmp_path, "scan", server.base_url + "/", "--out", "scan-out", "--as-of",
                         AS_OF.isoformat(), "--timeout", "2", "--max-pages", "40", "--a11y", "sample")
    assert scan.returncode in (0, 2), scan.stderr[-3000:]
    # Findings that only the browser stage can make: axe-core, shipped in the wheel, ran in Chromium.
    by_axe = [f for f in read_findings(tmp_path / "scan-out") if "axe" in f.get("evidence", {}).get("sources", [])]
    assert by_axe, scan.stderr[-3000:]


def test_doctor_names_what_each_stage_needs_and_the_fix(venv, tmp_path):
    ok = run_installed(venv, tmp_path, "doctor", "--json", timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    found = {p["component"]: p for p in json.loads(ok.stdout)}
    assert {"scrapy", "chromium", "chromedriver", "axe-core", "rule set gov-2019"} <= set(found)
    assert str(venv.resolve()) in found["axe-core"]["detail"]  # the copy shipped in the wheel

    env = {**os.environ, "CI": "true", "GOVAUDIT_CHROMEDRIVER": str(tmp_path / "no-chromedriver")}
    broken = subprocess.run([str(venv / "bin" / "govaudit"), "doctor", "--json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1
    driver = next(p for p in json.loads(broken.stdout) if p["component"] == "chromedriver")
    assert not driver["ok"] and "chromium-driver" in driver["fix"]
