"""A small site on 127.0.0.1 with known weights and layout faults, for the speed and mobile tests.

Every figure a test expects is stated here: the 3 MB image, the 150 images of /many/, the uncompressed
/plain/ page, the 600 px table of /overflow/, the page without viewport.  Pages are sent gzip-compressed
(when asked) except /plain/; static resources carry Cache-Control except /nocache.js.  Bad input for the
browser: /never/ never fires load, /spin/ animates forever, /huge-image/ loads a 50 MB image served
slowly, and a mobile User-Agent on /m-loop/ is redirected round in a loop.  A separate mobile site: /ua/ sends
a phone to /m/ on localhost (another host than 127.0.0.1), whose /m/wide.html overflows, /m/list/ has no
viewport and /m/never.html never fires load.
"""

from __future__ import annotations

import functools
import gzip
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MB = 1024 * 1024
RELEASE = threading.Event()  # set at teardown: frees the handlers that stall on purpose
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def page(title: str, body: str, head: str = VIEWPORT) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>{head}'
            '<link rel="stylesheet" href="/site.css"><style>body{font-size:16px;margin:0}</style></head>'
            f'<body><div class="nav"><a href="/">首页</a></div><main><h1>{title}</h1>{body}</main></body></html>')


def m_page(title: str, body: str, head: str = VIEWPORT) -> str:
    """A page of the separate mobile site: its home link goes to /m/."""
    return page(title, body, head).replace('<a href="/">', '<a href="/m/">')


