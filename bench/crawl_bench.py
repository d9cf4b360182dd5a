"""Crawl benchmark: govaudit against LinkChecker and wget --spider on the same generated site.

    python bench/crawl_bench.py --pages 20000 [--tools govaudit,linkchecker,wget]
                                [--memory-pages 10000,100000] [--json results.json]

One run generates a site with ``govaudit.demo.sitegen``, serves it with nginx on 127.0.0.1 (bench/nginx.py),
runs each tool one after another and prints, for each: HTML pages fetched, wall seconds, when its last page
was fetched (its crawl time; the rest of the wall time is re-tests, wrap-up and reports), pages/s, peak RSS
of the whole process tree, and how many of the planted broken links it reported; then the ratios
govaudit/LinkChecker and govaudit/wget.  The site's pages also link to files on two off-site hosts that do not
resolve and one that refuses connections (``--dead-hosts``; issue 9: such hosts once kept a scan waiting 156 s
after its last page), reported apart as the ``dead_host`` category.  Figures are ratios measured in the same run on the same machine
(shared/design.md "Performance"): bare timings from different runs are not comparable.

Pages are counted from nginx's access log, not from each tool's own claim: a GET answered 200 text/html,
distinct by URI, during that tool's run.  This is a benchmark, never a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import importlib
import io
import json
import os
import platform
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.nginx import Nginx, count_access  # noqa: E402  (the repo root must be importable first)

TOOLS = ("govaudit", "linkchecker", "wget")
# govaudit rules that mean "this link is broken" (rules/gov-2019.yaml, links family).  links.suspect is
# included because an off-site link to a closed port is a refused connection: suspect, not definite.
BROKEN_RULES = frozenset({"links.dead", "links.suspect", "links.soft404", "links.redirect_loop"})
POLL_SECONDS = 0.05


# ---------------------------------------------------------------------------------------------- measuring

@dataclass(slots=True)
class Measured:
    """One process tree's run: exit code, wall time and peak resident memory of the tree."""

    returncode: int | None
    seconds: float
    peak_rss_bytes: int
    timed_out: bool = False
    started_at: float = 0.0  # epoch seconds, to place the tool's requests in nginx's log
    cpu_seconds: float = 0.0  # user + system CPU of the tool and every descendant it waited for


def _tree_rss(proc: psutil.Process) -> int:
    """RSS of a process and all its descendants (shared pages are counted once per process: an upper bound)."""
    total = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass  # exited between listing and reading
    return total


def run_measured(cmd: list[str], *, cwd: Path, stdout: Path, stderr: Path, env: dict[str, str] | None = None,
                 timeout: float = 3600.0) -> Measured:
    """Run ``cmd`` to completion, polling the RSS of its process tree every 50 ms.

    CPU seconds come from the kernel's accounting of reaped children (``RUSAGE_CHILDREN`` before and after):
    on a shared machine the wall time swings with the load, the CPU a page costs much less, so a comparison
    of two site sizes measured hours apart is read from CPU per page.

    The tool runs in its own session so that, if we are interrupted or it overruns ``timeout``, its whole
    group (and only it) is killed.
    """
    peak = 0
    done = threading.Event()
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        started_at = time.time()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env, start_new_session=True)
        ps = psutil.Process(child.pid)

        def poll() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(ps))
                done.wait(POLL_SECONDS)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        timed_out = False
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            seconds = time.perf_counter() - start
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            done.set()
            poller.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Measured(child.returncode, seconds, peak, timed_out, started_at, round(cpu, 2))


# ---------------------------------------------------------------------------------------------- the site

