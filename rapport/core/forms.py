"""Showing a service's refusal on the form that asked: on the fields it names, the rest above the form."""

from __future__ import annotations

from django import forms

from rapport.core.errors import RapportError


def show_refusal(form: forms.Form, error: RapportError) -> None:
    if not error.errors:
        form.add_error(None, error.detail)
    for key, message in error.errors.items():
        form.add_error(key if key in form.fields else None, str(message))
