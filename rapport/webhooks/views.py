"""Webhook pages (admins): endpoints, their secret, the delivery log with retries, and a test event."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import RapportError
from rapport.core.forms import show_refusal
from rapport.webhooks import backoff, selectors
from rapport.webhooks.forms import EndpointForm
from rapport.webhooks.models import DeliveryStatus, Endpoint
from rapport.webhooks.services.delivery import event_body
from rapport.webhooks.services.delivery import retry_delivery as retry_delivery_service
from rapport.webhooks.services.endpoints import (
    create_endpoint,
    rotate_secret,
    send_test_event,
    update_endpoint,
)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@staff_view(Perm.WEBHOOKS_MANAGE)
def endpoints(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "webhooks/endpoints.html", {"endpoints": selectors.endpoints_visible_to(actor)})


def _endpoint_page(request: HttpRequest, actor: Actor, endpoint: Endpoint | None) -> HttpResponse:
    initial = EndpointForm.initial_for(endpoint) if endpoint else None
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if endpoint is None:
                saved = create_endpoint(actor=actor, data=form.to_input())
            else:
                saved = update_endpoint(actor=actor, endpoint=endpoint, data=form.to_input())
        except RapportError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Saved the endpoint {saved.url}.")
            return redirect("webhooks:endpoint", endpoint_id=saved.pk)
    return render(
        request,
        "webhooks/endpoint.html",
        {"form": form, "endpoint": endpoint, "now": timezone.now()},
        status=422 if request.method == "POST" else 200,
    )


@staff_view(Perm.WEBHOOKS_MANAGE)
def endpoint_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _endpoint_page(request, actor, None)


@staff_view(Perm.WEBHOOKS_MANAGE)
def endpoint_edit(request: HttpRequest, actor: Actor, endpoint_id: int) -> HttpResponse:
    return _endpoint_page(request, actor, selectors.access_endpoint(actor, endpoint_id))


@require_POST
@staff_view(Perm.WEBHOOKS_MANAGE)
def endpoint_rotate_secret(request: HttpRequest, actor: Actor, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.access_endpoint(actor, endpoint_id)
    rotate_secret(actor=actor, endpoint=endpoint)
    messages.success(
        request,
        "A new secret signs from now on; the old one also signs for 24 hours. Give the store the new one.",
    )
    return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)


@require_POST
@staff_view(Perm.WEBHOOKS_MANAGE)
def endpoint_test(request: HttpRequest, actor: Actor, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.access_endpoint(actor, endpoint_id)
    try:
        send_test_event(actor=actor, endpoint=endpoint)
    except RapportError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "A test event is on its way; its attempt shows below.")
    return redirect("webhooks:delivery_log", endpoint_id=endpoint.pk)


@staff_view(Perm.WEBHOOKS_MANAGE)
def delivery_log(request: HttpRequest, actor: Actor, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.access_endpoint(actor, endpoint_id)
    status = request.GET.get("status", "")
    filters = selectors.DeliveryFilters(
        status=status if status in DeliveryStatus.values else "",
        before_id=_int_or_none(request.GET.get("before")),
    )
    page = list(selectors.deliveries_of(actor, endpoint, filters)[: selectors.LOG_PAGE_SIZE + 1])
    more = len(page) > selectors.LOG_PAGE_SIZE
    page = page[: selectors.LOG_PAGE_SIZE]
    return render(
        request,
        "webhooks/delivery_log.html",
        {
            "endpoint": endpoint,
            "deliveries": page,
            "filters": filters,
            "statuses": DeliveryStatus.choices,
            "counts": selectors.status_counts(actor, endpoint),
            "volume": selectors.hourly_attempts(actor, endpoint, now=timezone.now()),
            "next_before": page[-1].pk if more and page else None,
            "retry_days": backoff.RETRY_WINDOW.days,
        },
    )


@staff_view(Perm.WEBHOOKS_MANAGE)
def delivery_detail(request: HttpRequest, actor: Actor, delivery_id: int) -> HttpResponse:
    delivery = selectors.access_delivery(actor, delivery_id)
    body = json.dumps(json.loads(event_body(delivery.event)), indent=2, ensure_ascii=False)
    return render(
        request,
        "webhooks/delivery.html",
        {"delivery": delivery, "attempts": selectors.attempts_of(actor, delivery), "body": body},
    )


@require_POST
@staff_view(Perm.WEBHOOKS_MANAGE)
def delivery_retry(request: HttpRequest, actor: Actor, delivery_id: int) -> HttpResponse:
    delivery = selectors.access_delivery(actor, delivery_id)
    try:
        retry_delivery_service(actor=actor, delivery=delivery)
    except RapportError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "The delivery is queued to be sent again.")
    if request.POST.get("next") == "detail":
        return redirect("webhooks:delivery", delivery_id=delivery.pk)
    return redirect("webhooks:delivery_log", endpoint_id=delivery.endpoint_id)
