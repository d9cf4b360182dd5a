"""Shared fixtures: generated government sites served on 127.0.0.1, and the CLI run as a real process.

Scans run in a child process because Twisted's reactor starts once per process, exactly as a user runs
``govaudit``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest

AS_OF = date(2026, 11, 20)


def run_cli(*args: str, timeout: float = 240, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true"}
    proc = subprocess.run([sys.executable, "-m", "govaudit.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"govaudit {' '.join(args)} exited {proc.returncode}\n{proc.stderr[-4000:]}")
    return proc


def read_findings(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines() if line]


# Rules whose verdict is the clock's: a response over the time limit is one on a loaded machine and not on an idle
# one, so two scans of the same site may differ there whatever the code does.  Scans compared for equality leave
# them out (and nothing else).
CLOCK_JUDGED = frozenset({"speed.slow_response"})


def clock_free(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["rule"] not in CLOCK_JUDGED]


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The demo county site (hostile mode), generated once and served for the whole session."""
    from govaudit.demo.server import DemoServer
    from govaudit.demo.sitegen import generate_site

    root = tmp_path_factory.mktemp("demo") / "site"
    manifest = generate_site(root, as_of=AS_OF)
    with DemoServer(root, manifest, stall_seconds=6) as server:
        yield server, manifest


@pytest.fixture(scope="session")
def demo_scan(demo_site, tmp_path_factory):
    """One full scan of the demo site, shared by the tests that only read its results."""
    server, manifest = demo_site
    out = tmp_path_factory.mktemp("demo-scan")
    # The browser stage is left to the accessibility tests: its page loads would blur the crawler's request counts.
    # The server is shared by the session's other scans: keep the requests of this one (beside its outputs).
    before = dict(server.hits)
    run_cli("scan", server.base_url + "/", "--out", str(out), "--as-of", AS_OF.isoformat(), "--timeout", "2",
            "--a11y", "off")
    hits = {path: n - before.get(path, 0) for path, n in server.hits.items() if n > before.get(path, 0)}
    (out.parent / f"{out.name}-server-hits.json").write_text(json.dumps(hits), encoding="utf-8")
    return out, read_findings(out)


@pytest.fixture(scope="module")
def chrome():
    """A browser as a person opens a report with (tests load the written HTML in it)."""
    from govaudit.crawler.browser.pool import plain_driver

    profile = tempfile.mkdtemp(prefix="govaudit-test-browser-")
    driver = plain_driver(profile)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _pg_bin() -> Path | None:
    """Debian's PostgreSQL server programs (``postgresql`` package): /usr/lib/postgresql/<version>/bin."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
                   if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL server on 127.0.0.1 (free port, throwaway data directory) for the session.

    Yields a function ``new_db() -> URL`` making a fresh empty database each call.  As root, initdb and the
    server run as the ``postgres`` user (PostgreSQL refuses root).  Skipped when PostgreSQL is not installed,
    except under CI=true, where a missing server is a failure (bin/setup installs it)."""
    import socket
    import uuid

    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/pg_ctl); run bin/setup")
        pytest.skip("PostgreSQL is not installed (Debian package postgresql; bin/setup installs it)")
    work = Path(tempfile.mkdtemp(prefix="govaudit-pg-"))
    data, sock = work / "data", work / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
        shutil.chown(sock, "postgres")
        work.chmod(0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    password = "govaudit-test"
    pwfile = work / "pw"
    pwfile.write_text(password + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres")
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "govaudit", "--auth=scram-sha-256",
                    f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(work / "log"), "-w", "start", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c max_connections=100"],
                   check=True, capture_output=True)
    base = f"postgresql://govaudit:{password}@127.0.0.1:{port}"
    try:
        import psycopg

        def new_db() -> str:
            name = "t" + uuid.uuid4().hex[:12]
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return f"{base}/{name}"

        new_db.port = port  # type: ignore[attr-defined]
        new_db.password = password  # type: ignore[attr-defined]
        yield new_db
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
