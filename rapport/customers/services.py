"""Writes for customers: create, find by identity, change, tag, note, prefer, merge."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.accounts.audit import changed, record_audit, snapshot
from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, NotFound, ValidationFailed
from rapport.core.unit_of_work import savepoint
from rapport.customers.events import record_event
from rapport.customers.identities import IdentityInput, normalise_identity
from rapport.customers.merge import merge_steps
from rapport.customers.models import (
    Customer,
    Identity,
    IdentityKind,
    Note,
    Preference,
    PreferenceKind,
    Tag,
    TimelineEvent,
)

CUSTOMER_FIELDS = [
    "external_id",
    "name",
    "language",
    "time_zone",
    "country",
    "associate",
    "marketing_consent",
    "survey_consent",
]
MAX_NOTE_LENGTH = 10_000
NAME_MAX_LENGTH = Customer._meta.get_field("name").max_length or 200


def _check_identities_free(normalised: list[tuple[str, str]], *, owner: Customer | None = None) -> None:
    seen: set[tuple[str, str]] = set()
    for kind, value in normalised:
        if (kind, value) in seen:
            raise ValidationFailed(f"{value} is listed twice", code="duplicate_identity")
        seen.add((kind, value))
        taken = Identity.objects.filter(kind=kind, value=value).exclude(customer=owner.pk if owner else None)
        if taken.exists():
            raise Conflict(f"{value} belongs to another customer", code="identity_taken")


@cache
def _time_zones() -> frozenset[str]:
    # Listing the zone database reads files: 10-17 ms a call, most of a customer import's time.
    return frozenset(zoneinfo.available_timezones())


def _validate_choices(*, name: str, language: str, time_zone: str, country: str) -> None:
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(f"a name is at most {NAME_MAX_LENGTH} characters", code="name_too_long")
    if time_zone not in _time_zones():
        raise ValidationFailed(f"unknown time zone {time_zone!r}", code="invalid_time_zone")
    if country and (len(country) != 2 or not country.isalpha()):
        raise ValidationFailed("country must be a two-letter ISO code", code="invalid_country")
    if not language or len(language) > 16:
        raise ValidationFailed("language must be a language tag such as en or pt-BR", code="invalid_language")


@contextmanager
def _conflict_on_duplicate(detail: str, code: str) -> Iterator[None]:
    """A unique index that fires after our own check means another request won the race."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(detail, code=code) from exc


def _refuse_merged(customer: Customer) -> None:
    """Writes to a merged-away customer would be lost from view: they belong on the survivor."""
    if Customer.objects.filter(pk=customer.pk, merged_into__isnull=False).exists():
        raise Conflict("this customer was merged into another", code="customer_merged")


def _associate(associate_id: int | None) -> User | None:
    if associate_id is None:
        return None
    associate = User.objects.filter(pk=associate_id, is_active=True).first()
    if associate is None:
        raise ValidationFailed(f"no active staff user {associate_id}", code="invalid_associate")
    return associate


def create_customer(
    *,
    actor: Actor | None,
    name: str = "",
    identities: list[IdentityInput] | None = None,
    language: str = "en",
    time_zone: str = "UTC",
    country: str = "",
    tags: list[str] | None = None,
    associate_id: int | None = None,
    external_id: str | None = None,
    marketing_consent: bool = False,
    survey_consent: bool = True,
) -> Customer:
    if actor is not None:
        actor.require(Perm.CUSTOMERS_EDIT)
    country = country.upper()
    _validate_choices(name=name.strip(), language=language, time_zone=time_zone, country=country)
    normalised = [(i.kind, normalise_identity(i, default_region=country)) for i in identities or []]
    associate = _associate(associate_id)
    with (
        _conflict_on_duplicate("an identity or external id was just taken", "identity_taken"),
        transaction.atomic(),
    ):
        _check_identities_free(normalised)
        if external_id and Customer.objects.filter(external_id=external_id).exists():
            raise Conflict(f"external id {external_id} is taken", code="external_id_taken")
        now = timezone.now()
        customer = Customer.objects.create(
            name=name.strip(),
            language=language,
            time_zone=time_zone,
            country=country,
            associate=associate,
            external_id=external_id or None,
            marketing_consent=marketing_consent,
            marketing_consent_at=now if marketing_consent else None,
            survey_consent=survey_consent,
            survey_consent_at=now,
        )
        primary_kinds: set[str] = set()
        rows = []
        for kind, value in normalised:
            rows.append(
                Identity(customer=customer, kind=kind, value=value, is_primary=kind not in primary_kinds)
            )
            primary_kinds.add(kind)
        Identity.objects.bulk_create(rows)
        if tags:
            customer.tags.set(_tags(tags))
        _record_created(customer, identities=[v for _, v in normalised], actor=actor)
    return customer


