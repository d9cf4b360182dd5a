"""A province's list of sites (网站名单): the CSV or workbook an inspection office exports, read into ``Site``s.

Offices export from Excel, so the same list arrives as UTF-8 (with or without a BOM), as GBK, or as the .xlsx
itself; its headers are Chinese or English, sometimes under a title row.  Whatever the file, a bad row never
stops the reading: it is returned as a ``BadRow`` with its line number (the line an office sees in its editor,
or the row number in Excel) and the reason, and the rest of the list goes on.  A site listed twice is scanned
once and reported once, naming every line it is on.

Shared by ``govaudit batch`` and ``govaudit monitor``: both take a site list and need the same sites from it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from govaudit.errors import UserError
from govaudit.urls import BadStartURL, normalise_start_url

SITE_TYPES = ("portal", "department")

# Header words as offices write them (lower-cased, spaces removed before the lookup).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("网站名称", "站点名称", "名称", "网站名", "name", "sitename", "site"),
    "url": ("网址", "网站网址", "网站地址", "首页网址", "首页地址", "网站首页", "域名", "url", "homepage", "address"),
    "region": ("地区", "所属地区", "区域", "行政区划", "地市", "region", "area", "city"),
    "department": ("主办单位", "主管单位", "单位", "部门", "单位名称", "department", "organizer", "owner", "sponsor"),
    "type": ("网站类型", "类型", "站点类型", "网站类别", "type", "sitetype", "kind"),
}
TYPE_WORDS: dict[str, str] = {
    "portal": "portal", "门户": "portal", "门户网站": "portal", "政府门户网站": "portal", "政府门户": "portal",
    "department": "department", "dept": "department", "部门": "department", "部门网站": "department",
    "政府部门网站": "department",
}
HEADER_SEARCH_ROWS = 10   # a title row or two above the header is common in exported lists
# Tried in turn; the first under which a header row appears is the file's (csv.Sniffer guesses wrong on a title row).
CSV_DELIMITERS = (",", "\t", ";", "，")


@dataclass(frozen=True)
class Site:
    """One site of the list; ``url`` is normalised (scheme, trailing path) and ``line`` is where it was read."""

    name: str
    url: str
    region: str = ""
    department: str = ""
    type: str = "portal"
    line: int = 0

    @property
    def key(self) -> tuple[str, int | None, str]:
        return site_key(self.url)


@dataclass(frozen=True)
class BadRow:
    """A row that was skipped: its line (1-based, as an editor or Excel numbers it), why, and what it held.

    For a duplicate, ``line`` is its first repeat and ``lines`` every line the site is on (the first is kept).
    """

    line: int
    reason: str
    cells: tuple[str, ...] = ()
    lines: tuple[int, ...] = field(default=())

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class SiteList(NamedTuple):
    sites: list[Site]
    bad: list[BadRow]


def site_key(url: str) -> tuple[str, int | None, str]:
    """What makes two entries one site: host (case-insensitive), explicit port and path; http and https alike."""
    parts = urlsplit(url)
    port = parts.port
    if port == {"http": 80, "https": 443}.get(parts.scheme):
        port = None
    return ((parts.hostname or "").lower(), port, parts.path.rstrip("/") or "/")


def read_sites(path: str | Path) -> SiteList:
    """Read a site list (.csv in UTF-8/UTF-8-BOM/GBK, or .xlsx); bad and duplicate rows come back in ``bad``."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            tables = [list(_xlsx_rows(path))]
        else:
            text = _decode(path.read_bytes(), path)
            tables = [list(_csv_rows(text, path, d)) for d in CSV_DELIMITERS]
    except OSError as exc:
        raise UserError(f"{path}: cannot read the site list ({exc.strerror or exc})") from exc
    for rows in tables:
        found = _find_header(rows)
        if found:
            break
    else:
        raise UserError(f"{path}: no header row with a site name and a URL column in its first {HEADER_SEARCH_ROWS} "
                        f"rows (e.g. 网站名称,网址,地区,主办单位,网站类型 or name,url,region,department,type)")
    header_at, columns = found
    sites: list[Site] = []
    bad: list[BadRow] = []
    seen: dict[tuple[str, int | None, str], list[int]] = {}
    for line, cells in rows[header_at + 1:]:
        if not any(cells):
            continue
        site = _site(line, cells, columns)
        if isinstance(site, BadRow):
            bad.append(site)
        elif site.key in seen:
            seen[site.key].append(line)
        else:
            seen[site.key] = [line]
            sites.append(site)
    first = {s.key: s for s in sites}
    for key, lines in seen.items():
        if len(lines) > 1:
            also = f" (also line {', '.join(map(str, lines[2:]))})" if len(lines) > 2 else ""
            bad.append(BadRow(lines[1], f"duplicate of line {lines[0]} ({first[key].url}){also}; scanned once",
                              lines=tuple(lines)))
    bad.sort(key=lambda b: b.line)
    return SiteList(sites, bad)


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (BOM or not) when it decodes; else GB18030, the superset of GBK that Excel's "CSV" writes in China."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: is neither UTF-8 nor GBK text (byte {exc.start}); save it as CSV UTF-8 or .xlsx") from exc


def _csv_rows(text: str, path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            yield start, [c.strip() for c in cells]
            start = reader.line_num + 1   # a quoted cell may span lines: a row is named by the line it starts on
    except csv.Error as exc:
        raise UserError(f"{path}: line {start}: not readable as CSV ({exc})") from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl  # only for workbooks: a CSV batch does not need it loaded
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise UserError(f"{path}: is not a readable .xlsx workbook ({exc})") from exc
    try:
        sheet = book.active or book.worksheets[0]
        for n, values in enumerate(sheet.iter_rows(values_only=True), 1):
            yield n, [_cell_text(v) for v in values]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _norm_header(text: str) -> str:
    return "".join(text.split()).lower().replace("_", "").replace("*", "").replace("：", "").replace(":", "")


def _find_header(rows: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int]] | None:
    """The first row, among the first few, that names both a name and a URL column; its column positions."""
    lookup = {_norm_header(word): key for key, words in HEADERS.items() for word in words}
    for at, (_line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(cells):
            key = lookup.get(_norm_header(cell))
            if key and key not in columns:
                columns[key] = col
        if "name" in columns and "url" in columns:
            return at, columns
    return None


def _site(line: int, cells: list[str], columns: dict[str, int]) -> Site | BadRow:
    def get(key: str) -> str:
        col = columns.get(key)
        return cells[col] if col is not None and col < len(cells) else ""

    name, raw_url, kind = get("name"), get("url"), get("type")
    if not raw_url:
        return BadRow(line, "no URL", tuple(cells))
    try:
        url = normalise_start_url(raw_url)
    except BadStartURL as exc:
        return BadRow(line, f"bad URL: {exc}", tuple(cells))
    if not name:
        return BadRow(line, "no site name", tuple(cells))
    site_type = TYPE_WORDS.get(_norm_header(kind), "") if kind else "portal"
    if not site_type:
        return BadRow(line, f"unknown site type {kind!r} (portal/门户 or department/部门)", tuple(cells))
    return Site(name=name, url=url, region=get("region"), department=get("department"), type=site_type, line=line)


__all__ = ["Site", "BadRow", "SiteList", "read_sites", "site_key", "SITE_TYPES"]
