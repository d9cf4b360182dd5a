"""govaudit: an inspection crawler for government websites."""

__version__ = "0.1.0"