def _record_created(customer: Customer, *, identities: list[str], actor: Actor | None) -> None:
    record_audit(
        actor=actor,
        action="customer.create",
        target=customer,
        after=snapshot(customer, CUSTOMER_FIELDS) | {"identities": identities},
    )
    record_event(customer=customer, kind="customer.created", summary="Customer created", actor=actor)


def update_customer(*, actor: Actor | None, customer: Customer, **changes: Any) -> Customer:
    if actor is not None:
        actor.require(Perm.CUSTOMERS_EDIT)
    unknown = set(changes) - {f for f in CUSTOMER_FIELDS if f != "associate"} - {"associate_id"}
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}", code="invalid_field")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.is_merged:
            raise Conflict("this customer was merged into another", code="customer_merged")
        before = snapshot(locked, CUSTOMER_FIELDS)
        if "associate_id" in changes:
            locked.associate = _associate(changes.pop("associate_id"))
        if "country" in changes:
            changes["country"] = (changes["country"] or "").upper()
        if "external_id" in changes:
            changes["external_id"] = changes["external_id"] or None
            if (
                changes["external_id"]
                and Customer.objects.filter(external_id=changes["external_id"]).exclude(pk=locked.pk).exists()
            ):
                raise Conflict("external id is taken", code="external_id_taken")
        now = timezone.now()
        for field, value in changes.items():
            if field == "marketing_consent" and value != locked.marketing_consent:
                locked.marketing_consent_at = now
            if field == "survey_consent" and value != locked.survey_consent:
                locked.survey_consent_at = now
            setattr(locked, field, value.strip() if field == "name" else value)
        _validate_choices(
            name=locked.name, language=locked.language, time_zone=locked.time_zone, country=locked.country
        )
        locked.updated_at = now
        locked.save()
        old, new = changed(before, snapshot(locked, CUSTOMER_FIELDS))
        if new:
            record_audit(actor=actor, action="customer.update", target=locked, before=old, after=new)
            if "associate" in new:
                who = locked.associate.display_name if locked.associate else "nobody"
                record_event(
                    customer=locked,
                    kind="customer.associate_changed",
                    summary=f"Associate set to {who}",
                    actor=actor,
                )
            details = sorted(set(new) - {"associate"})
            if details:
                # Names only: the values are in the audit log, for those allowed to read it.
                labels = ", ".join(field.replace("_", " ") for field in details)
                record_event(
                    customer=locked,
                    kind="customer.updated",
                    summary=f"Details changed: {labels}",
                    actor=actor,
                    data={"fields": details},
                )
    return locked


def add_identity(
    *,
    actor: Actor | None,
    customer: Customer,
    kind: str,
    value: str,
    platform: str = "",
    is_primary: bool = False,
) -> Identity:
    if actor is not None:
        actor.require(Perm.CUSTOMERS_EDIT)
    normalised = normalise_identity(
        IdentityInput(kind=kind, value=value, platform=platform), default_region=customer.country
    )
    with _conflict_on_duplicate(f"{normalised} was just taken", "identity_taken"), transaction.atomic():
        _refuse_merged(customer)
        existing = Identity.objects.filter(kind=kind, value=normalised).first()
        if existing is not None:
            if existing.customer_id != customer.pk:
                raise Conflict(f"{normalised} belongs to another customer", code="identity_taken")
            return existing
        has_primary = Identity.objects.filter(customer=customer, kind=kind, is_primary=True)
        if is_primary:
            has_primary.update(is_primary=False)
        identity = Identity.objects.create(
            customer=customer,
            kind=kind,
            value=normalised,
            is_primary=is_primary or not has_primary.exists(),
        )
        record_audit(actor=actor, action="identity.add", target=customer, after={"identity": str(identity)})
        record_event(
            customer=customer,
            kind="identity.added",
            summary=f"Added {identity.get_kind_display().lower()} {identity.display_value}",
            actor=actor,
        )
    return identity


def remove_identity(*, actor: Actor | None, identity: Identity) -> None:
    if actor is not None:
        actor.require(Perm.CUSTOMERS_EDIT)
    with transaction.atomic():
        customer = identity.customer
        record_audit(
            actor=actor, action="identity.remove", target=customer, before={"identity": str(identity)}
        )
        record_event(
            customer=customer,
            kind="identity.removed",
            summary=f"Removed {identity.get_kind_display().lower()} {identity.display_value}",
            actor=actor,
        )
        identity.delete()
        if identity.is_primary:
            successor = Identity.objects.filter(customer=customer, kind=identity.kind).first()
            if successor is not None:
                successor.is_primary = True
                successor.save(update_fields=["is_primary"])


