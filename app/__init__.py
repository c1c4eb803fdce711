"""Bookbridge: keeps QuickBooks in step with a small seller's store."""

__version__ = "0.1.0"
