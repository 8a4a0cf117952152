"""Files out of TNEF (winmail.dat) streams, and damaged streams refused whole."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.channels.email.tnef import TnefError, TnefFile, is_tnef, tnef_files

TNEF = Path(__file__).parent / "fixtures" / "tnef"


def test_attachments_dat_yields_its_files_with_names_and_sizes() -> None:
    # given a TNEF stream from Outlook carrying two files
    data = (TNEF / "attachments.dat").read_bytes()

    # when its files are read
    files = tnef_files(data)

    # then both come out under their long names, whole
    assert [(file.filename, len(file.content)) for file in files] == [
        ("zappa_av1.jpg", 2937),
        ("bookmark.htm", 85805),
    ]
    assert files[0].content.startswith(b"\xff\xd8\xff")  # a JPEG
    assert all(isinstance(file, TnefFile) for file in files)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("badchecksum.dat", "not a TNEF stream"),
        ("panic.dat", "TNEF checksum mismatch"),
    ],
)
def test_damaged_stream_is_refused(name: str, reason: str) -> None:
    # given a damaged stream: a corrupted signature, or a trailing object whose checksum fails
    data = (TNEF / name).read_bytes()

    # when its files are read
    with pytest.raises(TnefError) as raised:
        tnef_files(data)

    # then the reason names the damage, and the caller keeps the original
    assert raised.value.reason == reason


@pytest.mark.parametrize(
    ("content_type", "filename", "expected"),
    [
        ("application/ms-tnef", "", True),
        ("application/vnd.ms-tnef", "anything.dat", True),
        ("application/octet-stream", "WINMAIL.DAT", True),
        ("application/octet-stream", " winmail.dat ", True),
        ("application/octet-stream", "winmail.dat.txt", False),
        ("image/png", "logo.png", False),
    ],
)
def test_tnef_is_recognised_by_type_or_by_name(content_type: str, filename: str, expected: bool) -> None:
    assert is_tnef(content_type, filename) is expected


def test_a_stream_that_would_loop_for_minutes_is_stopped() -> None:
    # given a well-formed stream whose MAPI property block claims 2**32 - 1 properties,
    # checksum recomputed, so only reading it reveals the lie
    data = bytearray((TNEF / "attachments.dat").read_bytes())
    offset, length = 113, 1264  # the message's attMAPIProps object
    struct.pack_into("<I", data, offset + 9, 0xFFFFFFFF)
    struct.pack_into("<H", data, offset + 9 + length, sum(data[offset + 9 : offset + 9 + length]) & 0xFFFF)

    # when its files are read under a one-second budget
    with pytest.raises(TnefError) as raised:
        tnef_files(bytes(data), time_limit=1)

    # then the child reading it is stopped, not the caller: by its CPU limit, or by the wall clock
    # (three times the budget) when a loaded machine gives it less than a third of a core
    assert raised.value.reason in {"TNEF too costly to read", "TNEF took too long to read"}


@settings(max_examples=100, deadline=None)
@given(st.booleans(), st.binary(max_size=2048))
def test_arbitrary_bytes_raise_nothing_but_tnef_error(signed: bool, tail: bytes) -> None:
    data = b"\x78\x9f\x3e\x22" + tail if signed else tail
    try:
        files = tnef_files(data, time_limit=1)
    except TnefError as exc:
        reason = exc.reason
    else:
        assert all(isinstance(file.filename, str) for file in files)
        return
    assert reason


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=6, max_value=2000), st.binary(min_size=1, max_size=16))
def test_damaged_real_stream_raises_nothing_but_tnef_error(offset: int, noise: bytes) -> None:
    # given the real stream with a few bytes overwritten past its signature
    data = bytearray((TNEF / "attachments.dat").read_bytes())
    data[offset : offset + len(noise)] = noise

    # when its files are read, then it either reads or is refused with a reason
    try:
        tnef_files(bytes(data), time_limit=1)
    except TnefError as exc:
        reason = exc.reason
    else:
        return
    assert reason