def find_or_create_customer(
    *,
    kind: str,
    value: str,
    platform: str = "",
    name: str = "",
    actor: Actor | None = None,
    default_region: str = "",
) -> tuple[Customer, bool]:
    """The customer behind an address, created on first contact. Every channel comes through here."""
    # Channels call with no actor; a person or token may create a customer only with the edit right.
    if actor is not None:
        actor.require(Perm.CUSTOMERS_EDIT)
    normalised = normalise_identity(
        IdentityInput(kind=kind, value=value, platform=platform), default_region=default_region
    )
    identity = Identity.objects.select_related("customer").filter(kind=kind, value=normalised).first()
    if identity is not None:
        return identity.customer, False
    try:
        # savepoint(), not a bare atomic block: a lost race must also drop the history rows recorded
        # for the customer that was rolled back, when a unit of work defers them.
        with savepoint():
            customer = create_customer(
                actor=None,
                name=name,
                identities=[IdentityInput(kind=kind, value=normalised, platform=platform)]
                if kind != IdentityKind.SOCIAL
                else [IdentityInput(kind=kind, value=normalised.split(":", 1)[1], platform=platform)],
                country=default_region,
            )
    except (Conflict, IntegrityError):
        # Two first contacts from one address raced; the other one created the customer.
        identity = Identity.objects.select_related("customer").get(kind=kind, value=normalised)
        return identity.customer, False
    if actor is not None:
        record_audit(actor=actor, action="customer.find_or_create", target=customer)
    return customer, True


def find_or_create_customers(*, kind: str, people: Sequence[tuple[str, str]]) -> dict[str, Customer]:
    """The customers behind many addresses or numbers at once, by normalised value; channels only.

    `people` holds (value, name) pairs; an address seen for the first time becomes a customer with
    that name, exactly as find_or_create_customer makes one, in a handful of queries for the lot. A
    value that cannot be normalised raises ValidationFailed, and a lost race IntegrityError: a batch
    caller then goes back to one at a time. Social handles, which carry a platform, go one at a time.
    """
    if kind == IdentityKind.SOCIAL:
        raise ValidationFailed("social identities are found one at a time", code="invalid_identity_kind")
    names: dict[str, str] = {}
    for value, name in people:
        names.setdefault(normalise_identity(IdentityInput(kind=kind, value=value)), name)
    found = {
        identity.value: identity.customer
        for identity in Identity.objects.select_related("customer", "customer__associate").filter(
            kind=kind, value__in=list(names)
        )
    }
    missing = [value for value in names if value not in found]
    if not missing:
        return found
    for value in missing:
        _validate_choices(name=names[value].strip(), language="en", time_zone="UTC", country="")
    now = timezone.now()
    created = Customer.objects.bulk_create(
        [Customer(name=names[value].strip(), survey_consent=True, survey_consent_at=now) for value in missing]
    )
    Identity.objects.bulk_create(
        [
            Identity(customer=customer, kind=kind, value=value, is_primary=True)
            for value, customer in zip(missing, created, strict=True)
        ]
    )
    for value, customer in zip(missing, created, strict=True):
        _record_created(customer, identities=[value], actor=None)
        found[value] = customer
    return found


def add_note(*, actor: Actor, customer: Customer, body: str) -> Note:
    actor.require(Perm.CUSTOMERS_EDIT)
    body = body.strip()
    if not body:
        raise ValidationFailed("a note cannot be empty", code="note_empty")
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationFailed(f"a note is at most {MAX_NOTE_LENGTH} characters", code="note_too_long")
    with transaction.atomic():
        _refuse_merged(customer)
        note = Note.objects.create(customer=customer, author=actor.user, body=body)
        record_audit(actor=actor, action="note.add", target=note, after={"body": body})
        record_event(
            customer=customer,
            kind="note.added",
            summary=body[:300],
            actor=actor,
            subject=note,
            occurred_at=note.created_at,
        )
    return note


def _tags(names: list[str]) -> list[Tag]:
    cleaned = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if len(name) > 50:
            raise ValidationFailed("a tag is at most 50 characters", code="tag_too_long")
        cleaned.append(name)
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    missing = [Tag(name=n) for n in dict.fromkeys(cleaned) if n not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=cleaned))


def add_tag(*, actor: Actor | None, customer: Customer, name: str) -> Tag:
    if actor is not None:
        actor.require(Perm.CUSTOMERS_EDIT)
    tags = _tags([name])
    if not tags:
        raise ValidationFailed("a tag needs a name", code="tag_empty")
    tag = tags[0]
    with transaction.atomic():
        _refuse_merged(customer)
        if not customer.tags.filter(pk=tag.pk).exists():
            customer.tags.add(tag)
            record_audit(actor=actor, action="customer.tag_add", target=customer, after={"tag": tag.name})
            record_event(customer=customer, kind="tag.added", summary=f"Tagged {tag.name}", actor=actor)
    return tag


