"""Insights pages, one module per area."""
