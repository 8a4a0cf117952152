"""Writes of the webhooks app: endpoints, the outbox, and delivery attempts."""
