"""The demo county site with every fault a scan must outlast, on one host: for the crawl-end tests and benches.

A user's first scans of a county site whose server had the usual faults (500, 503, a link that stalls for
20 s, a redirect loop, refused and unresolvable off-site hosts) never ended (issue 9).  ``fault_mix_site``
writes that site: the generated demo site (``sitegen``, hostile routes on) plus, on the homepage, links to
every fault the demo server can produce, and on every ``dead_host_every``-th page links to files on off-site
hosts that refuse connections or do not resolve, so that many URLs share a dead host.

``plant_dead_hosts`` adds only the dead off-site hosts to any generated site (the crawl bench serves its
20,000 pages with nginx, which has no fault routes).

No link leaves this machine: refused hosts are closed loopback ports, and unresolvable hosts carry a 64-byte
label, which the C library refuses before sending any query (a plain ``x.invalid`` name is still sent to the
configured resolver; strace shows the packet).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from govaudit.demo.sitegen import Manifest, generate_site

# One label over the 63-byte DNS limit: getaddrinfo fails with EAI_NONAME without a packet on the wire.
_LONG_LABEL = "govaudit-test-host-that-cannot-resolve-because-its-label-is-too-long"
assert len(_LONG_LABEL) > 63


def unresolvable_host(n: int) -> str:
    return f"{_LONG_LABEL}-{n}.invalid"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DeadHosts:
    """Off-site hosts that can never answer: ``dns`` do not resolve, ``refused`` refuse connections."""

    dns: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, dns: int = 2, refused: int = 1) -> DeadHosts:
        return cls(dns=[f"http://{unresolvable_host(i)}" for i in range(dns)],
                   refused=[f"http://127.0.0.1:{closed_port()}" for _ in range(refused)])

    def error_of(self, url: str) -> str | None:
        if any(url.startswith(h + "/") for h in self.dns):
            return "dns"
        if any(url.startswith(h + "/") for h in self.refused):
            return "refused"
        return None

    def all(self) -> list[str]:
        return [*self.dns, *self.refused]


def html_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*.html") if p.is_file())


def add_links(root: Path, links_for: Callable[[int, str], Iterable[tuple[str, str]]]) -> dict[str, list[str]]:
    """Insert ``links_for(i, path)`` — (href, anchor) pairs — before ``</body>`` of the i-th HTML page (sorted
    by file path); returns {href: [page paths that carry it]}."""
    carried: dict[str, list[str]] = {}
    for i, file in enumerate(html_files(root)):
        rel = "/" + file.relative_to(root).as_posix()
        path = rel[: -len("index.html")] if rel.endswith("/index.html") else rel
        links = list(links_for(i, path))
        if not links:
            continue
        data = file.read_bytes()
        at = data.rfind(b"</body>")
        if at < 0:
            continue
        block = "".join(f'<li><a href="{href}">{anchor}</a></li>' for href, anchor in links)
        encoding = "gb18030" if b"charset=gb" in data[:2000].lower() else "utf-8"
        file.write_bytes(data[:at] + f'<ul class="links">{block}</ul>'.encode(encoding) + data[at:])
        for href, _ in links:
            carried.setdefault(href, []).append(path)
    return carried


def plant_dead_hosts(root: Path, manifest: Manifest, hosts: DeadHosts, *, every: int = 50,
                     category: str = "suspect") -> int:
    """Link every ``every``-th page to a file on each dead host (one file per page, so the hosts carry many URLs);
    the links are added to ``manifest.planted[category]``.  Returns how many links were planted."""
    def links_for(i: int, path: str) -> list[tuple[str, str]]:
        if i % every:
            return []
        return [(f"{host}/files/{i}.pdf", f"附件{i}") for host in hosts.all()]

    carried = add_links(root, links_for)
    for href, sources in sorted(carried.items()):
        manifest.planted.setdefault(category, []).append(
            {"target": href, "status": hosts.error_of(href), "rule": "links.suspect", "tag": "a", "sources": sources,
             "anchors": [], "note": "off-site host that never answers"})
    return len(carried)


# The demo server's fault routes, all linked from the homepage: (path, what a finished scan says about it).
FAULT_ROUTES = {
    "/__status/500": "suspect",
    "/__status/503": "suspect",         # Retry-After: 1
    "/__status/503?retry_after=none": "suspect",  # no Retry-After
    "/__status/502": "suspect",
    "/__flaky/fault-mix?fail=1": "ok",  # one 503, then a page: only a re-test finds it
    "/__stall": "suspect",              # stalls for the server's stall_seconds (20 in the user's report)
    "/__loop/a": "redirect_loop",
    "/__reset": "suspect",
}


def fault_mix_site(root: Path, *, as_of: date, pages: int | None = None, hosts: DeadHosts | None = None,
                   dead_host_every: int = 10, seed: int = 2026) -> tuple[Manifest, DeadHosts]:
    """Write the fault-mix county site under ``root``: the demo site, every fault route linked from the homepage,
    and dead off-site hosts linked from every ``dead_host_every``-th page.  Serve it with ``DemoServer``."""
    hosts = hosts or DeadHosts.make()
    manifest = generate_site(root, as_of=as_of, pages=pages, seed=seed, hostile=True,
                             closed_port=int(hosts.refused[0].rsplit(":", 1)[1]) if hosts.refused else 9)
    add_links(root, lambda i, path: [(route, f"故障{n}") for n, route in enumerate(FAULT_ROUTES)] if path == "/" else [])
    plant_dead_hosts(root, manifest, hosts, every=dead_host_every)
    return manifest, hosts
