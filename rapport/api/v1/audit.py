"""Audit API: the log of every change, for admins."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from rapport.accounts.selectors import audit_entries_visible_to
from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.audit import AuditFilters, AuditPage
from rapport.api.v1.schemas.common import PageParams, problems

router = Router(tags=["audit"])


@router.get("/audit", response={200: AuditPage, **problems(422)})
def list_audit_entries(
    request: HttpRequest, filters: Query[AuditFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Audit entries, newest first; needs an admin and, for a token, the audit:read scope."""
    entries = audit_entries_visible_to(api_actor(request), **filters.model_dump())
    return paginate(entries, page)