ARTICLE_TEXT = "<p>为进一步做好政府信息公开工作，现将有关事项通知如下。</p>" * 5
PAGES: dict[str, str] = {
    "/": page("某县人民政府", head=VIEWPORT + '<meta name="mobile-agent" content="format=html5;url=http://127.0.0.1:9/m/">',
              body='<ul><li><a href="/light/">政务动态</a></li><li><a href="/plain/">通知公告</a></li>'
              '<li><a href="/heavy/">图片新闻</a></li><li><a href="/many/">专题</a></li>'
              '<li><a href="/overflow/">表格</a></li><li><a href="/noviewport/">旧版</a></li>'
              '<li><a href="/fixed/">固定宽度</a></li></ul><img src="/logo.png" alt="标识" width="40" height="40">'),
    "/light/": page("政务动态", ARTICLE_TEXT + '<img src="/logo.png" alt="标识" width="40" height="40">'),
    # 600 KB of HTML sent without compression (the other pages are gzip-compressed)
    "/plain/": page("通知公告", ARTICLE_TEXT + "<p>" + "公告正文" * 50000 + "</p>"),
    "/heavy/": page("图片新闻", ARTICLE_TEXT + '<img src="/big.jpg" alt="大图" style="max-width:100%">'),
    "/many/": page("专题", "".join(f'<img src="/i/{i}.png" alt="图{i}" width="10" height="10">' for i in range(150))),
    "/overflow/": page("表格", '<table style="width:600px"><tr><td>宽表格，超出手机屏幕</td></tr></table>' + ARTICLE_TEXT),
    "/noviewport/": page("旧版", ARTICLE_TEXT, head=""),
    "/fixed/": page("固定宽度", ARTICLE_TEXT,
                    head='<meta name="viewport" content="width=1024, user-scalable=no">'),
    # browser-only pages (not linked from the home page: the browser tests put them in a store directly)
    "/never/": page("永不加载", '<img src="/stall.png" alt="x">'),
    "/spin/": page("动画", '<div id="a">动画</div><script>(function f(){document.getElementById("a").style.marginLeft='
                   '(Date.now()%100)+"px";requestAnimationFrame(f);})();</script>'),
    "/huge-image/": page("巨图", '<img src="/huge.png" alt="x">'),
    "/heavy-png/": page("大图", '<img src="/big.png" alt="大图" style="max-width:100%">'),  # a valid 1.1 MB PNG
    "/m-loop/": page("电脑版", ARTICLE_TEXT),
    # a separate mobile site: /ua/ sends a phone's User-Agent to http://localhost:<port>/m/ (another host)
    "/ua/": page("电脑版首页", ARTICLE_TEXT),
    "/m/": m_page("手机版", '<style>li a{display:block;padding:12px 0}</style><ul><li><a href="/m/list/">列表</a></li><li><a href="/m/art/1.html">文章一</a></li>'
                '<li><a href="/m/art/2.html">文章二</a></li><li><a href="/m/wide.html">宽页</a></li>'
                '<li><a href="/m/never.html">不加载</a></li><li><a href="http://127.0.0.1:9/x">外站</a></li></ul>'),
    "/m/list/": m_page("手机版列表", '<ul><li><a href="/m/art/1.html">文章一</a></li></ul>', head=""),
    "/m/art/1.html": m_page("手机版文章", ARTICLE_TEXT),
    "/m/art/2.html": m_page("手机版文章", ARTICLE_TEXT),
    "/m/wide.html": m_page("手机版宽页", '<table style="width:800px"><tr><td>宽表格</td></tr></table>'),
    "/m/never.html": m_page("手机版不加载", '<img src="/stall.png" alt="x">'),
    "/small-text/": page("小字", '<div style="font-size:9px">' + ARTICLE_TEXT * 3 + "</div>"
                         + "".join(f'<a href="/x{i}" style="font-size:9px">链{i}</a> ' for i in range(20))),
}
CSS = b"main{max-width:100%} img{max-width:100%}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802 (http.server API)
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        path = self.path.split("?")[0]
        mobile = "Mobile" in (self.headers.get("User-Agent") or "")
        if path == "/m-loop/" and mobile:
            return self._redirect("/m-loop/m/")
        if path == "/ua/" and mobile:
            return self._redirect(f"http://localhost:{self.server.server_address[1]}/m/")
        if path == "/m-loop/m/":
            return self._redirect("/m-loop/")
        if path == "/stall.png":
            RELEASE.wait(120)
            return self._send(404, b"", "text/plain", head)
        if path == "/big.jpg":
            return self._send(200, b"\xff\xd8" + b"\0" * (3 * MB), "image/jpeg", head, cache=True)
        if path == "/big.png":
            return self._send(200, huge_png(600, 600), "image/png", head, cache=True)
        if path == "/huge.png":
            return self._slow_image(head)
        if path in ("/logo.png",) or path.startswith("/i/"):
            return self._send(200, b"\x89PNG" + b"\0" * 200, "image/png", head, cache=True)
        if path == "/site.css":
            return self._send(200, CSS, "text/css", head, cache=True)
        body = PAGES.get(path)
        if body is None:
            return self._send(404, b"not found", "text/plain", head)
        data = body.encode("utf-8")
        gz = path != "/plain/" and "gzip" in (self.headers.get("Accept-Encoding") or "")
        self._send(200, gzip.compress(data) if gz else data, "text/html; charset=utf-8", head,
                   encoding="gzip" if gz else None)

    def _redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, ctype: str, head: bool, *, cache: bool = False,
              encoding: str | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if cache:
                self.send_header("Cache-Control", "max-age=86400")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except OSError:
            pass

    def _slow_image(self, head: bool) -> None:
        """A valid 50 MB PNG sent at about 1 MB/s: the page's load event waits on it (an invalid image would
        be dropped by the browser at its first bytes)."""
        data = huge_png()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if head:
                return
            for i in range(0, len(data), 65536):
                if RELEASE.is_set():
                    return
                self.wfile.write(data[i:i + 65536])
                time.sleep(0.06)
        except OSError:
            pass


@functools.cache
def huge_png(width: int = 4096, height: int = 4096) -> bytes:
    """An RGB PNG of width×height pixels stored without compression: 4096² × 3 ≈ 50 MB."""
    row = b"\0" + b"\x80" * (width * 3)
    raw = zlib.compress(row * height, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


class SpeedSite:
    """The site served on 127.0.0.1 in a thread; ``with SpeedSite() as site: site.base``."""

    def __enter__(self) -> SpeedSite:
        RELEASE.clear()
        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.srv.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        RELEASE.set()
        self.srv.shutdown()
        self.srv.server_close()
