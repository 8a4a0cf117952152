"""Insights pages about customers: the value and health panel of the 360, the at-risk list, outreach.

(urlpatterns are gathered by rapport/insights/urls.py.)
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import RapportError
from rapport.core.http import htmx
from rapport.customers.selectors import access_customer
from rapport.desk.selectors.conversations import access_conversation
from rapport.insights import selectors
from rapport.insights.models import HealthBand, ValueTier
from rapport.insights.services.health import start_outreach

CUSTOMER = "insights/customer.html"
PAGE_SIZE = 50


@staff_view(Perm.CUSTOMERS_VIEW)
def customer_panel(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = access_customer(actor, customer_id)
    context = {"insight": selectors.customer_insight(actor, customer), "customer": customer}
    return render(request, f"{CUSTOMER}#panel" if htmx(request) else CUSTOMER, context)


@staff_view(Perm.CUSTOMERS_VIEW)
def conversation_recommendations(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    """The composer's side panel: products to suggest to this conversation's customer, one click to insert."""
    conversation = access_conversation(actor, conversation_id)
    items = [
        (recommendation, selectors.product_link(recommendation.product))
        for recommendation in selectors.recommendations_for(actor, conversation.customer)
    ]
    context = {"conversation": conversation, "items": items, "can_work": actor.can(Perm.DESK_WORK)}
    template = "insights/conversation_recommendations.html"
    return render(request, f"{template}#panel" if htmx(request) else template, context)


@staff_view(Perm.CUSTOMERS_VIEW)
def at_risk(request: HttpRequest, actor: Actor) -> HttpResponse:
    band = request.GET.get("band", "")
    if band not in HealthBand.values:
        band = ""  # watch and at risk together
    tier = request.GET.get("tier", "")
    if tier not in ValueTier.values:
        tier = ""
    page = Paginator(selectors.at_risk(actor, band=band, tier=tier), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "band": band,
        "tier": tier,
        "bands": HealthBand.choices,
        "tiers": ValueTier.choices,
        "can_reach_out": actor.can(Perm.DESK_ASSIGN),
        "params": urlencode({key: value for key, value in (("band", band), ("tier", tier)) if value}),
    }
    return render(request, "insights/at_risk.html", context)


@require_POST
@staff_view(Perm.DESK_ASSIGN)
def outreach(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = access_customer(actor, customer_id)
    try:
        follow_up = start_outreach(actor=actor, customer_id=customer.pk)
    except RapportError as error:
        messages.error(request, error.detail)
    else:
        assignee = follow_up.assignee
        whom = (assignee.full_name or assignee.email) if assignee is not None else "the leads"
        messages.success(request, f"Outreach to {customer} started: a follow-up for {whom}.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("insights:at_risk")


urlpatterns: list[URLPattern] = [
    path("customers/<int:customer_id>/", customer_panel, name="customer"),
    path("customers/<int:customer_id>/outreach/", outreach, name="outreach"),
    path("at-risk/", at_risk, name="at_risk"),
    path(
        "conversations/<int:conversation_id>/recommendations/",
        conversation_recommendations,
        name="conversation_recommendations",
    ),
]
