"""Insights tables: per-customer value and health, recommendations (added with their services)."""
