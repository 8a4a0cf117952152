"""Reads for the desk, always scoped to who asks."""
