"""Date parsing as Chinese government CMSs print dates, and the defined behaviour for bad dates."""

from datetime import date

import pytest
from govaudit.crawler.extract.dates import find_dates, parse_date, year_heading

from govaudit.readings import iso_or_none

REF = date(2026, 11, 20)


@pytest.mark.parametrize("text, iso", [
    ("2025-11-03", "2025-11-03"),
    ("[2025-11-03]", "2025-11-03"),
    ("【2025-11-03】", "2025-11-03"),
    ("2025/11/03", "2025-11-03"),
    ("2025.11.03", "2025-11-03"),
    ("2025-1-5", "2025-01-05"),
    ("2025年11月3日", "2025-11-03"),
    ("2025 年 1 月 5 日", "2025-01-05"),
    ("二〇二五年十一月三日", "2025-11-03"),
    ("二〇二四年十二月二十日", "2024-12-20"),
    ("发布时间：2025-11-03 09:05:33", "2025-11-03"),
    ("来源：县政府办 时间：2025/11/03 14:30", "2025-11-03"),
])
def test_formats(text, iso):
    found = parse_date(text, ref=REF)
    assert found is not None and found.iso == iso
    assert not found.future and not found.year_inferred


def test_time_is_kept():
    assert parse_date("2025/11/03 14:30", ref=REF).time == "14:30"
    assert parse_date("2025-11-03", ref=REF).time is None


@pytest.mark.parametrize("text", ["2025-02-30", "2025-13-01", "2025年2月29日", "0001-01-01", "1900-01-01"])
def test_impossible_dates_are_no_dates(text):
    assert find_dates(text, ref=REF, month_day=True) == []


def test_impossible_date_does_not_leave_a_fragment_behind():
    # 2025-02-30 must not be re-read as the month-day 02-30 or the two-digit year 25-02-30
    assert find_dates("发布 2025-02-30", ref=REF, month_day=True) == []


def test_future_dates_are_flagged_not_dropped():
    found = parse_date("2027-01-01", ref=REF)
    assert found.iso == "2027-01-01" and found.future
    assert not parse_date("2026-11-20", ref=REF).future


def test_two_digit_years():
    assert parse_date("25-11-03", ref=REF).iso == "2025-11-03"
    assert parse_date("25年11月3日", ref=REF).iso == "2025-11-03"
    assert parse_date("99-01-02", ref=REF).iso == "1999-01-02"
    # 28 is more than a year after the check date: 1928 is before MIN_YEAR, so no date
    assert parse_date("28-01-02", ref=REF) is None


def test_month_day_only_when_asked_and_with_year_heading():
    assert parse_date("11-03", ref=REF) is None  # running text: 11-03 is not a date
    found = parse_date("11-03", ref=REF, month_day=True)
    assert found.iso == "2026-11-03" and found.year_inferred
    # a month-day after the check date belongs to last year
    assert parse_date("12-25", ref=REF, month_day=True).iso == "2025-12-25"
    assert parse_date("11-03", ref=REF, month_day=True, year_hint=2024).iso == "2024-11-03"
    assert parse_date("11月3日", ref=REF, month_day=True, year_hint=2024).iso == "2024-11-03"


def test_numbers_that_are_not_dates():
    text = "某政发〔2025〕12号 联系电话：13812345678 索引号：000014349/2025-00123 版本 3.5"
    assert find_dates(text, ref=REF) == []


def test_several_dates_in_order():
    found = find_dates("成文日期：2025-10-28 发布日期：2025-11-03", ref=REF)
    assert [f.iso for f in found] == ["2025-10-28", "2025-11-03"]


def test_year_heading_and_iso_reading():
    assert year_heading("2025年") == 2025
    assert year_heading(" 【2024年度】 ") == 2024
    assert year_heading("2025年工作计划") is None
    assert iso_or_none("2025-11-03") == date(2025, 11, 3)
    assert iso_or_none("2025-02-30") is None and iso_or_none(None) is None


def test_look_behinds_after_the_first_character_match_as_leading_ones() -> None:
    """The patterns put their look-behind after their first characters so that re can skip ahead (issue 16): on
    hostile strings (digits glued to separators, full-width and Arabic-Indic digits, 年 before a month) they match
    exactly what the plain leading look-behind forms match, from any start; and each hint lies within every match
    of the pattern it stands for."""
    import random
    import re

    from govaudit.crawler.extract import dates
    sep, time = dates._SEP, dates._TIME
    plain = {
        dates._FULL: r"(?<![\d])(?P<y>(?:19|20)\d{2})(?:" + sep + r"(?P<m>\d{1,2})" + sep + r"(?P<d>\d{1,2})(?![\d])"
                     r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?)" + time,
        dates._SHORT_YEAR: r"(?<![\d.\-/])(?P<y>\d{2})(?:" + sep + r"(?P<m>\d{1,2})" + sep + r"(?P<d>\d{1,2})"
                           r"(?![\d.\-/])|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?)" + time,
        dates._MONTH_DAY: r"(?<![\d.\-/年])(?P<m>\d{1,2})(?:\s*[-/.]\s*(?P<d>\d{1,2})(?![\d.\-/])|\s*月\s*"
                          r"(?P<d2>\d{1,2})\s*[日号])" + time,
    }
    bits = [*"0123456789", "19", "20", "2025", "1999", "25", *"-/.．／－年月日号 :：T\n〔〕２٣【】x"]
    rnd = random.Random(16)
    for _ in range(20_000):
        text = "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 14)))
        start = rnd.randint(0, len(text))
        for fast, slow in plain.items():
            slow_re = re.compile(slow)
            assert [(m.span(), m.groups()) for m in fast.finditer(text)] == \
                [(m.span(), m.groups()) for m in slow_re.finditer(text)], text
            a, b = fast.search(text, start), slow_re.search(text, start)
            assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), (text, start)
        # A hint lies within each match of the pattern it hints at, so searching it in a match's stretch finds it.
        for m in dates._SHORT_YEAR.finditer(text):
            assert dates._SHORT_HINT.search(text, m.start(), m.end()), text
        for m in dates._FULL.finditer(text):
            assert dates._FULL_HINT.search(text, m.start(), m.end()), text
