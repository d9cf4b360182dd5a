"""Dates as Chinese government CMSs print them (列表日期、发布时间、PubDate).

Hand-written regular expressions rather than ``dateparser``: the set of formats is small and fixed
(``2025-11-03``, ``[2025-11-03]``, ``2025/11/03``, ``2025.11.03``, ``2025年11月3日``, ``二〇二五年十一月三日``,
``11-03`` under a year heading, each with or without a time), and what matters is *where* a date sits and
what to do with bad ones.  ``dateparser.search.search_dates`` is two orders of magnitude slower on a list page
and finds "dates" in ordinary numbers (document numbers such as 〔2025〕12号, phone numbers); htmldate
mis-reads ``2025年11月3日`` as 2025-01-01.  htmldate is used only as the article fallback in
``crawler.extract.freshness`` (see bench/freshness_accuracy.py for the measurement).

Defined behaviour for bad input (tests/test_dates.py):

* impossible dates (``2025-02-30``, month 13) are not dates: no match, the item counts as undated;
* two-digit years (``25-11-03``, ``25年11月3日``) mean 20yy unless that is more than a year after the
  reference date, then 19yy;
* month-day only (``11-03``) takes the year of the nearest year heading above it, else the reference year,
  stepping back one year if that would put it after the reference date; ``year_inferred`` is set;
* dates after the reference date are returned as printed with ``future=True``; the checks decide what they
  are worth (a future date is no evidence of an update);
* years before ``MIN_YEAR`` are rejected (``0001-01-01`` placeholders, document numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import attrgetter

MIN_YEAR = 1990  # the first Chinese government websites date from the mid-1990s; earlier "dates" are noise

_SEP = r"\s*[-/.．／－]\s*"
_TIME = r"(?:[\sT]*(?P<hh>[01]?\d|2[0-3])[:：](?P<mi>[0-5]\d)(?:[:：](?P<ss>[0-5]\d))?)?"
# Digits must not be glued to other digits: 〔2025〕12号 or 13812345678 are not dates.  Each pattern's look-behind
# stands after its first characters (``(?:19|20)(?<!\d19|\d20)`` is ``(?<!\d)(?:19|20)``): re scans ahead for a
# pattern's possible first characters only when it begins with them, and a leading look-behind made every
# position of a text a full attempt (a third of the scan of a 5,000-row list's cells, issue 16).
_FULL = re.compile(
    r"(?P<y>(?:19|20)(?<!\d19|\d20)\d{2})(?:" + _SEP + r"(?P<m>\d{1,2})" + _SEP + r"(?P<d>\d{1,2})(?![\d])"
    r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?)" + _TIME)
_SHORT_YEAR = re.compile(
    r"(?P<y>\d(?<![\d.\-/]\d)\d)(?:" + _SEP + r"(?P<m>\d{1,2})" + _SEP + r"(?P<d>\d{1,2})(?![\d.\-/])"
    r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?)" + _TIME)
_MONTH_DAY = re.compile(
    r"(?P<m>\d(?<![\d.\-/年]\d)\d?)(?:\s*[-/.]\s*(?P<d>\d{1,2})(?![\d.\-/])|\s*月\s*(?P<d2>\d{1,2})\s*[日号])" + _TIME)
# What a match of _FULL and of _SHORT_YEAR cannot lack, each within the match: a scan for it costs a fraction of the
# pattern's own, and most texts asked (a list's titles and cells, 5,000 on a 信息公开目录) have neither.
_FULL_HINT = re.compile(r"(?:19|20)\d\d")
# _SHORT_YEAR's, found by its rarest character: the separator after the year, right after two digits that follow
# no [\d.\-/], or after a space (``25 - 11``).  A scan that stops at separators, not at every digit of a 信息公开目录
# row's index number (11330000-000123) before its date.
_SHORT_HINT = re.compile(r"[-/.．／－年](?:(?<=(?<![\d.\-/])\d\d.)|(?<=\s.))")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0}
_CN_FULL = re.compile(r"(?P<y>[〇零一二三四五六七八九○Ｏ]{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,3})日")
_DIGIT = re.compile(r"\d")
_YEAR_HEADING = re.compile(r"^\s*[\[【(（]?\s*((?:19|20)\d{2})\s*年?度?\s*[\]】)）]?\s*$")


@dataclass(slots=True)
class DateMatch:
    """One date found in a text: the calendar date, the text as printed and how sure we are of the year.

    Not frozen, though nothing changes one: a frozen dataclass sets each field through ``object.__setattr__``,
    which made a match cost seven times as much to build, once for each row of a 5,000-row list (issue 16)."""

    value: date
    text: str
    start: int
    end: int
    time: str | None = None  # "HH:MM" when printed
    year_inferred: bool = False
    future: bool = False

    @property
    def iso(self) -> str:
        return self.value.isoformat()


def _make(y: int, m: int, d: int) -> date | None:
    if y < MIN_YEAR:
        return None
    try:
        return date(y, m, d)
    except ValueError:  # 2025-02-30, month 13: an impossible date is no date
        return None


def _cn_number(text: str) -> int:
    """一 → 1, 十一 → 11, 二十三 → 23 (months and days only)."""
    if "十" not in text:
        return _CN_DIGITS[text[0]] if text else 0
    tens, _, units = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def _hh_mm(hh: str | None, mi: str | None) -> str | None:
    return f"{int(hh):02d}:{mi}" if hh else None


def _add(out: list[DateMatch], value: date | None, m: re.Match[str], ref: date, inferred: bool,
         tm: str | None) -> None:
    if value is not None:
        start, end = m.span()
        out.append(DateMatch(value, m.group(0).strip(), start, end, tm, inferred, value > ref))


def _free(taken: list[tuple[int, int]], m: re.Match[str]) -> bool:
    """Whether ``m`` overlaps no span ``taken`` (a loop, not all() over a generator: a row has one or two dates)."""
    start, end = m.span()
    for s, e in taken:
        if end > s and start < e:
            return False
    return True


def _hint_outside(hint: re.Pattern[str], text: str, taken: list[tuple[int, int]]) -> bool:
    """Whether ``hint`` matches in a stretch of ``text`` that no span ``taken`` covers: a free match of the pattern
    it hints at lies in one, and so does the hint's match within it.  A list row's full date is not scanned a
    second time for a short-year date that could only be skipped (issue 16).  (A search from ``pos`` still sees
    the characters before it, so look-behinds read as in the whole text.)"""
    pos = 0
    for start, end in sorted(taken):
        if start > pos and hint.search(text, pos, start):
            return True
        pos = max(pos, end)
    return hint.search(text, pos) is not None


def find_dates(text: str, *, ref: date | None = None, year_hint: int | None = None,
               month_day: bool = False) -> list[DateMatch]:
    """All dates in ``text``, in order of appearance.

    ``ref`` is the reference date (the check date): it resolves two-digit years and year-less dates and
    flags future dates.  ``month_day`` allows ``11-03`` forms; only switch it on for short texts known to
    be a date cell (a list row's date column), since in running text ``3.5`` or ``1/2`` are not dates.
    """
    if "年" not in text and not _DIGIT.search(text):  # every form has a digit or 年: most texts are not dates
        return []
    ref = ref or date.today()
    out: list[DateMatch] = []
    # What the patterns matched: an impossible date still occupies its text so that a shorter pattern cannot
    # re-read a part of it.  Full dates come first and never overlap one another (finditer), so only the later
    # patterns ask whether a span is free: a list row's date costs no test (issue 16).
    taken: list[tuple[int, int]] = []
    for m in _FULL.finditer(text) if _FULL_HINT.search(text) else ():
        y, mo, d, mo2, d2, hh, mi, _ = m.groups()
        _add(out, _make(int(y), int(mo or mo2), int(d or d2)), m, ref, False, _hh_mm(hh, mi))
        taken.append(m.span())
    for m in _CN_FULL.finditer(text) if "年" in text else ():
        if _free(taken, m):
            y = int("".join(str(_CN_DIGITS[c]) for c in m.group("y")))
            _add(out, _make(y, _cn_number(m.group("m")), _cn_number(m.group("d"))), m, ref, False, None)
        taken.append(m.span())
    for m in _SHORT_YEAR.finditer(text) if _hint_outside(_SHORT_HINT, text, taken) else ():
        if not _free(taken, m):
            continue
        yy, mo, d, mo2, d2, hh, mi, _ = m.groups()
        y = 2000 + int(yy) if 2000 + int(yy) <= ref.year + 1 else 1900 + int(yy)
        _add(out, _make(y, int(mo or mo2), int(d or d2)), m, ref, False, _hh_mm(hh, mi))
        taken.append(m.span())
    if month_day:
        for m in _MONTH_DAY.finditer(text):
            if not _free(taken, m):
                continue
            mo, d, d2, hh, mi, _ = m.groups()
            month, day = int(mo), int(d or d2)
            if year_hint is not None:
                value = _make(year_hint, month, day)
            else:
                value = _make(ref.year, month, day)
                if value is not None and value > ref:
                    value = _make(ref.year - 1, month, day)
            _add(out, value, m, ref, True, _hh_mm(hh, mi))
            taken.append(m.span())
    if len(out) > 1:  # a row's one date needs no sort, nor a key function built and called (issue 16)
        out.sort(key=attrgetter("start"))
    return out


def parse_date(text: str, *, ref: date | None = None, year_hint: int | None = None,
               month_day: bool = False) -> DateMatch | None:
    """The first date in ``text`` (see ``find_dates``), or None."""
    found = find_dates(text, ref=ref, year_hint=year_hint, month_day=month_day)
    return found[0] if found else None


def year_heading(text: str) -> int | None:
    """``2025``, ``2025年``, ``【2025年度】`` standing alone: a year heading above a list of ``11-03`` dates."""
    m = _YEAR_HEADING.match(text)
    return int(m.group(1)) if m else None


