"""Saving, changing and deleting named inbox views."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rapport.desk.models import SavedView
from rapport.desk.selectors.inbox import InboxFilters, filters_as_dict

MAX_NAME = 100
MAX_VIEWS_PER_PERSON = 50


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationFailed("a saved view needs a name", code="invalid_name")
    if len(cleaned) > MAX_NAME:
        raise ValidationFailed(f"a name may hold at most {MAX_NAME} characters", code="invalid_name")
    return cleaned


def _check_sharing(actor: Actor, shared: bool) -> None:
    # Sharing puts the view in everyone's inbox: that is desk work, not only reading.
    if shared and not actor.can(Perm.DESK_WORK):
        raise PermissionDenied("only people who work the desk can share a view", code="permission_denied")


def _own(actor: Actor, saved_view: SavedView) -> SavedView:
    """The view locked for change, if the actor owns it; others' views are not theirs to touch."""
    found = SavedView.objects.select_for_update().filter(pk=saved_view.pk).first()
    if found is None or (found.owner_id != actor.user.pk and not found.shared):
        raise NotFound(f"no saved view {saved_view.pk}", code="saved_view_not_found")
    if found.owner_id != actor.user.pk:
        raise PermissionDenied("only its owner can change a saved view", code="permission_denied")
    return found


@transaction.atomic
def save_view(*, actor: Actor, name: str, filters: InboxFilters, shared: bool = False) -> SavedView:
    """Keep the current filters under a name (unique among the actor's own views)."""
    actor.require(Perm.DESK_VIEW)
    _check_sharing(actor, shared)
    cleaned = _clean_name(name)
    if SavedView.objects.filter(owner=actor.user).count() >= MAX_VIEWS_PER_PERSON:
        raise ValidationFailed(
            f"at most {MAX_VIEWS_PER_PERSON} saved views each; delete one first", code="too_many_views"
        )
    if SavedView.objects.filter(owner=actor.user, name=cleaned).exists():
        raise Conflict(f"you already have a view named {cleaned!r}", code="saved_view_exists")
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                owner=actor.user, name=cleaned, filters=filters_as_dict(filters), shared=shared
            )
    except IntegrityError:
        raise Conflict(f"you already have a view named {cleaned!r}", code="saved_view_exists") from None


@transaction.atomic
def update_view(
    *,
    actor: Actor,
    saved_view: SavedView,
    name: str | None = None,
    filters: InboxFilters | None = None,
    shared: bool | None = None,
) -> SavedView:
    actor.require(Perm.DESK_VIEW)
    found = _own(actor, saved_view)
    if shared is not None:
        _check_sharing(actor, shared)
        found.shared = shared
    if name is not None:
        cleaned = _clean_name(name)
        if SavedView.objects.filter(owner=actor.user, name=cleaned).exclude(pk=found.pk).exists():
            raise Conflict(f"you already have a view named {cleaned!r}", code="saved_view_exists")
        found.name = cleaned
    if filters is not None:
        found.filters = filters_as_dict(filters)
    found.save()
    return found


@transaction.atomic
def delete_view(*, actor: Actor, saved_view: SavedView) -> None:
    actor.require(Perm.DESK_VIEW)
    _own(actor, saved_view).delete()
