"""The files inside a Microsoft TNEF (winmail.dat, application/ms-tnef) attachment, read with tnefparse.

tnefparse trusts the counts in the stream: a property count of 2**32 - 1 loops for minutes,
and a multi-valued short property past the end of the data appends empty values until
memory runs out. A winmail.dat is attacker-supplied, so tnefparse reads it in a child
Python process with a CPU and memory ceiling; a stream that hits either is refused like a
damaged one, and the caller keeps the original file. TNEF is rare enough (Outlook sends it
only to recipients it believes are Outlook users) that the cost of a process, some
50 ms, does not show in the channel's throughput.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from dataclasses import dataclass

TNEF_CONTENT_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TIME_LIMIT = 10.0  # CPU seconds; a large legitimate stream reads in well under one
_MEMORY_LIMIT = 1024 * 1024 * 1024
# TNEF_SIGNATURE 0x223E9F78, little-endian ([MS-OXTNEF]).
_SIGNATURE = b"\x78\x9f\x3e\x22"
_LENGTH = struct.Struct(">I")
_OBJECT_LENGTH = struct.Struct("<I")
_CHECKSUM = struct.Struct("<H")
_MIN_OBJECT = 12  # tnefparse's TNEF.MIN_OBJ_SIZE: shorter trailing bytes are ignored
_DAMAGED_EXIT = 3

# The child reads the stream on stdin and writes (name, content) pairs, each field
# length-prefixed, on stdout. Its own limits are set first: on Linux RLIMIT_CPU ends it
# with SIGXCPU, and RLIMIT_AS turns runaway lists into a MemoryError.
_CHILD = """
import logging, resource, struct, sys
logging.disable(logging.CRITICAL)  # tnefparse logs once per skipped property: billions
for kind, wanted in ((resource.RLIMIT_CPU, {seconds}), (resource.RLIMIT_AS, {memory})):
    hard = resource.getrlimit(kind)[1]
    limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(kind, (limit, hard))
from tnefparse import TNEF
tnef = TNEF(sys.stdin.buffer.read(), do_checksum=True)
if any(not obj.good_checksum for obj in tnef.objects):
    sys.exit({damaged})
out = sys.stdout.buffer
for attachment in tnef.attachments:
    if not attachment.data:
        continue
    name = attachment.long_filename()
    name = name if isinstance(name, bytes) else str(name).encode("utf-8", "surrogatepass")
    for field in (name, bytes(attachment.data)):
        out.write(struct.pack(">I", len(field)))
        out.write(field)
"""


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


def tnef_files(data: bytes, *, time_limit: float = TIME_LIMIT) -> tuple[TnefFile, ...]:
    """The attached files of a TNEF stream; raises TnefError when the stream is damaged.

    A stream whose object checksums do not add up is refused as a whole: the files it
    yields may be truncated or spliced, and the caller keeps the original winmail.dat.
    """
    if not data.startswith(_SIGNATURE):
        raise TnefError("not a TNEF stream")
    if not _checksums_hold(data):
        raise TnefError("TNEF checksum mismatch")
    seconds = max(1, round(time_limit))
    code = _CHILD.format(seconds=seconds, memory=_MEMORY_LIMIT, damaged=_DAMAGED_EXIT)
    try:
        # Our own interpreter running our own code; -I hides the working directory and
        # PYTHON* variables from it.
        child = subprocess.run(  # noqa: S603
            [sys.executable, "-I", "-c", code],
            input=data,
            capture_output=True,
            timeout=seconds * 3,  # wall clock: the CPU limit ends it first unless it blocks
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TnefError("TNEF took too long to read") from exc
    except OSError as exc:
        raise TnefError(f"TNEF reader could not start ({type(exc).__name__})") from exc
    if child.returncode == _DAMAGED_EXIT:
        raise TnefError("TNEF checksum mismatch")
    if child.returncode < 0:
        raise TnefError("TNEF too costly to read")
    if child.returncode != 0:
        raise TnefError(f"unreadable TNEF ({_last_error(child.stderr)})")
    return _files(child.stdout)


def _checksums_hold(data: bytes) -> bool:
    # The object framing of [MS-OXTNEF], walked the way tnefparse walks it: level
    # (1 byte), id (4), length (4), data, and a checksum (2) that is the sum of the data's
    # bytes modulo 65536. Checked here first, so that a damaged stream costs no process.
    view = memoryview(data)
    offset = 6  # signature and legacy key
    while offset + _MIN_OBJECT < len(data):
        (length,) = _OBJECT_LENGTH.unpack_from(data, offset + 5)
        start = offset + 9
        end = start + length
        if end + 2 > len(data):
            return False
        (checksum,) = _CHECKSUM.unpack_from(data, end)
        if sum(view[start:end]) & 0xFFFF != checksum:
            return False
        offset = end + 2
    return True


def _files(output: bytes) -> tuple[TnefFile, ...]:
    fields: list[bytes] = []
    offset = 0
    while offset < len(output):
        if offset + _LENGTH.size > len(output):
            raise TnefError("TNEF reader output cut short")
        (length,) = _LENGTH.unpack_from(output, offset)
        offset += _LENGTH.size
        fields.append(output[offset : offset + length])
        offset += length
    if offset != len(output) or len(fields) % 2:
        raise TnefError("TNEF reader output cut short")
    return tuple(
        TnefFile(filename=name.decode("utf-8", errors="replace").strip("\x00").strip(), content=content)
        for name, content in zip(fields[::2], fields[1::2], strict=True)
    )


def _last_error(stderr: bytes) -> str:
    # The last line of the child's traceback names the exception: "ValueError: Wrong ...".
    lines = stderr.decode("utf-8", errors="replace").strip().splitlines()
    return lines[-1].split(":", 1)[0].strip() if lines else "no output"
