"""Forms for the commerce pages."""

from __future__ import annotations

from django import forms

from rapport.commerce.importing import KINDS


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k.title()) for k in KINDS], label="What the file holds")
    file = forms.FileField(
        label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )
