"""Errors the CLI prints as one clear line with exit code 1 (its own module, so that ``python -m
govaudit.cli`` and ``import govaudit.cli`` see the same class)."""


class UserError(Exception):
    """Bad input from the user (a path, a URL, an option, a file): a clear message, never a traceback."""
