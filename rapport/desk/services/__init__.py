"""Writes for the desk: one module per topic, each function checks who acts."""
