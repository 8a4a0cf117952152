"""Schemas of the customers router: customers, identities, notes, preferences and the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import model_validator

from rapport.api.v1.schemas.common import UNSENT, Id, Instant, Money, Text
from rapport.commerce.selectors import Spend
from rapport.customers.models import Customer, IdentityKind, PreferenceKind, TimelineEvent

TagName = Annotated[Text, Field(min_length=1, max_length=50)]


class IdentityIn(Schema):
    kind: IdentityKind
    value: Text = Field(
        min_length=1, max_length=254, description="Email, phone (E.164 or national) or handle"
    )
    platform: Text = Field("", max_length=32, description="Social platform, for kind=social only")


class NewIdentityIn(IdentityIn):
    is_primary: bool = False


class IdentityOut(Schema):
    id: int
    kind: IdentityKind
    value: str = Field(description="Normalised: lower-case email, E.164 phone, platform:handle")
    platform: str
    is_primary: bool
    verified_at: datetime | None
    created_at: datetime


class ConsentsIn(Schema):
    marketing: bool = False
    survey: bool = True


class ConsentsOut(Schema):
    marketing: bool
    marketing_at: datetime | None
    survey: bool
    survey_at: datetime | None


class CustomerIn(Schema):
    name: Text = Field("", max_length=200)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)
    language: Text = Field("en", min_length=1, max_length=16)
    time_zone: Text = Field("UTC", min_length=1, max_length=64, description="IANA name, e.g. Europe/Lisbon")
    country: Text = Field("", max_length=2, description="ISO 3166-1 alpha-2; reads national phone numbers")
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    associate_id: Id | None = None
    external_id: Text | None = Field(None, max_length=100)
    consents: ConsentsIn = Field(default_factory=ConsentsIn)


class CustomerPatch(Schema):
    """Only the fields sent change; omitted fields keep their value."""

    name: Text = Field(UNSENT, max_length=200)
    language: Text = Field(UNSENT, min_length=1, max_length=16)
    time_zone: Text = Field(UNSENT, min_length=1, max_length=64)
    country: Text = Field(UNSENT, max_length=2)
    associate_id: Id | None = Field(None, description="null removes the associate")
    external_id: Text | None = Field(None, max_length=100, description="null clears it")
    marketing_consent: bool = Field(UNSENT)
    survey_consent: bool = Field(UNSENT)


class CustomerOut(Schema):
    id: int
    name: str
    external_id: str | None
    language: str
    time_zone: str
    country: str
    associate_id: int | None
    identities: list[IdentityOut]
    tags: list[str]
    merged_into_id: int | None = Field(description="Set when this customer was merged into another")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class CustomerPage(Schema):
    count: int
    items: list[CustomerOut]


class PreferenceIn(Schema):
    kind: PreferenceKind
    value: Text = Field(min_length=1, max_length=100)
    likes: bool = True


class PreferenceOut(Schema):
    id: int
    kind: PreferenceKind
    value: str
    likes: bool


class SpendOut(Schema):
    currency: str
    total: Money
    orders: int


class CustomerDetailOut(CustomerOut):
    preferences: list[PreferenceOut]
    consents: ConsentsOut
    merged_at: datetime | None
    lifetime_spend: list[SpendOut] | None = Field(
        description="Per currency, cancelled and refunded orders left out; null without commerce:read"
    )
    order_count: int | None = Field(description="Orders counted in lifetime_spend")

    @classmethod
    def build(cls, customer: Customer, *, spend: list[Spend] | None) -> CustomerDetailOut:
        return cls.model_validate(customer, context={"spend": spend})

    @staticmethod
    def resolve_consents(obj: Customer) -> dict[str, Any]:
        return {
            "marketing": obj.marketing_consent,
            "marketing_at": obj.marketing_consent_at,
            "survey": obj.survey_consent,
            "survey_at": obj.survey_consent_at,
        }

    @staticmethod
    def resolve_lifetime_spend(_obj: Customer, context: dict[str, Any]) -> list[Spend] | None:
        spend: list[Spend] | None = context["spend"]
        return spend

    @staticmethod
    def resolve_order_count(_obj: Customer, context: dict[str, Any]) -> int | None:
        spend: list[Spend] | None = context["spend"]
        return None if spend is None else sum(row.orders for row in spend)


class CustomerLookup(Schema):
    kind: IdentityKind
    value: Text = Field(min_length=1, max_length=254)
    platform: Text = Field("", max_length=32)


class FindOrCreateIn(CustomerLookup):
    name: Text = Field("", max_length=200, description="Used only when the customer is created")
    country: Text = Field("", max_length=2, description="Region for phone numbers without a country code")


class FindOrCreateOut(Schema):
    created: bool
    customer: CustomerOut


class CustomerFilters(Schema):
    q: Text = Field("", max_length=200, description="Name, email, phone, social handle or order number")
    tag: Text = Field("", max_length=50)
    associate_id: Id | None = None
    unassigned: bool = Field(False, description="Only customers without an associate")


class MergeIn(Schema):
    source_id: Id = Field(description="The duplicate, merged into the customer in the path and then gone")


class NoteIn(Schema):
    body: Text = Field(min_length=1, max_length=10_000)


class NoteOut(Schema):
    id: int
    body: str
    author_id: int | None
    created_at: datetime


class NotePage(Schema):
    count: int
    items: list[NoteOut]


class TimelineCursor(Schema):
    before: Instant | None = Field(None, description="occurred_at of the last event seen")
    before_id: Id | None = Field(None, description="id of the last event seen")

    @model_validator(mode="after")
    def _both_or_neither(self) -> TimelineCursor:
        if (self.before is None) != (self.before_id is None):
            raise ValueError("give before and before_id together, from next_before and next_before_id")
        return self


class TimelineEventOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    actor_id: int | None
    summary: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]


class TimelinePage(Schema):
    items: list[TimelineEventOut]
    next_before: datetime | None = Field(description="Pass as before for the next page; null on the last")
    next_before_id: int | None

    @classmethod
    def of(cls, events: list[TimelineEvent], *, page_size: int) -> TimelinePage:
        last = events[-1] if len(events) == page_size else None
        return cls.model_validate(
            {
                "items": events,
                "next_before": last.occurred_at if last else None,
                "next_before_id": last.pk if last else None,
            }
        )
