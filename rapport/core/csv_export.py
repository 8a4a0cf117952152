"""Tables downloaded as CSV: every export goes through here, so none forgets the formula guard."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

from rapport.core.normalise import csv_safe


def csv_download(filename: str, rows: Iterable[Sequence[object]]) -> HttpResponse:
    """A CSV attachment of `rows`: numbers stay numbers (an NPS of -20 is not a formula); text that a
    spreadsheet would run (= + - @) is neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for line in rows:
        writer.writerow([csv_safe(cell) if isinstance(cell, str) else cell for cell in line])
    return response
