"""The phone channel: call events from a telephony provider become messages on phone conversations."""
