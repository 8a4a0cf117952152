"""Tests of the social channel: its webhook, payload parsing, direct messages and the mentions page."""
