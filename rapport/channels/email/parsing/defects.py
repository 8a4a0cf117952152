"""What was malformed in a mail, noted as short descriptions instead of raised."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.errors import MessageDefect
from typing import TypeVar

from rapport.channels.email.noise import HEADER_ERRORS
from rapport.channels.email.parsing.text import safe_text

_MAX_DEFECTS = 50
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_T = TypeVar("_T")
_D = TypeVar("_D")


@dataclass
class Defects:
    """The descriptions gathered for one mail: each once, at most _MAX_DEFECTS."""

    items: list[str] = field(default_factory=list)

    def add(self, description: str) -> None:
        if description not in self.items and len(self.items) < _MAX_DEFECTS:
            self.items.append(description)

    def add_all(self, where: str, defects: Iterable[MessageDefect]) -> None:
        for defect in defects:
            words = _CAMEL.sub(" ", type(defect).__name__.removesuffix("Defect")).lower()
            detail = safe_text(str(defect)).strip()
            self.add(f"{where}: {detail or words}")


def safely(read: Callable[[], _T], default: _D, defects: Defects, what: str) -> _T | _D:
    """`read()`, or `default` with a defect noted when the header it reads cannot be parsed."""
    try:
        return read()
    except HEADER_ERRORS as exc:
        defects.add(f"{what} could not be read ({type(exc).__name__})")
        return default