@dataclass(slots=True)
class PlantedLink:
    """A broken link the generator planted, as an absolute URL."""

    url: str
    category: str  # the manifest's link category: dead | suspect | soft404 | redirect_loop
    tag: str
    status: int | str | None  # an HTTP status, or "refused" / "timeout"
    onsite: bool


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a manifest field whether the generator returns dataclasses or plain dicts."""
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


BROKEN_CATEGORIES = ("dead", "suspect", "soft404", "redirect_loop", "dead_host")
MAIN_CATEGORIES = BROKEN_CATEGORIES[:4]  # what "broken found / planted" counts; dead_host links are counted apart


def planted_links(manifest: Any, base_url: str) -> list[PlantedLink]:
    """Every planted broken link as an absolute URL (targets are site paths or absolute off-site URLs).

    The manifest's broken categories are dead (404/410/403), suspect (refused, timeout, 5xx), soft 404 and
    redirect loop; on a static (hostile=False) site only dead, the refused off-site link and the static
    soft 404 exist.
    """
    planted = _get(manifest, "planted", {}) or {}
    links = []
    for category in BROKEN_CATEGORIES:
        for entry in planted.get(category, []):
            url = urldefrag(urljoin(base_url, _get(entry, "target")))[0]
            links.append(PlantedLink(url=url, category=category, tag=str(_get(entry, "tag", "") or ""),
                                     status=_get(entry, "status"), onsite=url.startswith(base_url)))
    return links


def path_charsets(manifest: Any) -> dict[str, str]:
    """Per-path HTTP charsets the generator asks the server to send (GBK pages, mislabelled pages).

    Read from ``manifest.headers`` ({path: {header: value}}) when the generator provides it; otherwise nginx
    serves every page without a charset parameter and crawlers decode from the page's own <meta>.
    """
    result = {}
    for path, headers in (_get(manifest, "headers", {}) or {}).items():
        for name, value in (headers or {}).items():
            if name.lower() == "content-type" and "charset=" in value.lower():
                result[path] = value.lower().split("charset=", 1)[1].split(";")[0].strip()
    return result


def generate(generator: str, root: Path, pages: int, as_of: dt.date, dead_hosts: tuple[int, int] = (0, 0),
             variance: bool = False) -> tuple[Any, float]:
    """Generate the site; returns the manifest and the seconds it took (reported, not benchmarked).

    ``dead_hosts`` (unresolvable, refusing): off-site hosts linked from every 50th page, planted as ``dead_host``."""
    from govaudit.demo.faults import DeadHosts, plant_dead_hosts

    module = importlib.import_module(generator)
    start = time.perf_counter()
    # variance (issue 16): the large pages of real portals, full pagers, a whole-site map, a 信息公开目录
    extra = {"variance": True} if variance else {}
    manifest = module.generate_site(root, as_of=as_of, pages=pages, hostile=False, **extra)
    if any(dead_hosts):
        plant_dead_hosts(root, manifest, DeadHosts.make(*dead_hosts), every=50, category="dead_host")
    return manifest, time.perf_counter() - start


# ---------------------------------------------------------------------------------------------- the tools

@dataclass(slots=True)
class ToolResult:
    tool: str
    command: list[str]
    returncode: int | None
    seconds: float
    peak_rss_mb: float
    pages: int  # distinct HTML pages fetched (GET 200 text/html), from nginx's access log
    pages_per_second: float
    access: dict[str, Any]
    broken_reported: int  # broken links the tool reported, planted or not
    found: int
    planted: int
    found_onsite: int
    planted_onsite: int
    found_by_category: dict[str, str] = field(default_factory=dict)  # category -> "found/planted"
    crawl_seconds: float | None = None  # from the tool's start to its last page fetched (nginx's log)
    cpu_seconds: float = 0.0  # the tool's process tree, see run_measured
    dead_host_found: str = ""  # "found/planted" links to off-site hosts that never answer
    missed: list[str] = field(default_factory=list)
    timed_out: bool = False
    failed: bool = False  # govaudit exited with an error, or any tool was killed: its figures mean nothing
    notes: list[str] = field(default_factory=list)


def govaudit_command(python: str, url: str, out: Path, pages: int, as_of: dt.date,
                     rules: Path | None = None) -> list[str]:
    # --ignore-robots: wget (-e robots=off) and LinkChecker run the same way, so all three crawl the same pages.
    # Full extraction is on (every page's facts, links, refs, findings, reports); only the browser stage is off,
    # because neither peer drives a browser (bench/a11y_bench.py measures it).
    return [python, "-m", "govaudit.cli", "scan", url, "--out", str(out),
            "--profile", "local-benchmark", "--max-pages", str(pages * 2), "--a11y", "off",
            "--ignore-robots", "--as-of", as_of.isoformat(), *(["--rules", str(rules)] if rules else [])]


@functools.cache
def checkout_python(checkout: Path) -> str:
    """A Python that imports govaudit from ``checkout``: this one, or the checkout's own ``.venv``.

    ``PYTHONPATH`` cannot choose the checkout: the package maps ``govaudit.crawler`` (and checks, reports,
    rules) onto the repository's top-level folders, so an editable install of another checkout would still
    supply those, and the run would measure a mix of two versions."""
    for python in (Path(sys.executable), checkout / ".venv" / "bin" / "python"):
        if not python.exists():
            continue
        found = subprocess.run([str(python), "-c", "import govaudit.crawler as c; print(c.__file__)"],
                               capture_output=True, text=True, cwd=tempfile.gettempdir())
        if found.returncode == 0 and Path(found.stdout.strip()).resolve().is_relative_to(checkout.resolve()):
            return str(python)
    raise SystemExit(f"no Python here imports govaudit from {checkout}: install it there with\n"
                     f"  python3 -m venv --system-site-packages {checkout}/.venv && "
                     f"{checkout}/.venv/bin/pip install --no-deps -e {checkout}")


def govaudit_broken(out: Path) -> set[str]:
    """URLs that govaudit's findings.jsonl reports broken."""
    found = set()
    path = out / "findings.jsonl"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                finding = json.loads(line)
                if finding.get("rule") in BROKEN_RULES and finding.get("url"):
                    found.add(urldefrag(finding["url"])[0])
    return found


