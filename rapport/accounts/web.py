"""Helpers for views: who is asking, and the guard every staff page goes through."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm


def request_actor(request: HttpRequest) -> Actor:
    user = request.user
    assert isinstance(user, User)
    return Actor(user=user, via="web")


def staff_view(perm: Perm) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Require a signed-in, active staff user whose role grants perm; pass the actor to the view."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = request_actor(request)
            actor.require(perm)
            return view(request, actor, *args, **kwargs)

        return wrapper

    return decorator
