"""Append-only rows deferred to the end of a unit of work, and dropped with a rolled-back savepoint."""

from __future__ import annotations

import pytest
from django.db import transaction

from rapport.accounts.models import AuditEntry
from rapport.core.unit_of_work import append_row, savepoint, unit_of_work

pytestmark = pytest.mark.django_db


def entry(action: str) -> AuditEntry:
    return AuditEntry(actor_label="system", via="system", action=action, target_type="test", target_id="1")


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def test_outside_a_unit_a_row_is_inserted_at_once_and_its_hook_sees_its_id() -> None:
    seen: list[int | None] = []

    row = append_row(entry("one"), after_insert=lambda inserted: seen.append(inserted.pk))

    assert actions() == ["one"]
    assert seen == [row.pk]
    assert row.pk is not None


def test_inside_a_unit_rows_wait_for_its_end_then_go_in_order_with_their_ids() -> None:
    seen: list[tuple[str, int | None]] = []

    def hook(inserted: AuditEntry) -> None:
        seen.append((inserted.action, inserted.pk))

    with transaction.atomic(), unit_of_work():
        append_row(entry("one"), after_insert=hook)
        append_row(entry("two"), after_insert=hook)
        assert actions() == []
        assert seen == []

    assert actions() == ["one", "two"]
    assert [action for action, _ in seen] == ["one", "two"]
    assert all(pk is not None for _, pk in seen)


def test_rows_a_hook_appends_are_written_too() -> None:
    def follow_up(inserted: AuditEntry) -> None:
        if inserted.action == "one":
            append_row(entry("after one"))

    with transaction.atomic(), unit_of_work():
        append_row(entry("one"), after_insert=follow_up)

    assert actions() == ["one", "after one"]


def failing_change() -> None:
    with savepoint():
        append_row(entry("rolled back"))
        raise RuntimeError("the change failed")


def failing_batch() -> None:
    with transaction.atomic(), unit_of_work():
        append_row(entry("lost"))
        raise RuntimeError("the batch failed")


def test_a_rolled_back_savepoint_drops_its_rows_and_a_kept_one_keeps_them() -> None:
    with transaction.atomic(), unit_of_work():
        append_row(entry("before"))
        with savepoint():
            append_row(entry("kept"))
        with pytest.raises(RuntimeError):
            failing_change()
        append_row(entry("after"))

    assert actions() == ["before", "kept", "after"]


def test_a_unit_that_fails_writes_nothing() -> None:
    with pytest.raises(RuntimeError):
        failing_batch()

    assert actions() == []


@pytest.mark.django_db(transaction=True)
def test_a_unit_needs_a_transaction_to_belong_to() -> None:
    with pytest.raises(RuntimeError, match="inside a transaction"), unit_of_work():
        pass
