"""Tests of the phone channel: its webhook, the Twilio adapter, payload parsing and call processing."""
