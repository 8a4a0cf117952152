"""How an identity given by a person or a channel becomes the normalised value we store and look up."""

from __future__ import annotations

from dataclasses import dataclass

from rapport.core.errors import ValidationFailed
from rapport.core.normalise import normalise_email, normalise_phone, normalise_social
from rapport.customers.models import IdentityKind


@dataclass(frozen=True)
class IdentityInput:
    kind: str
    value: str
    platform: str = ""


def normalise_identity(identity: IdentityInput, *, default_region: str | None = None) -> str:
    if identity.kind == IdentityKind.EMAIL:
        return normalise_email(identity.value)
    if identity.kind == IdentityKind.PHONE:
        return normalise_phone(identity.value, default_region=default_region or None)
    if identity.kind == IdentityKind.SOCIAL:
        return normalise_social(identity.platform, identity.value)
    raise ValidationFailed(f"unknown identity kind {identity.kind!r}", code="invalid_identity_kind")
