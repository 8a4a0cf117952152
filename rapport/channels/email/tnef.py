"""The files inside a Microsoft TNEF (winmail.dat, application/ms-tnef) attachment, read with tnefparse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tnefparse import TNEF

TNEF_CONTENT_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


class TnefError(Exception):
    """The TNEF stream cannot be trusted; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TnefFile:
    filename: str  # as the sender's client named it: not yet made safe for a file system
    content: bytes


def is_tnef(content_type: str, filename: str) -> bool:
    # Outlook labels winmail.dat application/ms-tnef, but some relays re-label it
    # application/octet-stream: the file name is the other witness.
    return content_type in TNEF_CONTENT_TYPES or filename.strip().lower() == "winmail.dat"


def tnef_files(data: bytes) -> tuple[TnefFile, ...]:
    """The attached files of a TNEF stream; raises TnefError when the stream is damaged.

    A stream whose object checksums do not add up is rejected as a whole: the files it
    yields may be truncated or spliced, and the caller keeps the original winmail.dat.
    """
    try:
        tnef = TNEF(data, do_checksum=True)
        damaged = any(not obj.good_checksum for obj in tnef.objects)
        files = tuple(
            TnefFile(filename=_filename(attachment), content=bytes(attachment.data))
            for attachment in tnef.attachments
            if attachment.data
        )
    # tnefparse walks untrusted bytes with struct.unpack, slicing and codec look-ups; any of
    # these can fail on a damaged stream, and none of them may take the message down.
    except Exception as exc:
        raise TnefError(f"unreadable TNEF ({type(exc).__name__})") from exc
    if damaged:
        raise TnefError("TNEF checksum mismatch")
    return files


def _filename(attachment: Any) -> str:
    long_name = attachment.long_filename()
    if isinstance(long_name, bytes):
        long_name = long_name.decode("utf-8", errors="replace")
    return str(long_name).strip("\x00").strip()
