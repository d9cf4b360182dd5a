"""A batch of sites (``govaudit batch sites.csv --out DIR``): every site of a province's list scanned, then one summary.

Each site is an ordinary ``govaudit scan`` in its own child process, for three reasons: Twisted's reactor runs
once per process (so scans cannot share one), a site that crashes its scan (or the interpreter) takes nothing
else down, and each scan keeps its own per-host politeness exactly as when it runs alone.  The batch only
decides which sites run (at most ``jobs`` at a time, never two of one host at once, so a host's pace is still
the one a single scan keeps), forwards SIGINT/SIGTERM to them, and records their states.

Its state lives in its output folder, not in the scan store (whose schema the history work owns):
``DIR/batch.json`` is the manifest (each site's state, exit code, error, times; the scan options; the bad
rows of the list), ``DIR/sites/<slug>/`` holds each site's store and reports.  Re-running the same command on
the same DIR resumes: finished sites are not scanned again, interrupted ones continue with ``--resume`` from
their store, failed ones are retried only with ``--retry-failed``.  A batch killed outright (SIGKILL) leaves
its children a SIGTERM (``PR_SET_PDEATHSIG``), so they stop cleanly and resume like any interrupted scan.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from govaudit.errors import UserError
from govaudit.sites import BadRow, Site, read_sites

MANIFEST = "batch.json"
SITES_DIR = "sites"
LOG_NAME = "scan.log"
FORMAT = 1
STATES = ("pending", "running", "done", "failed", "interrupted")
POLL_SECONDS = 0.2
GONE_WAIT_SECONDS = 60    # a resumed batch waits this long for a killed batch's scan of a site to finish stopping


@dataclass
class SiteState:
    """One site of the batch, as the manifest records it: the site list's entry and how its scan went."""

    site: Site
    slug: str
    state: str = "pending"
    exit_code: int | None = None
    error: str = ""
    started: float | None = None
    finished: float | None = None
    runs: int = 0
    pid: int | None = None

    @classmethod
    def of(cls, site: Site) -> SiteState:
        return cls(site=site, slug=slug(site.url))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteState:
        """A manifest's entry: the site's columns and the run's, side by side in one object (``to_json``)."""
        listed = {f.name for f in fields(Site)}
        return cls(site=Site(**{k: v for k, v in data.items() if k in listed}),
                   **{k: v for k, v in data.items() if k not in listed})

    def to_json(self) -> dict[str, Any]:
        run = asdict(self)
        del run["site"]
        return {**asdict(self.site), **run}

    @property
    def url(self) -> str:
        return self.site.url

    @property
    def host(self) -> tuple[str, int | None]:
        parts = urlsplit(self.url)
        return (parts.hostname or "", parts.port)

    def elapsed(self, now: float | None = None) -> float | None:
        if self.started is None:
            return None
        end = self.finished if self.finished is not None and self.state != "running" else (now or time.time())
        return max(0.0, end - self.started)


@dataclass
class BatchRequest:
    """What one batch is asked to do; ``scan_args`` are ``govaudit scan`` options given to every site's scan."""

    sites_file: Path
    out: Path
    scan_args: list[str] = field(default_factory=list)
    jobs: int = 4
    lang: str = "zh"
    retry_failed: bool = False
    display: str = "auto"     # auto | live | lines | off


@dataclass
class BatchOutcome:
    out: Path
    sites: list[SiteState]
    bad_rows: list[BadRow]
    interrupted: int | None = None   # the signal that stopped the batch

    @property
    def counts(self) -> Counter[str]:
        return Counter(s.state for s in self.sites)

    @property
    def exit_code(self) -> int:
        """128 + signal when stopped; 1 when any site failed (a schedule must see it); else 0."""
        if self.interrupted is not None:
            return 128 + self.interrupted
        return 1 if self.counts["failed"] else 0


