"""Typed access to what middleware adds to a request."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


def htmx(request: HttpRequest) -> HtmxDetails:
    """The htmx details django-htmx's middleware attached; falsy when htmx did not send the request."""
    details: HtmxDetails = request.htmx  # type: ignore[attr-defined]
    return details
