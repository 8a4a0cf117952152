"""The Listening section of docs/benchmarks.md: each producer rewrites its own block and nothing else."""

from __future__ import annotations

from pathlib import Path

from rapport.listening.docs import replace_block, write_block

DOCUMENT = "# Benchmarks\n\nIntro.\n\n## Desk\n\nDesk figures.\n"


def test_a_missing_section_is_added_at_the_end_with_the_block() -> None:
    result = replace_block(DOCUMENT, "bench", "| a | b |")

    assert result.startswith(DOCUMENT.rstrip("\n"))
    assert "## Listening" in result
    assert "<!-- listening:bench:start -->\n| a | b |\n<!-- listening:bench:end -->" in result


def test_rewriting_a_block_keeps_the_other_block_and_the_rest() -> None:
    document = replace_block(replace_block(DOCUMENT, "evaluation", "old eval"), "bench", "old bench")
    document += "\n## Later section\n\nKept.\n"

    result = replace_block(document, "evaluation", "new eval")

    assert "new eval" in result
    assert "old eval" not in result
    assert "old bench" in result
    assert result.endswith("## Later section\n\nKept.\n")
    assert result.count("## Listening") == 1


def test_a_new_block_goes_inside_the_listening_section_before_the_next_one() -> None:
    document = DOCUMENT + "\n## Listening\n\nText.\n\n## After\n\nMore.\n"

    result = replace_block(document, "bench", "speed table")

    assert result.index("speed table") < result.index("## After")
    assert result.index("## Listening") < result.index("speed table")


def test_write_block_creates_the_file_when_missing(tmp_path: Path) -> None:
    path = write_block("bench", "figures", tmp_path / "benchmarks.md")

    assert "figures" in path.read_text(encoding="utf-8")
