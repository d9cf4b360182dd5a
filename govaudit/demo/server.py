"""A local web server for the demo county site, with the misbehaving routes real government sites have.

The demo, the tests and the benchmarks scan the site written by :func:`govaudit.demo.sitegen.generate_site`.
Static files are served the way a CMS front end (nginx in front of TRS/大汉) serves them: ``index.html``
for directories, per-path ``Content-Type`` charsets from the manifest (the GBK column, the page whose header
contradicts its body), and a 404 that looks like the CMS's own error page.  Alongside the static tree, the
``/__…`` routes reproduce what crawlers meet in the wild — any status code, stalls, requests never answered,
connection resets, truncated bodies, redirect loops and chains, a gzip bomb, endless calendars, session ids in
URLs — so the crawler's error handling is tested against real sockets rather than mocks.

``http.server.ThreadingHTTPServer`` is used (not aiohttp or nginx) because it is in the standard library,
lets a route misbehave at the socket level (RST, short bodies), and starts in milliseconds inside a test.
All routes bind 127.0.0.1 only.
"""

from __future__ import annotations

import html
import mimetypes
import posixpath
import random
import select
import socket
import struct
import sys
import threading
import time
import zlib
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from govaudit.demo.sitegen import SITE_NAME, Manifest, soft404_page

HUGE_BYTES = 30 * 1024 * 1024
BOMB_EXPANDED = 200 * 1024 * 1024
CLOSE_EARLY_LENGTH = 100_000
BINARY_BYTES = 64 * 1024
_CHUNK = 64 * 1024

_bomb_lock = threading.Lock()
_bomb: bytes | None = None


def gzip_bomb() -> bytes:
    """~200 KB of gzip that inflates to 200 MiB of zeros (deflate tops out near 1030:1), built once.

    Compressing 200 MiB of zeros costs ~0.4 s, so it is done lazily on first request and cached.
    """
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
            zeros = bytes(1 << 20)
            parts = [comp.compress(zeros) for _ in range(BOMB_EXPANDED >> 20)]
            parts.append(comp.flush())
            _bomb = b"".join(parts)
        return _bomb


