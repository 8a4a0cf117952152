"""Attachment bytes on disk, named by their SHA-256: stored once however often they are sent."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def blob_root() -> Path:
    return Path(settings.RAPPORT_ATTACHMENTS_DIR)


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return blob_root() / sha256[:2] / sha256[2:4] / sha256


def store_blob(data: bytes) -> str:
    """Write the bytes (atomically: a reader never sees half a file) and return their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(digest)
    if path.exists():
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)
    return digest


def read_blob(sha256: str) -> bytes:
    return blob_path(sha256).read_bytes()
