"""Admins configure mailboxes: addresses checked, IMAP bookkeeping reset when it points elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import AuditEntry
from rapport.accounts.permissions import Actor
from rapport.channels.models import Mailbox
from rapport.channels.services.mailboxes import MailboxInput, save_mailbox
from rapport.channels.tests.factories import MailboxFactory
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.core.sealed import seal, unseal

pytestmark = pytest.mark.django_db


def test_admin_creates_a_mailbox_from_the_page(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("channels:mailbox_new"),
        {
            "address": " Returns@Shop.Test ",
            "name": "Returns",
            "is_active": "on",
            "imap_port": "993",
            "imap_folder": "INBOX",
        },
    )

    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.name, mailbox.is_active, mailbox.polls_imap) == (
        "returns@shop.test",
        "Returns",
        True,
        False,
    )
    assert AuditEntry.objects.filter(action="channels.mailbox.create").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"address": "not an address"}, "address"),
        ({"address": "support+vip@shop.test"}, "address"),
        ({"name": " "}, "name"),
        ({"imap_host": "imap.shop.test"}, "imap_username"),
        ({"imap_username": "support"}, "imap_host"),
    ],
)
def test_a_bad_mailbox_is_refused_on_its_field(admin: Actor, changes: dict[str, str], field: str) -> None:
    data = MailboxInput(**{"address": "support@shop.test", "name": "Support", **changes})  # type: ignore[arg-type]

    with pytest.raises(ValidationFailed) as refused:
        save_mailbox(actor=admin, mailbox=None, data=data)

    assert field in refused.value.errors
    assert Mailbox.objects.count() == 0


def test_an_address_can_be_a_mailbox_once(admin: Actor) -> None:
    MailboxFactory(address="support@shop.test")

    with pytest.raises(Conflict):
        save_mailbox(actor=admin, mailbox=None, data=MailboxInput(address="support@shop.test", name="Again"))


def test_pointing_imap_elsewhere_starts_again_and_a_blank_password_keeps_the_stored_one(admin: Actor) -> None:
    mailbox = MailboxFactory(
        imap_host="imap.old.test",
        imap_username="support",
        imap_password_sealed=seal("secret"),
        imap_last_uid=812,
        imap_uid_validity=3,
        imap_error="timed out",
    )
    same = MailboxInput(
        address=mailbox.address, name="Support", imap_host="imap.old.test", imap_username="support"
    )

    save_mailbox(actor=admin, mailbox=mailbox, data=same)
    mailbox.refresh_from_db()
    assert (mailbox.imap_last_uid, mailbox.imap_uid_validity) == (812, 3)
    assert unseal(mailbox.imap_password_sealed) == "secret"

    moved = MailboxInput(
        address=mailbox.address, name="Support", imap_host="imap.new.test", imap_username="support"
    )
    save_mailbox(actor=admin, mailbox=mailbox, data=moved)
    mailbox.refresh_from_db()
    assert (mailbox.imap_last_uid, mailbox.imap_uid_validity, mailbox.imap_error) == (0, None, "")
    assert unseal(mailbox.imap_password_sealed) == "secret"


def test_the_password_never_reaches_the_page_or_the_audit_log(admin: Actor, admin_client_: Client) -> None:
    mailbox = save_mailbox(
        actor=admin,
        mailbox=None,
        data=MailboxInput(
            address="support@shop.test",
            name="Support",
            imap_host="imap.shop.test",
            imap_username="u",
            imap_password="hunter2-secret",
        ),
    )

    page = admin_client_.get(reverse("channels:mailbox", args=[mailbox.pk])).content.decode()

    assert "hunter2-secret" not in page
    assert "hunter2-secret" not in str(list(AuditEntry.objects.values("before", "after")))


def test_the_password_is_kept_sealed_in_the_database_and_a_blank_one_clears_it(admin: Actor) -> None:
    data = MailboxInput(
        address="support@shop.test", name="Support", imap_host="imap.shop.test", imap_username="u"
    )
    mailbox = save_mailbox(
        actor=admin, mailbox=None, data=MailboxInput(**{**data.__dict__, "imap_password": "hunter2-secret"})
    )

    stored = Mailbox.objects.values_list("imap_password_sealed", flat=True).get(pk=mailbox.pk)
    assert "hunter2" not in stored
    assert unseal(stored) == "hunter2-secret"

    save_mailbox(actor=admin, mailbox=mailbox, data=MailboxInput(**{**data.__dict__, "imap_password": ""}))
    assert Mailbox.objects.values_list("imap_password_sealed", flat=True).get(pk=mailbox.pk) == ""


def test_passwords_stored_before_sealing_are_sealed_by_the_migration() -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("rapport.channels.migrations.0005_imap_password_sealed")
    typed = MailboxFactory(address="old@shop.test", imap_password_sealed="typed before sealing")
    sealed = MailboxFactory(address="new@shop.test", imap_password_sealed=seal("sealed already"))

    migration.seal_stored_passwords(apps, None)
    migration.seal_stored_passwords(apps, None)  # again: nothing is sealed twice

    typed.refresh_from_db()
    sealed.refresh_from_db()
    assert unseal(typed.imap_password_sealed) == "typed before sealing"
    assert unseal(sealed.imap_password_sealed) == "sealed already"


def test_only_admins_manage_mailboxes(lead: Actor) -> None:
    with pytest.raises(PermissionDenied):
        save_mailbox(actor=lead, mailbox=None, data=MailboxInput(address="support@shop.test", name="Support"))
