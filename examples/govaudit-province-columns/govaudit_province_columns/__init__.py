"""A provincial check as a govaudit plugin: the columns a province requires must exist on the site.

It uses only govaudit's plugin interface (``govaudit.checks.plugin``) and the scan view it is handed; the
list of required columns comes from the rule set (``params.province_columns.required``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govaudit.checks.plugin import CheckPlugin, Field, Hit, RuleMeta, T

RULE = "province.column_missing"


def extract_nav(ctx: Any) -> dict[str, Any]:
    """On the homepage, the texts of its links (its navigation), so the check can find a column that is
    linked from the homepage but whose list page the crawl did not reach."""
    if not ctx.is_home:
        return {}
    texts = [" ".join(link.anchor.split()) for link in ctx.links if link.tag == "a" and not link.hidden]
    return {"province_nav": sorted({t for t in texts if t})}


def _found(view: Any) -> tuple[set[str], set[str], int]:
    names: set[str] = set()
    types: set[str] = set()
    pages = 0
    for page in view.pages():
        facts = page.facts or {}
        pages += 1
        column = facts.get("column") or {}
        if column.get("name"):
            names.add(" ".join(str(column["name"]).split()))
        if column.get("type"):
            types.add(str(column["type"]).strip())
        names.update(facts.get("province_nav") or [])
    return names, types, pages


def run(view: Any, rules: Any) -> Iterator[Hit]:
    required: list[dict[str, Any]] = list(rules.param("province_columns.required") or [])
    names, types, pages = _found(view)
    for item in required:
        accepted = [item["name"], *item.get("aliases", [])]
        if any(n in names for n in accepted) or (item.get("column_type") and item["column_type"] in types):
            continue
        yield Hit(RULE, view.start_url,
                  evidence={"column": item["name"], "aliases": accepted[1:], "column_type": item.get("column_type"),
                            "pages": pages},
                  extra={"discriminator": item["name"]})


PLUGIN = CheckPlugin(
    id="province_columns",
    title=T("省级规定栏目", "Provincial required columns"),
    run=run,
    rules={RULE: RuleMeta(
        title=T("缺少省级规定栏目", "Required provincial column missing"),
        help=T("省级规则集要求设置的栏目，在首页导航和已抓取的栏目页中都没有找到（按栏目名称、别名或 ColumnType 判断）。",
               "A column the provincial rule set requires was found neither in the homepage navigation nor among the "
               "crawled column pages (by name, alias or ColumnType)."),
        severity="deduct",
        message=T("未找到规定栏目“{column}”（已检查 {pages} 个页面）",
                  "Required column \u201c{column}\u201d not found ({pages} pages checked)"),
        fields={"column": Field(T("规定栏目", "Required column")),
                "aliases": Field(T("可接受的其他名称", "Other accepted names"), kind="list"),
                "column_type": Field(T("栏目类型（ColumnType）", "Column type (ColumnType)"), optional=True),
                "pages": Field(T("检查页面数", "Pages checked"), kind="count")})},
    families={"province": T("省级规定栏目", "Provincial columns")},
    needs=("column", "province_nav"),
    extractors=("freshness", "province_nav"),
    params={"required": []},
    enabled=False,  # a province turns it on with its own list
    order=60,
)
