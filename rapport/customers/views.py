"""Customer pages: the searchable list, the 360, notes and tags in place, merging duplicates."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.selectors import staff_for_assignment
from rapport.accounts.web import staff_view
from rapport.commerce import selectors as commerce
from rapport.core.errors import Conflict, ValidationFailed
from rapport.core.http import htmx
from rapport.customers import selectors, services
from rapport.customers.forms import (
    AssociateForm,
    CustomerForm,
    IdentityForm,
    MergeForm,
    NewCustomerForm,
    NoteForm,
    PreferenceForm,
    TagForm,
)
from rapport.customers.identities import IdentityInput
from rapport.customers.models import Customer
from rapport.customers.tiers import TIER_CHOICES, TIERS
from rapport.desk.selectors import conversations as desk


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@staff_view(Perm.CUSTOMERS_VIEW)
def customer_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    query = request.GET.get("q", "")
    tag = request.GET.get("tag", "")
    tier = request.GET.get("tier", "")
    if tier not in TIERS:
        tier = ""
    associate = request.GET.get("associate", "")
    customers = selectors.search_customers(
        actor,
        query=query,
        tag=tag,
        tier=tier,
        associate_id=_int_or_none(associate),
        unassigned=associate == "none",
    ).order_by("name", "id")
    page = Paginator(selectors.customer_list_page(customers), settings.RAPPORT_LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "query": query,
        "tag": tag,
        "tier": tier,
        "tiers": TIER_CHOICES,
        "associate": associate,
        "params": params.urlencode(),
        "tags": selectors.tags_in_use(actor),
        "staff": staff_for_assignment(actor),
    }
    template = "customers/list.html#results" if htmx(request) else "customers/list.html"
    return render(request, template, context)


def _parse_cursor(request: HttpRequest) -> tuple[datetime | None, int | None]:
    raw_time, raw_id = request.GET.get("before", ""), request.GET.get("before_id", "")
    try:
        return datetime.fromisoformat(raw_time), int(raw_id)
    except ValueError:
        return None, None


def _detail_context(request: HttpRequest, actor: Actor, customer: Customer) -> dict[str, object]:
    before, before_id = _parse_cursor(request)
    timeline = selectors.timeline_for(actor, customer, before=before, before_id=before_id)
    can_edit = actor.can(Perm.CUSTOMERS_EDIT)
    spend = commerce.lifetime_spend(actor, customer)
    chart = None
    if spend:
        series = commerce.monthly_spend(actor, customer, currency=spend[0].currency)
        chart = {
            "currency": spend[0].currency,
            "months": [point.month for point in series],
            "totals": [float(point.total) for point in series],
            "orders": [point.orders for point in series],
        }
    return {
        "spend_chart": chart,
        "customer": customer,
        "identities": list(customer.identities.all()),
        "tags": list(customer.tags.all()),
        "preferences": list(customer.preferences.all()),
        "spend": spend,
        "orders": commerce.recent_orders(actor, customer),
        "wishlist": list(commerce.wishlist_of(actor, customer)),
        "timeline": timeline,
        "conversations": desk.conversations_of_customer(actor, customer.pk)
        if actor.can(Perm.DESK_VIEW)
        else None,
        "next_cursor": timeline[-1] if len(timeline) == selectors.TIMELINE_PAGE else None,
        "note_form": NoteForm(),
        "tag_form": TagForm(),
        "associate_form": AssociateForm(
            initial={"associate": customer.associate_id},
            choices=[(str(u.pk), u.display_name) for u in staff_for_assignment(actor)],
        )
        if can_edit
        else None,
    }


@staff_view(Perm.CUSTOMERS_VIEW)
def customer_detail(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = selectors.access_customer(actor, customer_id)
    if customer.merged_into_id is not None:
        return redirect("customers:detail", customer_id=customer.merged_into_id)
    context = _detail_context(request, actor, customer)
    if htmx(request) and request.GET.get("before"):
        return render(request, "customers/detail.html#timeline-page", context)
    return render(request, "customers/detail.html", context)


@require_POST
@staff_view(Perm.CUSTOMERS_EDIT)
def add_note(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = selectors.access_live_customer(actor, customer_id)
    form = NoteForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.add_note(actor=actor, customer=customer, body=form.cleaned_data["body"])
        except (ValidationFailed, Conflict) as error:
            form.add_error("body", error.detail)
            status = 422
        else:
            form = NoteForm()
    else:
        status = 422
    if not htmx(request):
        if status != 200:
            messages.error(
                request, "The note was not saved: " + "; ".join(map(str, form.errors.get("body", [])))
            )
        return redirect("customers:detail", customer_id=customer.pk)
    context = _detail_context(request, actor, customer) | {"note_form": form}
    return render(request, "customers/detail.html#timeline-section", context, status=status)


def _tags_response(
    request: HttpRequest, actor: Actor, customer: Customer, form: TagForm, status: int
) -> HttpResponse:
    if not htmx(request):
        if status != 200:
            messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("customers:detail", customer_id=customer.pk)
    context = {"customer": customer, "tags": list(customer.tags.all()), "tag_form": form}
    return render(request, "customers/detail.html#tags", context, status=status)


@require_POST
@staff_view(Perm.CUSTOMERS_EDIT)
def add_tag(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = selectors.access_live_customer(actor, customer_id)
    form = TagForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.add_tag(actor=actor, customer=customer, name=form.cleaned_data["name"])
            form = TagForm()
        except (ValidationFailed, Conflict) as error:
            form.add_error("name", error.detail)
            status = 422
    else:
        status = 422
    return _tags_response(request, actor, customer, form, status)


@require_POST
@staff_view(Perm.CUSTOMERS_EDIT)
def remove_tag(request: HttpRequest, actor: Actor, customer_id: int, name: str) -> HttpResponse:
    customer = selectors.access_live_customer(actor, customer_id)
    services.remove_tag(actor=actor, customer=customer, name=name)
    return _tags_response(request, actor, customer, TagForm(), 200)


@require_POST
@staff_view(Perm.CUSTOMERS_EDIT)
def set_associate(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = selectors.access_live_customer(actor, customer_id)
    form = AssociateForm(
        request.POST, choices=[(str(u.pk), u.display_name) for u in staff_for_assignment(actor)]
    )
    if form.is_valid():
        services.update_customer(actor=actor, customer=customer, associate_id=form.cleaned_data["associate"])
        messages.success(request, "Associate updated.")
    else:
        messages.error(request, "Choose a member of staff.")
    return redirect("customers:detail", customer_id=customer.pk)


@staff_view(Perm.CUSTOMERS_MERGE)
def merge(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    """Merge a duplicate (the source) into this customer (the survivor)."""
    target = selectors.access_live_customer(actor, customer_id)
    if request.method == "POST":
        form = MergeForm(request.POST)
        if form.is_valid():
            source = selectors.access_live_customer(actor, form.cleaned_data["source"])
            services.merge_customers(actor=actor, source=source, target=target)
            messages.success(request, f"Merged {source} into {target}.")
            return redirect("customers:detail", customer_id=target.pk)
    query = request.GET.get("q", "")
    candidates = (
        selectors.customer_list_page(
            selectors.search_customers(actor, query=query).exclude(pk=target.pk).order_by("name", "id")
        )[:20]
        if query
        else []
    )
    source_id = _int_or_none(request.GET.get("source"))
    return render(
        request,
        "customers/merge.html",
        {
            "customer": target,
            "query": query,
            "candidates": candidates,
            "source": selectors.access_live_customer(actor, source_id) if source_id is not None else None,
        },
    )


@staff_view(Perm.CUSTOMERS_EDIT)
def new_customer(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = NewCustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identities = [IdentityInput(kind="email", value=data["email"])] if data["email"] else []
        identities += [IdentityInput(kind="phone", value=data["phone"])] if data["phone"] else []
        try:
            customer = services.create_customer(
                actor=actor,
                name=data["name"],
                identities=identities,
                language=data["language"],
                time_zone=data["time_zone"],
                country=data["country"],
                marketing_consent=data["marketing_consent"],
                survey_consent=data["survey_consent"],
            )
        except (ValidationFailed, Conflict) as error:
            form.add_error(None, error.detail)
        else:
            return redirect("customers:detail", customer_id=customer.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "customers/new.html", {"form": form}, status=status)


@staff_view(Perm.CUSTOMERS_EDIT)
def edit_customer(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = selectors.access_live_customer(actor, customer_id)
    initial = {f: getattr(customer, f) for f in CustomerForm.base_fields}
    form = CustomerForm(request.POST if "save-details" in request.POST else None, initial=initial)
    identity_form = IdentityForm(request.POST if "add-identity" in request.POST else None)
    preference_form = PreferenceForm(request.POST if "add-preference" in request.POST else None)
    status = 200
    if request.method == "POST":
        try:
            if "save-details" in request.POST and form.is_valid():
                services.update_customer(actor=actor, customer=customer, **form.cleaned_data)
                messages.success(request, "Details saved.")
                return redirect("customers:edit", customer_id=customer.pk)
            if "add-identity" in request.POST and identity_form.is_valid():
                services.add_identity(actor=actor, customer=customer, **identity_form.cleaned_data)
                messages.success(request, "Identity added.")
                return redirect("customers:edit", customer_id=customer.pk)
            if "add-preference" in request.POST and preference_form.is_valid():
                services.set_preference(actor=actor, customer=customer, **preference_form.cleaned_data)
                messages.success(request, "Preference saved.")
                return redirect("customers:edit", customer_id=customer.pk)
            if "remove-identity" in request.POST:
                identity = selectors.access_identity(
                    actor, customer.pk, _int_or_none(request.POST["remove-identity"]) or 0
                )
                services.remove_identity(actor=actor, identity=identity)
                messages.success(request, "Identity removed.")
                return redirect("customers:edit", customer_id=customer.pk)
            if "remove-preference" in request.POST:
                preference = selectors.access_preference(
                    actor, customer.pk, _int_or_none(request.POST["remove-preference"]) or 0
                )
                services.remove_preference(actor=actor, preference=preference)
                return redirect("customers:edit", customer_id=customer.pk)
        except (ValidationFailed, Conflict) as error:
            target: forms.Form = form
            if "add-identity" in request.POST:
                target = identity_form
            elif "add-preference" in request.POST:
                target = preference_form
            target.add_error(None, error.detail)
        status = 422
    return render(
        request,
        "customers/edit.html",
        {
            "customer": customer,
            "form": form,
            "identity_form": identity_form,
            "preference_form": preference_form,
            "identities": list(customer.identities.all()),
            "preferences": list(customer.preferences.all()),
        },
        status=status,
    )