def linkchecker_config(path: Path, threads: int) -> None:
    """A linkcheckerrc that lifts the rate cap: maxrequestspersecond only applies above 10 when the server
    sends a ``LinkChecker`` header, which bench/nginx.py does."""
    path.write_text(f"""[checking]
threads={threads}
maxrequestspersecond=1000
timeout=15
robotstxt=0

[filtering]
checkextern=1

[output]
status=0
""", encoding="utf-8")
    path.chmod(0o644)  # LinkChecker drops root privileges to nobody before reading some files


def linkchecker_command(url: str, config: Path, threads: int) -> list[str]:
    return ["linkchecker", "-f", str(config), "-t", str(threads), "--check-extern", "--no-robots",
            "--no-status", "-o", "csv/utf-8", url]


def linkchecker_broken(csv_output: Path) -> set[str]:
    """URLs LinkChecker's CSV output marks invalid (its ``valid`` column), resolved to absolute URLs."""
    text = csv_output.read_text(encoding="utf-8", errors="replace")
    header = text.find("urlname;")  # LinkChecker's CSV: '#' comment lines, then a header row, ';'-separated
    if header < 0:
        return set()
    lines = [line for line in text[header:].splitlines() if line and not line.startswith("#")]
    found = set()
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"):
        if (row.get("valid") or "").strip().lower() in ("false", "0"):
            url = row.get("url") or urljoin(row.get("parentname") or "", row.get("urlname") or "")
            if url:
                found.add(urldefrag(url)[0])
    return found


def wget_command(url: str, log: Path) -> list[str]:
    return ["wget", "--spider", "-r", "-l", "inf", "-nd", "-nv", "-e", "robots=off", "-o", str(log), url]


def wget_broken(log: Path) -> set[str]:
    """The URL list after wget's closing "Found N broken link(s)." line."""
    found: set[str] = set()
    in_list = False
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        text = line.strip()
        if text.startswith("Found ") and "broken link" in text:
            in_list = True
        elif in_list and text.startswith(("http://", "https://")):
            found.add(urldefrag(text)[0])
        elif in_list and text.startswith("FINISHED"):
            in_list = False
    return found


