"""How well govaudit reads mailbox letters, and whether it counts each letter once (issue 4 "Accuracy").

1. Fixtures: every saved page under tests/fixtures/mailboxes/ is extracted and compared with the
   hand-checked expected.json.  A letter is *right* when its asked date, reply date and status all match
   (target ≥ 98 %); title, unit and reply-text flags are reported beside it.
2. Double counting: all fixture pages go into one scan store; the check's merged letters must equal the
   distinct letters of expected.json (a letter shown on a list page, a side list and its own page is one).
3. Large case: a generated mailbox of ``--pages`` list pages × ``--per-page`` letters in four real layouts
   (header table, definition list, cards, unlabelled list), plus a detail page for every ``--detail-every``-th
   letter; the per-channel figures must equal the generator's truth.  Times are printed, never asserted.

    python bench/letters_accuracy.py                      # default: 300 pages × 20 letters
    python bench/letters_accuracy.py --pages 30           # quick look on a shared machine
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govaudit.checks import interaction  # noqa: E402
from govaudit.crawler.extract import letters  # noqa: E402
from govaudit.crawler.extract.core import page_context  # noqa: E402

from govaudit.model import UrlRecord, url_key  # noqa: E402
from govaudit.ruleset import load_ruleset  # noqa: E402
from govaudit.store import Store, StoreWriter  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "mailboxes"
SITE = "http://127.0.0.1:8765/"


def _store(tmp: Path, pages: dict[str, dict[str, Any]], as_of: str) -> Any:
    store = Store(tmp / "bench.sqlite")
    scan = store.begin_scan(SITE, SITE, as_of, {}, "bench")
    writer = StoreWriter(store, scan)
    for url, facts in pages.items():
        writer.add_url(url_key(url), url, "page", 1)
        writer.record(UrlRecord(url, "page", state="done", status=200, facts=facts))
        if writer.backlog > 2000:
            writer.flush()
    writer.flush()
    return store.view(scan)


# -- 1 + 2: fixtures -----------------------------------------------------------------------------------------------
def fixtures(tmp: Path) -> bool:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    as_of = date.fromisoformat(expected["as_of"])
    total = right = 0
    extra_ok = {"title": 0, "unit": 0, "has_reply_text": 0, "url": 0}
    misses: list[str] = []
    pages: dict[str, dict[str, Any]] = {}
    for name, page in sorted(expected["pages"].items()):
        ctx = page_context(page["url"], (FIXTURES / name).read_bytes(), is_home=page.get("is_home", False), as_of=as_of)
        facts = letters.extract(ctx)
        pages[page["url"]] = facts
        got = {(l["source"], l["url"] or l["title"]): l for l in facts["letters"]}
        for want in page["letters"]:
            total += 1
            have = got.get((want["source"], want["url"] or want["title"]))
            if have and all(have[k] == want[k] for k in ("asked", "replied", "status")):
                right += 1
            else:
                misses.append(f"{name}: {want['title']} → {have and {k: have[k] for k in ('asked', 'replied', 'status')}}")
            for key in extra_ok:
                extra_ok[key] += bool(have and have[key] == want[key])
        spurious = len(facts["letters"]) - len(page["letters"])
        if spurious > 0:
            misses.append(f"{name}: {spurious} letter(s) read that are not there")
    share = right / total if total else 0.0
    print(f"fixtures: {len(expected['pages'])} pages, {total} letters; dates and status right: {right}/{total} = {share:.1%}"
          f" (target ≥ 98%)")
    print("  also right: " + ", ".join(f"{k} {v}/{total}" for k, v in extra_ok.items()))
    for miss in misses:
        print("  MISS", miss)

    view = _store(tmp, pages, expected["as_of"])
    merged, _, _, _ = interaction.collect(view, load_ruleset())
    distinct = {l["url"] for p in expected["pages"].values() for l in p["letters"]}
    print(f"double counting: {len(distinct)} distinct letters on the fixture pages, the check counts {len(merged)}"
          f" → {'OK' if len(merged) == len(distinct) else 'WRONG'}")
    return share >= 0.98 and len(merged) == len(distinct) and not misses


# -- 3: generated large mailbox ----------------------------------------------------------------------------------
def _layout(kind: int, rows: list[dict[str, Any]]) -> str:
    """One list page in one of four layouts real county sites use."""
    def d(x: str | None) -> str:
        return x or ""
    if kind == 0:
        body = "<table><tr><th>序号</th><th>信件标题</th><th>来信人</th><th>来信时间</th><th>回复时间</th><th>办理状态</th></tr>" + "".join(
            f"<tr><td>{r['n']}</td><td><a href='show?id={r['n']}'>{r['title']}</a></td><td>王**</td><td>{r['asked']}</td>"
            f"<td>{d(r['replied'])}</td><td>{r['status']}</td></tr>" for r in rows) + "</table>"
    elif kind == 1:
        body = "<dl>" + "".join(
            f"<dt><a href='show?id={r['n']}'>{r['title']}</a></dt><dd>留言人：市民</dd><dd>留言时间：{r['asked']}</dd>"
            f"<dd>回复时间：{d(r['replied'])}</dd><dd>状态：{r['status']}</dd>" for r in rows) + "</dl>"
    elif kind == 2:
        body = "".join(
            f"<div class='item'><h4><a href='show?id={r['n']}'>{r['title']}</a></h4><p><span>提交时间：{r['asked']}</span>"
            f"<span>答复时间：{d(r['replied'])}</span></p><img src='s.png' alt='{r['status']}'></div>" for r in rows)
    else:
        body = "<ul>" + "".join(
            f"<li><span>[{r['status']}]</span><a href='show?id={r['n']}'>{r['title']}</a><span>{r['asked']}</span>"
            f"<span>{d(r['replied'])}</span></li>" for r in rows) + "</ul>"
    return (f"<html><head><meta charset='utf-8'><title>县长信箱_示例县人民政府</title></head><body>"
            f"<div class='location'>当前位置：<a href='/'>首页</a> &gt; 县长信箱</div>{body}"
            f"<div class='page'><a href='index_1.html'>下一页</a></div></body></html>")


def _detail(r: dict[str, Any]) -> str:
    reply = (f"<p>答复时间：{r['replied']}</p><p>答复内容：</p><p>您好，您反映的问题已转相关部门办理，现答复如下。</p>"
             if r["replied"] else "")
    return (f"<html><head><meta charset='utf-8'><title>{r['title']}_县长信箱_示例县人民政府</title></head><body>"
            f"<div class='location'>当前位置：首页 &gt; 县长信箱</div><h1>{r['title']}</h1>"
            f"<p>来信人：张三</p><p>来信时间：{r['asked']}</p><p>状态：{r['status']}</p><p>来信内容：请帮忙解决。</p>{reply}</body></html>")


def large(tmp: Path, n_pages: int, per_page: int, detail_every: int) -> bool:
    as_of = date(2025, 11, 1)
    base = SITE + "hdjl/xzxx/"
    rows_all: list[dict[str, Any]] = []
    for n in range(n_pages * per_page):
        asked = as_of - timedelta(days=1 + n % 400)  # some fall outside the 1-year window
        answered = n % 5 != 0
        replied = (asked + timedelta(days=n % 23)) if answered else None
        if replied and replied > as_of:
            replied = as_of
        rows_all.append({"n": n, "title": f"关于第{n}号民生问题的咨询", "asked": asked.isoformat(),
                         "replied": replied.isoformat() if replied else None, "status": "已回复" if answered else "办理中"})
    html_pages: dict[str, str] = {}
    for p in range(n_pages):
        html_pages[base + (f"index_{p}.html" if p else "index.html")] = _layout(p % 4, rows_all[p * per_page:(p + 1) * per_page])
    for r in rows_all[::detail_every]:
        html_pages[base + f"show?id={r['n']}"] = _detail(r)

    t0 = time.perf_counter()
    facts = {url: letters.extract(page_context(url, html.encode("utf-8"), as_of=as_of)) for url, html in html_pages.items()}
    t_extract = time.perf_counter() - t0
    read = sum(len(f["letters"]) for f in facts.values())
    view = _store(tmp, facts, as_of.isoformat())
    rules = load_ruleset()
    t1 = time.perf_counter()
    findings = list(interaction.run(view, rules))
    t_check = time.perf_counter() - t1

    window_start = as_of - timedelta(days=rules.param("interaction.window_days"))
    in_window = [r for r in rows_all if date.fromisoformat(r["asked"]) >= window_start]
    answered = [r for r in in_window if r["replied"]]
    days = [(date.fromisoformat(r["replied"]) - date.fromisoformat(r["asked"])).days for r in answered]
    truth = {"letters_in_window": len(in_window), "answered": len(answered), "open": len(in_window) - len(answered),
             "median_reply_days": statistics.median(days) if days else None}
    (stats,) = [f.evidence for f in findings if f.rule == "interaction.channel_stats"]
    got = {k: stats[k] for k in truth}
    ok = got == truth
    print(f"large: {n_pages} list pages × {per_page} letters + {len(html_pages) - n_pages} detail pages "
          f"({len(rows_all)} letters, {read} letter records read)")
    print(f"  extraction {t_extract:.2f} s ({1000 * t_extract / len(html_pages):.2f} ms a page), "
          f"check {t_check:.2f} s ({len(findings)} findings)")
    print(f"  figures {got}\n  truth   {truth}\n  → {'OK' if ok else 'WRONG'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=300, help="generated list pages (default 300)")
    ap.add_argument("--per-page", type=int, default=20, help="letters per list page (default 20)")
    ap.add_argument("--detail-every", type=int, default=5, help="a detail page for every N-th letter (default 5)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = Path(tmp) / "a"
        b = Path(tmp) / "b"
        a.mkdir()
        b.mkdir()
        ok = fixtures(a)
        ok = large(b, args.pages, args.per_page, args.detail_every) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
