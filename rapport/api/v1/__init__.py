"""API version 1: one router per domain, registered on the NinjaAPI in rapport.api.urls."""
