"""Serious-error dictionaries (严重表述错误词典): the file format, its loader and its errors.

A dictionary is a UTF-8 text file, one entry per line, fields separated by ``|`` (spaces around them are
ignored), ``#`` starting a comment line::

    wrong      | 中华人民共合国 | 中华人民共和国
    prohibited | 六合彩         |                | 打击六合彩; 查处六合彩

1. kind: ``wrong`` (错误, a misspelt fixed formulation) or ``prohibited`` (禁用, a word that must not appear);
2. term: what is looked for, at least ``MIN_TERM_CHARS`` characters;
3. expected: the right form (``wrong`` entries only, required there);
4. allowed: phrases, separated by ``;``, that contain the term and are fine where they occur (a policy
   document on 打击六合彩 quotes the word it fights).  The expected form of a ``wrong`` entry is always allowed:
   a wrong form that is part of the right one (``总书`` in ``总书记``) is not an error where the right one stands.

The shipped starter list is ``rules/dictionaries/*.txt``; ``GOVAUDIT_DICTIONARIES`` (paths separated by
``os.pathsep``, files or folders of ``.txt`` files) adds a province's own.  The crawl's extractor and the
check load the same files: bad entries are skipped by the one and reported, with file and line, by the other,
so one bad line never stops a scan.  Hand-written because the format is three fields per line: a CSV or YAML
reader would add quoting rules inspectors editing the list do not need.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import govaudit.rules

MIN_TERM_CHARS = 2
ENV = "GOVAUDIT_DICTIONARIES"
SHIPPED = Path(govaudit.rules.__file__).resolve().parent / "dictionaries"  # package data (rules/ in a checkout)
KINDS = {"wrong": "wrong", "错误": "wrong", "prohibited": "prohibited", "禁用": "prohibited"}


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str  # wrong | prohibited
    term: str
    expected: str | None
    allowed: tuple[tuple[str, tuple[int, ...]], ...]  # (phrase, offsets of the term in it)
    where: str  # file:line

    def allowed_at(self, text: str, start: int) -> bool:
        """Whether an allowed phrase (the expected form included) covers the match at ``start``."""
        for phrase, offsets in self.allowed:
            for off in offsets:
                if start >= off and text.startswith(phrase, start - off):
                    return True
        return False


@dataclass(slots=True)
class Dictionary:
    entries: dict[str, Entry] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # "file:line: why"
    files: list[str] = field(default_factory=list)


def _offsets(phrase: str, term: str) -> tuple[int, ...]:
    out, i = [], phrase.find(term)
    while i >= 0:
        out.append(i)
        i = phrase.find(term, i + 1)
    return tuple(out)


def parse_line(line: str, where: str) -> Entry | str | None:
    """An Entry, an error message, or None for a blank or comment line."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    fields = [f.strip() for f in text.split("|")]
    if len(fields) < 2 or len(fields) > 4:
        return f"{where}: expected 2 to 4 fields separated by '|' (kind | term | expected | allowed), found {len(fields)}"
    fields += [""] * (4 - len(fields))
    kind_word, term, expected, allowed_text = fields
    kind = KINDS.get(kind_word.lower())
    if kind is None:
        return f"{where}: unknown kind {kind_word!r} (one of: {', '.join(KINDS)})"
    if len(term) < MIN_TERM_CHARS:
        return f"{where}: term {term!r} is shorter than {MIN_TERM_CHARS} characters (it would match everywhere)"
    if kind == "wrong" and not expected:
        return f"{where}: a 'wrong' entry needs the expected form (third field)"
    if kind == "wrong" and expected == term:
        return f"{where}: the expected form is the term itself"
    if kind == "prohibited" and expected:
        return f"{where}: a 'prohibited' entry has no expected form (leave the third field empty)"
    phrases = [p.strip() for p in allowed_text.split(";") if p.strip()]
    for phrase in phrases:
        if term not in phrase:
            return f"{where}: allowed phrase {phrase!r} does not contain the term {term!r}"
    if expected and term in expected:
        phrases.append(expected)
    return Entry(kind, term, expected or None, tuple((p, _offsets(p, term)) for p in phrases), where)


def load(path: Path, into: Dictionary) -> None:
    into.files.append(str(path))
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        into.errors.append(f"{path}: is not UTF-8 text (byte {exc.start})")
        return
    except OSError as exc:
        into.errors.append(f"{path}: cannot be read ({exc.strerror or exc.__class__.__name__})")
        return
    for number, line in enumerate(lines, 1):
        where = f"{path}:{number}"
        parsed = parse_line(line, where)
        if isinstance(parsed, str):
            into.errors.append(parsed)
        elif parsed is not None:
            first = into.entries.get(parsed.term)
            if first is not None:
                into.errors.append(f"{where}: term {parsed.term!r} is already listed at {first.where}")
            else:
                into.entries[parsed.term] = parsed


def paths() -> list[Path]:
    """The shipped starter list, then every file ``GOVAUDIT_DICTIONARIES`` names (folders: their .txt files)."""
    out = sorted(SHIPPED.glob("*.txt"))
    for item in filter(None, os.environ.get(ENV, "").split(os.pathsep)):
        p = Path(item)
        out.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    return out


def load_all() -> Dictionary:
    into = Dictionary()
    for path in paths():
        load(path, into)
    return into


def resolve_paths(items: list[str]) -> tuple[str, ...]:
    """A rule set's list of dictionary files or folders (``params.safety.offsite_dictionaries``): relative ones
    are under the shipped ``rules/`` folder (``dictionaries/offsite``), absolute ones are a province's own."""
    return tuple(str(p if p.is_absolute() else SHIPPED.parent / p) for p in map(Path, items))


def load_paths(items: tuple[str, ...]) -> Dictionary:
    """Every ``.txt`` file of the given files and folders (``resolve_paths``), in order."""
    into = Dictionary()
    for item in items:
        p = Path(item)
        for path in (sorted(p.glob("*.txt")) if p.is_dir() else [p]):
            load(path, into)
    return into
