"""Keep the listening figures in docs/benchmarks.md current: one marked block per producer (no Django).

``evaluate_listening --write-docs`` and ``bench/listening.py --write-docs`` each own one block inside
the "## Listening" section, so either can rewrite its figures without touching the other's or the rest
of the document.
"""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "docs" / "benchmarks.md"
SECTION = "## Listening"
INTRO = (
    "Produced by `manage.py evaluate_listening --write-docs` (model quality) and `make bench-listening` "
    "(speed and memory); the code is in `rapport/listening/numerics/`. Nothing here is asserted in tests."
)


def _markers(block: str) -> tuple[str, str]:
    return f"<!-- listening:{block}:start -->", f"<!-- listening:{block}:end -->"


def replace_block(document: str, block: str, body: str) -> str:
    """The document with the marked block replaced by body (the section and block made when missing)."""
    start, end = _markers(block)
    fenced = f"{start}\n{body.strip()}\n{end}"
    if start in document and end in document:
        before, rest = document.split(start, 1)
        _, after = rest.split(end, 1)
        return before + fenced + after
    if SECTION not in document.splitlines():
        return document.rstrip("\n") + f"\n\n{SECTION}\n\n{INTRO}\n\n{fenced}\n"
    lines = document.splitlines(keepends=True)
    index = lines.index(SECTION + "\n") if SECTION + "\n" in lines else lines.index(SECTION)
    # The block goes at the end of the section: before the next heading of the same or a higher level.
    insert_at = len(lines)
    for i in range(index + 1, len(lines)):
        if lines[i].startswith("## ") or lines[i].startswith("# "):
            insert_at = i
            break
    head = "".join(lines[:insert_at]).rstrip("\n")
    tail = "".join(lines[insert_at:])
    return head + f"\n\n{fenced}\n" + (f"\n{tail}" if tail else "")


def write_block(block: str, body: str, path: Path = BENCHMARKS) -> Path:
    document = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_block(document, block, body), encoding="utf-8")
    return path
