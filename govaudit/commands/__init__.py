"""CLI sub-commands.  Each module defines ``register(subparsers)``, adding its parser with
``set_defaults(func=run)``; ``govaudit.cli`` registers every module listed in ``COMMANDS``."""

COMMANDS = ["scan", "check", "report", "summary", "page", "demo", "rules", "doctor", "batch", "history", "diff", "monitor", "worker"]
