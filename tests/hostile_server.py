"""A raw-socket web server whose every path misbehaves in its own way (issue 9.6), on 127.0.0.1 only.

``govaudit.demo.server`` already serves the faults an HTTP library can produce (status codes, stalls, a reset
before the answer, early close, gzip bomb, redirect loops); this one writes bytes by hand, so it can also send
what no HTTP library would: malformed status lines and headers, a reset in the middle of a body, a chunked
body that never ends, a body trickled one byte a second.  One homepage links every fault.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable

GOOD_PAGES = ("/ok.html", "/after-long-line.html", "/after-deep.html", "/idn-target.html")
MANY_LINKS = 100_000
DEEP = 100_000
LONG_LINE_BYTES = 9 * 1024 * 1024  # under the 10 MiB cap: read (streamed: over the 4 MiB analysis limit), and the link at its very end is followed
HUGE_LINE_BYTES = 10 * 1024 * 1024 + 1024  # over it: too large


def page(title: str, body: str, charset: str = "utf-8") -> bytes:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="{charset}"><title>{title}</title></head>'
            f"<body>{body}</body></html>").encode(charset)


def head(status: str = "200 OK", ctype: str = "text/html; charset=utf-8", length: int | None = None,
         extra: str = "") -> bytes:
    lines = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nConnection: close\r\n{extra}"
    if length is not None:
        lines += f"Content-Length: {length}\r\n"
    return (lines + "\r\n").encode("latin-1")


def answer(body: bytes, status: str = "200 OK", ctype: str = "text/html; charset=utf-8", extra: str = "") -> bytes:
    return head(status, ctype, len(body), extra) + body


class HostileServer:
    """``with HostileServer() as s: s.base_url``; ``s.hits`` counts requests per path (with query)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.hits: Counter[str] = Counter()
        self.closed_port = _closed_port()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            block_on_close = False

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.routes: dict[str, Callable[[socket.socket], None]] = {
            "/": self.home, "/reset-mid-body": self.reset_mid_body, "/bad-status-code": self.bad_status_code,
            "/garbage-status-line": self.garbage_status_line, "/no-status-line": self.no_status_line,
            "/header-without-colon": self.header_without_colon, "/bad-content-length": self.bad_content_length,
            "/endless-chunked": self.endless_chunked, "/trickle": self.trickle, "/huge-line": self.huge_line,
            "/long-line": self.long_line, "/many-links": self.many_links, "/deep": self.deep,
            "/gbk-unlabelled": self.gbk_unlabelled, "/mixed-encoding": self.mixed_encoding,
            "/invalid-bytes": self.invalid_bytes, "/bogus-charset": self.bogus_charset,
            "/to-https-closed-port": self.to_https_closed_port, "/to-https-same-port": self.to_https_same_port,
            "/to-ftp": self.to_ftp, "/odd-links": self.odd_links,
        }

    # ---- plumbing --------------------------------------------------------------------------------
    def serve(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                if not data and chunk[:1] == b"\x16":  # a TLS ClientHello on this plain-HTTP port: answer as nginx does
                    sock.sendall(answer(b"The plain HTTP request was sent to HTTPS port", "400 Bad Request"))
                    return
                data += chunk
            method, target, _ = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            self.hits[target] += 1
            path = target.split("?", 1)[0]
            route = self.routes.get(path)
            if route is not None:
                route(sock) if method == "GET" else sock.sendall(head(length=0))
            elif path in GOOD_PAGES or path == "/m":
                body = page("正常页面", f"<p>{path}</p>")
                sock.sendall(answer(body) if method == "GET" else head(length=len(body)))
            else:
                sock.sendall(answer(page("404", "<h1>页面不存在</h1>"), "404 Not Found"))
        except (OSError, ValueError):
            pass  # the crawler hung up (as it should on an endless body), or sent nonsense
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    # ---- the pages -------------------------------------------------------------------------------
    def home(self, sock: socket.socket) -> None:
        links = "".join(f'<li><a href="{p}">{p.strip("/")}</a></li>' for p in self.routes if p != "/")
        links += "".join(f'<li><a href="{p}">{p}</a></li>' for p in GOOD_PAGES[:1])
        sock.sendall(answer(page("恶意服务器首页", f"<ul>{links}</ul>")))

    def reset_mid_body(self, sock: socket.socket) -> None:
        """Promise 100,000 bytes, send 5,000, then abort with RST."""
        sock.sendall(head(length=100_000) + b"<html><body>" + b"x" * 5000)
        time.sleep(0.2)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def bad_status_code(self, sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 abc OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def garbage_status_line(self, sock: socket.socket) -> None:
        sock.sendall(b"HELLO THERE\r\nContent-Length: 2\r\n\r\nok")

    def no_status_line(self, sock: socket.socket) -> None:
        sock.sendall(b"<html><body>HTTP/0.9-style answer: no status line, no headers</body></html>")

    def header_without_colon(self, sock: socket.socket) -> None:
        body = page("坏头部", "<p>a header line without a colon</p>")
        sock.sendall(b"HTTP/1.1 200 OK\r\nThis header has no colon\r\nContent-Type: text/html\r\n"
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)

    def bad_content_length(self, sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: abc\r\nConnection: close\r\n\r\n"
                     + page("坏长度", "<p>Content-Length: abc</p>"))

    def endless_chunked(self, sock: socket.socket) -> None:
        sock.sendall(head(extra="Transfer-Encoding: chunked\r\n"))
        chunk = b"<p>" + b"\xe6\x97\xa0" * 20000 + b"</p>"  # 无无无…, forever
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not self.stopping.is_set():
            sock.sendall(frame)

    def trickle(self, sock: socket.socket) -> None:
        """A complete, valid page, one byte a second (minutes for the whole of it)."""
        body = page("慢", "<p>" + "慢" * 100 + "</p>")
        sock.sendall(head(length=len(body)))
        for i in range(len(body)):
            if self.stopping.wait(1.0):
                return
            sock.sendall(body[i:i + 1])

    def huge_line(self, sock: socket.socket) -> None:
        body = b"<html><body><p>" + b"a" * (HUGE_LINE_BYTES - 40) + b"</p></body></html>"
        sock.sendall(answer(body))

    def long_line(self, sock: socket.socket) -> None:
        filler = "长" * (LONG_LINE_BYTES // 3)
        sock.sendall(answer(page("一行九兆", f"<p>{filler}</p><a href=\"/after-long-line.html\">后面</a>")))

    def many_links(self, sock: socket.socket) -> None:
        links = "".join(f'<a href="/m?i={i}">第{i}条</a>' for i in range(MANY_LINKS))
        sock.sendall(answer(page("十万链接", links)))

    def deep(self, sock: socket.socket) -> None:
        body = "<div>" * DEEP + '<a href="/after-deep.html">深处</a>' + "</div>" * DEEP
        sock.sendall(answer(page("深", body)))

    def gbk_unlabelled(self, sock: socket.socket) -> None:
        body = ("<html><head><title>县政府信息公开</title></head><body><p>通知公告</p>"
                '<a href="/ok.html">正常</a></body></html>').encode("gbk")
        sock.sendall(answer(body, ctype="text/html"))

    def mixed_encoding(self, sock: socket.socket) -> None:
        """A UTF-8 page, labelled GBK by the server, with one GBK-encoded word pasted in (a CMS merge)."""
        body = (page("政务公开栏目", "<p>" + "政务公开" * 50 + "</p>").replace(b"</p>", "粘贴".encode("gbk") + b"</p>"))
        sock.sendall(answer(body, ctype="text/html; charset=gbk"))

    def invalid_bytes(self, sock: socket.socket) -> None:
        body = page("无效字节", "<p>前</p>").replace(b"<p>", b"<p>\xff\xfe\xc0\x80")
        sock.sendall(answer(body))

    def bogus_charset(self, sock: socket.socket) -> None:
        body = page("未知编码", "<p>charset=x-no-such-charset</p>")
        sock.sendall(answer(body.replace(b'charset="utf-8"', b'charset="x-no-such"'),
                            ctype="text/html; charset=x-no-such-charset"))

    def to_https_closed_port(self, sock: socket.socket) -> None:
        sock.sendall(answer(b"", "301 Moved Permanently", extra=f"Location: https://127.0.0.1:{self.closed_port}/\r\n"))

    def to_https_same_port(self, sock: socket.socket) -> None:
        """https:// on a port that speaks plain HTTP: the TLS handshake fails."""
        sock.sendall(answer(b"", "301 Moved Permanently", extra=f"Location: https://127.0.0.1:{self.port}/ok.html\r\n"))

    def to_ftp(self, sock: socket.socket) -> None:
        sock.sendall(answer(b"", "302 Found", extra=f"Location: ftp://127.0.0.1:{self.closed_port}/file.txt\r\n"))

    def odd_links(self, sock: socket.socket) -> None:
        long_url = "/long?" + "q" * 10_000
        body = ('<a href="javascript:alert(1)">js</a><a href="data:text/html,<b>x</b>">data</a>'
                '<a href="mailto:zfb@example.gov.cn">mail</a>'
                f'<a href="ftp://127.0.0.1:{self.closed_port}/pub/file.txt">ftp</a>'
                f'<a href="http://ＬＯＣＡＬＨＯＳＴ:{self.port}/idn-target.html">全角域名</a>'
                f'<a href="http://例子.测试:{self.closed_port}/">中文域名</a>'
                f'<a href="{long_url}">超长地址</a>')
        sock.sendall(answer(page("各种链接", body)))


def _closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
