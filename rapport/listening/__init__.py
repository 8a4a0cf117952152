"""Listening: sentiment, intent and defection signals, surveys, mention spikes and themes."""
