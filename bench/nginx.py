"""Serve a generated site with Debian's nginx on 127.0.0.1 for the crawl benchmark.

Why nginx and not Python's http.server: the benchmark measures crawlers, so the server must never be the
bottleneck (a Python server tops out near the figures we want to measure), and nginx's access log gives
every tool the same, independent count of what it fetched.

Everything nginx writes (pid, error log, access log, temp paths) lives in a run directory we own, so
nothing needs root-owned paths.  The server sends a ``LinkChecker`` response header: LinkChecker only lifts
its per-host rate cap (``maxrequestspersecond`` > 10) for servers that send it; the other tools ignore it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

NGINX = "/usr/sbin/nginx"

# One line a request, tab-separated so URIs with spaces cannot shift columns.
LOG_FORMAT = "$msec\\t$request_method\\t$status\\t$sent_http_content_type\\t$body_bytes_sent\\t$request_uri\\t$http_user_agent"


@dataclass(slots=True)
class LogEntry:
    """One request as nginx logged it."""

    at: float  # $msec: when nginx finished the request, epoch seconds
    method: str
    status: int
    content_type: str
    uri: str
    user_agent: str

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml")


@dataclass(slots=True)
class AccessCounts:
    """What one crawler asked nginx for during its run: the common measure for every tool."""

    requests: int = 0
    gets: int = 0
    heads: int = 0
    html_fetches: int = 0  # GET answered 200 text/html, repeats included
    html_pages: int = 0  # distinct URIs among those: the "pages" of pages/s
    statuses: dict[int, int] = field(default_factory=dict)
    first_at: float | None = None
    last_at: float | None = None

    @property
    def active_seconds(self) -> float:
        """First to last request: the time the tool spent talking to the server (no start-up, no wrap-up)."""
        return (self.last_at - self.first_at) if self.first_at is not None and self.last_at is not None else 0.0

    def to_json(self) -> dict:
        return {"active_seconds": round(self.active_seconds, 2), "requests": self.requests, "gets": self.gets, "heads": self.heads, "html_fetches": self.html_fetches,
                "html_pages": self.html_pages, "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the kernel picks it; a tiny race with other users is acceptable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _charset_locations(path_charsets: Mapping[str, str]) -> str:
    """Exact-match locations that give single pages their own HTTP charset (GBK pages, mislabelled pages)."""
    blocks = []
    for path, charset in sorted(path_charsets.items()):
        if not path.startswith("/") or any(c in path for c in ' ;{}"\'\\\n'):
            continue  # a path nginx config cannot carry safely; the page is still served, without the header
        blocks.append(f"        location = {path} {{ charset {charset}; }}")
    return "\n".join(blocks)


def _extra_locations(locations: Mapping[str, str]) -> str:
    return "\n".join(f"        location = {path} {{ {body} }}" for path, body in sorted(locations.items())
                     if path.startswith("/") and not any(c in path for c in ' ;{}"\'\\\n'))


class Nginx:
    """An nginx serving ``root`` on 127.0.0.1, started in the foreground under our control.

    Use as a context manager: the server stops on exit whatever happened inside the block.
    """

    def __init__(self, root: Path, run_dir: Path, port: int | None = None, workers: int = 1,
                 path_charsets: Mapping[str, str] | None = None, locations: Mapping[str, str] | None = None) -> None:
        self.root = Path(root).resolve()
        self.run_dir = Path(run_dir).resolve()
        self.port = port or free_port()
        self.workers = workers
        self.path_charsets = dict(path_charsets or {})
        # Extra exact-match locations, {path: directives}: e.g. {"/a.html": "return 503;"} (bench/fault_bench.py).
        self.locations = {p: d for p, d in (locations or {}).items() if p not in self.path_charsets}
        self.access_log = self.run_dir / "access.log"
        self.error_log = self.run_dir / "error.log"
        self.conf = self.run_dir / "nginx.conf"
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def config_text(self) -> str:
        run = self.run_dir
        # As root, nginx workers drop to an unprivileged user; name one that exists on Debian.
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        return f"""# generated by bench/nginx.py
{user}
worker_processes {self.workers};
daemon off;
pid {run}/nginx.pid;
error_log {self.error_log} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format bench "{LOG_FORMAT}";
    access_log {self.access_log} bench;
    client_body_temp_path {run}/tmp-body;
    proxy_temp_path {run}/tmp-proxy;
    fastcgi_temp_path {run}/tmp-fastcgi;
    uwsgi_temp_path {run}/tmp-uwsgi;
    scgi_temp_path {run}/tmp-scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=4000 inactive=20s;  # well under the fd limit: a larger cache runs nginx out of descriptors at ~20k files
    server {{
        listen 127.0.0.1:{self.port};
        server_name localhost;
        root {self.root};
        index index.html index.htm;
        add_header LinkChecker "govaudit-bench" always;
{_charset_locations(self.path_charsets)}
{_extra_locations(self.locations)}
    }}
}}
"""

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # Workers run as nobody: they must be able to traverse to the site.  We do not chmod paths we
            # did not create (the caller makes its temp dir world-readable); we say clearly what blocks.
            for parent in [self.root, *self.root.parents]:
                if parent.stat().st_mode & 0o005 != 0o005:
                    raise RuntimeError(f"nginx workers run as nobody and cannot read {parent}: "
                                       "serve a site from a world-readable directory")
        self.conf.write_text(self.config_text(), encoding="utf-8")
        test = subprocess.run([NGINX, "-t", "-q", "-c", str(self.conf), "-p", str(self.run_dir)],
                              capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx rejected its config {self.conf}: {test.stderr.strip()}")
        self.proc = subprocess.Popen([NGINX, "-c", str(self.conf), "-p", str(self.run_dir)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.error_log, "ab"),
                                     start_new_session=True)
        self._wait_listening()

    def _wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}; see {self.error_log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on 127.0.0.1:{self.port} within {timeout} s")

    def stop(self) -> None:
        """Fast shutdown (SIGTERM), then SIGKILL of the whole group if nginx hangs."""
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_offset(self) -> int:
        """Where the access log ends now: read from here after a run to see only that run's requests."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def entries_since(self, offset: int) -> Iterator[LogEntry]:
        """Requests logged after ``offset`` (nginx writes each line unbuffered, so a finished run is complete)."""
        with open(self.access_log, "rb") as fh:
            fh.seek(offset)
            for raw in fh:
                parts = raw.decode("utf-8", "replace").rstrip("\n").split("\t")
                if len(parts) < 7:
                    continue
                try:
                    status = int(parts[2])
                except ValueError:
                    continue
                yield LogEntry(at=float(parts[0]), method=parts[1], status=status, content_type=parts[3], uri=parts[5],
                               user_agent=parts[6])


def count_access(entries: Iterable[LogEntry]) -> AccessCounts:
    """Count requests, and HTML pages fetched with a body (GET, 200, text/html), distinct by URI."""
    counts = AccessCounts()
    pages: set[str] = set()
    for entry in entries:
        counts.requests += 1
        counts.first_at = entry.at if counts.first_at is None else min(counts.first_at, entry.at)
        counts.last_at = entry.at if counts.last_at is None else max(counts.last_at, entry.at)
        counts.statuses[entry.status] = counts.statuses.get(entry.status, 0) + 1
        if entry.method == "HEAD":
            counts.heads += 1
        elif entry.method == "GET":
            counts.gets += 1
            if entry.status == 200 and entry.is_html:
                counts.html_fetches += 1
                pages.add(entry.uri)
    counts.html_pages = len(pages)
    return counts


def nginx_available() -> bool:
    return Path(NGINX).exists() or shutil.which("nginx") is not None
