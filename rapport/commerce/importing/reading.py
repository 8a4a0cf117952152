"""CSV records with their physical line numbers, read so that one bad row never stops the rest."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from rapport.core.errors import ValidationFailed

BOM = b"\xef\xbb\xbf"


class HeaderInvalid(ValidationFailed):
    """The file cannot be imported at all: nothing is written."""

    code = "import_header_invalid"


@dataclass(frozen=True)
class Record:
    """One CSV record. line is where it starts; error says why it cannot be used as a row."""

    line: int
    fields: list[str]
    error: str = ""


class _Lines:
    """Physical lines decoded one by one, so an undecodable byte spoils only its own line."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0
        self.undecodable: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            self.count += 1
            if self.count == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.undecodable[self.count] = (
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start + 1})"
                )
                # Decoding with replacements keeps quotes in step for the lines that follow.
                yield raw.decode("utf-8", errors="replace")


def read_records(stream: BinaryIO) -> Iterator[Record]:
    """Every record of the file, header included, with blank lines skipped."""
    lines = _Lines(stream)
    reader = csv.reader(iter(lines), strict=False)
    end = 0
    while True:
        start = end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield Record(line=start, fields=[], error=f"malformed CSV: {exc}")
            continue
        end = reader.line_num
        if not fields:
            continue
        bad = [lines.undecodable[n] for n in range(start, end + 1) if n in lines.undecodable]
        if bad:
            yield Record(line=start, fields=fields, error=bad[0])
        else:
            yield Record(line=start, fields=fields)


def read_header(records: Iterator[Record]) -> list[str]:
    """The column names, lower-cased; HeaderInvalid when there is no usable header."""
    first = next(records, None)
    if first is None:
        raise HeaderInvalid("the file is empty: it needs a header line naming its columns")
    if first.error:
        raise HeaderInvalid(f"line {first.line}: the header cannot be read: {first.error}")
    names = [name.strip().lower() for name in first.fields]
    seen: set[str] = set()
    for name in names:
        if not name:
            raise HeaderInvalid(f"line {first.line}: the header has an empty column name")
        if name in seen:
            raise HeaderInvalid(f"line {first.line}: the header names column {name!r} twice")
        seen.add(name)
    return names


def count_lines(path: str) -> int:
    """Physical lines in a file, counted without decoding: the length of a progress bar."""
    count = 0
    last = b"\n"
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")
