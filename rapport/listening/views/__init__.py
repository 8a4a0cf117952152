"""Listening pages, one module per area."""
