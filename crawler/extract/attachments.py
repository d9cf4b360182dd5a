"""Attachment text (PDF, DOCX, XLSX) read for private data and dictionary errors (issue 14 item 5).

Government sites publish name lists, 公示 tables and scanned forms as attachments far more than as pages;
personal data leaks there.  The spider downloads an attachment only when ``content.private_data`` is on, up to
``params.safety.attachments.max_bytes``; its text is read here, in the analysis worker and under the page
budget (``crawler/analysis.py``), and handed to the page matchers of ``content.py`` (one matcher for pages
and attachments), each match told where in the file it lies.

Facts of the attachment's URL record (kind ``resource``):

* ``attachment``: ``{format, parts, chars, reason?, error?}`` — ``parts`` the pages, sheets or paragraphs
  read; ``reason`` why the text is missing or partial: ``encrypted``, ``corrupt``, ``zip_bomb``,
  ``too_large`` (over the download cap: never read), ``page_cap`` / ``char_cap`` (read up to the cap),
  ``analysis_budget`` (over the page budget), ``truncated`` (the download was cut short), ``html_page`` (the
  URL answered a web page: a CMS's "file not found" or login page).
* ``private_data``, ``private_data_counts``, ``content_truncated``, ``serious_terms``: as for pages, each item
  with ``where`` (``{"page": 3}``, ``{"sheet": "名单", "row": 12}``, ``{"paragraph": 40}``, ``{"table": 1, "row": 2}``).

Libraries: pypdf (pure Python, maintained, reads encrypted files with an empty password), python-docx and
openpyxl in read-only mode.  A DOCX or XLSX is a zip: its members' declared sizes are summed before any
library opens it (``zipfile`` never inflates a member past its declared size, so the sum bounds the work).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govaudit.crawler.extract.content import locator, private_data, serious_terms

"""File extensions whose text is read.  ``.doc``/``.xls``/``.wps`` are binary Office formats without a
well-kept pure-Python reader (antiword, LibreOffice are programs): they are not downloaded, only checked."""


@dataclass(frozen=True, slots=True)
class Caps:
    """``params.safety.attachments`` of the rule set: what one attachment may cost.  The defaults only stand in
    where no rule set is read (a ``CrawlConfig`` built by hand reads no attachment)."""

    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 300
    max_unzipped_bytes: int = 50 * 1024 * 1024
    max_chars: int = 2_000_000
    max_files: int = 5000  # attachments read per scan: past it they are only checked (the crawl's bytes stay bounded)

    @classmethod
    def from_param(cls, value: dict[str, Any]) -> Caps:
        keys = ("max_bytes", "max_pages", "max_unzipped_bytes", "max_chars", "max_files")
        return cls(**{k: int(value[k]) for k in keys if k in value})


class Unreadable(Exception):
    """The file's text cannot be had: ``reason`` is the fact's word for why."""

    def __init__(self, reason: str, error: str = "") -> None:
        super().__init__(reason)
        self.reason, self.error = reason, error[:200]


Part = tuple[dict[str, Any], str]  # (where, text)





def _pdf_parts(body: bytes, caps: Caps) -> Iterator[Part]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    reader = PdfReader(io.BytesIO(body))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):  # most "protected" government PDFs only forbid printing or copying
                raise Unreadable("encrypted")
        except (FileNotDecryptedError, NotImplementedError) as exc:
            raise Unreadable("encrypted", str(exc)) from exc
    for n, page in enumerate(reader.pages, 1):
        if n > caps.max_pages:
            raise Unreadable("page_cap")
        yield {"page": n}, page.extract_text() or ""


def _check_zip(body: bytes, caps: Caps) -> None:
    try:
        members = zipfile.ZipFile(io.BytesIO(body)).infolist()
    except zipfile.BadZipFile as exc:
        raise Unreadable("corrupt", str(exc)) from exc
    declared = sum(m.file_size for m in members)
    if declared > caps.max_unzipped_bytes:
        raise Unreadable("zip_bomb", f"{declared} bytes unzipped from {len(body)}")


def _docx_parts(body: bytes, caps: Caps) -> Iterator[Part]:
    import docx

    _check_zip(body, caps)
    document = docx.Document(io.BytesIO(body))
    for n, para in enumerate(document.paragraphs, 1):
        if para.text.strip():
            yield {"paragraph": n}, para.text
    for t, table in enumerate(document.tables, 1):
        for r, row in enumerate(table.rows, 1):
            yield {"table": t, "row": r}, " ".join(cell.text for cell in row.cells)


def _xlsx_parts(body: bytes, caps: Caps) -> Iterator[Part]:
    import openpyxl

    _check_zip(body, caps)
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            for r, row in enumerate(sheet.iter_rows(values_only=True), 1):
                cells = [str(v) for v in row if v is not None]
                if cells:
                    # numbers typed into a cell arrive as int: str() keeps all 18 digits (floats are not IDs)
                    yield {"sheet": sheet.title, "row": r}, " ".join(cells)
    finally:
        book.close()


_READERS = {"pdf": _pdf_parts, "docx": _docx_parts, "xlsx": _xlsx_parts}


def read_parts(body: bytes, fmt: str, caps: Caps) -> tuple[list[Part], str | None, str]:
    """(parts, reason, error): the file's text parts, up to the caps, and why it stopped short (None: read whole).

    Any exception a reader raises on a hostile file is a ``corrupt`` file, not a crash: the libraries raise
    their own error types, KeyError, ValueError and more on malformed input."""
    parts: list[Part] = []
    chars = 0
    reader = _READERS[fmt]
    try:
        for where, text in reader(body, caps):
            parts.append((where, text))
            chars += len(text) + 1
            if chars > caps.max_chars:
                return parts, "char_cap", ""
    except Unreadable as exc:
        return parts, exc.reason, exc.error
    except Exception as exc:  # noqa: BLE001 - see docstring
        return parts, "corrupt", f"{type(exc).__name__}: {exc}"[:200]
    return parts, None, ""


def attachment_facts(body: bytes, fmt: str, caps: Caps) -> dict[str, Any]:
    """The facts of one attachment: what was read, and the page matchers' results with where each lies."""
    parts, reason, error = read_parts(body, fmt, caps)
    starts: list[int] = []
    pos = 0
    for _, text in parts:
        starts.append(pos)
        pos += len(text) + 1
    joined = "\n".join(text for _, text in parts)[:caps.max_chars]
    locate = locator(starts, [where for where, _ in parts])
    listed, counts, truncated = private_data(joined, locate)
    info: dict[str, Any] = {"format": fmt, "parts": len(parts), "chars": len(joined)}
    if reason:
        info["reason"] = reason
    if error:
        info["error"] = error
    facts: dict[str, Any] = {"attachment": info, "private_data": listed, "private_data_counts": counts,
                             "serious_terms": serious_terms(joined, locate)}
    if truncated:
        facts["content_truncated"] = True
    return facts
