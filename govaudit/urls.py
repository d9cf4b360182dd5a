"""URL helpers shared by the crawler and the scan pipeline.

They live in the core, not in ``govaudit.pipeline``, so that the crawler never imports the pipeline that
drives it (the dependency runs one way: pipeline → crawler → core).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from govaudit.errors import UserError


class BadStartURL(UserError):
    """A start URL that cannot be scanned (not http(s), no host, not a URL)."""


def normalise_start_url(raw: str) -> str:
    """``www.x.gov.cn`` → ``http://www.x.gov.cn/``: scheme added, IDN and unsafe characters encoded, a path."""
    raw = raw.strip()
    if "://" not in raw:
        raw = "http://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise BadStartURL(f"{raw!r}: only http and https sites can be scanned")
    if not parts.hostname:
        raise BadStartURL(f"{raw!r}: not a URL with a host name")
    try:
        url = safe_url_string(raw)
    except ValueError as exc:
        raise BadStartURL(f"{raw!r}: not a valid URL ({exc})") from exc
    return url if urlsplit(url).path else url + "/"


def is_loopback(url: str) -> bool:
    """True for sites on this machine (localhost, 127.0.0.0/8, ::1): the only ones a benchmark profile may hammer."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
