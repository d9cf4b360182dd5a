"""Scans of a page's scripts made linear and cheap without changing what they find (issue 16), against the pattern
each replaced or guards, on every script of the test pages and on hostile strings: the freshness extractor finds
the values scripts assign (``var listData = [{…}]``) from each ``=`` back to the name before it
(``freshness._assignments``); the endpoints extractor asks for literal words before its hint pattern."""

from __future__ import annotations

import random
import re
from pathlib import Path

from govaudit.crawler.extract.endpoints import _HINT, _HINT_WORDS
from govaudit.crawler.extract.freshness import _assignments
from lxml import html

TESTS = Path(__file__).parent
# The pattern the extractor used until session 13: the oracle.
_JS_ASSIGN = re.compile(r"(?:var|let|const)?\s*[\w$.\[\]'\"]+\s*=\s*(?=[\[{])")


def _oracle(text: str) -> list[int]:
    return [m.end() for m in _JS_ASSIGN.finditer(text)]


def _scripts() -> list[str]:
    scripts = []
    for path in sorted(TESTS.rglob("*.htm*")):
        scripts += [s.text or "" for s in html.fromstring(path.read_bytes()).iter("script")]
    return scripts


def test_the_same_positions_on_every_script_of_the_test_pages():
    scripts = _scripts()
    assert sum(1 for s in scripts if _oracle(s)) > 20  # pages that assign values are among them
    for script in scripts:
        assert list(_assignments(script)) == _oracle(script)


PIECES = ["a", "_", "$", ".", "[", "]", "'", '"', "=", " ", "\t", "\n", "{", "}", "1", "²", "中", "var ", "let",
          "const", "==", "={", "= [", "=>", "!=", "\u3000", "\xa0", "٣", "Ⅷ", "(", ";", ","]


def test_the_same_positions_on_hostile_strings():
    rng = random.Random(16)
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        assert list(_assignments(text)) == _oracle(text), repr(text)


HINT_PIECES = [".ajax", " (", "(", "getJSON", "$.get", "$.post", "$", ".", "get", "post", "jQuery", "fetch", "jpage",
               "dataproxy", "a", " ", "\t", "\n", "_", "中", "J", "Q", "SON"]


def test_every_text_the_hint_pattern_finds_something_in_holds_a_hint_word():
    rng = random.Random(16)
    texts = _scripts() + ["".join(rng.choice(HINT_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    found = [text for text in texts if _HINT.search(text)]
    assert len(found) > 1000
    assert all(any(word in text for word in _HINT_WORDS) for text in found)
