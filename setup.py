"""Build step that no declarative setting covers: axe-core travels inside the package.

axe-core is never committed (design.md "Real components"). At build time the pinned version in
package-lock.json is fetched as its npm tarball (``npm pack``, through npm's own registry configuration),
its sha512 is checked against the lockfile's ``integrity`` field, and ``axe.min.js`` with its licence is
written as package data of ``govaudit.crawler.browser``. An editable install writes the same files into the
source tree (git-ignored), so a checkout and a wheel find axe-core the same way.

``GOVAUDIT_AXE_TARBALL=/path/axe-core-X.Y.Z.tgz`` builds from a tarball already on disk (still hash-checked).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
VENDOR = Path("crawler", "browser", "vendor", "axe-core")  # relative to the source tree
FILES = {"package/axe.min.js": "axe.min.js", "package/LICENSE": "LICENSE", "package/package.json": "package.json"}


def _pinned() -> tuple[str, str]:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    entry = lock["packages"]["node_modules/axe-core"]
    return entry["version"], entry["integrity"]


def _tarball(version: str) -> bytes:
    local = os.environ.get("GOVAUDIT_AXE_TARBALL")
    if local:
        return Path(local).read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out = subprocess.run(["npm", "pack", f"axe-core@{version}", "--pack-destination", tmp, "--silent"],
                                 check=True, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SystemExit(f"govaudit build: cannot fetch axe-core {version} with `npm pack` ({exc}); install npm "
                             "(Debian: apt-get install npm) or set GOVAUDIT_AXE_TARBALL to the .tgz") from exc
        return (Path(tmp) / out.stdout.strip().splitlines()[-1]).read_bytes()


def _has_axe(folder: Path, version: str) -> bool:
    return (folder / "package.json").is_file() and json.loads((folder / "package.json").read_text())["version"] == version


def vendor_axe(dest: Path) -> None:
    version, integrity = _pinned()
    if _has_axe(dest, version):
        return
    source = ROOT / VENDOR
    if dest.resolve() != source.resolve() and _has_axe(source, version):
        # The checkout's copy, hash-checked when it was written: builds from a checkout (scrapyd-deploy's egg,
        # a wheel) need no second download.
        dest.mkdir(parents=True, exist_ok=True)
        for name in FILES.values():
            (dest / name).write_bytes((source / name).read_bytes())
        return
    data = _tarball(version)
    algo, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"govaudit build: axe-core {version} tarball does not match package-lock.json "
                         f"({algo} {actual} != {expected})")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, name in FILES.items():
            fh = tar.extractfile(member)
            if fh is None:
                raise SystemExit(f"govaudit build: {member} missing from the axe-core {version} tarball")
            (dest / name).write_bytes(fh.read())


class BuildPyWithAxe(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            vendor_axe(ROOT / VENDOR)
        else:
            vendor_axe(Path(self.build_lib, "govaudit", *VENDOR.parts))


setup(cmdclass={"build_py": BuildPyWithAxe})
