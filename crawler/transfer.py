"""What one download cost on the wire: the crawl-side facts of the speed check (``checks/speed.py``).

Kept in the final attempt dict of a URL's ``attempts`` (no store schema change): time to first byte,
bytes as sent and as read, the ``Content-Encoding`` used and the caching headers.  The encoding must be
read when the headers arrive (``headers_received``): Scrapy's HttpCompressionMiddleware deletes the header
once it has decoded the body, so a compressed page and an uncompressed one look alike afterwards.
No extra request is made: pages are measured on their crawl GET, resources on the link check's HEAD/GET.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Transfer(TypedDict, total=False):
    """The keys ``transfer`` adds to the attempt that got a response (all optional: a HEAD has no body)."""

    ttfb: float               # seconds from the download's start to the response headers (connection included)
    bytes: int                # body as read, after decompression (GET bodies only)
    wire_bytes: int           # Content-Length as sent
    content_encoding: str     # gzip | br | deflate … as sent (absent: uncompressed)
    cache_control: str
    expires: str
    etag: str
    last_modified: str


WIRE_HEADERS = "govaudit_wire_headers"  # request.meta key: what on_headers saw of this response's headers
_CACHE_HEADERS = (("cache_control", b"Cache-Control"), ("expires", b"Expires"), ("etag", b"ETag"),
                  ("last_modified", b"Last-Modified"))


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1")[:200] if value else None


def on_headers(meta: dict[str, Any], headers: Any) -> None:
    """Remember the response's transfer headers as the server sent them (before any middleware decodes).

    ``wire_bytes`` is the Content-Length header itself, not Twisted's body length (0 for a HEAD answer)."""
    length = _header(headers, b"Content-Length") or ""
    wire: dict[str, Any] = {"content_encoding": (_header(headers, b"Content-Encoding") or "").lower() or None,
                            "wire_bytes": int(length) if length.isdigit() else None}
    for key, name in _CACHE_HEADERS:
        wire[key] = _header(headers, name)
    meta[WIRE_HEADERS] = wire


def transfer(meta: dict[str, Any], body: bytes, body_read: bool) -> Transfer:
    """The keys added to the attempt that got a response: ``ttfb`` (seconds from the download's start to the
    response headers, connection included: Scrapy's ``download_latency``), ``bytes`` (the body as read, after
    decompression; only when the body was downloaded), and the header facts of ``on_headers``."""
    out: Transfer = {k: v for k, v in (meta.get(WIRE_HEADERS) or {}).items() if v is not None}  # type: ignore[assignment]
    latency = meta.get("download_latency")
    if isinstance(latency, (int, float)):
        out["ttfb"] = round(float(latency), 3)
    if body_read:
        out["bytes"] = len(body)
    return out