def _page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f'</head>\n<body>\n{body}\n</body>\n</html>\n').encode()


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass  # already closed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a stalled or streaming handler
    allow_reuse_address = True
    demo: DemoServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a crawler's time-out resets the connection) is not a server error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        if self.demo.stopping.is_set():
            _reset(request)  # stopping: no FIN handshake, no TIME_WAIT on our port
        else:
            super().shutdown_request(request)

    def abort_connections(self) -> None:
        """Reset every open connection: wakes handlers blocked on a keep-alive read, and (SO_LINGER 0)
        leaves no TIME_WAIT behind, so the port is free the moment stop() returns."""
        with self.connections_lock:
            open_now = list(self.open_connections)
        for sock in open_now:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RD)  # wakes a handler blocked in recv(); it then closes with RST
            except OSError:
                pass  # the handler closed it meanwhile


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "TRS-WCM/7.0"  # what the county CMS front end would announce
    sys_version = ""

    # ---- plumbing --------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: tests and benchmarks make thousands of requests."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.dispatch()

    def do_HEAD(self) -> None:  # noqa: N802
        self.dispatch()

    def do_POST(self) -> None:  # noqa: N802 - the letter form posts; a static site answers 405 like nginx
        self.demo.record(self.command, self.path)
        self.send_body(405, b"", "text/plain")

    @property
    def demo(self) -> DemoServer:
        return self.server.demo

    def send_body(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
                  headers: dict[str, str] | None = None) -> None:
        """Send a complete response; HEAD gets the same headers and no body."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)

    def abort(self) -> None:
        """Close with RST (SO_LINGER 0): the peer sees a reset, and no TIME_WAIT holds our port."""
        self.close_connection = True
        _reset(self.connection)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_body(status, _page("Found", f'<a href="{html.escape(location)}">here</a>'), headers={"Location": location})

    def dispatch(self) -> None:
        self.demo.record(self.command, self.path)
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        try:
            if path.startswith("/__"):
                self.dynamic(path, query)
            else:
                self.static(path)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    # ---- static tree -----------------------------------------------------------------------------

    def static(self, path: str) -> None:
        path = path.split(";", 1)[0]  # ;jsessionid=… path parameters are ignored, as servlet containers do
        clean = posixpath.normpath(path)
        if clean.startswith("/..") or "\x00" in clean:
            return self.not_found()
        file = self.demo.root / clean.lstrip("/")
        if file.is_dir():
            if not path.endswith("/"):
                return self.redirect(path + "/", 301)
            file = file / "index.html"
        if not file.is_file():
            return self.not_found()
        data = file.read_bytes()
        self.send_body(200, data, self.demo.content_type(file))

    def not_found(self) -> None:
        self.send_body(404, soft404_page().encode("utf-8"))

    # ---- dynamic routes --------------------------------------------------------------------------

    def dynamic(self, path: str, query: dict[str, list[str]]) -> None:
        head, _, rest = path[3:].partition("/")
        route = getattr(self, "route_" + head.replace("-", "_"), None)
        if route is None:
            return self.not_found()
        route(rest, query)

    def route_status(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__status/<code>``: answer that status; 429 and 503 say ``Retry-After: 1``, or what ``?retry_after=``
        says (``none``: no header)."""
        try:
            code = int(rest.strip("/"))
        except ValueError:
            return self.not_found()
        if not 200 <= code <= 599:  # 1xx are interim responses, not answers a page can give
            return self.not_found()
        retry_after = query.get("retry_after", ["1"])[0]
        headers = {"Retry-After": retry_after} if code in (429, 503) and retry_after != "none" else {}
        if 300 <= code < 400 and code != 304:
            headers["Location"] = "/"
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Status"
        self.send_body(code, _page(f"{code} {phrase}", f"<h1>{code} {phrase}</h1>"), headers=headers)

    def route_stall(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__stall``: say nothing for ``stall_seconds``, in short sleeps so ``stop()`` stays prompt."""
        deadline = time.monotonic() + self.demo.stall_seconds
        while time.monotonic() < deadline:
            if self.demo.stopping.wait(0.05):
                return self.abort()
        self.send_body(200, _page("办事大厅", "<p>系统繁忙，请稍后再试。</p>"))

    def route_hang(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__hang/<anything>``: accept the request and never answer; returns when the client hangs up.

        Unlike ``/__stall`` no thread sleeps on: a thousand time-outs leave no thousand threads behind."""
        self.close_connection = True
        while not self.demo.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable:
                try:
                    if not self.connection.recv(4096):
                        return  # the client gave up
                except OSError:
                    return
        self.abort()

    def route_reset(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__reset``: abort the TCP connection with RST."""
        self.abort()

    def route_close_early(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__close-early``: promise 100,000 bytes, send a few, hang up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(CLOSE_EARLY_LENGTH))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"<!DOCTYPE html><html><head><title>")
            self.wfile.flush()
        self.close_connection = True

    def route_loop(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__loop/a`` ↔ ``/__loop/b``: a 302 loop."""
        self.redirect("/__loop/b" if rest != "b" else "/__loop/a")

    def route_chain(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__chain/<n>``: n redirects, then a 200 page."""
        try:
            n = int(rest.strip("/") or 0)
        except ValueError:
            return self.not_found()
        if n > 0:
            return self.redirect(f"/__chain/{n - 1}")
        self.send_body(200, _page(f"跳转终点_{SITE_NAME}", "<h1>跳转终点</h1><p>重定向链的最后一页。</p>"))

    def route_gzip_bomb(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__gzip-bomb``: small on the wire, 200 MiB once inflated."""
        self.send_body(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})

    def route_huge(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__huge``: 30 MiB of HTML, streamed in chunks (never built in memory)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        if self.command == "HEAD":
            return
        head = b"<!DOCTYPE html><html><head><title>huge</title></head><body>"
        line = ("<p>" + "云溪县" * 20 + "</p>\n").encode("utf-8")
        block = (line * (_CHUNK // len(line) + 1))[:_CHUNK]
        self.wfile.write(head)
        left = HUGE_BYTES - len(head)
        while left > 0 and not self.demo.stopping.is_set():
            n = min(left, _CHUNK)
            self.wfile.write(block[:n])
            left -= n
        self.close_connection = left > 0

    def route_binary(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__binary``: random bytes labelled text/html (seeded: same bytes every time)."""
        self.send_body(200, random.Random(7).randbytes(BINARY_BYTES), "text/html")

    def route_calendar(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__calendar?y=&m=``: a month view linking to the previous and next month, forever (a crawler trap)."""
        try:
            y = int(query.get("y", ["2026"])[0])
            m = int(query.get("m", ["1"])[0])
        except ValueError:
            return self.not_found()
        y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
        py, pm = (y, m - 1) if m > 1 else (y - 1, 12)
        ny, nm = (y, m + 1) if m < 12 else (y + 1, 1)
        body = (f"<h1>领导活动日历 {y}年{m}月</h1><p><a href=\"/__calendar?y={py}&amp;m={pm}\">上一月</a> "
                f"<a href=\"/__calendar?y={ny}&amp;m={nm}\">下一月</a></p><p>本月暂无公开活动安排。</p>")
        self.send_body(200, _page(f"领导活动日历_{SITE_NAME}", body))

    def route_soft404(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__soft404/<anything>``: status 200, but the page says it does not exist."""
        self.send_body(200, soft404_page().encode("utf-8"))

    def route_flaky(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__flaky/<id>?fail=N``: the first N requests for that id get 503 (Retry-After: 1), then 200."""
        try:
            fail = int(query.get("fail", ["1"])[0])
        except ValueError:
            return self.not_found()
        if self.demo.count_flaky(rest) <= fail:
            return self.send_body(503, _page("503 Service Unavailable", "<h1>服务器繁忙</h1>"), headers={"Retry-After": "1"})
        self.send_body(200, _page(f"恢复正常_{SITE_NAME}", f"<h1>{html.escape(rest)}</h1><p>页面正常。</p>"))

    def route_session(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__session/page.html;jsessionid=…`` or ``?sid=…``: same page, linking to itself under a new session id."""
        n = self.demo.next_session()
        sid = f"{random.Random(n).getrandbits(64):016X}"
        if "sid" in query:
            link = f"/__session/page.html?sid={sid[:8].lower()}"
        else:
            link = f"/__session/page.html;jsessionid={sid}"
        body = (f"<h1>网上调查</h1><p>请先阅读调查说明。</p><p><a href=\"{html.escape(link)}\">开始答题</a></p>"
                f"<p><a href=\"/\">返回首页</a></p>")
        self.send_body(200, _page(f"网上调查_{SITE_NAME}", body))

    def route_gbk_mislabelled(self, rest: str, query: dict[str, list[str]]) -> None:
        """``/__gbk-mislabelled``: the header says utf-8, the body is GB18030 with ``<meta charset=gbk>``."""
        text = ('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="gbk">\n'
                f'<title>关于做好冬季森林防火工作的通知_{SITE_NAME}</title>\n</head>\n<body>\n'
                '<h1>关于做好冬季森林防火工作的通知</h1><p>各乡镇人民政府，县直各部门：进入冬季以来，我县森林火险等级持续偏高。</p>\n'
                '</body>\n</html>\n')
        self.send_body(200, text.encode("gb18030"), "text/html; charset=utf-8")


class DemoServer:
    """The demo site on ``http://127.0.0.1:PORT`` (a context manager; ``port=0`` picks a free port).

    ``hits`` counts requests by request target (path plus query, as sent), ``method_hits`` by
    ``(method, target)``, and ``requests`` keeps ``(method, target)`` in arrival order, so tests can assert that a crawler fetched each URL once and used
    HEAD where it should.
    """

    def __init__(self, root: Path, manifest: Manifest | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 stall_seconds: float = 30.0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the demo server binds loopback only, not {host!r}")
        self.root = Path(root).resolve()
        self.manifest = manifest
        self.host = host
        self.port = port
        self.stall_seconds = stall_seconds
        self.hits: Counter[str] = Counter()
        self.method_hits: Counter[tuple[str, str]] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._flaky: Counter[str] = Counter()
        self._sessions = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._types: dict[Path, str] = {}
        if manifest is not None:
            for url_path, headers in manifest.headers.items():
                ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
                if ctype:
                    self._types[Manifest.file_for(self.root, url_path)] = ctype

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of a site path (``/xwzx/``) on this server."""
        return self.base_url + path

    # ---- bookkeeping (called from handler threads) -----------------------------------------------

    def record(self, method: str, target: str) -> None:
        with self._lock:
            self.hits[target] += 1
            self.method_hits[(method, target)] += 1
            self.requests.append((method, target))

    def count_flaky(self, key: str) -> int:
        with self._lock:
            self._flaky[key] += 1
            return self._flaky[key]

    def next_session(self) -> int:
        with self._lock:
            self._sessions += 1
            return self._sessions

    def content_type(self, file: Path) -> str:
        """The manifest's header for this file, else by extension (HTML defaults to utf-8 as the site is)."""
        if file in self._types:
            return self._types[file]
        if file.suffix in (".html", ".htm"):
            return "text/html; charset=utf-8" if self.manifest is not None else "text/html"
        guessed = {".svg": "image/svg+xml", ".js": "application/javascript; charset=utf-8",
                   ".css": "text/css; charset=utf-8", ".txt": "text/plain; charset=utf-8",
                   ".ico": "image/x-icon"}.get(file.suffix)
        return guessed or mimetypes.guess_type(file.name)[0] or "application/octet-stream"

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> DemoServer:
        self.stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.demo = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"demoserver:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: wake stalled handlers, stop accepting, close the listening socket."""
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.abort_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m govaudit.demo.server [DIR] [--port N]``: generate (if needed) and serve the demo site."""
    import argparse
    from datetime import date

    from govaudit.demo.sitegen import generate_site

    parser = argparse.ArgumentParser(description="Serve the demo county site on 127.0.0.1")
    parser.add_argument("dir", nargs="?", default="demo-site", type=Path)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    manifest_path = args.dir / "manifest.json"
    if manifest_path.is_file():
        manifest = Manifest.load(manifest_path)
    else:
        manifest = generate_site(args.dir / "site", as_of=date.today())
        manifest.save(manifest_path)
    with DemoServer(args.dir / "site", manifest, port=args.port) as server:
        print(f"{manifest.site_name}: {server.base_url}/  ({manifest.pages} pages; Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
