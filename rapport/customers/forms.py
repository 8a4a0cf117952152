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


class CustomerForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    language = forms.CharField(max_length=16, initial="en")
    time_zone = forms.CharField(max_length=64, initial="UTC")
    country = forms.CharField(max_length=2, required=False, help_text="Two-letter ISO code, e.g. GB")
    marketing_consent = forms.BooleanField(required=False)
    survey_consent = forms.BooleanField(required=False, initial=True)


class NewCustomerForm(CustomerForm):
    email = forms.CharField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False)


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(choices=[("email", "Email"), ("phone", "Phone"), ("social", "Social")])
    platform = forms.CharField(max_length=20, required=False, help_text="For social handles")
    value = forms.CharField(max_length=254)


class PreferenceForm(forms.Form):
    kind = forms.ChoiceField(choices=[("category", "Category"), ("brand", "Brand")])
    value = forms.CharField(max_length=100)
    likes = forms.TypedChoiceField(choices=[("1", "likes"), ("0", "dislikes")], coerce=lambda v: v == "1")
