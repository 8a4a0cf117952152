"""Background work of message signals: scoring new messages (on commit, every minute), training the tagger."""

from __future__ import annotations

from django_tasks import task

from rapport.core.errors import ValidationFailed
from rapport.listening.services import scoring, tag_suggestions


@task()
def score_messages_task() -> dict[str, int]:
    """Score what is waiting, batch by batch, until nothing is (idempotent: the cursor says where)."""
    scored = alerts = 0
    while True:
        result = scoring.score_new_messages()
        scored += result.scored
        alerts += result.alerts
        if result.scored < scoring.BATCH:
            return {"scored": scored, "alerts": alerts, "last_message_id": result.last_message_id}


@task()
def train_tag_suggestions_task() -> dict[str, object]:
    """Weekly: train the tagger on the company's tagged conversations (skipped while there are too few)."""
    try:
        row = tag_suggestions.train_tag_suggestions()
    except ValidationFailed as error:
        return {"trained": False, "reason": error.detail}
    return {"trained": True, "id": row.pk, "examples": row.examples, "accuracy": row.holdout_accuracy}
