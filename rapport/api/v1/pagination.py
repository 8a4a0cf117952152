"""Limit/offset pages of a queryset, counted cheaply: {"count": n, "items": [...]}."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from rapport.api.v1.schemas.common import PageParams

M = TypeVar("M", bound=Model)


def paginate(queryset: QuerySet[M], page: PageParams) -> dict[str, Any]:
    # Counting ids alone, without ordering, joins for display or prefetches, keeps the count to
    # one index scan even when the filter needs DISTINCT.
    count = queryset.order_by().values("pk").count()
    items = list(queryset[page.offset : page.offset + page.limit]) if page.offset < count else []
    return {"count": count, "items": items}
