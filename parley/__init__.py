"""Parley: procedures and case work for safeguarding partnerships."""

__version__ = "0.1.0"
