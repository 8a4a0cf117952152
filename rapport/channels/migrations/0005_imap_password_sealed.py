"""IMAP passwords are sealed (rapport.core.sealed) instead of kept as they were typed."""

from django.db import migrations, models

from rapport.core.sealed import PREFIX, seal


def seal_stored_passwords(apps, schema_editor):  # type: ignore[no-untyped-def]
    Mailbox = apps.get_model("channels", "Mailbox")
    for mailbox in Mailbox.objects.exclude(imap_password_sealed="").exclude(
        imap_password_sealed__startswith=PREFIX
    ):
        mailbox.imap_password_sealed = seal(mailbox.imap_password_sealed)
        mailbox.save(update_fields=["imap_password_sealed"])


class Migration(migrations.Migration):
    dependencies = [("channels", "0004_delivery_claimed_until")]

    operations = [
        migrations.RenameField("mailbox", "imap_password", "imap_password_sealed"),
        migrations.AlterField("mailbox", "imap_password_sealed", models.TextField(blank=True)),
        # Going back leaves the values sealed: the old code cannot use them, so enter them again there.
        migrations.RunPython(seal_stored_passwords, migrations.RunPython.noop),
    ]