def slug(url: str) -> str:
    """A folder name for a site: readable (host, port, path) and unique (a hash of the whole URL)."""
    parts = urlsplit(url)
    readable = "-".join(p for p in (parts.hostname or "", str(parts.port or ""), parts.path.strip("/")) if p)
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", readable)[:60].strip("._-") or "site"
    return f"{readable}-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:8]}"


def site_dir(out: Path, state: SiteState) -> Path:
    return out / SITES_DIR / state.slug


# ---- the manifest ----------------------------------------------------------------------------------------

def _write_json(path: Path, data: Any) -> None:
    """Temp file and rename: a batch killed while writing keeps the previous manifest whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


class Manifest:
    """``DIR/batch.json``: the batch's sites and their states, the options every scan runs with."""

    def __init__(self, out: Path, sites: list[SiteState], bad_rows: list[BadRow], scan_args: list[str], as_of: str,
                 sites_file: str, created: str) -> None:
        self.out, self.sites, self.bad_rows = out, sites, bad_rows
        self.scan_args, self.as_of, self.sites_file, self.created = scan_args, as_of, sites_file, created
        self.runs: list[dict[str, Any]] = []

    @property
    def path(self) -> Path:
        return self.out / MANIFEST

    def save(self) -> None:
        _write_json(self.path, {
            "format": FORMAT, "sites_file": self.sites_file, "created": self.created, "as_of": self.as_of,
            "scan_args": self.scan_args, "runs": self.runs,
            "bad_rows": [{"line": b.line, "reason": b.reason, "lines": list(b.lines)} for b in self.bad_rows],
            "sites": [s.to_json() for s in self.sites]})

    @classmethod
    def open(cls, req: BatchRequest) -> Manifest:
        """A new batch for DIR, or the one already there (resumed), brought up to date with the site list."""
        listed, bad = read_sites(req.sites_file)
        if not listed:
            raise UserError(f"{req.sites_file}: no usable site in the list"
                            + "".join(f"\n  {b}" for b in bad[:20]))
        out = Path(req.out)
        given = list(req.scan_args)
        path = out / MANIFEST
        if not path.exists():
            as_of = _given_as_of(given) or date.today().isoformat()
            manifest = cls(out, [SiteState.of(s) for s in listed], bad, given, as_of, str(req.sites_file),
                           _now_iso())
            return manifest
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            old = {s["slug"]: SiteState.from_json(s) for s in data["sites"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{path}: not a readable batch manifest ({exc}); use another --out") from exc
        if data.get("scan_args") != given:
            raise UserError(f"{out} holds a batch run with other scan options ({' '.join(data.get('scan_args') or [])!r}); "
                            "re-run with the same options to resume it, or use another --out")
        sites = []
        for site in listed:
            state = old.get(slug(site.url)) or SiteState.of(site)
            state.site = site   # the list's current name, region, … ; the run's state from the manifest
            sites.append(state)
        manifest = cls(out, sites, bad, given, str(data["as_of"]), str(req.sites_file), str(data.get("created")))
        manifest.runs = list(data.get("runs") or [])
        return manifest


def _given_as_of(args: list[str]) -> str | None:
    for n, arg in enumerate(args):
        if arg == "--as-of" and n + 1 < len(args):
            return args[n + 1]
        if arg.startswith("--as-of="):
            return arg.split("=", 1)[1]
    return None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---- running the scans -----------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM this scan when the batch dies (even by SIGKILL): it then stops as an interrupted scan."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def scan_command(manifest: Manifest, state: SiteState) -> list[str]:
    """The ``govaudit scan`` a site runs: always ``--resume`` (a new scan when its store has no unfinished one)."""
    args = list(manifest.scan_args)
    extra = ["--as-of", manifest.as_of] if _given_as_of(args) is None else []
    # The batch's parallelism is its sites: a scan does not add page-parsing worker processes of its own.
    extra += [] if any(a == "--workers" or a.startswith("--workers=") for a in args) else ["--workers", "0"]
    return [sys.executable, "-m", "govaudit.cli", "scan", state.url, "--out", str(site_dir(manifest.out, state)),
            "--quiet", "--resume", *extra, *args]


def _last_line(log: Path) -> str:
    try:
        with open(log, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - 4096))
            lines = [ln.strip() for ln in fh.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].removeprefix("govaudit: error: ")[:300] if lines else ""


def option_values(args: list[str], option: str) -> list[str]:
    """The values given to ``option`` in a list of scan arguments (``--store URL``: the word after it)."""
    return [b for a, b in zip(args, [*args[1:], ""]) if a == option]


def _scan_finished(out: Path, manifest: Manifest, url: str) -> bool:
    """Whether a site's scan finished although the batch did not see it end (the batch was killed)."""
    from govaudit.history import site_scans
    from govaudit.store import Store, StoreError, is_url

    shared = [v for v in option_values(manifest.scan_args, "--store") if is_url(v)]
    store: Path | str = shared[-1] if shared else out / "govaudit.sqlite"
    if not (out / "summary.json").exists() or (isinstance(store, Path) and not store.exists()):
        return False
    try:
        with Store(store, create=False) as st:
            if shared:
                scans = site_scans(st, url)
                return bool(scans) and scans[-1].state == "finished"
            return st.scan(st.latest_scan()).state == "finished"
    except (StoreError, OSError, ValueError, LookupError):
        return False


def _wait_gone(pid: int | None, marker: str) -> None:
    """Wait for a scan a killed batch left behind (it got SIGTERM and is saving its state) before re-running it."""
    if not pid:
        return
    deadline = time.monotonic() + GONE_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            return
        if marker not in cmdline:
            return   # the pid now belongs to another program
        time.sleep(POLL_SECONDS)


class Runner:
    """Starts scans up to the cap, one host at a time, and forwards stop signals to them."""

    def __init__(self, manifest: Manifest, jobs: int, display: Any) -> None:
        self.manifest, self.jobs, self.display = manifest, max(1, jobs), display
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.signum: int | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        second = self.signum is not None
        self.signum = signum
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)   # a scan stops cleanly on the first, at once on the second
        if second:
            self.display.note("second signal: scans stop at once")

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def start(self, state: SiteState) -> None:
        out = site_dir(self.manifest.out, state)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / LOG_NAME, "ab") as log:
            log.write(f"\n==== {_now_iso()} run {state.runs + 1}\n".encode())
            log.flush()
            # start_new_session: a Ctrl-C reaches the scans once, through the batch, not twice from the terminal
            proc = subprocess.Popen(scan_command(self.manifest, state), stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.procs[state.slug] = proc
        state.state, state.pid, state.runs = "running", proc.pid, state.runs + 1
        state.started, state.finished, state.exit_code, state.error = time.time(), None, None, ""
        self.manifest.save()
        self.display.update(state)

    def finish(self, state: SiteState, code: int) -> None:
        del self.procs[state.slug]
        state.exit_code, state.finished, state.pid = code, time.time(), None
        if code in (0, 2):
            state.state = "done"
        elif code in (128 + signal.SIGINT, 128 + signal.SIGTERM, -signal.SIGINT, -signal.SIGTERM):
            state.state = "interrupted"
        else:
            state.state = "failed"
            state.error = _last_line(site_dir(self.manifest.out, state) / LOG_NAME) or f"exit code {code}"
        self.manifest.save()
        self.display.update(state)

    def run(self, todo: list[SiteState]) -> None:
        queue = list(todo)
        while queue or self.procs:
            busy = {s.host for s in self.manifest.sites if s.slug in self.procs}
            while self.signum is None and queue and len(self.procs) < self.jobs:
                ready = next((s for s in queue if s.host not in busy), None)
                if ready is None:
                    break
                queue.remove(ready)
                busy.add(ready.host)
                self.start(ready)
            if self.signum is not None and not self.procs:
                break
            for state in [s for s in self.manifest.sites if s.slug in self.procs]:
                code = self.procs[state.slug].poll()
                if code is not None:
                    self.finish(state, code)
            self.display.tick()
            time.sleep(POLL_SECONDS)


def _todo(manifest: Manifest, retry_failed: bool) -> list[SiteState]:
    """The sites this run scans: not done (nor failed, unless asked); a scan that finished unseen counts as done."""
    todo = []
    for state in manifest.sites:
        if state.state == "running":   # the batch was killed: its scan got SIGTERM (or finished meanwhile)
            _wait_gone(state.pid, state.url)
            state.pid = None
            state.state = "done" if _scan_finished(site_dir(manifest.out, state), manifest, state.url) else "interrupted"
        if state.state in ("pending", "interrupted") or (state.state == "failed" and retry_failed):
            todo.append(state)
    return todo


def check_scan_args(args: list[str], out: Path) -> None:
    """Parse the forwarded options as ``govaudit scan`` would, and run its preflight once for the whole batch."""
    import argparse

    from govaudit.commands.scan import add_scan_arguments, scan_request
    from govaudit.preflight import preflight
    from govaudit.ruleset import load_ruleset

    parser = argparse.ArgumentParser(prog="govaudit batch … (scan options)", add_help=False)
    add_scan_arguments(parser)
    from govaudit.store import is_url

    for dest in ("out", "store", "resume", "quiet"):
        given = option_values(args, f"--{dest}")
        if dest == "store" and all(is_url(v) for v in given):
            continue  # a shared PostgreSQL store (``govaudit batch --store URL``)
        if given or any(a.startswith(f"--{dest}=") for a in args):
            raise UserError(f"--{dest} is set by the batch for each site; leave it out")
    try:
        ns = parser.parse_args([*args, "--out", str(out / SITES_DIR / "preflight")])
    except SystemExit as exc:
        raise UserError(f"bad scan option in {' '.join(args)!r}") from exc
    req = scan_request(ns, url="http://127.0.0.1/")
    try:
        preflight(req, load_ruleset(req.rules))
    finally:
        with contextlib.suppress(OSError):
            (out / SITES_DIR / "preflight").rmdir()


def run_batch(req: BatchRequest) -> BatchOutcome:
    """Scan every site of the list (resuming DIR's batch if there is one), then write the province summary."""
    from govaudit.batch_display import make_display

    out = Path(req.out)
    out.mkdir(parents=True, exist_ok=True)
    check_scan_args(req.scan_args, out)
    manifest = Manifest.open(req)
    (out / SITES_DIR).mkdir(exist_ok=True)
    todo = _todo(manifest, req.retry_failed)
    run_info: dict[str, Any] = {"started": _now_iso(), "sites": len(todo)}
    manifest.runs.append(run_info)
    manifest.save()
    display = make_display(req.display, manifest.sites)
    runner = Runner(manifest, req.jobs, display)
    with display, runner.signals():
        runner.run(todo)
    outcome = BatchOutcome(out, manifest.sites, manifest.bad_rows, interrupted=runner.signum)
    run_info.update(finished=_now_iso(), counts=dict(outcome.counts), exit_code=outcome.exit_code,
                    failed=[s.url for s in manifest.sites if s.state == "failed"])
    manifest.save()
    write_summary(manifest, req.lang)
    return outcome


def write_summary(manifest: Manifest, lang: str) -> None:
    """The province summary over every site that has reports (and every site that has none, as a failure)."""
    from govaudit.reports.province import SiteEntry, write_province_summary

    entries = [SiteEntry(dir=site_dir(manifest.out, s), site=s.site, state=s.state, error=s.error)
               for s in manifest.sites]
    write_province_summary(entries, manifest.out, lang=lang, bad_rows=manifest.bad_rows)


__all__ = ["BatchOutcome", "BatchRequest", "Manifest", "SiteState", "run_batch", "scan_command", "slug"]
