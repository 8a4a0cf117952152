"""Template context: what the signed-in user may do, so pages show only the actions they can take."""

from __future__ import annotations

from django.http import HttpRequest

from rapport.accounts.models import User
from rapport.accounts.permissions import role_permissions


def permissions(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"can": {}}
    granted = role_permissions(user.role)
    return {"can": {perm.value.replace(".", "_"): True for perm in granted}}
