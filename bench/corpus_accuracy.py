"""Accuracy of the extractors on the field corpus of real government pages (tests/corpus, issue 11).

Every page goes through ``crawler.analysis.analyse_page`` with every installed extractor, the code path of
the crawl, and its facts are compared with the hand labels of tests/corpus/manifest.yaml:

- kind: the page kind (article, list, mailbox, letter, other);
- article date: the publication date the page shows (``article.date``), and apart from it whether the
  meta PubDate was read (``article.meta_pubdate``), so the visible-versus-meta decision stays measured;
- list: every item's date, the newest and oldest, and whether pagination was seen;
- letters: per letter, asked date, replied date and status all right;
- identity: the footer identifiers the national inspection scores, each a field of its own (site_id 网站标识码,
  icp ICP备案号, police 公安机关备案号 digits, sponsor 主办单位), read from ``facts["identity"]``: right when the
  extractor's value equals the label, and a null label (the page prints none) is right only when none is read.

A page whose list its script loads may have the endpoint's answer saved beside it (``answer`` in the
manifest): it is read as the crawl reads a fetched endpoint, and its items and letters are the page's.

Figures are printed per field and per CMS family, for the tuning split.  The held-out split (a fifth of
the corpus, never used while tuning) is measured only when asked for, at the end of a piece of work:

    python bench/corpus_accuracy.py                # tuning split
    python bench/corpus_accuracy.py --held-out     # tuning, then held-out
    python bench/corpus_accuracy.py --verbose      # every miss, with what was read
    python bench/corpus_accuracy.py --json out.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import traceback
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govaudit.crawler.analysis import analyse_page  # noqa: E402
from govaudit.crawler.extract import installed  # noqa: E402
from govaudit.crawler.extract.answers import read_answer, read_letters  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
IDENTITY = ("site_id", "icp", "police", "sponsor")
FIELDS = ("kind", "article_date", "meta_date", "list_newest", "list_oldest", "list_items", "pagination",
          "letters") + IDENTITY


def load_manifest() -> dict[str, Any]:
    return yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))


def page_url(page: dict[str, Any]) -> str:
    """The page's own address when the page states it, else one on its host: extractors read URL patterns."""
    return page["url"] or f"http://{page['site']}/corpus/{page['id']}.html"


def with_answer(page: dict[str, Any], facts: dict[str, Any], as_of: date) -> dict[str, Any]:
    """A page's facts as the checks see them when the page's list endpoint answer is saved beside it
    (``answer: {file, sha256, content_type}``): the answer's items replace the page's own when it has any
    (checks.freshness.page_items), its letters join the page's (checks.interaction.collect)."""
    answer = page.get("answer")
    if not answer:
        return facts
    body = (CORPUS / answer["file"]).read_bytes()
    if hashlib.sha256(body).hexdigest() != answer["sha256"]:
        raise SystemExit(f"{answer['file']}: bytes differ from the manifest's sha256")
    url = answer.get("url") or page_url(page)
    items, _ = read_answer(body, answer["content_type"], url, as_of)
    letters = read_letters(body, answer["content_type"], url, as_of)
    return {**facts, "list_items": items or facts.get("list_items") or [],
            "letters": (facts.get("letters") or []) + letters}


def _letter_key(letter: dict[str, Any]) -> tuple[Any, Any, Any]:
    return letter.get("asked"), letter.get("replied"), letter.get("status")


