"""Whether a task is queued and not yet started, so that work already on its way is not queued twice.

A producer that queues "drain whatever is waiting" after each burst of input (the SMTP listener) needs
only one such task waiting: one that has not started will see everything stored before it starts.
"""

from __future__ import annotations

from typing import Any

from django_tasks.base import Task
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult


def waiting_to_start(task: Task[Any, Any]) -> bool:
    """True when `task` is queued in the database and no worker has taken it yet.

    Other backends (the immediate one of tests, say) keep no queue to look at: False, so the caller
    queues as before.
    """
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    return (
        DBTaskResult.objects.ready().filter(backend_name=backend.alias, task_path=task.module_path).exists()
    )
