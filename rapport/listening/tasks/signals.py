"""Background work of message signals: scoring new messages (on commit, every minute), training the tagger."""

from __future__ import annotations

from django_tasks import task

from rapport.core.errors import ValidationFailed
from rapport.core.urgent_work import urgent_work_waiting
from rapport.listening.services import scoring, tag_suggestions

# Messages one task scores. Small batches hand the worker back to the queue often, where inbound mail
# (a higher priority) goes first; the task queues the next batch itself.
TASK_BATCH = 100


@task()
def score_messages_task() -> dict[str, int]:
    """Score the next batch waiting, and queue another task if more waits (idempotent: the cursor says where).

    When another worker has the turn this one does nothing: that worker queues what is left. While
    customers' messages wait to reach the inbox it steps aside: writing them queues scoring again.
    """
    if urgent_work_waiting():
        return {"scored": 0, "alerts": 0, "last_message_id": 0, "busy": 0, "stepped_aside": 1}
    result = scoring.score_new_messages(limit=TASK_BATCH)
    if not result.busy and (result.scored >= TASK_BATCH or scoring.unscored_count()):
        score_messages_task.enqueue()
    return {
        "scored": result.scored,
        "alerts": result.alerts,
        "last_message_id": result.last_message_id,
        "busy": int(result.busy),
        "stepped_aside": 0,
    }


@task()
def train_tag_suggestions_task() -> dict[str, object]:
    """Weekly: train the tagger on the company's tagged conversations (skipped while there are too few)."""
    try:
        row = tag_suggestions.train_tag_suggestions()
    except ValidationFailed as error:
        return {"trained": False, "reason": error.detail}
    return {"trained": True, "id": row.pk, "examples": row.examples, "accuracy": row.holdout_accuracy}