def run_tool(tool: str, server: Nginx, planted: list[PlantedLink], pages: int, work: Path,
             args: argparse.Namespace) -> ToolResult:
    """Run one tool against the server and turn its output and nginx's log into a ToolResult."""
    tool_dir = work / tool
    tool_dir.mkdir(parents=True, exist_ok=True)
    tool_dir.chmod(0o777)  # LinkChecker runs as nobody when started by root; it may write beside its cwd
    stdout, stderr = tool_dir / "stdout.txt", tool_dir / "stderr.txt"
    notes: list[str] = []
    env = dict(os.environ)
    if tool in ("govaudit", "govaudit-peer"):  # govaudit-peer: the same command run from the --peer checkout
        out = tool_dir / "out"
        cmd = govaudit_command(checkout_python(args.peer if tool == "govaudit-peer" else REPO), server.base_url, out,
                               pages, args.as_of, args.rules)
        broken: Callable[[], set[str]] = lambda: govaudit_broken(out)
    elif tool == "linkchecker":
        config = tool_dir / "linkcheckerrc"
        linkchecker_config(config, args.threads)
        cmd = linkchecker_command(server.base_url, config, args.threads)
        broken = lambda: linkchecker_broken(stdout)
    elif tool == "wget":
        log = tool_dir / "wget.log"
        cmd = wget_command(server.base_url, log)
        broken = lambda: wget_broken(log)
        notes.append("wget does not check off-site links (no -H): off-site planted links cannot be found")
    else:
        raise ValueError(f"unknown tool {tool!r}")

    offset = server.log_offset()
    measured = run_measured(cmd, cwd=tool_dir, stdout=stdout, stderr=stderr, env=env, timeout=args.tool_timeout)
    access = count_access(server.entries_since(offset))
    last_page = max((e.at for e in server.entries_since(offset) if e.method == "GET" and e.status == 200 and e.is_html),
                    default=None)
    reported = broken()
    by_category = {c: f"{sum(p.category == c and p.url in reported for p in planted)}/{sum(p.category == c for p in planted)}"
                   for c in BROKEN_CATEGORIES if any(p.category == c for p in planted)}
    dead_host_found = by_category.get("dead_host", "")
    planted = [p for p in planted if p.category in MAIN_CATEGORIES]
    found = [p for p in planted if p.url in reported]
    missed = sorted(f"{p.url} ({p.category}, {p.status})" for p in planted if p.url not in reported)
    if tool.startswith("govaudit") and (out / "govaudit.sqlite").exists():
        with sqlite3.connect(out / "govaudit.sqlite") as db:
            stats = json.loads(db.execute("SELECT stats FROM scans ORDER BY id DESC LIMIT 1").fetchone()[0] or "{}")
        if stats.get("last_page_seconds") is not None:
            notes.append(f"crawler's own clock: last page at {stats['last_page_seconds']} s, crawl closed at "
                         f"{stats['seconds']} s (tail {stats['seconds'] - stats['last_page_seconds']:.1f} s: re-tests "
                         "of links found last); the rest of the wall time is checks and reports")
    failed = tool.startswith("govaudit") and measured.returncode != 0  # the others exit non-zero when they find broken links
    if failed:
        last = stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        notes.append(f"exit code {measured.returncode}: {last[0]} (see {stderr})")
    if measured.timed_out:
        notes.append(f"killed after {args.tool_timeout:.0f} s")
    return ToolResult(
        tool=tool, command=cmd, returncode=measured.returncode, seconds=round(measured.seconds, 2),
        peak_rss_mb=round(measured.peak_rss_bytes / 2**20, 1), pages=access.html_pages,
        pages_per_second=round(access.html_pages / measured.seconds, 1) if measured.seconds else 0.0,
        access=access.to_json(), broken_reported=len(reported), found=len(found), planted=len(planted),
        found_onsite=sum(p.onsite for p in found), planted_onsite=sum(p.onsite for p in planted),
        found_by_category=by_category, missed=missed, timed_out=measured.timed_out, failed=failed or measured.timed_out, notes=notes,
        crawl_seconds=round(last_page - measured.started_at, 2) if last_page is not None else None,
        cpu_seconds=measured.cpu_seconds,
        dead_host_found=dead_host_found)


# ---------------------------------------------------------------------------------------------- reporting

def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def comparisons(results: list[ToolResult]) -> dict[str, dict[str, float | None]]:
    """govaudit/other for pages/s (higher is better), peak RSS and CPU per page (lower is better)."""
    by_tool = {r.tool: r for r in results}
    ours = by_tool.get("govaudit")
    if not ours:
        return {}
    return {f"govaudit/{r.tool}": {"pages_per_second": ratio(ours.pages_per_second, r.pages_per_second),
                                   "peak_rss": ratio(ours.peak_rss_mb, r.peak_rss_mb),
                                   "cpu_per_page": ratio(ours.cpu_seconds / max(ours.pages, 1), r.cpu_seconds / max(r.pages, 1))}
            for r in results if r.tool != "govaudit"}


