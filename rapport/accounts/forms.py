"""Forms for sign-in and API tokens."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from rapport.accounts.models import Team
from rapport.accounts.permissions import SCOPES


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        # Addresses are stored lower-case; people type them however they like.
        return str(self.cleaned_data["username"]).strip().lower()


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=list(SCOPES.items()), widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args: object, allowed_scopes: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["scopes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(s, f"{s}: {SCOPES[s]}") for s in allowed_scopes]


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False)
    actor = forms.CharField(required=False, label="Actor email")
    target_type = forms.CharField(required=False)
    target_id = forms.CharField(required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class StaffForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=[])
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    password = forms.CharField(widget=forms.PasswordInput, min_length=10, required=False)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: object, teams: object, editing: bool = False, **kwargs: object) -> None:
        from rapport.accounts.models import Role

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = Role.choices  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        if editing:
            del self.fields["email"]
            del self.fields["password"]
        else:
            self.fields["password"].required = True


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
