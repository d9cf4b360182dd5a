"""The ``govaudit`` command line.

Exit codes are a contract for CI jobs: 0 success (or gate passed), 1 tool error (bad input, unreadable
store, a missing piece found before the crawl, crash), 2 gate failed (``govaudit check``), 130 / 143 stopped by
SIGINT (Ctrl-C) / SIGTERM — the scan is kept in the store as ``interrupted``; re-run with ``--resume``.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from govaudit import __version__
from govaudit.commands import COMMANDS
from govaudit.errors import UserError

EXIT_OK, EXIT_ERROR, EXIT_GATE = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143  # 128 + signal number, as shells report a process a signal stopped
__all__ = ["EXIT_ERROR", "EXIT_GATE", "EXIT_OK", "EXIT_SIGINT", "EXIT_SIGTERM", "UserError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govaudit",
        description="Inspection crawler for government websites (政府网站检查): dead links, stale and blank columns, "
                    "unanswered letters, accessibility, scored against the national inspection indicators.")
    parser.add_argument("--version", action="version", version=f"govaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        import_module(f"govaudit.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    from govaudit.pipeline import ScanInterrupted
    from govaudit.ruleset import RuleSetError
    from govaudit.store import StoreError
    try:
        return int(args.func(args) or 0)
    except (UserError, StoreError, RuleSetError) as exc:
        print(f"govaudit: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ScanInterrupted as exc:
        print(f"govaudit: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("govaudit: interrupted; the scan store keeps what was gathered (re-run with --resume)", file=sys.stderr)
        return EXIT_SIGINT


if __name__ == "__main__":
    sys.exit(main())