def markdown_table(results: list[ToolResult]) -> str:
    """The result table as Markdown, so it can be pasted into the README unchanged."""
    rows = ["| tool | pages | requests | wall s | last page s | pages/s | active s | CPU s | peak RSS MB | broken found / planted "
            "| on-site found / planted | dead-host links found / planted |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        crawl = "" if r.crawl_seconds is None else f"{r.crawl_seconds:.1f}"
        rows.append(f"| {r.tool} | {r.pages} | {r.access['requests']} | {r.seconds:.1f} | {crawl} | {r.pages_per_second:.1f} "
                    f"| {r.access['active_seconds']:.1f} | {r.cpu_seconds:.1f} | {r.peak_rss_mb:.1f} | {r.found} / {r.planted} "
                    f"| {r.found_onsite} / {r.planted_onsite} | {r.dead_host_found.replace('/', ' / ')} |")
    return "\n".join(rows)


def print_report(results: list[ToolResult], memory: list[dict[str, Any]]) -> None:
    if results:
        print(markdown_table(results))
        for name, ratios in comparisons(results).items():
            print(f"{name}: pages/s x{ratios['pages_per_second']}, peak RSS x{ratios['peak_rss']}, "
                  f"CPU per page x{ratios['cpu_per_page']}")
        for r in results:
            for note in r.notes:
                print(f"note ({r.tool}): {note}")
            print(f"found by category ({r.tool}): " + ", ".join(f"{k} {v}" for k, v in r.found_by_category.items()))
            if r.missed:
                shown = ", ".join(r.missed[:5]) + (" ..." if len(r.missed) > 5 else "")
                print(f"missed ({r.tool}, {len(r.missed)}): {shown}")
    if memory:
        print("\n| govaudit pages | seconds | pages/s | CPU ms/page | peak RSS MB | growth KB/page |\n"
              "|---:|---:|---:|---:|---:|---:|")
        for m in memory:
            growth = "" if m["growth_kb_per_page"] is None else f"{m['growth_kb_per_page']:.2f}"
            print(f"| {m['pages']} | {m['seconds']:.1f} | {m['pages_per_second']:.1f} | {m['cpu_ms_per_page']} "
                  f"| {m['peak_rss_mb']:.1f} | {growth} |")
        if len(memory) > 1 and memory[0]["pages_per_second"]:  # issue 16: within 20 % from the smallest to the largest
            first, last = memory[0], memory[-1]
            print(f"pages/s at {last['pages']} / at {first['pages']}: "
                  f"{last['pages_per_second'] / first['pages_per_second']:.2f}; peak RSS x"
                  f"{last['peak_rss_mb'] / max(first['peak_rss_mb'], 1e-6):.2f}; CPU per page x"
                  f"{last['cpu_ms_per_page'] / max(first['cpu_ms_per_page'], 1e-6):.2f}")


# ---------------------------------------------------------------------------------------------- main

def bench_site(pages: int, tools: Iterable[str], work: Path, args: argparse.Namespace) -> tuple[dict[str, Any], list[ToolResult]]:
    """Generate one site, serve it, run the tools on it one after another."""
    site = work / "site"
    manifest, gen_seconds = generate(args.generator, site, pages, args.as_of, args.dead_hosts, args.variance)
    print(f"generated {pages} pages in {gen_seconds:.1f} s under {site}", file=sys.stderr)
    results = []
    with Nginx(site, work / "nginx", workers=args.nginx_workers, path_charsets=path_charsets(manifest)) as server:
        planted = planted_links(manifest, server.base_url)
        for tool in tools:
            print(f"running {tool} on {server.base_url} ...", file=sys.stderr)
            results.append(run_tool(tool, server, planted, pages, work, args))
            r = results[-1]
            print(f"  {tool}: {r.pages} pages in {r.seconds:.1f} s, peak {r.peak_rss_mb:.0f} MB, "
                  f"{r.found}/{r.planted} planted broken links", file=sys.stderr)
    site_info = {"pages_requested": pages, "generated_seconds": round(gen_seconds, 1),
                 "html_pages": _get(manifest, "pages"), "planted_broken": len(planted),
                 "planted_by_category": {c: sum(p.category == c for p in planted) for c in BROKEN_CATEGORIES},
                 "per_path_charsets": len(server.path_charsets)}
    return site_info, results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=20000, help="pages in the generated site (default 20000)")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help=f"comma-separated tools to compare, in order (default {','.join(TOOLS)})")
    parser.add_argument("--memory-pages", default="",
                        help="comma-separated site sizes at which govaudit alone is run to print its peak RSS, "
                             "e.g. 10000,100000")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--rules", type=lambda p: Path(p).resolve(), help="govaudit's rule set (default gov-2019), e.g. one inheriting it with a "
                                                   "lower params.crawl.analysis_max_bytes")
    parser.add_argument("--threads", type=int, default=10, help="LinkChecker threads (its default is 10)")
    parser.add_argument("--nginx-workers", type=int, default=1,
                        help="nginx worker processes (default 1: leave the cores to the crawler)")
    parser.add_argument("--tool-timeout", type=float, default=3600, help="kill a tool after this many seconds")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today(),
                        help="the check date the site is generated for (default today)")
    parser.add_argument("--dead-hosts", default="2,1", metavar="DNS,REFUSED",
                        help="off-site hosts that do not resolve and that refuse connections, linked from every 50th "
                             "page (default 2,1; 0,0 for none)")
    parser.add_argument("--generator", default="govaudit.demo.sitegen",
                        help="module providing generate_site() (default govaudit.demo.sitegen)")
    parser.add_argument("--variance", action="store_true",
                        help="realistic variance (issue 16): full numbered pagers on every list page, a site map of "
                             "every article, a 信息公开目录 with a row per 政务公开 document")
    parser.add_argument("--peer", type=Path, metavar="CHECKOUT",
                        help="also run govaudit from this checkout (e.g. main's worktree) as tool govaudit-peer, right "
                             "after this one on the same site: the ratio govaudit/govaudit-peer compares two versions")
    parser.add_argument("--workdir", type=Path, help="where to put sites and outputs (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (default: delete it)")
    args = parser.parse_args(argv)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    try:
        dns, refused = (int(n) for n in args.dead_hosts.split(","))
    except ValueError:
        parser.error("--dead-hosts takes two integers, e.g. 2,1")
    args.dead_hosts = (dns, refused)
    if args.peer and "govaudit-peer" not in args.tools:  # name it in --tools to run it first (alternate the order)
        args.tools.append("govaudit-peer")
    unknown = [t for t in args.tools if t not in (*TOOLS, "govaudit-peer")]
    if unknown:
        parser.error(f"unknown tool(s) {', '.join(unknown)}; choose from {', '.join(TOOLS)}")
    try:
        args.memory_pages = [int(n) for n in args.memory_pages.split(",") if n.strip()]
    except ValueError:
        parser.error("--memory-pages takes comma-separated integers")
    missing = [t for t in args.tools if not t.startswith("govaudit") and not shutil.which(t)]
    if missing:
        parser.error(f"not installed: {', '.join(missing)} (apt-get install {' '.join(missing)})")
    return args


