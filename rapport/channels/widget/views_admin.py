"""Admin pages for widgets: the list, and one widget's settings with the script tag to copy."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.channels.models import Widget
from rapport.channels.widget import selectors
from rapport.channels.widget.forms import WidgetForm
from rapport.channels.widget.services import save_widget
from rapport.core.errors import RapportError
from rapport.core.forms import show_refusal


def script_tag(request: HttpRequest, widget: Widget) -> str:
    src = request.build_absolute_uri(reverse("channels:widget_script", args=[widget.key]))
    return f'<script src="{src}" async></script>'


@staff_view(Perm.DESK_CONFIGURE)
def widget_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    widgets = list(selectors.widgets_visible_to(actor))
    rows = [(widget, script_tag(request, widget)) for widget in widgets]
    return render(request, "channels/widget_list.html", {"rows": rows})


def _page(request: HttpRequest, actor: Actor, widget: Widget | None) -> HttpResponse:
    initial = WidgetForm.initial_for(widget) if widget is not None else {"is_active": True}
    form = WidgetForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = save_widget(
                    actor=actor,
                    widget=widget,
                    new_secret=form.cleaned_data["new_secret"],
                    **form.service_arguments(),
                )
            except RapportError as error:
                show_refusal(form, error)
            else:
                messages.success(request, f"Widget “{saved.name}” saved.")
                return redirect("channels:widget_edit", widget_id=saved.pk)
    context = {
        "form": form,
        "widget": widget,
        "script_tag": script_tag(request, widget) if widget is not None else "",
    }
    return render(request, "channels/widget_form.html", context, status=status)


@staff_view(Perm.DESK_CONFIGURE)
def widget_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _page(request, actor, None)


@staff_view(Perm.DESK_CONFIGURE)
def widget_edit(request: HttpRequest, actor: Actor, widget_id: int) -> HttpResponse:
    return _page(request, actor, selectors.access_widget(actor, widget_id))
