"""Setting up widgets: the admin's writes (name, allowed origins, number, hours, team, secret)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rapport.accounts.audit import changed, record_audit, snapshot
from rapport.accounts.models import Team
from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import Widget, new_identity_secret
from rapport.core.errors import ValidationFailed
from rapport.core.normalise import normalise_phone
from rapport.desk.models import BusinessCalendar

MAX_ORIGINS = 50
# The secret is never written to the audit log; that it changed is.
AUDITED_FIELDS = ["name", "allowed_origins", "phone_number", "calendar", "team", "is_active"]
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(raw: str) -> str:
    """scheme://host[:port] as a browser sends it in Origin: lower case, no default port, no path."""
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"“{text}” is not an origin; write it like https://www.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"“{text}” has more than an origin; leave out paths, e.g. https://www.example.com")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"“{text}” has a port that is not a number") from None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


@transaction.atomic
def save_widget(
    *,
    actor: Actor,
    widget: Widget | None = None,
    name: str,
    allowed_origins: Sequence[str],
    phone_number: str = "",
    calendar: BusinessCalendar | None = None,
    team: Team | None = None,
    is_active: bool = True,
    new_secret: bool = False,
) -> Widget:
    """Create a widget, or change one; errors name the field they belong to."""
    actor.require(Perm.DESK_CONFIGURE)
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "a widget needs a name"
    elif len(name) > 100:
        errors["name"] = "at most 100 characters"
    origins: list[str] = []
    for raw in allowed_origins:
        if not raw.strip():
            continue
        try:
            origin = normalise_origin(raw)
        except ValueError as error:
            errors["allowed_origins"] = str(error)
            break
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        errors["allowed_origins"] = f"at most {MAX_ORIGINS} origins"
    number = ""
    if phone_number.strip():
        try:
            number = normalise_phone(
                phone_number, default_region=settings.RAPPORT_DEFAULT_PHONE_REGION or None
            )
        except ValidationFailed:
            errors["phone_number"] = "not a phone number; include the country code, e.g. +44 20 7946 0018"
    if errors:
        raise ValidationFailed(
            "; ".join(f"{key}: {message}" for key, message in errors.items()),
            code="invalid_widget",
            errors=errors,
        )
    target = Widget.objects.select_for_update().get(pk=widget.pk) if widget is not None else Widget()
    before = snapshot(target, AUDITED_FIELDS) if widget is not None else None
    target.name, target.allowed_origins, target.phone_number = name, origins, number
    target.calendar, target.team, target.is_active = calendar, team, is_active
    if new_secret and widget is not None:
        target.identity_secret = new_identity_secret()
    target.updated_at = timezone.now()
    target.save()
    after = snapshot(target, AUDITED_FIELDS)
    if before is None:
        record_audit(actor=actor, action="channels.widget.create", target=target, after=after)
    else:
        old, new = changed(before, after)
        if new_secret:
            old["identity_secret"], new["identity_secret"] = "(previous)", "(new)"
        if new:
            record_audit(actor=actor, action="channels.widget.update", target=target, before=old, after=new)
    return target
