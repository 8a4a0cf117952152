"""Forms for the customer pages."""

from __future__ import annotations

from django import forms


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Add a note…"}),
    )


class TagForm(forms.Form):
    name = forms.CharField(label="Tag", max_length=50)


class AssociateForm(forms.Form):
    associate = forms.TypedChoiceField(label="Associate", coerce=int, empty_value=None, required=False)

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["associate"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "— nobody —"), *choices]


class MergeForm(forms.Form):
    source = forms.IntegerField(widget=forms.HiddenInput)
