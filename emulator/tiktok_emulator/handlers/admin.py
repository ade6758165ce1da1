"""Handlers (being written)."""
