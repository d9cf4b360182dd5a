"""The page facts contract: what extractors gather once per page and checks read from the store.

Facts cross a process boundary (the parse worker) and a storage boundary (JSON in SQLite), so they are plain
dicts at run time; these TypedDicts say which keys exist and what they hold, for the type checker and for
anyone writing a check. Every key is optional (``total=False``): a page that broke one extractor keeps the
other extractors' facts (``extractor_errors`` says which failed), and plugin extractors add keys of their own.
Dates are ISO ``YYYY-MM-DD`` strings or None.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

PageKind = Literal["home", "list", "article", "mailbox", "letter", "other"]


class Column(TypedDict, total=False):
    """栏目: the column a page belongs to, and how its name and type were found."""

    name: str | None
    name_source: str | None  # "meta ColumnName" | "breadcrumb" | "title"
    type: str | None  # ColumnType meta, or the type the freshness rules inferred
    type_reason: str | None
    breadcrumb: list[str]
    title_parts: list[str]
    items_total: int
    short_texts: list[str]
    list_containers: list[str]  # texts of the containers that hold the list


class ListItem(TypedDict, total=False):
    """One entry of a column's list (信息列表), with the date printed beside it."""

    title: str
    url: str
    date: str | None
    date_text: str | None
    source: str  # where the list came from: html, script data, datastore …


class Pagination(TypedDict, total=False):
    url: str
    index: int


class Article(TypedDict, total=False):
    """An article's publication date (发布时间) and the label or tag that carried it."""

    date: str | None
    date_text: str | None
    source: str | None  # "label" | "meta" | "text" | "htmldate"
    meta_date: str | None


class Channel(TypedDict, total=False):
    """An interaction channel (领导信箱、政务咨询 …) a page belongs to."""

    name: str
    kind: str
    excluded: bool  # 网上信访、纪检举报 … are not 政务咨询类 channels
    evidence: str


class Letter(TypedDict, total=False):
    """One letter (来信) with its asking and reply dates and status."""

    title: str | None
    url: str | None
    asked: str | None
    replied: str | None
    status: str | None
    unit: str | None
    has_reply_text: bool | None
    reply_shown: bool
    source: str


class StaticA11yFailure(TypedDict, total=False):
    rule: str
    selector: str
    html: str


class PageFacts(TypedDict, total=False):
    # core (crawler/extract/core.py)
    title: str | None
    lang: str | None
    meta: dict[str, str]
    charset: str
    truncated: bool
    # freshness (crawler/extract/freshness.py)
    kind: PageKind
    column: Column
    list_items: list[ListItem]
    pagination: list[Pagination]
    article: Article
    # interaction (crawler/extract/letters.py)
    channel: Channel | None
    letters: list[Letter]
    channel_links: list[dict[str, Any]]
    # accessibility (crawler/extract/a11y_static.py)
    a11y_static: list[StaticA11yFailure]  # capped per rule; the counts keep the totals
    a11y_static_counts: dict[str, int]
    template: str  # structure signature: pages of one template share it (accessibility sampling)
    elder_candidates: dict[str, Any]
    # identity (crawler/extract/identity.py)
    identity: dict[str, Any]  # footer identifiers: site_id, icp, icp_link, police, police_link, conac, sponsor, contact, footer
    hidden_links: list[dict[str, str]]  # [{url, anchor, how}]: off-host links hidden by inline style or attribute
    embeds: list[dict[str, str]]  # [{host, tag, url}]: where scripts and frames load from
    # content (crawler/extract/content.py); numbers are masked, never stored in clear
    serious_terms: list[dict[str, Any]]  # [{term, kind, expected, sentence}]
    private_data: list[dict[str, Any]]  # [{kind, masked, before, sentence, where?}] (where: in an attachment)
    private_data_counts: dict[str, int]
    content_truncated: bool
    stylesheets: list[str]  # same-host .css the page links (identity), read by the crawl for css_hiding
    link_chains: list[dict[str, Any]]  # [{chain: [[tag, id, class], ...], links: [{url, anchor}]}]: off-host links
    # issue 14, on URL records other than pages (crawler/spiders/site.py reads them while the rule is on):
    attachment: dict[str, Any]  # a PDF/DOCX/XLSX resource: format, parts, chars, reason?, error? (extract/attachments.py)
    css_hiding: list[list[str]]  # a same-site style sheet: [[selector, hiding declaration], ...]
    css_reason: str  # why a style sheet gave no rules (too_large, analysis_budget, worker_lost)
    offsite: dict[str, Any]  # an off-site <a> target: words [{term, count}], excerpt (masked), reason?, truncated?
    # an extractor that raised: its dotted name → the error
    extractor_errors: dict[str, str]
    # analysis abandoned over params.crawl.analysis_budget_seconds, or not begun over params.crawl.analysis_max_bytes
    # (crawler/analysis.py): links and charset, and for analysis_size what the extractors' streamed readers read
    # without a tree (title, lang, meta; serious_terms, private_data, private_data_counts)
    not_analysed: dict[str, Any]  # reason ("analysis_budget" | "worker_lost" | "analysis_size"), size, budget_seconds,
    # max_bytes (analysis_size only), links, facts_read (the fact keys read all the same)
    # endpoints (crawler/extract/endpoints.py): the list requests the page's script makes; on a URL of kind
    # "endpoint", what its answer gave (items, or the reason for none) beside its list_items
    list_endpoints: list[dict[str, Any]]
    endpoint: dict[str, Any]


def unread_code(not_analysed: dict[str, Any]) -> str:
    """The coverage code a page whose ``not_analysed`` fact is this counts under — in the crawl's ``skipped`` and in
    the report's ``links.not_analysed`` alike: a page too large for a tree had its title, metas and text read, one cut
    short by the budget or a lost worker only its links."""
    if not_analysed.get("reason") == "analysis_size":
        return "analysis_size"
    return "not_analysed"
