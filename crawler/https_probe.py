"""Whether a site offers HTTPS (issue 14 item 1): one TLS handshake with the site's host on port 443.

Scrapy's TLS context accepts any certificate (a crawl must read a site whose certificate expired), so it
cannot say whether the chain is valid; and a crawl that starts at ``http://`` never asks port 443 at all.
This probe asks once, with the standard library: a handshake that verifies the chain and the host name, and,
when only that verification fails, a second one that does not — HTTPS is then *offered* with an invalid
certificate, which the check reports as its own fact.  Run in a thread (``deferToThread``): two blocking
connections, bounded by the crawl's time-out, outside Scrapy's downloader because they fetch nothing.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any


def _handshake(host: str, port: int, timeout: float, context: ssl.SSLContext) -> str:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return tls.version() or ""


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout"
    if isinstance(exc, ssl.SSLError):
        return "tls_handshake"  # something answers on the port, but not TLS (or no protocol in common)
    return "reset" if isinstance(exc, ConnectionError) else "other"


def probe(host: str, port: int = 443, timeout: float = 15.0) -> dict[str, Any]:
    """``{port, offered, cert_valid?, cert_error?, tls_version?, error?}`` for ``host:port``."""
    out: dict[str, Any] = {"port": port, "offered": False}
    try:
        out.update(offered=True, cert_valid=True, tls_version=_handshake(host, port, timeout, ssl.create_default_context()))
        return out
    except ssl.SSLCertVerificationError as exc:
        cert_error = str(exc.verify_message or exc.reason or exc)[:200]
    except OSError as exc:
        out["error"] = _error_name(exc)
        return out
    lax = ssl.create_default_context()
    lax.check_hostname = False
    lax.verify_mode = ssl.CERT_NONE
    try:
        out.update(offered=True, cert_valid=False, cert_error=cert_error, tls_version=_handshake(host, port, timeout, lax))
    except OSError as exc:
        out["error"] = _error_name(exc)
    return out
