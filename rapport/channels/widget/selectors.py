"""Reading widgets for the admin pages: only for those who configure the desk."""

from __future__ import annotations

from django.db.models import QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import Widget
from rapport.core.errors import NotFound


def widgets_visible_to(actor: Actor) -> QuerySet[Widget]:
    actor.require(Perm.DESK_CONFIGURE)
    return Widget.objects.select_related("calendar", "team").order_by("name", "id")


def access_widget(actor: Actor, widget_id: int) -> Widget:
    widget = widgets_visible_to(actor).filter(pk=widget_id).first()
    if widget is None:
        raise NotFound(f"no widget {widget_id}", code="widget_not_found")
    return widget
