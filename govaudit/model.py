"""The data model shared by the crawler, the checks and the reports.

Three kinds of record cross the pipeline's stage boundaries:

* ``UrlRecord`` — one URL seen in a scan (a page we crawled, a resource or an off-site link we only
  checked), with what fetching it returned and every attempt made.
* ``Ref`` — one place that carries a link: the page, the anchor text and the tag.  Inspectors must be
  able to say *where* a dead link sits, so refs are never aggregated away.
* ``Finding`` — the canonical result.  ``findings.jsonl`` is a list of ``Finding.to_json()`` and every
  report renders from it; field names are a public contract (schedules and CI jobs parse them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from govaudit.facts import PageFacts

Severity = Literal["veto", "deduct", "warn", "info"]
SEVERITIES: tuple[str, ...] = ("veto", "deduct", "warn", "info")

UrlKind = Literal["page", "resource", "external", "endpoint"]  # endpoint: a list endpoint a page's script loads
"""``page``: in scope and crawled; ``resource``: in scope, checked but not parsed (images, scripts,
attachments); ``external``: off-site, checked but never crawled."""


def url_key(url: str) -> int:
    """A stable signed 64-bit key for a URL.

    The crawler keeps only these keys in memory (8 bytes of payload a URL instead of the string), and the
    store uses them as primary keys, so a 100,000-page crawl stays small in RAM.
    """
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True)


@dataclass(slots=True)
class Ref:
    """A page that carries a link (来源页面), with the visible anchor text (链接文字)."""

    source: str
    anchor: str = ""
    tag: str = "a"


@dataclass(slots=True)
class UrlRecord:
    """What one scan learnt about one URL."""

    url: str
    kind: str
    depth: int = 0
    state: str = "pending"  # pending | done | skipped
    status: int | None = None
    final_url: str | None = None
    content_type: str | None = None
    size: int | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    facts: PageFacts | None = None  # crawled HTML pages only: govaudit/facts.py
    skip_reason: str | None = None
    aliases: list[str] = field(default_factory=list)
    """Set by ``ScanView.pages()`` only: the other URLs of this document (redirect sources, ``/index.html``
    beside ``/``, the same body at another URL of the host).  Page findings list them in their evidence."""

    @property
    def key(self) -> int:
        return url_key(self.url)

    def keeping(self, keys: tuple[str, ...]) -> UrlRecord:
        """This record with only the fact ``keys`` a check reads: a check that keeps every page's record for a
        second pass must not keep every page's full facts (list items, letters, a11y), which held a 100,000-page
        scan's whole site in memory (issue 16).  Of the attempt history only the last attempt stays (the answer
        the record stands for, which is all such a check reads): a page's attempts decoded from the store cost
        about 1 KB each, held for every page of the site."""
        if self.facts:
            self.facts = {k: self.facts[k] for k in keys if k in self.facts}  # type: ignore[assignment,literal-required]
        del self.attempts[:-1]
        return self


@dataclass(slots=True)
class Finding:
    """One problem (or observation) with its evidence — the unit of ``findings.jsonl``.

    ``url`` is the thing at fault: the broken target for ``links.*``, the column's list page for
    ``columns.*``, the letter's page for ``interaction.*``, the audited page for ``a11y.*``.
    """

    rule: str
    severity: str
    site: str
    url: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding {self.rule}: severity {self.severity!r} is not one of {SEVERITIES}")

    @property
    def fingerprint(self) -> str:
        """Identity of a finding across scans (for baselines): rule + the thing at fault + its discriminator."""
        disc = self.extra.get("discriminator", "")
        return hashlib.sha1(f"{self.rule}\x00{self.url}\x00{disc}".encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "severity": self.severity, "site": self.site, "url": self.url,
                               "message": self.message, "evidence": self.evidence}
        out.update(self.extra)
        out["fingerprint"] = self.fingerprint
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        data = dict(data)
        data.pop("fingerprint", None)
        core = {k: data.pop(k) for k in ("rule", "severity", "site", "url", "message") if k in data}
        missing = {"rule", "severity", "url"} - core.keys()
        if missing:
            raise ValueError(f"finding is missing {sorted(missing)}: {json.dumps(data, ensure_ascii=False)[:200]}")
        core.setdefault("site", "")
        core.setdefault("message", "")
        evidence = data.pop("evidence", {}) or {}
        return cls(evidence=evidence, extra=data, **core)