def remove_tag(*, actor: Actor, customer: Customer, name: str) -> None:
    actor.require(Perm.CUSTOMERS_EDIT)
    tag = Tag.objects.filter(name=name.strip().lower()).first()
    if tag is None or not customer.tags.filter(pk=tag.pk).exists():
        raise NotFound(f"the customer has no tag {name!r}", code="tag_not_found")
    with transaction.atomic():
        customer.tags.remove(tag)
        record_audit(actor=actor, action="customer.tag_remove", target=customer, before={"tag": tag.name})
        record_event(customer=customer, kind="tag.removed", summary=f"Untagged {tag.name}", actor=actor)


def set_preference(
    *, actor: Actor | None, customer: Customer, kind: str, value: str, likes: bool
) -> Preference:
    if actor is not None:
        actor.require(Perm.CUSTOMERS_EDIT)
    if kind not in PreferenceKind.values:
        raise ValidationFailed(f"unknown preference kind {kind!r}", code="invalid_preference_kind")
    value = value.strip()
    if not value:
        raise ValidationFailed("a preference needs a value", code="preference_empty")
    with transaction.atomic():
        _refuse_merged(customer)
        preference, _ = Preference.objects.update_or_create(
            customer=customer, kind=kind, value=value, defaults={"likes": likes}
        )
        record_audit(
            actor=actor,
            action="customer.preference_set",
            target=customer,
            after={"kind": kind, "value": value, "likes": likes},
        )
    return preference


def remove_preference(*, actor: Actor, preference: Preference) -> None:
    actor.require(Perm.CUSTOMERS_EDIT)
    with transaction.atomic():
        record_audit(
            actor=actor,
            action="customer.preference_remove",
            target=preference.customer,
            before={"kind": preference.kind, "value": preference.value, "likes": preference.likes},
        )
        preference.delete()


def merge_customers(*, actor: Actor | None, source: Customer, target: Customer) -> Customer:
    """Move everything of source onto target in one transaction; source then redirects to target."""
    if actor is not None:
        actor.require(Perm.CUSTOMERS_MERGE)
    if source.pk == target.pk:
        raise ValidationFailed("a customer cannot be merged into itself", code="merge_same_customer")
    with transaction.atomic():
        # Lock both in id order so two opposite merges cannot deadlock.
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.is_merged or target.is_merged:
            raise Conflict("one of these customers was already merged", code="customer_merged")
        moved: dict[str, int] = {}
        target_primary_kinds = set(
            Identity.objects.filter(customer=target, is_primary=True).values_list("kind", flat=True)
        )
        Identity.objects.filter(customer=source, kind__in=target_primary_kinds).update(is_primary=False)
        moved["identities"] = Identity.objects.filter(customer=source).update(customer=target)
        moved["notes"] = Note.objects.filter(customer=source).update(customer=target)
        target_prefs = set(Preference.objects.filter(customer=target).values_list("kind", "value"))
        source_prefs = Preference.objects.filter(customer=source)
        keep = [p.pk for p in source_prefs if (p.kind, p.value) not in target_prefs]
        moved["preferences"] = Preference.objects.filter(pk__in=keep).update(customer=target)
        Preference.objects.filter(customer=source).delete()
        source_tags = list(source.tags.all())
        target.tags.add(*source_tags)
        source.tags.clear()
        for name, step in merge_steps().items():
            moved.update({f"{name}.{k}": v for k, v in step(source, target).items()})
        moved["events"] = TimelineEvent.objects.filter(customer=source).update(customer=target)
        if target.associate_id is None and source.associate_id is not None:
            target.associate_id = source.associate_id
        if not target.name and source.name:
            target.name = source.name
        now = timezone.now()
        target.updated_at = now
        target.save()
        source.merged_into = target
        source.merged_at = now
        source.save(update_fields=["merged_into", "merged_at"])
        # Earlier merges into source now point straight at the survivor.
        Customer.objects.filter(merged_into=source).update(merged_into=target)
        record_audit(
            actor=actor,
            action="customer.merge",
            target=target,
            before={"source": source.pk, "source_name": source.name},
            after={"target": target.pk, "moved": moved},
        )
        record_event(
            customer=target,
            kind="customer.merged",
            summary=f"Merged {source.name or f'customer {source.pk}'} (#{source.pk}) into this customer",
            actor=actor,
            data={"source_id": source.pk, "moved": moved},
        )
    return target