def compare(page: dict[str, Any], facts: dict[str, Any]) -> dict[str, tuple[bool, Any, Any]]:
    """field → (right, expected, got) for the fields this page is labelled with."""
    out: dict[str, tuple[bool, Any, Any]] = {"kind": (facts.get("kind") == page["kind"], page["kind"], facts.get("kind"))}
    article = facts.get("article") or {}
    if "article" in page:
        want = page["article"]
        out["article_date"] = (article.get("date") == want["date"], want["date"], article.get("date"))
        if want.get("meta_pubdate"):
            got_meta = article.get("meta_date")
            out["meta_date"] = (got_meta == want["meta_pubdate"][:10], want["meta_pubdate"][:10], got_meta)
    if "list" in page:
        want = page["list"]
        dates = sorted((i["date"] for i in facts.get("list_items") or [] if i.get("date")), reverse=True)
        out["list_newest"] = ((dates[0] if dates else None) == want["newest"], want["newest"], dates[:1])
        out["list_oldest"] = ((dates[-1] if dates else None) == want["oldest"], want["oldest"], dates[-1:])
        out["list_items"] = (dates == sorted(want["item_dates"], reverse=True), len(want["item_dates"]), len(dates))
        seen = bool(facts.get("pagination"))
        out["pagination"] = (seen == want["paginated"], want["paginated"], seen)
    if "letters" in page:
        got = sorted((_letter_key(l) for l in facts.get("letters") or []), key=str)
        want_l = sorted((_letter_key(l) for l in page["letters"]), key=str)
        right = sum(1 for w in want_l if w in got)
        out["letters"] = (right == len(want_l) and len(got) == len(want_l), want_l, got)
    if "identity" in page:
        identity = facts.get("identity") or {}
        for field in IDENTITY:
            want_i, got_i = page["identity"][field], identity.get(field)
            out[field] = (got_i == want_i, want_i, got_i)
    return out


def measure(split: str, verbose: bool = False) -> dict[str, Any]:
    """Per-field and per-family counts of right answers on one split (``tuning`` or ``held_out``)."""
    manifest = load_manifest()
    as_of = date.fromisoformat(str(manifest["as_of"]))
    extractors = tuple(installed().values())
    fields: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    families: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    pages = crashes = 0
    for page in manifest["pages"]:
        if page["split"] != split:
            continue
        pages += 1
        body = (CORPUS / page["file"]).read_bytes()
        if hashlib.sha256(body).hexdigest() != page["sha256"]:
            raise SystemExit(f"{page['file']}: bytes differ from the manifest's sha256")
        try:
            facts = analyse_page(page_url(page), body, None, False, as_of, page["site"], extractors).facts
            facts = with_answer(page, dict(facts), as_of)
        except Exception:
            crashes += 1
            traceback.print_exc()
            continue
        crashes += bool(facts.get("extractor_errors"))
        family = page["cms"]["family"]
        for field, (right, want, got) in compare(page, facts).items():
            fields[field][0] += right
            fields[field][1] += 1
            if field != "meta_date":  # the family figure counts what an inspector acts on
                families[family][0] += right
                families[family][1] += 1
            if not right:
                misses.append(f"  {page['id']} [{family}] {field}: expected {want}, got {got}")
    if verbose:
        print("\n".join(misses))
    return {"split": split, "pages": pages, "crashes": crashes,
            "fields": {k: {"right": v[0], "total": v[1]} for k, v in fields.items()},
            "families": {k: {"right": v[0], "total": v[1]} for k, v in sorted(families.items())},
            "misses": misses}


def share(cell: dict[str, int]) -> str:
    return f"{cell['right']}/{cell['total']} = {cell['right'] / cell['total']:.1%}" if cell["total"] else "-"


def report(result: dict[str, Any]) -> None:
    print(f"\n## {result['split']} split: {result['pages']} pages, {result['crashes']} crashes\n")
    print("| field | right |\n| --- | --- |")
    for field in FIELDS:
        if field in result["fields"]:
            print(f"| {field} | {share(result['fields'][field])} |")
    print("\n| CMS family | fields right |\n| --- | --- |")
    for family, cell in result["families"].items():
        print(f"| {family} | {share(cell)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held-out", action="store_true", help="also measure the held-out split (end of work only)")
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    results = [measure("tuning", args.verbose)]
    if args.held_out:
        results.append(measure("held_out", args.verbose))
    for result in results:
        report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
