"""Opening a conversation by hand from the customer's 360 page (a phone call, a walk-in, an outreach)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import RapportError
from rapport.customers.selectors import access_live_customer
from rapport.desk.forms_new import NewConversationForm
from rapport.desk.services.conversations import open_conversation


@staff_view(Perm.DESK_WORK)
def new_conversation(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = access_live_customer(actor, customer_id)
    form = NewConversationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = open_conversation(
                actor=actor,
                customer=customer,
                channel=form.cleaned_data["channel"],
                subject=form.cleaned_data["subject"],
                body_text=form.cleaned_data["body"],
                first_message=form.cleaned_data["first_message"],
                priority=form.cleaned_data["priority"],
                tags=form.tag_list(),
            )
        except RapportError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, "Conversation opened.")
            return redirect("desk:conversation", conversation_id=conversation.pk)
    return render(request, "desk/new.html", {"form": form, "customer": customer})
