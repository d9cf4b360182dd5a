"""The freshness extractor finds the values a page's scripts assign (``var listData = [{…}]``) from each ``=`` back
to the name before it (``freshness._assignments``, issue 16): the same positions as the pattern it replaced, which
was tried at every character of a script, on every script of the test pages and on hostile strings."""

from __future__ import annotations

import random
import re
from pathlib import Path

from govaudit.crawler.extract.freshness import _assignments
from lxml import html

TESTS = Path(__file__).parent
# The pattern the extractor used until session 13: the oracle.
_JS_ASSIGN = re.compile(r"(?:var|let|const)?\s*[\w$.\[\]'\"]+\s*=\s*(?=[\[{])")


def _oracle(text: str) -> list[int]:
    return [m.end() for m in _JS_ASSIGN.finditer(text)]


def test_the_same_positions_on_every_script_of_the_test_pages():
    scripts = []
    for path in sorted(TESTS.rglob("*.htm*")):
        scripts += [s.text or "" for s in html.fromstring(path.read_bytes()).iter("script")]
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
