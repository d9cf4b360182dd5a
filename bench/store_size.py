"""What the store takes per page (issue 13: sizing PostgreSQL for a province): one generated site scanned twice,
into SQLite (the default) and into PostgreSQL (``--store postgresql://…``), and each store's size divided by the
pages crawled.

    python bench/store_size.py [--pages 10000] [--json out.json]

SQLite: the database file with its WAL and shared-memory files, after the scan closed.  PostgreSQL: a throwaway
server on 127.0.0.1 (Debian's ``postgresql`` package, as the tests start it), ``pg_database_size`` of the scan's
database after ``VACUUM (ANALYZE)`` minus that of an empty database made the same way, and the largest
relations.  Both scans run the same command but for ``--store``; findings are compared by count.  A benchmark,
never a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.crawl_bench import generate  # noqa: E402

AS_OF = dt.date(2026, 11, 20)


def scan(url: str, out: Path, store: str | None) -> None:
    cmd = [sys.executable, "-m", "govaudit.cli", "scan", url, "--out", str(out), "--profile", "local-benchmark",
           "--a11y", "off", "--ignore-robots", "--as-of", AS_OF.isoformat(), *(["--store", store] if store else [])]
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=7200)
    if not (out / "findings.jsonl").exists():
        raise SystemExit(f"the scan into {store or 'SQLite'} wrote no findings: {' '.join(cmd)}")


def findings(out: Path) -> int:
    return sum(1 for _ in (out / "findings.jsonl").open(encoding="utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import psycopg

    from govaudit.demo.server import DemoServer
    from tests.conftest import postgres  # the tests' throwaway server, started the same way here

    work = Path(tempfile.mkdtemp(prefix="govaudit-store-size-"))
    root = work / "site"
    generate("govaudit.demo.sitegen", root, args.pages, AS_OF)
    server_of = postgres.__wrapped__(None)  # the fixture's generator: yields new_db()
    new_db = next(server_of)
    try:
        with DemoServer(root, None) as site:
            url = site.base_url + "/"
            scan(url, work / "sqlite", None)
            pg_url = new_db()
            empty_url = new_db()
            scan(url, work / "pg", pg_url)
        sqlite_bytes = sum(p.stat().st_size for p in (work / "sqlite").glob("govaudit.sqlite*"))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
            pages = conn.execute("SELECT count(*) FROM urls WHERE kind = 'page' AND state = 'done'").fetchone()[0]
            pg_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            largest = conn.execute(
                "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                "c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC LIMIT 6").fetchall()
        with psycopg.connect(empty_url) as conn:
            empty = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    finally:
        next(server_of, None)  # stops the server
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(), "pages": pages,
        "findings": {"sqlite": findings(work / "sqlite"), "postgresql": findings(work / "pg")},
        "sqlite_bytes": sqlite_bytes, "postgresql_bytes": pg_bytes - empty,
        "sqlite_kib_per_page": round(sqlite_bytes / pages / 1024, 2),
        "postgresql_kib_per_page": round((pg_bytes - empty) / pages / 1024, 2),
        "postgresql_largest": {name: size for name, size in largest},
    }
    print(f"{pages} pages; findings {result['findings']}")
    print(f"SQLite      {sqlite_bytes / 2**20:8.1f} MiB  {result['sqlite_kib_per_page']:5.2f} KiB/page")
    print(f"PostgreSQL  {(pg_bytes - empty) / 2**20:8.1f} MiB  {result['postgresql_kib_per_page']:5.2f} KiB/page"
          f"  (×{(pg_bytes - empty) / sqlite_bytes:.2f})")
    for name, size in largest:
        print(f"  {name:24} {size / 2**20:8.1f} MiB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
