"""Page-fact extractors: each turns one parsed page into facts, once, during the crawl.

An extractor is a function ``extract(ctx: PageContext) -> dict`` returning the fact keys it owns (see
docs/architecture.md).  Extractors are plugins: every one registered in the ``govaudit.extractors``
entry-point group (the built-in ones in pyproject.toml, a provincial package in its own) is listed in the
``GOVAUDIT_EXTRACTORS`` setting; the spider runs that list and merges their dicts into the page's facts; ``govaudit page`` runs the same list on one page, so what an
inspector sees there is exactly what the checks saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from lxml import html as lxml_html


@dataclass(slots=True)
class Link:
    """A link found on a page: absolute URL (fragment removed), the tag that carries it, the visible text."""

    url: str
    tag: str  # a | area | iframe | frame | img | script | link | source | embed | object | form
    anchor: str = ""
    hidden: bool = False  # found in an HTML comment or script data, not in the rendered page


Anchor = tuple[lxml_html.HtmlElement, str, str]
"""An ``<a href>`` of the page's own tree: (element, its text with whitespace collapsed, its href as written).

The links pass (``core.extract_links``) reads each anchor's text once and keeps it for the extractors that go
over a page's anchors: on a 50,000-link site map every read of a text makes a new Python string, and each
extractor reading them again was a pass of its own (issue 16); so was reading the href again.  The text is the one the page's ``Link`` holds (no
copy); a plain tuple, as a record class would cost more to build than the reads it saves."""


@dataclass(slots=True)
class PageContext:
    url: str
    tree: lxml_html.HtmlElement
    is_home: bool = False
    links: list[Link] = field(default_factory=list)
    # Every anchor of ``tree`` in document order, or None when the context was built without the links pass
    # (an extractor then walks the tree itself).
    anchors: list[Anchor] | None = None
    as_of: date | None = None
    site: str = ""
    charset: str = ""
    digest: str = ""  # of the body as fetched: the same body at two URLs of a host is one document
    _elements: dict[str, list[lxml_html.HtmlElement]] | None = field(default=None, init=False, repr=False,
                                                                     compare=False)

    def elements(self, tag: str) -> list[lxml_html.HtmlElement]:
        """The tree's ``tag`` elements in document order, ``tag`` one of ``INDEXED_TAGS``.

        Found for all of those tags by one walk, the first time an extractor asks: each extractor walking the tree
        for its own ``<meta>``, ``<script>`` or ``<h1>`` was a walk of every element per question (a dozen a page,
        2–3 ms each on a 50,000-link site map, most of them for a tag the page lacks; issue 16)."""
        if self._elements is None:
            found: dict[str, list[lxml_html.HtmlElement]] = {tag: [] for tag in INDEXED_TAGS}
            for el in self.tree.iter(*INDEXED_TAGS):
                found[el.tag].append(el)
            self._elements = found
        return self._elements[tag]

    def first(self, tag: str) -> lxml_html.HtmlElement | None:
        """The tree's first ``tag`` element (``tag`` one of ``INDEXED_TAGS``), as ``core.first(tree, tag)``."""
        found = self.elements(tag)
        return found[0] if found else None


INDEXED_TAGS = ("meta", "base", "title", "h1", "h2", "h3", "style", "script")
"""The tags ``PageContext.elements`` finds: those extractors look for in the whole page."""


Extractor = Callable[[PageContext], dict[str, Any]]

GROUP = "govaudit.extractors"


def installed() -> dict[str, str]:
    """Every installed extractor, name → dotted path, sorted by name.

    Extractors own disjoint fact keys (a check plugin names the ones it needs), so their order changes no
    fact; a stable order keeps runs comparable."""
    return {ep.name: ep.value.replace(":", ".") for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name)}


def load_extractors(paths: Iterable[str]) -> list[Extractor]:
    out = []
    for path in paths:
        module, _, name = path.rpartition(".")
        out.append(getattr(import_module(module), name))
    return out


StreamedReader = Callable[[], Any]
"""How an extractor reads a page too large for a tree (over ``params.crawl.analysis_max_bytes``): a maker of a parser
target (lxml's interface: ``start``, ``end``, ``data``, and ``comment``, ``pi``, ``close`` if it wants them) that is
given the events of the tree ``parse_html`` would build, then asked for the facts it read (``facts() -> dict``).
One parse feeds every extractor's target (``core.Fanout``).  Declared with
``reads_streamed``; an extractor without one reads nothing of such a page."""


def reads_streamed(reader: StreamedReader) -> Callable[[Extractor], Extractor]:
    """Declares ``reader`` as the way the decorated extractor reads a page too large for a tree (issue 16): a
    pasted document or a 公示 table of several MB is where leaked ID numbers are found, and its text can be read
    for a few bytes per byte where its tree costs 15–25."""
    def declare(extractor: Extractor) -> Extractor:
        setattr(extractor, "streamed", reader)  # noqa: B010 (an attribute of the function, as a plugin carries it)
        return extractor
    return declare


def streamed_readers(extractors: Iterable[Extractor]) -> list[tuple[Extractor, StreamedReader]]:
    """The extractors that declare a streamed reader, with it."""
    return [(extractor, reader) for extractor in extractors if (reader := getattr(extractor, "streamed", None))]


def streamed_facts(readers: Sequence[tuple[Extractor, StreamedReader]], targets: Sequence[Any],
                   failed: dict[int, Exception]) -> dict[str, Any]:
    """Merged facts of the ``targets`` the ``readers`` made (in order) once the parse has fed them, each failing
    alone as in ``run_extractors``: ``failed`` holds, by index, what a target raised during the parse."""
    facts: dict[str, Any] = {}
    for at, ((extractor, _), target) in enumerate(zip(readers, targets)):
        try:
            if at in failed:
                raise failed[at]
            facts.update(target.facts())
        except Exception as exc:  # noqa: BLE001 - see run_extractors
            _failed(facts, extractor, exc)
    return facts


def run_extractors(ctx: PageContext, extractors: Iterable[Extractor]) -> dict[str, Any]:
    """Merged facts of every extractor.  Crawled pages are hostile: an extractor that fails on one loses only
    its own facts (recorded under ``extractor_errors``), never the page's links or the other extractors' facts."""
    facts: dict[str, Any] = {}
    for extractor in extractors:
        try:
            facts.update(extractor(ctx))
        except Exception as exc:  # noqa: BLE001 - see docstring
            _failed(facts, extractor, exc)
    return facts


def _failed(facts: dict[str, Any], extractor: Extractor, exc: Exception) -> None:
    facts.setdefault("extractor_errors", {})[f"{extractor.__module__}.{extractor.__name__}"] = repr(exc)[:300]
