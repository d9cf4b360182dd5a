"""``govaudit batch``: several generated demo sites on 127.0.0.1 scanned as one batch — a site that is down, bad and
duplicate rows in a GBK list, an .xlsx list, early warnings first in the summary, and a batch stopped by SIGTERM
or killed outright that resumes without scanning a finished site again."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import AS_OF, run_cli

from govaudit.batch import MANIFEST, slug

SITES = 3
PAGES = 40
HEADER = "网站名称,网址,地区,主办单位,网站类型\n"
# Early-warning lines a demo site crosses without reaching the vetoes (it has 5 blank and 11 stale columns).
WARN_RULES = ("inherits: gov-2019\nid: warn-test\nversion: '1'\nparams:\n  freshness:\n    veto_blank_count: 8\n"
              "    veto_long_stale_count: 14\n    veto_stale_count: 20\n")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Three small demo county sites (plain, not hostile: each scan ends in seconds), each on its own port."""
    from govaudit.demo.server import DemoServer
    from govaudit.demo.sitegen import generate_site

    started = []
    for n in range(SITES):
        root = tmp_path_factory.mktemp(f"site{n}")
        manifest = generate_site(root, as_of=AS_OF, pages=PAGES, seed=100 + n, hostile=False)
        started.append(DemoServer(root, manifest).start())
    yield started
    for server in started:
        server.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def states(out: Path) -> dict[str, str]:
    return {s["url"]: s["state"] for s in manifest(out)["sites"]}


