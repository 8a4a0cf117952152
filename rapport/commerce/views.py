"""Commerce pages: CSV imports started from the browser, with their progress and report."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.commerce import import_jobs
from rapport.commerce.forms import ImportForm
from rapport.core.errors import ValidationFailed
from rapport.core.http import htmx


@staff_view(Perm.COMMERCE_IMPORT)
def imports(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_jobs.start_import(
                actor=actor, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
            )
        except ValidationFailed as error:
            form.add_error("file", error.detail)
        else:
            return redirect("commerce:import_detail", job_id=job.pk)
    page = Paginator(import_jobs.imports_visible_to(actor), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "commerce/imports.html",
        {"form": form, "page": page},
        status=422 if request.method == "POST" else 200,
    )


@staff_view(Perm.COMMERCE_IMPORT)
def import_detail(request: HttpRequest, actor: Actor, job_id: int) -> HttpResponse:
    job = import_jobs.access_import(actor, job_id)
    template = "commerce/import_detail.html#progress" if htmx(request) else "commerce/import_detail.html"
    return render(request, template, {"job": job})
