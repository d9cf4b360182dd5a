"""Politeness on a fragile server: Crawl-delay, Retry-After and back-off, and the circuit breaker.

Each test serves a small site from its own recording server on 127.0.0.1, so the assertions can look at
when and how often the crawler knocked.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import read_findings, run_cli


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes):
        self.routes = routes  # path -> callable(server, count) -> (status, headers, body)
        self.log: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - silence
        pass

    def _answer(self, send_body: bool) -> None:
        server: Recorder = self.server  # type: ignore[assignment]
        with server.lock:
            server.log.append((time.monotonic(), self.path))
            count = sum(1 for _, p in server.log if p == self.path)
        route = server.routes.get(self.path) or (None if "not-found-probe" in self.path else server.routes.get("*"))
        status, headers, body = route(count) if route else (404, {}, "<title>404</title>")
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._answer(True)

    def do_HEAD(self):  # noqa: N802
        self._answer(False)


@pytest.fixture
def serve():
    servers = []

    def start(routes):
        server = Recorder(routes)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def page(links: list[str]) -> str:
    return "<html><head><title>页面</title></head><body>" + "".join(f'<a href="{h}">{h}</a>' for h in links) + "</body></html>"


def test_crawl_delay_from_robots_txt_spaces_requests(serve, tmp_path):
    server = serve({
        "/robots.txt": lambda n: (200, {"Content-Type": "text/plain"}, "User-agent: *\nCrawl-delay: 1\n"),
        "/": lambda n: (200, {}, page(["/a.html", "/b.html", "/c.html"])),
        "*": lambda n: (200, {}, page([])),
    })
    run_cli("scan", server.base + "/", "--out", str(tmp_path), "--a11y", "off", "--no-external")
    times = [t for t, p in server.log if p.endswith(".html") or p == "/"]
    assert len(times) >= 4
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.9, gaps


def test_retry_after_is_honoured_and_the_page_is_read_after_the_503(serve, tmp_path):
    server = serve({
        "/": lambda n: (200, {}, page(["/busy.html"])),
        "/busy.html": lambda n: (503, {"Retry-After": "7"}, "<title>忙</title>") if n == 1 else (200, {}, page(["/after.html"])),
        "*": lambda n: (200, {}, page([])),
    })
    run_cli("scan", server.base + "/", "--out", str(tmp_path), "--a11y", "off", "--no-external")
    busy = [t for t, p in server.log if p == "/busy.html"]
    assert len(busy) == 2 and busy[1] - busy[0] >= 6.9  # waited as Retry-After asked (longer than the re-test delay)
    assert any(p == "/after.html" for _, p in server.log)  # and crawled on from the page it finally got
    assert not [f for f in read_findings(tmp_path) if f["rule"].startswith("links.") and f["url"].endswith("/busy.html")]


def test_circuit_breaker_stops_hammering_a_failing_host(serve, tmp_path):
    links = [f"/p{i}.html" for i in range(60)]
    server = serve({"/": lambda n: (200, {}, page(links)), "*": lambda n: (500, {}, "<title>错误</title>")})
    province = tmp_path / "fragile.yaml"
    province.write_text("inherits: gov-2019\nid: fragile-test\nversion: '1'\nparams:\n  crawl:\n    circuit_breaker:\n"
                        "      window: 6\n      error_ratio: 0.5\n      pause_seconds: 1\n      max_trips: 1\n"
                        "  links:\n    retests: 0\n", encoding="utf-8")
    out = tmp_path / "out"
    run_cli("scan", server.base + "/", "--out", str(out), "--rules", str(province), "--a11y", "off", "--no-external")
    failing = [p for _, p in server.log if p.startswith("/p")]
    assert len(failing) < len(links), "the breaker let every failing URL through"
    findings = read_findings(out)
    skipped = [f for f in findings if f["rule"] == "links.not_checked" and f["evidence"]["reason"] == "circuit_open"]
    assert skipped and skipped[0]["evidence"]["count"] == len(links) - len(set(failing))
    assert len([f for f in findings if f["rule"] == "links.suspect"]) == len(set(failing))