def batch(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return run_cli("batch", *args, "--a11y", "off", "--timeout", "2", "--display", "lines", timeout=280, check=check)


def test_batch_of_a_gbk_list_with_a_down_site_bad_rows_and_early_warnings(servers, tmp_path):
    down = f"http://127.0.0.1:{closed_port()}/"
    a, b, c = (s.base_url + "/" for s in servers)
    rows = [HEADER, f"甲县人民政府,{a},甲市,甲县政府办公室,门户\n", f"乙县人民政府,{b},甲市,乙县政府办公室,门户\n",
            f"丙市教育局,{c},丙市,丙市教育局,部门\n", f"丁县<script>alert(1)</script>,{down},丙市,=HYPERLINK(\"http://evil.example/\"),门户\n",
            "坏网址,ftp://bad.example/,丙市,,门户\n", f"甲县人民政府（重复）,{a.upper()},甲市,,门户\n",
            "缺网址,,丙市,,门户\n"]
    sites = tmp_path / "sites.csv"
    sites.write_bytes("".join(rows).encode("gbk"))
    rules = tmp_path / "warn.yaml"
    rules.write_text(WARN_RULES, encoding="utf-8")
    out = tmp_path / "batch"
    proc = batch(str(sites), "--out", str(out), "--rules", str(rules), "--as-of", AS_OF.isoformat(), "--jobs", "3")

    # one site's failure never stops the batch, and the exit code and stderr say it loudly
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert states(out) == {a: "done", b: "done", c: "done", down: "failed"}
    assert "BATCH FAILED: 1 of 4" in proc.stderr and f"  line 5: 丁县<script>alert(1)</script> {down}: " in proc.stderr
    assert "line 6: bad URL" in proc.stderr and "line 8: no URL" in proc.stderr
    assert "line 7: duplicate of line 2" in proc.stderr
    data = manifest(out)
    assert [b["line"] for b in data["bad_rows"]] == [6, 7, 8]
    assert data["runs"][-1]["exit_code"] == 1 and data["runs"][-1]["failed"] == [down]
    failed = next(s for s in data["sites"] if s["url"] == down)
    assert "refused" in failed["error"] and failed["exit_code"] == 1
    for url in (a, b, c):
        site = out / "sites" / slug(url)
        assert (site / "report.html").exists() and (site / "report.xlsx").exists()
        assert json.loads((site / "summary.json").read_text(encoding="utf-8"))["ruleset"]["id"] == "warn-test"

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ranked = [r for r in summary if r["rank"] is not None]
    assert {r["site"] for r in ranked} == {a, b, c}          # the dead site is not ranked (never as a pass)
    assert [r["site"] for r in summary if r["state_id"] == "failed"] == [down]
    teacher = next(r for r in ranked if r["site"] == c)
    assert (teacher["name"], teacher["region"], teacher["type_id"]) == ("丙市教育局", "丙市", "department")
    warnings = {w["rule"]: w for w in teacher["warnings"]}
    assert warnings["early.blank_columns"]["left_n"] == 3 and warnings["early.blank_columns"]["confirmed"] is False

    html = (out / "summary.html").read_text(encoding="utf-8")
    order = [html.index(marker) for marker in ('id="failed-banner"', 'id="early"', 'id="vetoed"', 'id="ranking"', "<h3>丙市</h3>",
                                                "<h3>甲市</h3>", 'id="bad-rows"')]
    assert order == sorted(order)
    assert "本次运行有 1 个网站扫描失败" in html and "再有 3 个" in html and "未确认" in html
    assert f'href="./sites/{slug(c)}/report.html"' in html
    # names from the list are hostile input like any crawled text: escaped in HTML, never a formula in Excel
    assert "<script>alert(1)" not in html and "丁县&lt;script&gt;alert(1)&lt;/script&gt;" in html

    book = openpyxl.load_workbook(out / "summary.xlsx", read_only=True)
    assert book.sheetnames == ["扫描失败的网站", "预警网站", "单项否决网站", "网站检查汇总", "分地区情况",
                               "网站名单中未采用的行"]
    [failed_row] = list(book["扫描失败的网站"].iter_rows(values_only=True))[1:]
    assert failed_row[0] == "丁县<script>alert(1)</script>" and failed_row[3].endswith('=HYPERLINK("http://evil.example/")')
    assert not failed_row[3].startswith("=")
    warned = list(book["预警网站"].iter_rows(values_only=True))
    assert len(warned) == 1 + 3 * 2   # three sites, two warnings each (blank columns, columns not updated)
    regions = [str(r[0]) for r in book["分地区情况"].iter_rows(values_only=True) if r[0] and "：网站" in str(r[0])]
    assert [r.split("，")[0] for r in regions] == ["丙市：网站 1 个", "甲市：网站 2 个"]

    # the same command again scans nothing (the failure stays loud); --retry-failed tries the down site once more
    hits_before = [sum(s.hits.values()) for s in servers]
    again = batch(str(sites), "--out", str(out), "--rules", str(rules), "--as-of", AS_OF.isoformat())
    assert again.returncode == 1 and "BATCH FAILED: 1 of 4" in again.stderr
    assert [sum(s.hits.values()) for s in servers] == hits_before
    retried = batch(str(sites), "--out", str(out), "--rules", str(rules), "--as-of", AS_OF.isoformat(), "--retry-failed")
    assert retried.returncode == 1
    assert {s["url"]: s["runs"] for s in manifest(out)["sites"]} == {a: 1, b: 1, c: 1, down: 2}
    assert [r["exit_code"] for r in manifest(out)["runs"]] == [1, 1, 1]

def wait_for(predicate, what: str, limit: float = 200) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def start_batch(sites: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "govaudit.cli", "batch", str(sites), "--out", str(out), "--a11y", "off",
                             "--timeout", "2", "--display", "lines", "--as-of", AS_OF.isoformat(), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "CI": "true"})


def hits(server) -> int:
    return sum(server.hits.values())


