"""Saved inbox views: an agent's own, and those others shared with everyone."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import NotFound
from rapport.desk.models import SavedView
from rapport.desk.selectors.inbox import InboxFilters, filters_from_dict


def saved_views_for(actor: Actor) -> QuerySet[SavedView]:
    """The actor's own views, then views others shared; the shared ones name their owner."""
    actor.require(Perm.DESK_VIEW)
    return (
        SavedView.objects.filter(Q(owner=actor.user) | Q(shared=True))
        .select_related("owner")
        .order_by("position", "name", "id")
    )


def access_saved_view(actor: Actor, view_id: int) -> SavedView:
    """A view the actor owns or that is shared, or NotFound."""
    found = saved_views_for(actor).filter(pk=view_id).first()
    if found is None:
        raise NotFound(f"no saved view {view_id}", code="saved_view_not_found")
    return found


def filters_of(saved_view: SavedView) -> InboxFilters:
    return filters_from_dict(saved_view.filters if isinstance(saved_view.filters, dict) else {})
