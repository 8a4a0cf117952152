"""Periodic jobs: apps register tasks to run every so often; the `clock` command enqueues them when due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

_jobs: dict[str, Periodic] = {}


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    # A django-tasks Task taking no arguments; it must be idempotent, since a job can run late or twice.
    task: Any


def register_periodic(name: str, every: timedelta, task: Any) -> None:
    _jobs[name] = Periodic(name=name, every=every, task=task)


def periodic_jobs() -> list[Periodic]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def due_jobs(last_run: dict[str, datetime], now: datetime) -> list[Periodic]:
    """Jobs never run in this process, or whose interval has passed since they last ran."""
    return [
        job for job in periodic_jobs() if job.name not in last_run or now - last_run[job.name] >= job.every
    ]
