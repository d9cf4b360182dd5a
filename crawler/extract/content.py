"""Content safety facts: serious-error dictionary matches and private-data candidates, once per page.

Facts (docs/architecture.md):

* ``serious_terms``: ``[{term, kind, expected, sentence}]`` — a wrong form of a fixed formulation (a leader's
  name or title, the name of the state or the Party) with the form it must take, or a prohibited word, and
  the sentence it sits in.  Matched with an Aho–Corasick automaton (pyahocorasick) over the page's text, in
  one pass whatever the dictionary's size (``bench/dictionary_bench.py``: 10,000 entries).
* ``private_data``: ``[{kind, masked, before, sentence}]`` — resident identity numbers that pass the GB 11643
  check digit, mobile numbers, bank card numbers that pass Luhn — masked here, so the clear number never
  reaches the store; ``before`` is the text just before the number (digits masked) for the check's
  "public by design" labels (办公电话, 咨询电话 …), which a rule set can change without a re-crawl.
* ``private_data_counts``: ``{kind: total}`` and ``content_truncated`` when a page had more candidate numbers
  than ``MAX_CANDIDATES`` (the rest are not looked at: bounded time on a page of a million numbers).

The dictionaries are the files ``govaudit.dictionary.paths()`` names (the shipped starter list and
``GOVAUDIT_DICTIONARIES``): extractors see only the page, not the rule set.  Bad entries are skipped here and
reported by the check with their line numbers.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import Any

from govaudit.crawler.extract import PageContext, reads_streamed
from govaudit.crawler.extract.core import decode_html, first, parse_html
from lxml import etree

from govaudit.dictionary import Dictionary, load_all, load_paths

MAX_CANDIDATES = 5000
"""Digit runs examined per page.  A real page has tens; a hostile one a million: past this the page is
marked ``content_truncated`` and the rest is not examined."""
MAX_LISTED = 20
"""Matches kept per page and kind (counts keep the totals)."""
SENTENCE_CHARS = 60

_HIDDEN = {"script", "style", "noscript"}  # elements whose text no reader sees
# Digit runs of 11–19 (an identity number may end in X), or the grouped shapes people type: mobile 3-4-4,
# card 4-4-4-4(-n), identity 6-8-4.  Only these shapes: free grouping would join the cells of a number table.
# One regex over the page, each hit classified by its digits.  Every shape starts with a digit, written first
# (the look-behind after it, over that digit and the character before): a pattern that starts with a look-behind
# is tried at every position of the page, one that starts with a digit lets the regex engine skip to the next
# digit (a third of the cost on a 50,000-link page).
_NUMBER = re.compile(r"\d(?<![\dA-Za-z]\d)(?:\d{10,18}[Xx]?|(?<=1)\d{2}[ -]\d{4}[ -]\d{4}|\d{3}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?"
                     r"|\d{5}[ -]\d{8}[ -]\d{3}[\dXx])(?![\dA-Za-z])")
# Where the first match can start: every shape is a digit and ten more digits, spaces or dashes.  Sought before
# ``_NUMBER``, whose four branches and look-behind are tried at every digit of the page: a site map's 240,000
# digits (第123项) and none of its numbers long enough cost 15 ms, this 10 (issue 16).
_NUMBER_START = re.compile(r"\d[\d -]{10}")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_DIGITS = re.compile(r"\d")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_valid(number: str) -> bool:
    """GB 11643-1999: 17 digits (region, birth date, sequence) and the ISO 7064 MOD 11-2 check character."""
    if len(number) != 18 or not number[:17].isdigit() or number[0] == "0":
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date(2100, 1, 1):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def classify(digits: str) -> str | None:
    """``id_number`` | ``mobile`` | ``bank_card`` | None.  Precision first: a number that fails its check
    digit is not an identity number; a card must pass Luhn and carry a card network's leading digits."""
    n = len(digits)
    if n == 18 and id_number_valid(digits):
        return "id_number"
    if n == 11 and digits[0] == "1" and digits[1] in "3456789" and digits.isdigit():
        return "mobile"
    if 16 <= n <= 19 and digits.isdigit() and digits[0] in "3456" and luhn_valid(digits):
        return "bank_card"
    return None


def mask(kind: str, digits: str) -> str:
    """The masked form reports show: mobile 138****5678 (the usual form), others keep 4 leading and the
    last 2 (identity) or 4 (card) characters."""
    if kind == "mobile":
        return digits[:3] + "****" + digits[-4:]
    keep = 2 if kind == "id_number" else 4
    return digits[:4] + "*" * (len(digits) - 4 - keep) + digits[-keep:]


def _mask_digits(text: str) -> str:
    return _DIGITS.sub("*", text)


_BLOCKS = {"p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dd", "dt", "table",
           "section", "article", "header", "footer", "nav", "body", "br", "form", "blockquote"}


# The text nodes, less those of XML whitespace alone (a real page's indentation: 70 % of the corpus pages' text nodes),
# dropped in C; one of other whitespace only (&nbsp;, U+3000) strips to nothing in ``visible_text``.
_TEXTS = etree.XPath("descendant::text()[normalize-space()]")


