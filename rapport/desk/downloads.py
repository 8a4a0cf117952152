"""How an attachment leaves Rapport: always as a download, with a type that a browser cannot run."""

from __future__ import annotations

import re

from django.http import FileResponse

from rapport.core.errors import NotFound
from rapport.desk import blobs
from rapport.desk.models import Attachment

# Media types a browser shows as they are without running anything; every other type (HTML, SVG,
# XML, scripts, and whatever a sender claims) is served as opaque bytes, so an attachment can
# never become a page on our origin.
INERT_TYPES = frozenset(
    {
        "text/plain",
        "text/csv",
        "application/pdf",
        "application/json",
        "application/zip",
        "application/gzip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "message/rfc822",
    }
)
INERT_FAMILIES = ("image/", "audio/", "video/")
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
BINARY = "application/octet-stream"


def served_type(declared: str) -> str:
    """The Content-Type to send for an attachment declared with this type."""
    media = declared.split(";", 1)[0].strip().lower()
    if not MEDIA_TYPE.match(media) or "svg" in media or "xml" in media:
        return BINARY
    if media in INERT_TYPES or media.startswith(INERT_FAMILIES):
        return media
    return BINARY


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file streamed as a download; the caller has already checked who asks (access_attachment)."""
    try:
        handle = blobs.blob_path(attachment.sha256).open("rb")
    except (OSError, ValueError):
        raise NotFound(
            f"the file of attachment {attachment.pk} is missing", code="attachment_missing"
        ) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=served_type(attachment.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
