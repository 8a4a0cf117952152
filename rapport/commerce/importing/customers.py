"""Customers from CSV, one row each, found again by external_id; written through customers.services."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.importing.base import (
    ImportReport,
    Layout,
    Outcome,
    Progress,
    attempt,
    parsed_batches,
)
from rapport.commerce.importing.cells import CellError, Row, max_length
from rapport.commerce.importing.reading import Record
from rapport.core.errors import ValidationFailed
from rapport.customers.models import Customer, IdentityKind
from rapport.customers.services import (
    IdentityInput,
    add_identity,
    add_tag,
    create_customer,
    normalise_identity,
    update_customer,
)

LAYOUT = Layout(
    required=("external_id",),
    optional=(
        "name",
        "email",
        "phone",
        "social",
        "country",
        "language",
        "time_zone",
        "tags",
        "marketing_consent",
        "survey_consent",
        "associate_email",
    ),
)
PERMISSION = Perm.CUSTOMERS_EDIT


@dataclass
class CustomerRow:
    line: int
    external_id: str
    # None means the file says nothing: a new customer gets the default, an existing one keeps its value.
    name: str | None
    country: str | None
    language: str | None
    time_zone: str | None
    marketing_consent: bool | None
    survey_consent: bool | None
    associate_email: str | None
    identities: list[tuple[str, IdentityInput]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def parse_row(row: Row) -> CustomerRow:
    parsed = CustomerRow(
        line=row.line,
        external_id=row.text("external_id", required=True, limit=max_length(Customer, "external_id")),
        name=row.optional("name", limit=max_length(Customer, "name")),
        country=row.optional("country"),
        language=row.optional("language"),
        time_zone=row.optional("time_zone"),
        marketing_consent=row.boolean("marketing_consent"),
        survey_consent=row.boolean("survey_consent"),
        associate_email=row.optional("associate_email"),
        tags=[tag.lower() for tag in row.items("tags")],
    )
    if parsed.country is not None:
        if len(parsed.country) != 2 or not parsed.country.isascii() or not parsed.country.isalpha():
            raise CellError("country", f"{parsed.country[:40]!r} is not a two-letter ISO 3166 code like PT")
        parsed.country = parsed.country.upper()
    for email in row.items("email"):
        parsed.identities.append(("email", IdentityInput(kind=IdentityKind.EMAIL, value=email)))
    for phone in row.items("phone"):
        parsed.identities.append(("phone", IdentityInput(kind=IdentityKind.PHONE, value=phone)))
    for social in row.items("social"):
        platform, colon, handle = social.partition(":")
        if not colon:
            raise CellError("social", f"write platform:handle, like instagram:@ana, not {social[:40]!r}")
        parsed.identities.append(
            ("social", IdentityInput(kind=IdentityKind.SOCIAL, value=handle, platform=platform))
        )
    return parsed


def _normalised(parsed: CustomerRow, region: str) -> list[tuple[str, str]]:
    """(kind, value) as stored, with errors naming the column; a national phone needs the country."""
    result = []
    for column, identity in parsed.identities:
        if identity.kind == IdentityKind.PHONE and not region and not identity.value.startswith("+"):
            raise CellError(
                column,
                f"{identity.value[:40]!r} has no country code: write +44… or fill in the country column",
            )
        try:
            result.append((identity.kind, normalise_identity(identity, default_region=region)))
        except ValidationFailed as exc:
            raise CellError(column, exc.detail) from exc
    return result


class _Importer:
    def __init__(self, actor: Actor | None, report: ImportReport) -> None:
        self.actor = actor
        self.report = report
        self.known: dict[str, Customer | None] = {}
        self._associates: dict[str, int] | None = None

    def associate_id(self, email: str) -> int:
        if self._associates is None:
            self._associates = {
                address.lower(): pk
                for pk, address in User.objects.filter(is_active=True).values_list("pk", "email")
            }
        found = self._associates.get(email.lower())
        if found is None:
            raise CellError("associate_email", f"no active staff user {email[:60]!r}")
        return found

    def lookup(self, external_id: str) -> Customer | None:
        if external_id not in self.known:
            self.known[external_id] = (
                Customer.objects.filter(external_id=external_id)
                .prefetch_related("identities", "tags")
                .first()
            )
        return self.known[external_id]

    def run_batch(self, batch: list[CustomerRow]) -> None:
        with transaction.atomic():
            keys = [parsed.external_id for parsed in batch]
            self.known = dict.fromkeys(keys)
            self.known.update(
                (customer.external_id, customer)
                for customer in Customer.objects.filter(external_id__in=keys).prefetch_related(
                    "identities", "tags"
                )
                if customer.external_id is not None
            )
            for parsed in batch:
                written: list[Customer] = []
                ok = attempt(
                    self.report,
                    line=parsed.line,
                    key=parsed.external_id,
                    work=partial(self.import_one, parsed, written),
                )
                if ok and written:
                    self.known[parsed.external_id] = written[0]
                elif not ok:
                    # Whatever this record wrote was rolled back: look it up afresh if it comes again.
                    self.known.pop(parsed.external_id, None)

    def import_one(self, parsed: CustomerRow, written: list[Customer]) -> Outcome:
        existing = self.lookup(parsed.external_id)
        associate_id = self.associate_id(parsed.associate_email) if parsed.associate_email else None
        if existing is None:
            _normalised(parsed, parsed.country or "")
            customer = create_customer(
                actor=self.actor,
                name=parsed.name or "",
                identities=[identity for _, identity in parsed.identities],
                language=parsed.language or "en",
                time_zone=parsed.time_zone or "UTC",
                country=parsed.country or "",
                tags=parsed.tags,
                associate_id=associate_id,
                external_id=parsed.external_id,
                marketing_consent=bool(parsed.marketing_consent),
                survey_consent=parsed.survey_consent is not False,
            )
            written.append(customer)
            return Outcome.CREATED
        if existing.is_merged:
            # The merge is the newer truth: the survivor holds this record's identities and orders.
            return Outcome.UNCHANGED
        changes = self.changes(parsed, existing, associate_id)
        have = {(identity.kind, identity.value) for identity in existing.identities.all()}
        new_identities = [
            (identity, value)
            for (_, identity), (_, value) in zip(
                parsed.identities, _normalised(parsed, parsed.country or existing.country), strict=True
            )
            if (identity.kind, value) not in have
        ]
        tag_names = {tag.name for tag in existing.tags.all()}
        new_tags = [tag for tag in dict.fromkeys(parsed.tags) if tag not in tag_names]
        if not changes and not new_identities and not new_tags:
            return Outcome.UNCHANGED
        customer = update_customer(actor=self.actor, customer=existing, **changes) if changes else existing
        for identity, _ in new_identities:
            add_identity(
                actor=self.actor,
                customer=customer,
                kind=identity.kind,
                value=identity.value,
                platform=identity.platform,
            )
        for tag in new_tags:
            add_tag(actor=self.actor, customer=customer, name=tag)
        written.append(Customer.objects.prefetch_related("identities", "tags").get(pk=customer.pk))
        return Outcome.UPDATED

    def changes(self, parsed: CustomerRow, existing: Customer, associate_id: int | None) -> dict[str, object]:
        wanted: dict[str, object] = {
            "name": parsed.name,
            "country": parsed.country,
            "language": parsed.language,
            "time_zone": parsed.time_zone,
            "marketing_consent": parsed.marketing_consent,
            "survey_consent": parsed.survey_consent,
        }
        changes = {
            name: value
            for name, value in wanted.items()
            if value is not None and value != getattr(existing, name)
        }
        if parsed.associate_email and associate_id != existing.associate_id:
            changes["associate_id"] = associate_id
        return changes


def run(
    records: Iterator[Record],
    header: list[str],
    *,
    actor: Actor | None,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    importer = _Importer(actor, report)
    for parsed_rows in parsed_batches(
        records, header, report=report, progress=progress, parse=parse_row, key_columns=("external_id",)
    ):
        importer.run_batch(parsed_rows)