def visible_text(el: etree._Element) -> str:
    """An element's visible text, joined once (no text_content() per element): a text node that begins a block
    (or follows a ``<br>``) starts a new line, so a sentence never runs across a menu and a paragraph.

    Each text node in document order, from one XPath (a C walk; lxml's smart strings say where each one sits: a
    tail's ``getparent()`` is the element it follows), stripped and put after a newline when that element is a
    block, else a space; the text under script, style and noscript left out, not their tails.  A walk by hand over
    the children cost 1.5 times as much on a 50,000-link site map, and lxml's ``iterwalk`` twice that again
    (issue 16)."""
    if any(node.tag in _HIDDEN for node in (el, *el.iterancestors())):
        return ""
    # Found by a tag-filtered ``iter`` (``el`` itself is not one of them, asked above), which costs nothing on a
    # page without them; the XPath union walked the tree three times (3 ms of a 50,000-link site map, issue 16).
    tops = list(el.iter(*_HIDDEN))
    inside = {d for h in tops for d in h.iterdescendants()}  # a tail of one of these is hidden too
    hidden = inside.union(tops)
    out: list[str] = []
    for text in _TEXTS(el):
        piece = text.strip()
        if not piece:
            continue
        owner = text.getparent()
        if hidden and owner in (inside if text.is_tail else hidden):
            continue
        out.append("\n" if owner.tag in _BLOCKS else " ")
        out.append(piece)
    # Every piece follows a one-character separator: the text less its first character.
    return "".join(out)[1:]


class _TextEvents:
    """Parser target (``core.stream``): the ``page_text`` of the tree the events describe, read without the tree
    (a page over ``params.crawl.analysis_max_bytes``, issue 16).

    ``visible_text``'s pieces: a text node is the run of ``data`` between two other events; one not of whitespace
    alone is stripped and put after a newline when the element it is the text or the tail of (the last start or
    end) is a block, else a space; none under a script, style or noscript (a tail of one is shown, as is a
    comment's outside them); the first body's pieces, or the root element's when there is no body.  The same text
    on every fixture and real page (tests/test_analysis_budget.py)."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.run: list[str] = []  # the open text node's data
        self.separator = " "  # "\n" when the element the open text node belongs to is a block
        self.hidden = 0  # script, style and noscript elements open
        self.shown = True  # the open text node is not under one of them
        self.depth = 0
        self.root: list[int] = []  # where the root element's pieces begin and end
        self.body: list[int] = []  # where the first body's pieces begin and end
        self.body_depth = 0

    def _node(self, tag: Any) -> None:
        """A start, an end, a comment or a processing instruction: the open text node ends; the next belongs to it."""
        if self.run:
            piece = "".join(self.run).strip()
            self.run = []
            if self.shown and piece:
                self.pieces.append(self.separator + piece)
        self.separator = "\n" if tag in _BLOCKS else " "
        self.shown = not self.hidden

    def start(self, tag: str, attrib: Any) -> None:
        self.hidden += tag in _HIDDEN
        self._node(tag)
        self.depth += 1
        if self.depth == 1 and not self.root:
            self.root.append(len(self.pieces))
        if tag == "body" and not self.body:
            self.body.append(len(self.pieces))
            self.body_depth = self.depth

    def end(self, tag: str) -> None:
        self.hidden -= tag in _HIDDEN
        self._node(tag)
        if self.depth == self.body_depth and len(self.body) == 1:
            self.body.append(len(self.pieces))
        if self.depth == 1 and len(self.root) == 1:
            self.root.append(len(self.pieces))
        self.depth -= 1

    def data(self, text: str) -> None:
        self.run.append(text)

    def comment(self, text: str) -> None:
        self._node(None)

    def pi(self, target: str, data: str | None = None) -> None:
        self._node(None)

    def close(self) -> None:
        self._node(None)

    def text(self) -> str:
        self._node(None)  # (a parse that failed never called close)
        span = self.body or self.root
        if not span:
            return ""
        return "".join(self.pieces[span[0]:span[1] if len(span) == 2 else None])[1:]

    def facts(self) -> dict[str, Any]:
        """``extract``'s facts, of this text."""
        return _text_facts(self.text())


