"""A service's refusal lands on the fields it names; what names no field is shown above the form."""

from __future__ import annotations

from django import forms

from rapport.core.errors import Conflict, ValidationFailed
from rapport.core.forms import show_refusal


class NameForm(forms.Form):
    name = forms.CharField()


def test_named_fields_get_their_messages_and_unknown_ones_go_above_the_form() -> None:
    form = NameForm({"name": "Support"})
    assert form.is_valid()

    show_refusal(form, ValidationFailed("not saved", errors={"name": "taken", "colour": "no such field"}))

    assert form.errors == {"name": ["taken"], "__all__": ["no such field"]}


def test_a_refusal_that_names_no_field_is_shown_above_the_form() -> None:
    form = NameForm({"name": "Support"})
    assert form.is_valid()

    show_refusal(form, Conflict("someone else changed it"))

    assert form.non_field_errors() == ["someone else changed it"]
