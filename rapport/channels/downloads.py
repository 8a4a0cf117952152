"""How raw input leaves Rapport: always as a download a browser cannot render or run."""

from __future__ import annotations

from django.http import HttpResponse

from rapport.channels.models import ChannelKind, InboundDelivery


def raw_response(delivery: InboundDelivery) -> HttpResponse:
    """The bytes exactly as received; the caller has already checked who asks (access_delivery)."""
    extension = "eml" if delivery.kind == ChannelKind.EMAIL else "raw"
    response = HttpResponse(bytes(delivery.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="delivery-{delivery.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
