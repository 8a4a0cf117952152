"""Forms of the channels' admin pages: they parse what people type; services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.accounts.models import Team
from rapport.channels.models import Mailbox
from rapport.channels.services.mailboxes import MailboxInput


class MailboxForm(forms.Form):
    address = forms.CharField(
        max_length=254, help_text="Mail to this address, or address+anything, comes in here."
    )
    name = forms.CharField(max_length=100, help_text="Shown as the sender of replies, e.g. Support.")
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="(routing decides)",
        help_text="New conversations from this mailbox go to this team.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Accept mail")
    imap_host = forms.CharField(
        max_length=255, required=False, label="IMAP server", help_text="Only for mail hosted elsewhere."
    )
    imap_port = forms.IntegerField(initial=993, label="IMAP port")
    imap_use_tls = forms.BooleanField(required=False, initial=True, label="IMAP over TLS")
    imap_username = forms.CharField(max_length=255, required=False, label="IMAP user name")
    imap_password = forms.CharField(
        max_length=255,
        required=False,
        label="IMAP password",
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the stored password.",
    )
    imap_folder = forms.CharField(max_length=255, initial="INBOX", label="IMAP folder")

    @classmethod
    def initial_for(cls, mailbox: Mailbox) -> dict[str, Any]:
        return {
            "address": mailbox.address,
            "name": mailbox.name,
            "team": mailbox.team_id,
            "is_active": mailbox.is_active,
            "imap_host": mailbox.imap_host,
            "imap_port": mailbox.imap_port,
            "imap_use_tls": mailbox.imap_use_tls,
            "imap_username": mailbox.imap_username,
            "imap_folder": mailbox.imap_folder,
        }

    def to_input(self) -> MailboxInput:
        data = self.cleaned_data
        return MailboxInput(
            address=data["address"],
            name=data["name"],
            team=data["team"],
            is_active=data["is_active"],
            imap_host=data["imap_host"],
            imap_port=data["imap_port"],
            imap_use_tls=data["imap_use_tls"],
            imap_username=data["imap_username"],
            imap_password=data["imap_password"] or None,
            imap_folder=data["imap_folder"],
        )
