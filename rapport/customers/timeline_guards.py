"""Guards other apps register so the 360 timeline never shows an event its reader may not see.

The timeline is one table every app appends to; an app whose objects are not visible to every
member of staff (the desk's private teams) says which of a customer's subjects to hide from whom.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.accounts.permissions import Actor
from rapport.customers.models import Customer

# Returns the subject ids (as stored on TimelineEvent.subject_id) of this customer to hide.
TimelineGuard = Callable[[Actor, Customer], list[str]]

_guards: dict[str, TimelineGuard] = {}


def register_timeline_guard(subject_type: str, guard: TimelineGuard) -> None:
    _guards[subject_type] = guard


def hidden_subjects(actor: Actor, customer: Customer) -> dict[str, list[str]]:
    hidden = {subject_type: guard(actor, customer) for subject_type, guard in _guards.items()}
    return {subject_type: ids for subject_type, ids in hidden.items() if ids}