def page_text(root: etree._Element) -> str:
    """The visible text of the page's body (its root's when it has none)."""
    body = root.find("body")  # a parsed document's body is its root's child: no search of the whole tree
    if body is None:
        body = first(root, "body")
    return visible_text(body if body is not None else root)


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]``, at most ``SENTENCE_CHARS`` either side."""
    lo = max(0, start - SENTENCE_CHARS)
    cut = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
    lo = cut[-1] if cut else lo
    m = _SENTENCE_END.search(text, end, min(len(text), end + SENTENCE_CHARS))
    hi = m.end() if m else min(len(text), end + SENTENCE_CHARS)
    return text[lo:hi].strip()


Locate = Callable[[int], dict[str, Any]]
"""Where in a document an offset of its joined text lies (an attachment's page, sheet or paragraph)."""


@cache
def _automaton(files: tuple[str, ...] | None = None) -> tuple[Any, Dictionary]:
    """The automaton over a dictionary's terms (built once per worker process): every installed dictionary,
    or the given files (the off-site keyword lists of the rule set).

    pyahocorasick is imported here, not with the module: were it missing, only this extractor's facts would be
    lost (``extractor_errors``), not every page's analysis."""
    import ahocorasick

    dictionary = load_all() if files is None else load_paths(files)
    auto = ahocorasick.Automaton()
    for term, entry in dictionary.entries.items():
        auto.add_word(term, (term, entry))
    if len(auto):
        auto.make_automaton()
    return auto, dictionary


def serious_terms(text: str, locate: Locate | None = None, files: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Dictionary matches in ``text``; ``locate`` adds where each lies (attachments), ``files`` picks the
    dictionary (default: every installed one)."""
    auto, _ = _automaton(files)
    if not len(auto):
        return []
    spans: list[tuple[int, int, str, Any]] = []
    for end, (term, entry) in auto.iter(text):
        start = end - len(term) + 1
        if entry.allowed_at(text, start):
            continue  # the right form (or an allowed phrase) contains this wrong form here
        spans.append((start, end + 1, term, entry))
        if len(spans) >= MAX_LISTED * 5:
            break
    # a match inside a longer one at the same place is the same error (人民共 inside 中华人民共合国): the longer wins
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[dict[str, Any]] = []
    reach = -1
    for start, end, term, entry in spans:
        if end <= reach:
            continue
        reach = end
        item = {"term": term, "kind": entry.kind, "expected": entry.expected, "sentence": sentence_at(text, start, end)}
        if locate is not None:
            item["where"] = locate(start)
        out.append(item)
    return out


def private_data(text: str, locate: Locate | None = None) -> tuple[list[dict[str, Any]], dict[str, int], bool]:
    listed: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    seen: set[str] = set()
    start = _NUMBER_START.search(text)
    if start is None:
        return listed, counts, False
    for n, m in enumerate(_NUMBER.finditer(text, start.start())):
        if n >= MAX_CANDIDATES:
            return listed, counts, True
        raw = m.group(0)
        digits = raw.replace(" ", "").replace("-", "")
        kind = classify(digits)
        if kind is None or digits in seen:
            continue
        seen.add(digits)
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] <= MAX_LISTED:
            masked = mask(kind, digits.upper())
            sentence = sentence_at(text, m.start(), m.end())
            sentence = _mask_digits(sentence.replace(raw, "\0")).replace("\0", masked)
            item: dict[str, Any] = {"kind": kind, "masked": masked, "before": _mask_digits(text[max(0, m.start() - 12):m.start()]),
                                    "sentence": sentence}
            if locate is not None:
                item["where"] = locate(m.start())
            listed.append(item)
    return listed, counts, False


def locator(starts: Sequence[int], wheres: Sequence[dict[str, Any]]) -> Locate:
    """A ``Locate`` over parts joined into one text: ``starts[i]`` is where part ``i`` (at ``wheres[i]``) begins."""
    return lambda offset: wheres[max(0, bisect_right(starts, offset) - 1)]


def _text_facts(text: str) -> dict[str, Any]:
    listed, counts, truncated = private_data(text)
    facts: dict[str, Any] = {"serious_terms": serious_terms(text), "private_data": listed, "private_data_counts": counts}
    if truncated:
        facts["content_truncated"] = True
    return facts


@reads_streamed(_TextEvents)
def extract(ctx: PageContext) -> dict[str, Any]:
    """The page's content safety facts, from its visible text; a page too large for a tree gets the same from the
    same text, streamed (``_TextEvents``)."""
    return _text_facts(page_text(ctx.tree))


OFFSITE_EXCERPT_CHARS = 80


def _mask_word(word: str) -> str:
    return word[0] + "*" * (len(word) - 1)


def offsite_facts(body: bytes, declared: str | None, files: tuple[str, ...]) -> dict[str, Any]:
    """What an off-site link target's page shows of the rule set's prohibited-content lists (``files``):
    ``{"offsite": {words: [{term, count}], excerpt}}``, the excerpt a sentence around the first word with every
    word found masked (六**): a report quotes a gambling page without advertising it.  Only ``prohibited``
    entries count here; the target's page is hostile, so this runs in the analysis worker under the budget."""
    text, _ = decode_html(body, declared)
    found = [m for m in serious_terms(page_text(parse_html(text)), files=files) if m["kind"] == "prohibited"]
    counts: dict[str, int] = {}
    for m in found:
        counts[m["term"]] = counts.get(m["term"], 0) + 1
    excerpt = found[0]["sentence"][:OFFSITE_EXCERPT_CHARS] if found else ""
    for term in counts:
        excerpt = excerpt.replace(term, _mask_word(term))
    return {"offsite": {"words": [{"term": t, "count": n} for t, n in counts.items()], "excerpt": _mask_digits(excerpt)}}
