"""Reads remembered within a unit of work, and only there."""

from __future__ import annotations

from rapport.core.memo import forget, remember, remembered_reads


def test_outside_a_unit_of_work_every_call_reads_afresh() -> None:
    reads: list[int] = []

    def load() -> int:
        reads.append(1)
        return len(reads)

    assert [remember("k", load), remember("k", load)] == [1, 2]


def test_inside_a_unit_of_work_a_key_is_read_once_until_forgotten() -> None:
    reads: list[int] = []

    def load() -> int:
        reads.append(1)
        return len(reads)

    with remembered_reads():
        assert [remember("k", load), remember("k", load)] == [1, 1]
        forget("k")
        assert remember("k", load) == 2
    with remembered_reads():
        assert remember("k", load) == 3


def test_nested_units_of_work_remember_separately_and_the_outer_one_resumes() -> None:
    with remembered_reads():
        assert remember("k", lambda: "outer") == "outer"
        with remembered_reads():
            assert remember("k", lambda: "inner") == "inner"
        assert remember("k", lambda: "other") == "outer"