def test_killed_xlsx_batch_resumes_without_rescanning_finished_sites(servers, tmp_path):
    """SIGKILL the batch while its second site scans: the scan it left gets SIGTERM (PDEATHSIG) and stops as
    interrupted; the same command then finishes it from its store and never requests the first site again."""
    first, second = servers[0], servers[1]
    sites = tmp_path / "sites.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["某省政府网站名单"])
    ws.append(["网站名称", "网址", "地区", "主办单位", "网站类型"])
    ws.append(["一号站", first.base_url, "北区", "一号单位", "政府门户网站"])
    ws.append(["二号站", second.base_url, "南区", "二号单位", "部门网站"])
    book.save(sites)
    out = tmp_path / "batch"
    proc = start_batch(sites, out, "--jobs", "1")
    a, b = first.base_url + "/", second.base_url + "/"
    wait_for(lambda: (out / MANIFEST).exists() and states(out) == {a: "done", b: "running"}, "the first site done")
    proc.kill()
    proc.communicate(timeout=30)
    assert states(out)[b] == "running"   # nobody recorded the end: the batch died
    scanned_first = (out / "sites" / slug(a) / "summary.json").stat().st_mtime_ns
    before = hits(first)

    again = start_batch(sites, out, "--jobs", "1")
    _, err = again.communicate(timeout=280)
    assert again.returncode == 0, err.decode()[-3000:]
    data = manifest(out)
    runs = {s["url"]: s["runs"] for s in data["sites"]}
    assert states(out) == {a: "done", b: "done"} and runs == {a: 1, b: 2}
    assert hits(first) == before
    assert (out / "sites" / slug(a) / "summary.json").stat().st_mtime_ns == scanned_first
    log = (out / "sites" / slug(b) / "scan.log").read_text(encoding="utf-8")
    assert log.count("==== ") == 2
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {r["name"] for r in summary if r["rank"]} == {"一号站", "二号站"}


def test_sigterm_stops_every_scan_and_the_same_command_resumes(servers, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text(HEADER + "".join(f"站{n},{s.base_url}/,地区{n},单位{n},portal\n" for n, s in enumerate(servers)),
                     encoding="utf-8-sig")
    out = tmp_path / "batch"
    proc = start_batch(sites, out, "--jobs", "2")
    wait_for(lambda: (out / MANIFEST).exists() and list(states(out).values()).count("running") == 2, "two scans running")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err.decode()[-3000:]
    left = states(out)
    assert "running" not in left.values() and "interrupted" in left.values()
    assert set(left.values()) <= {"interrupted", "pending", "done"}
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert 'id="unfinished-banner"' in html and "重新运行同一命令即可继续" in html

    again = start_batch(sites, out, "--jobs", "2")
    _, err = again.communicate(timeout=280)
    assert again.returncode == 0, err.decode()[-3000:]
    assert set(states(out).values()) == {"done"}
    runs = {s["url"]: s["runs"] for s in manifest(out)["sites"]}
    assert all(runs[url] == (1 if state == "done" else 2) for url, state in left.items() if state != "pending")
    assert 'id="unfinished-banner"' not in (out / "summary.html").read_text(encoding="utf-8")


def test_bad_input_is_refused_before_any_scan(tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text(HEADER + "坏网址,ftp://x/,某市,,门户\n", encoding="utf-8")
    proc = batch(str(sites), "--out", str(tmp_path / "a"))
    assert proc.returncode == 1 and "no usable site" in proc.stderr and "line 2: bad URL" in proc.stderr
    sites.write_text(HEADER + "站,http://127.0.0.1:9/,某市,,门户\n", encoding="utf-8")
    proc = run_cli("batch", str(sites), "--out", str(tmp_path / "b"), "--a11y", "off", "--rules", "no-such-rules",
                   check=False)
    assert proc.returncode == 1 and "no-such-rules" in proc.stderr
    assert not (tmp_path / "b" / MANIFEST).exists()
    # a resumed batch runs with the options it was started with
    out = tmp_path / "c"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"format": 1, "scan_args": ["--a11y", "off", "--max-pages", "5"], "as_of": "2026-11-20",
                                            "sites": []}), encoding="utf-8")
    proc = run_cli("batch", str(sites), "--out", str(out), "--a11y", "off", check=False)
    assert proc.returncode == 1 and "other scan options" in proc.stderr