def _growth(previous: list[dict[str, Any]], current: ToolResult) -> float | None:
    """Extra peak RSS per extra page since the previous (smaller) memory run, in KB."""
    if not previous or current.pages == previous[-1]["pages"]:
        return None
    last = previous[-1]
    return round((current.peak_rss_mb - last["peak_rss_mb"]) * 1024 / (current.pages - last["pages"]), 2)


def _raise_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so the finally blocks stop nginx and the tool's process group


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    if args.workdir:
        work = args.workdir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="govaudit-bench-"))
        work.chmod(0o755)  # nginx workers and LinkChecker run as nobody when we are root
    report: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                    "python": platform.python_version(), "platform": platform.platform()},
        "argv": sys.argv, "comparison": None, "memory": []}
    try:
        results: list[ToolResult] = []
        if args.tools:
            site_info, results = bench_site(args.pages, args.tools, work / f"site-{args.pages}", args)
            report["comparison"] = {"site": site_info, "results": [asdict(r) for r in results],
                                    "ratios": comparisons(results)}
        failed = any(r.failed for r in results)
        for n in args.memory_pages:
            _, (mem,) = bench_site(n, ["govaudit"], work / f"memory-{n}", args)
            failed = failed or mem.failed
            report["memory"].append({"pages": mem.pages, "site_pages": n, "seconds": mem.seconds,
                                     "pages_per_second": mem.pages_per_second, "peak_rss_mb": mem.peak_rss_mb,
                                     "cpu_seconds": mem.cpu_seconds,
                                     "cpu_ms_per_page": round(1000 * mem.cpu_seconds / max(mem.pages, 1), 2),
                                     # peak/pages would mostly measure the fixed start-up cost; what must
                                     # stay small is the growth per page from one size to the next
                                     "growth_kb_per_page": _growth(report["memory"], mem),
                                     "found": mem.found, "planted": mem.planted, "failed": mem.failed,
                                     "notes": mem.notes})
            if not args.keep:
                shutil.rmtree(work / f"memory-{n}", ignore_errors=True)  # a 100k-page site is large on disk
        print_report(results, report["memory"])
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            print(f"results written to {args.json}", file=sys.stderr)
    finally:
        if args.keep or args.workdir:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
