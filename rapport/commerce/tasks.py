"""Background tasks of the commerce app (run by db_worker)."""

from __future__ import annotations

from django_tasks import task

from rapport.commerce.import_jobs import run_import


@task()
def run_import_job(job_id: int) -> str:
    return run_import(job_id).status
