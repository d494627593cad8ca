"""Arrears: an open collections automation engine."""

__version__ = "0.1.0"
